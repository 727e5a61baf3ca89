// SPDX-License-Identifier: MIT
/*
 * status.c - the status figures, gathered once and rendered as JSON,
 * Prometheus text and log lines (fr_status.h).
 */
#define FR_LOG_MOD "status"
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "fr_log.h"
#include "fr_status.h"

/* Rates need an interval this long; a shorter one keeps the last rate. */
#define RATE_MIN_NS 100000000ull

static double events_per_s(struct fr_status_rate *r, uint64_t written, uint64_t attach_ts,
			   uint64_t now)
{
	double v;

	pthread_mutex_lock(&r->mu);
	if (r->last_ts && now > r->last_ts + RATE_MIN_NS)
		r->per_s = (double)(written - r->last_written) * 1e9 / (double)(now - r->last_ts);
	else if (!r->last_ts && now > attach_ts + RATE_MIN_NS)
		r->per_s = (double)written * 1e9 / (double)(now - attach_ts);
	if (!r->last_ts || now > r->last_ts + RATE_MIN_NS) {
		r->last_written = written;
		r->last_ts = now;
	}
	v = r->per_s;
	pthread_mutex_unlock(&r->mu);
	return v;
}

void fr_status__gather(const struct fr_status_sources *src, struct fr_status *out)
{
	uint64_t now = fr_mono_ns();

	memset(out, 0, sizeof(*out));
	out->uptime_s = src->started && now > src->started ? (now - src->started) / 1e9 : 0;
	out->kernel_capture = src->cap != NULL;
	if (src->cap) {
		const struct fr_ring_view *v = fr_capture__view(src->cap);

		fr_capture__counters(src->cap, &out->cap);
		fr_capture__info(src->cap, &out->cap_info);
		if (src->rate)
			out->events_per_s = events_per_s(src->rate, out->cap.written,
							 out->cap_info.attach_ts, now);
		for (uint32_t i = 0; i < v->nr_cpus && i < FR_MAX_CPUS; i++) {
			out->coverage_s[i] = fr_ring__cpu_coverage_s(v, i, now);
			if (!i || out->coverage_s[i] < out->min_coverage_s)
				out->min_coverage_s = out->coverage_s[i];
		}
	}
	if (src->clock) {
		out->has_clock = true;
		out->clock_offset_ns = src->clock->offset_ns;
		out->clock_uncertainty_ns = src->clock->uncertainty_ns;
	}
	if ((out->has_store = src->store != NULL))
		fr_store__stats(src->store, &out->store);
	if ((out->has_exporter = src->exp != NULL))
		fr_exporter__stats(src->exp, &out->exp);
	if ((out->has_otlp = src->otlp != NULL))
		fr_otlp_server__stats(src->otlp, &out->otlp);
	if ((out->has_triggers = src->trig != NULL))
		fr_trigger__stats(src->trig, &out->trig);
	if ((out->has_fleet = src->fleet != NULL)) {
		fr_fleet__stats(src->fleet, &out->fleet);
		snprintf(out->node, sizeof(out->node), "%s", fr_fleet__node(src->fleet));
	}
	if ((out->has_incidents = src->incidents != NULL)) {
		out->incidents.stored = __atomic_load_n(&src->incidents->stored, __ATOMIC_RELAXED);
		out->incidents.failed = __atomic_load_n(&src->incidents->failed, __ATOMIC_RELAXED);
		out->incidents.dropped = __atomic_load_n(&src->incidents->dropped, __ATOMIC_RELAXED);
		out->incidents.forward_failed =
			__atomic_load_n(&src->incidents->forward_failed, __ATOMIC_RELAXED);
	}
}

void fr_status__json(const struct fr_status *s, struct fr_buf *b)
{
	fr_buf__printf(b, "{\"uptime_s\":%.1f,\"kernel_capture\":%s", s->uptime_s,
		       s->kernel_capture ? "true" : "false");
	if (s->kernel_capture) {
		const struct fr_capture_counters *cc = &s->cap;

		fr_buf__printf(b, ",\"rings\":{\"bytes\":%" PRIu64 ",\"events_per_s\":%.0f,"
				  "\"written\":%" PRIu64 ",\"overwritten\":%" PRIu64 ",\"skipped\":%" PRIu64
				  ",\"nested\":%" PRIu64 ",\"stacks\":%" PRIu64 ",\"stack_fail\":%" PRIu64
				  ",\"stacks_skipped\":%" PRIu64 ",\"user_stacks\":%" PRIu64
				  ",\"samples\":%" PRIu64 ",\"sample_hz\":%u,\"syscalls\":\"%s\""
				  ",\"lost\":%" PRIu64 ",\"fds_named\":%" PRIu64
				  ",\"links\":{\"now\":%" PRIu64 ",\"made\":%" PRIu64
				  ",\"refused\":%" PRIu64 "},\"fault_mappings_busy\":%" PRIu64
				  ",\"cpus\":[",
			       s->cap_info.ring_bytes, s->events_per_s, cc->written, cc->overwritten,
			       cc->skipped, cc->nested, cc->stacks, cc->stack_fail, cc->stacks_skipped,
			       cc->user_stacks, cc->samples, s->cap_info.sample_hz,
			       fr_capture__syscalls_name(s->cap_info.syscalls),
			       cc->lookup_fail + cc->prog_misses, cc->names,
			       cc->links_now,
			       cc->links_made, cc->links_refused, cc->vma_busy);
		for (uint32_t i = 0; i < s->cap_info.nr_cpus && i < FR_MAX_CPUS; i++)
			fr_buf__printf(b, "%s{\"cpu\":%u,\"coverage_s\":%.1f}", i ? "," : "", i,
				       s->coverage_s[i]);
		fr_buf__put(b, "]}", 2);
	}
	if (s->has_store)
		fr_buf__printf(b, ",\"store\":{\"incidents\":%" PRIu64 ",\"bytes\":%" PRIu64
				  ",\"map_bytes\":%" PRIu64 ",\"evicted\":%" PRIu64 ",\"errors\":%" PRIu64 "}",
			       s->store.incidents, s->store.bytes, s->store.map_bytes,
			       s->store.evicted_size + s->store.evicted_age, s->store.put_errors);
	if (s->has_exporter)
		fr_buf__printf(b, ",\"exporter\":{\"spans_sent\":%" PRIu64 ",\"queue_bytes\":%" PRIu64
				  ",\"queue_batches\":%" PRIu64 ",\"retries\":%" PRIu64
				  ",\"dropped\":%" PRIu64 ",\"lost\":%" PRIu64 ",\"last_status\":%d}",
			       s->exp.spans_sent, s->exp.queue_bytes, s->exp.queue_batches,
			       s->exp.retries, s->exp.spans_dropped_full, s->exp.spans_lost,
			       s->exp.last_http_status);
	else
		fr_buf__put(b, ",\"exporter\":null", 16);
	if (s->has_otlp)
		fr_buf__printf(b, ",\"otlp\":{\"requests\":%" PRIu64 ",\"spans\":%" PRIu64
				  ",\"rejected\":%" PRIu64 ",\"bad\":%" PRIu64 ",\"busy\":%" PRIu64 "}",
			       s->otlp.requests, s->otlp.spans_accepted, s->otlp.spans_rejected,
			       s->otlp.bad_request, s->otlp.busy);
	if (s->has_triggers)
		fr_buf__printf(b, ",\"triggers\":{\"spans\":%" PRIu64 ",\"fired\":%" PRIu64
				  ",\"cooled\":%" PRIu64 ",\"over_budget\":%" PRIu64
				  ",\"operations\":%" PRIu64 "}",
			       s->trig.spans, s->trig.fired, s->trig.cooled, s->trig.over_budget,
			       s->trig.ops);
	if (s->has_incidents)
		fr_buf__printf(b, ",\"incidents\":{\"stored\":%" PRIu64 ",\"failed\":%" PRIu64
				  ",\"dropped\":%" PRIu64 ",\"forward_failed\":%" PRIu64 "}",
			       s->incidents.stored, s->incidents.failed, s->incidents.dropped,
			       s->incidents.forward_failed);
	if (s->has_fleet) {
		const struct fr_fleet_stats *f = &s->fleet;

		fr_buf__printf(b, ",\"fleet\":{\"node\":");
		fr_buf__json_str(b, s->node, strlen(s->node));
		fr_buf__printf(b, ",\"connected\":%s,\"server\":", f->connected ? "true" : "false");
		fr_buf__json_str(b, f->server, strlen(f->server));
		fr_buf__printf(b, ",\"nodes\":%" PRIu64 ",\"reconnects\":%" PRIu64
				  ",\"disconnects\":%" PRIu64 ",\"requests_sent\":%" PRIu64
				  ",\"answers\":%" PRIu64 ",\"late\":%" PRIu64 ",\"no_answer\":%" PRIu64
				  ",\"no_node\":%" PRIu64 ",\"broadcasts\":%" PRIu64
				  ",\"broadcasts_limited\":%" PRIu64 ",\"requests_in\":%" PRIu64
				  ",\"answers_sent\":%" PRIu64 ",\"refused\":{\"invalid\":%" PRIu64
				  ",\"rate\":%" PRIu64 ",\"other\":%" PRIu64 "},\"send_failed\":%" PRIu64
				  ",\"published\":%" PRIu64 ",\"heartbeats\":%" PRIu64
				  ",\"heartbeat_failed\":%" PRIu64 "}",
			       f->nodes, f->reconnects, f->disconnects, f->requests_sent, f->answers,
			       f->late, f->no_answer, f->no_node, f->broadcasts, f->broadcasts_limited,
			       f->requests_in, f->answers_sent, f->refused_invalid, f->refused_rate,
			       f->refused_other, f->send_failed, f->published, f->heartbeats,
			       f->heartbeat_failed);
	}
	fr_buf__putc(b, '}');
}

void fr_status__prometheus(const struct fr_status *s, struct fr_buf *b)
{
	const bool cap = s->kernel_capture;
	const struct {
		bool on;
		const char *name, *type, *help;
		double v;
	} m[] = {
		{ true, "flightrec_uptime_seconds", "gauge", "Seconds since start.", s->uptime_s },
		{ true, "flightrec_kernel_capture", "gauge", "1 when kernel capture is on.", cap },
		{ cap, "flightrec_ring_records_written_total", "counter", "Records written.",
		  s->cap.written },
		{ cap, "flightrec_ring_records_overwritten_total", "counter",
		  "Records overwritten by newer ones.", s->cap.overwritten },
		{ cap, "flightrec_ring_events_skipped_total", "counter",
		  "Events of unfollowed tasks filtered in the kernel.", s->cap.skipped },
		{ cap, "flightrec_ring_stack_failures_total", "counter", "Stacks not taken.",
		  s->cap.stack_fail },
		{ cap, "flightrec_stacks_taken_total", "counter",
		  "Kernel stacks of blocks past the stack threshold.", s->cap.stacks },
		{ cap, "flightrec_stacks_skipped_total", "counter",
		  "Blocks shorter than the stack threshold: no stack taken.", s->cap.stacks_skipped },
		{ cap, "flightrec_user_stacks_total", "counter",
		  "User stacks taken when a long block's syscall returned.", s->cap.user_stacks },
		{ cap, "flightrec_samples_total", "counter",
		  "On-CPU samples of followed threads.", s->cap.samples },
		{ cap, "flightrec_fds_named_total", "counter",
		  "Fds named in the kernel at slow syscalls.", s->cap.names },
		{ cap, "flightrec_links", "gauge",
		  "Processes followed as links of followed ones now.", s->cap.links_now },
		{ cap, "flightrec_links_made_total", "counter",
		  "Processes followed as links, ever.", s->cap.links_made },
		{ cap, "flightrec_links_refused_total", "counter",
		  "Links not made because --max-links were followed.", s->cap.links_refused },
		{ cap, "flightrec_fault_mappings_busy_total", "counter",
		  "Blocking page faults whose mapped file could not be named (the mapping's lock "
		  "was busy).", s->cap.vma_busy },
		{ s->has_otlp, "flightrec_otlp_requests_total", "counter", "OTLP requests.",
		  s->otlp.requests },
		{ s->has_otlp, "flightrec_otlp_spans_accepted_total", "counter", "Spans accepted.",
		  s->otlp.spans_accepted },
		{ s->has_otlp, "flightrec_otlp_spans_rejected_total", "counter",
		  "Spans refused (bad ids).", s->otlp.spans_rejected },
		{ s->has_otlp, "flightrec_otlp_requests_failed_total", "counter",
		  "Requests answered 400/413/415/503.",
		  s->otlp.bad_request + s->otlp.too_large + s->otlp.unsupported + s->otlp.busy },
		{ s->has_exporter, "flightrec_export_spans_sent_total", "counter", "Spans delivered.",
		  s->exp.spans_sent },
		{ s->has_exporter, "flightrec_export_spans_dropped_total", "counter",
		  "Spans dropped from a full queue.", s->exp.spans_dropped_full },
		{ s->has_exporter, "flightrec_export_spans_lost_total", "counter",
		  "Spans refused by the backend or given up.", s->exp.spans_lost },
		{ s->has_exporter, "flightrec_export_queue_bytes", "gauge", "Bytes queued for export.",
		  s->exp.queue_bytes },
		{ s->has_triggers, "flightrec_trigger_spans_total", "counter", "Spans judged.",
		  s->trig.spans },
		{ s->has_triggers, "flightrec_trigger_fired_total", "counter", "Captures triggered.",
		  s->trig.fired },
		{ s->has_triggers, "flightrec_trigger_operations", "gauge", "Operations tracked.",
		  s->trig.ops },
		{ s->has_store, "flightrec_store_incidents", "gauge", "Incidents stored.",
		  s->store.incidents },
		{ s->has_store, "flightrec_store_bytes", "gauge", "Bytes stored.", s->store.bytes },
		{ s->has_incidents, "flightrec_incidents_total", "counter",
		  "Incidents committed since start.", s->incidents.stored },
		{ s->has_incidents, "flightrec_incidents_failed_total", "counter",
		  "Incidents that could not be made or committed.", s->incidents.failed },
		{ s->has_fleet, "flightrec_fleet_connected", "gauge",
		  "1 while connected to a NATS server of the fleet.", s->fleet.connected },
		{ s->has_fleet, "flightrec_fleet_nodes", "gauge", "Nodes in the fleet's registry.",
		  s->fleet.nodes },
		{ s->has_fleet, "flightrec_fleet_reconnects_total", "counter",
		  "Reconnections to NATS.", s->fleet.reconnects },
		{ s->has_fleet, "flightrec_fleet_requests_sent_total", "counter",
		  "Capture requests sent to other nodes.", s->fleet.requests_sent },
		{ s->has_fleet, "flightrec_fleet_no_answer_total", "counter",
		  "Requests other nodes did not answer in time.", s->fleet.no_answer },
		{ s->has_fleet, "flightrec_fleet_late_total", "counter",
		  "Answers that came after the incident was stored.", s->fleet.late },
		{ s->has_fleet, "flightrec_fleet_requests_received_total", "counter",
		  "Capture requests from other nodes.", s->fleet.requests_in },
		{ s->has_fleet, "flightrec_fleet_requests_refused_total", "counter",
		  "Requests refused (malformed, rate, budget).",
		  s->fleet.refused_invalid + s->fleet.refused_rate + s->fleet.refused_other },
		{ s->has_fleet, "flightrec_fleet_send_failed_total", "counter",
		  "Requests, answers and summaries that could not be sent (lost).",
		  s->fleet.send_failed },
	};

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (m[i].on)
			fr_buf__printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", m[i].name, m[i].help,
				       m[i].name, m[i].type, m[i].name, m[i].v);
	if (cap) {
		fr_buf__printf(b, "# HELP flightrec_ring_coverage_seconds History each CPU's ring holds.\n"
				  "# TYPE flightrec_ring_coverage_seconds gauge\n");
		for (uint32_t i = 0; i < s->cap_info.nr_cpus && i < FR_MAX_CPUS; i++)
			fr_buf__printf(b, "flightrec_ring_coverage_seconds{cpu=\"%u\"} %.1f\n", i,
				       s->coverage_s[i]);
	}
}

void fr_status__log(const struct fr_status *s)
{
	if (s->kernel_capture)
		pr_info("kernel: coverage %.1f s (least-covered CPU), %.0f events/s, %" PRIu64
			" written, %" PRIu64 " overwritten, %" PRIu64 " skipped, %" PRIu64
			" stacks (%" PRIu64 " failed, %" PRIu64 " blocks too short), %" PRIu64
			" on-CPU samples, %" PRIu64 " fds named, %" PRIu64
			" links; clock offset %" PRId64 " ns +/- %" PRIu64 " ns",
			s->min_coverage_s, s->events_per_s, s->cap.written, s->cap.overwritten,
			s->cap.skipped, s->cap.stacks, s->cap.stack_fail, s->cap.stacks_skipped,
			s->cap.samples, s->cap.names,
			s->cap.links_now, s->clock_offset_ns,
			s->clock_uncertainty_ns);
	if (s->has_otlp)
		pr_info("otlp: %" PRIu64 " requests, %" PRIu64 " spans accepted, %" PRIu64
			" rejected, %" PRIu64 " bad, %" PRIu64 " too large, %" PRIu64 " busy",
			s->otlp.requests, s->otlp.spans_accepted, s->otlp.spans_rejected,
			s->otlp.bad_request, s->otlp.too_large, s->otlp.busy);
	if (s->has_triggers)
		pr_info("triggers: %" PRIu64 " spans, %" PRIu64 " fired, %" PRIu64 " in cooldown, %" PRIu64
			" over budget, %" PRIu64 " operations; %" PRIu64 " incidents stored, %" PRIu64
			" failed, %" PRIu64 " dropped (queue full)",
			s->trig.spans, s->trig.fired, s->trig.cooled, s->trig.over_budget, s->trig.ops,
			s->incidents.stored, s->incidents.failed, s->incidents.dropped);
	if (s->has_fleet)
		pr_info("fleet: node %s, %s, %" PRIu64 " nodes, %" PRIu64 " reconnects; %" PRIu64
			" requests sent, %" PRIu64 " answered, %" PRIu64 " late, %" PRIu64
			" unanswered; %" PRIu64 " received, %" PRIu64 " refused; %" PRIu64 " lost",
			s->node, s->fleet.connected ? "connected" : "not connected", s->fleet.nodes,
			s->fleet.reconnects, s->fleet.requests_sent, s->fleet.answers, s->fleet.late,
			s->fleet.no_answer, s->fleet.requests_in,
			s->fleet.refused_invalid + s->fleet.refused_rate + s->fleet.refused_other,
			s->fleet.send_failed);
	if (s->has_exporter)
		pr_info("export: %" PRIu64 " spans sent, %" PRIu64 " queued bytes, %" PRIu64
			" retries, %" PRIu64 " spans dropped (queue full), %" PRIu64
			" lost; last answer %d",
			s->exp.spans_sent, s->exp.queue_bytes, s->exp.retries, s->exp.spans_dropped_full,
			s->exp.spans_lost, s->exp.last_http_status);
}

void fr_status_history__add(struct fr_status_history *h, const struct fr_status *st,
			    uint64_t now_mono_ns, uint64_t now_unix_ns)
{
	uint64_t spans = st->has_triggers ? st->trig.spans : 0;
	uint64_t incidents = st->has_incidents ? st->incidents.stored : 0;
	struct fr_status_point pt = { .t_unix_ms = now_unix_ns / 1000000,
				      .events_per_s = st->events_per_s,
				      .coverage_s = st->kernel_capture ? st->min_coverage_s : 0 };

	pthread_mutex_lock(&h->mu);
	if (h->last_mono && now_mono_ns > h->last_mono) {
		double dt = (double)(now_mono_ns - h->last_mono) / 1e9;

		pt.spans_per_s = spans >= h->last_spans ? (double)(spans - h->last_spans) / dt : 0;
		pt.incidents = incidents >= h->last_incidents ? incidents - h->last_incidents : 0;
	}
	h->last_spans = spans;
	h->last_incidents = incidents;
	h->last_mono = now_mono_ns;
	h->p[h->head] = pt;
	h->head = (h->head + 1) % FR_STATUS_HISTORY;
	if (h->n < FR_STATUS_HISTORY)
		h->n++;
	pthread_mutex_unlock(&h->mu);
}

size_t fr_status_history__get(struct fr_status_history *h, struct fr_status_point *out, size_t max)
{
	size_t n;

	pthread_mutex_lock(&h->mu);
	n = h->n < max ? h->n : max;
	for (size_t i = 0; i < n; i++)
		out[i] = h->p[(h->head + FR_STATUS_HISTORY - n + i) % FR_STATUS_HISTORY];
	pthread_mutex_unlock(&h->mu);
	return n;
}
