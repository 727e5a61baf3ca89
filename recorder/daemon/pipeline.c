// SPDX-License-Identifier: MIT
/*
 * pipeline.c - the daemon's span pipeline (fr_daemon.h): every decoded
 * request follows its processes, is judged by the triggers, and is
 * forwarded; a fired span is queued for the capture worker, which takes
 * the snapshot, stores the incident and exports the annotated span.
 */
#define FR_LOG_MOD "run"
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_int.h"
#include "fr_clock.h"
#include "fr_log.h"
#include "fr_otlp.h"

/* The text of rule id, for the incident. */
static void rule_text(struct fr_daemon *d, uint32_t id, char *buf, size_t len)
{
	struct fr_rule rules[FR_MAX_RULES];
	size_t n = fr_trigger__rules(d->trig, rules, FR_MAX_RULES);

	buf[0] = '\0';
	for (size_t i = 0; i < n && i < FR_MAX_RULES; i++)
		if (rules[i].id == id)
			fr_rule__format(&rules[i], buf, len);
}

static void count(uint64_t *counter)
{
	__atomic_add_fetch(counter, 1, __ATOMIC_RELAXED);
}

/* An incident on its way into the store, until the commit says how it went. */
struct pending_incident {
	struct fr_daemon *d;
	struct fr_batch *export;      /* the annotated span and its children */
	const struct fr_span *span;   /* the span as it came (held by export) */
	bool no_export;               /* a part taken on another node's request: its
				       * span was forwarded as it came already */
	struct fr_incident_summary sum; /* for the fleet's stream */
	char line[1500];              /* what the log says once it is stored */
};

/*
 * After the commit (on the store's writer thread): only now is the
 * incident counted, logged and exported with its id; an incident that did
 * not commit is counted as failed and its span forwarded as it came.
 */
static void incident_committed(void *ctx, uint64_t id, int err)
{
	struct pending_incident *p = ctx;
	struct fr_daemon *d = p->d;

	if (err) {
		pr_err("incident %016" PRIx64 " not stored: %s", id, strerror(-err));
		count(&d->counts.failed);
		if (d->exp && !p->no_export)
			fr_exporter__submit(d->exp, p->span, 1);
	} else {
		pr_info("%s", p->line);
		count(&d->counts.stored);
		if (d->exp && !p->no_export)
			fr_exporter__submit(d->exp, p->export->spans, p->export->nr_spans);
		if (d->fleet)
			fr_fleet__publish(d->fleet, &p->sum);
	}
	fr_batch__put(p->export);
	free(p);
}

void fr_daemon__store_incident(struct fr_daemon *d, const struct fr_incident_in *in,
			       struct fr_incident_out *out, bool export)
{
	struct pending_incident *p = calloc(1, sizeof(*p));
	int err;

	if (!p) {
		free(out->frsnap);
		out->frsnap = NULL;
		pr_err("incident %016" PRIx64 " not stored: out of memory", in->id);
		count(&d->counts.failed);
		if (d->exp && export)
			fr_exporter__submit(d->exp, in->span, 1);
		return;
	}
	p->d = d;
	p->no_export = !export;
	p->sum = out->summary;
	p->export = fr_batch__get(out->export);
	p->span = in->span;
	snprintf(p->line, sizeof(p->line), "incident %016" PRIx64 ": %s %s: %s", in->id,
		 out->summary.service, out->summary.span_name, out->summary.verdict);
	err = fr_store__put(d->store, &out->summary, out->frsnap, out->frsnap_len,
			    incident_committed, p);
	out->frsnap = NULL; /* the store owns it now, whatever the outcome */
	if (err)
		incident_committed(p, in->id, err); /* refused before the writer saw it */
}

/* One fired span: snapshot, then store (which exports once committed). */
static void make_incident(struct fr_daemon *d, struct fr_snapshotter *snap, const struct fr_job *j)
{
	struct fr_incident_in in = {
		.batch = j->batch, .span = j->span, .decision = j->decision,
		.host_pid = j->host_pid, .followed = j->followed,
		.denied = j->denied[0] ? j->denied : NULL,
		.pid_source = j->pid_source,
	};
	struct fr_incident_out out;
	int err;

	struct fr_across across = { .d = d };

	in.id = fr_store__new_id(d->store);
	rule_text(d, j->decision.rule_id, in.rule, sizeof(in.rule));
	if (d->fleet) {
		in.node = fr_fleet__node(d->fleet);
		in.across = fr_daemon__across;
		in.across_ctx = &across;
	}
	err = fr_snapshotter__take(snap, &in, &out);
	if (err) {
		pr_err("incident for span %s failed: %s", j->span->name.p, strerror(-err));
		count(&d->counts.failed);
		if (d->exp)
			fr_exporter__submit(d->exp, j->span, 1); /* forwarded as it came */
		return;
	}
	fr_daemon__store_incident(d, &in, &out, true);
	fr_incident_out__free(&out);
}

/* A normal span's sample for its baseline; a failure only loses it. */
static void take_sample(struct fr_snapshotter *snap, const struct fr_job *j)
{
	struct fr_incident_in in = {
		.batch = j->batch, .span = j->span, .host_pid = j->host_pid, .followed = true,
	};
	int err = fr_snapshotter__sample(snap, &in);

	if (err && err != -ENOENT)
		pr_debug("baseline sample of %s failed: %s", j->span->name.p, strerror(-err));
}

static void *capture_worker(void *arg)
{
	struct fr_daemon *d = arg;
	struct fr_snapshotter *snap = fr_snapshotter__new(&d->c->snapshot, d->cap, d->ksyms);

	if (!snap) {
		pr_err("cannot start the capture worker: out of memory");
		return NULL;
	}
	pthread_mutex_lock(&d->jmu);
	for (;;) {
		struct fr_job j;

		while (!d->jcount && !d->jstop)
			pthread_cond_wait(&d->jcv, &d->jmu);
		if (!d->jcount)
			break;
		j = d->jobs[d->jhead];
		d->jhead = (d->jhead + 1) % FR_MAX_JOBS;
		d->jcount--;
		pthread_mutex_unlock(&d->jmu);
		if (j.prepare)
			fr_snapshotter__prepare(snap, j.host_pid);
		else if (j.sample)
			take_sample(snap, &j);
		else if (j.remote)
			fr_daemon__remote_incident(d, snap, &j);
		else
			make_incident(d, snap, &j);
		if (j.batch)
			fr_batch__put(j.batch);
		pthread_mutex_lock(&d->jmu);
	}
	pthread_mutex_unlock(&d->jmu);
	fr_snapshotter__free(snap);
	return NULL;
}

int fr_daemon__start_worker(struct fr_daemon *d)
{
	if (pthread_create(&d->worker, NULL, capture_worker, d)) {
		pr_err("cannot start the capture worker");
		return -EAGAIN;
	}
	d->worker_started = true;
	return 0;
}

/* Captures already queued finish first. */
void fr_daemon__stop_worker(struct fr_daemon *d)
{
	if (!d->worker_started)
		return;
	pthread_mutex_lock(&d->jmu);
	d->jstop = true;
	pthread_cond_signal(&d->jcv);
	pthread_mutex_unlock(&d->jmu);
	pthread_join(d->worker, NULL);
	d->worker_started = false;
}

bool fr_daemon__queue_capture(struct fr_daemon *d, const struct fr_job *job)
{
	bool ok = false;

	pthread_mutex_lock(&d->jmu);
	if (d->jcount < FR_MAX_JOBS && !d->jstop) {
		struct fr_job *j = &d->jobs[(d->jhead + d->jcount) % FR_MAX_JOBS];

		*j = *job;
		if (j->batch)
			fr_batch__get(j->batch);
		d->jcount++;
		pthread_cond_signal(&d->jcv);
		ok = true;
	}
	pthread_mutex_unlock(&d->jmu);
	return ok;
}

static void dump_spans(struct fr_daemon *d, const struct fr_batch *b)
{
	struct fr_buf line = { 0 };

	for (size_t i = 0; i < b->nr_spans; i++) {
		fr_otlp__span_json(&b->spans[i], &line);
		fr_buf__putc(&line, '\n');
	}
	pthread_mutex_lock(&d->dump_mu);
	if (!line.oom)
		fwrite(line.p, 1, line.len, d->dump);
	fflush(d->dump);
	pthread_mutex_unlock(&d->dump_mu);
	fr_buf__free(&line);
}

void fr_daemon__prepare(struct fr_daemon *d, pid_t pid)
{
	struct fr_job job = { .host_pid = pid, .prepare = true };

	pthread_mutex_lock(&d->jmu);
	if (d->jcount * 2 >= FR_MAX_JOBS) { /* incidents come first */
		pthread_mutex_unlock(&d->jmu);
		return;
	}
	pthread_mutex_unlock(&d->jmu);
	fr_daemon__queue_capture(d, &job);
}

/*
 * A normal span of a process already followed: sampled for its
 * operation's baseline when the budget says so, on the capture worker,
 * and only while the worker's queue is less than half full (incidents
 * come first).
 */
static void maybe_sample(struct fr_daemon *d, struct fr_job *job, const struct resource_pid *rp)
{
	const struct fr_span *sp = job->span;
	const char *service;

	if (!d->baselines || !rp || !rp->host || !rp->followed || rp->denied[0])
		return;
	pthread_mutex_lock(&d->jmu);
	if (d->jcount * 2 >= FR_MAX_JOBS) {
		pthread_mutex_unlock(&d->jmu);
		return;
	}
	pthread_mutex_unlock(&d->jmu);
	service = sp->scope && sp->scope->resource ? sp->scope->resource->service_name.p : "";
	if (!fr_baselines__want(d->baselines, service, sp->name.p, fr_mono_ns()))
		return;
	job->host_pid = rp->host;
	job->followed = true;
	job->sample = true;
	fr_daemon__queue_capture(d, job);
}

int fr_daemon__on_batch(void *daemon, struct fr_batch *b)
{
	struct fr_daemon *d = daemon;
	struct resource_pid rp[FOLLOW_MAX_RESOURCES];
	size_t fwd_from = 0;

	memset(rp, 0, sizeof(rp));
	fr_daemon__follow_senders(d, b, rp);
	if (d->fleet) { /* what another node may ask this one about later */
		pid_t pids[FOLLOW_MAX_RESOURCES];

		for (size_t i = 0; i < FOLLOW_MAX_RESOURCES; i++)
			pids[i] = rp[i].denied[0] ? 0 : rp[i].host;
		fr_fleet__note_spans(d->fleet, b, pids, FOLLOW_MAX_RESOURCES);
	}
	if (d->dump)
		dump_spans(d, b);
	for (size_t i = 0; i < b->nr_spans; i++) {
		const struct fr_span *sp = &b->spans[i];
		size_t ri = sp->scope ? (size_t)(sp->scope->resource - b->resources) : 0;
		struct fr_job job = { .batch = b, .span = sp };

		fr_trigger__observe(d->trig, sp, &job.decision);
		if (d->series)
			fr_series__add(d->series,
				       sp->scope && sp->scope->resource ? sp->scope->resource->service_name.p : "",
				       sp->name.p, sp->end_ns,
				       sp->end_ns > sp->start_ns ? sp->end_ns - sp->start_ns : 0);
		if (!job.decision.fire) {
			maybe_sample(d, &job, ri < FOLLOW_MAX_RESOURCES ? &rp[ri] : NULL);
			continue;
		}
		/* forward what came before it; this one goes out annotated */
		if (d->exp && i > fwd_from)
			fr_exporter__submit(d->exp, b->spans + fwd_from, i - fwd_from);
		fwd_from = i + 1;
		if (ri < FOLLOW_MAX_RESOURCES) {
			job.host_pid = rp[ri].host;
			job.followed = rp[ri].followed;
			snprintf(job.denied, sizeof(job.denied), "%s", rp[ri].denied);
			snprintf(job.pid_source, sizeof(job.pid_source), "%s", rp[ri].source);
		}
		if (!fr_daemon__queue_capture(d, &job)) {
			count(&d->counts.dropped);
			if (d->exp)
				fr_exporter__submit(d->exp, sp, 1);
		}
	}
	/* Never an error from here on: captures are queued and spans forwarded
	 * already, and a client told to retry would send them all again. */
	if (d->exp && b->nr_spans > fwd_from &&
	    fr_exporter__submit(d->exp, b->spans + fwd_from, b->nr_spans - fwd_from))
		count(&d->counts.forward_failed);
	return 0;
}
