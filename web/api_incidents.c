// SPDX-License-Identifier: MIT
/*
 * api_incidents.c - the incidents: GET /api/incidents (filters, pages), GET or DELETE
 * /api/incidents/ID, its .frsnap (/snapshot), Perfetto trace (/perfetto)
 * and on-CPU samples as a pprof profile (/profile.pb.gz).
 */
#define FR_LOG_MOD "web"
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fr_snapview.h"

#include "web_int.h"

void fr_web_summary_json(struct fr_buf *b, const struct fr_incident_summary *s)
{
	char hex[33];

	fr_buf__printf(b, "{\"id\":\"%016" PRIx64 "\",\"time_unix_nano\":\"%" PRIu64 "\"", s->id,
		       s->time_unix_nano);
	fr_web_kv_str(b, "service", s->service, true);
	fr_web_kv_str(b, "name", s->span_name, true);
	fr_hex(s->trace_id, 16, hex);
	fr_web_kv_str(b, "trace_id", hex, true);
	fr_hex(s->span_id, 8, hex);
	fr_web_kv_str(b, "span_id", hex, true);
	fr_buf__printf(b, ",\"duration_ms\":%.3f,\"threshold_ms\":%.3f", s->duration_ns / 1e6,
		       s->threshold_ns / 1e6);
	fr_web_kv_str(b, "rule", s->rule, true);
	fr_web_kv_str(b, "verdict", s->verdict, true);
	fr_buf__printf(b, ",\"kernel_context\":%s,\"complete\":%s,\"records\":%u,"
			  "\"snapshot_bytes\":%" PRIu64 ",\"kind\":%u,\"pid\":%u",
		       s->kernel_context ? "true" : "false", s->complete ? "true" : "false", s->records,
		       s->snapshot_bytes, s->kind, s->pid);
	if (s->signature) {
		fr_buf__printf(b, ",\"signature\":\"%016" PRIx64 "\"", s->signature);
		fr_web_kv_str(b, "cause", s->cause, true);
	}
	if (s->node[0])
		fr_web_kv_str(b, "node", s->node, true);
	if (s->origin_id)
		fr_buf__printf(b, ",\"origin_id\":\"%016" PRIx64 "\"", s->origin_id);
	if (s->part_of_node[0]) {
		fr_buf__printf(b, ",\"part_of\":{\"incident\":\"%016" PRIx64 "\",\"merged\":%s",
			       s->part_of_id, s->part_of_merged ? "true" : "false");
		fr_web_kv_str(b, "node", s->part_of_node, true);
		fr_buf__putc(b, '}');
	}
	if (s->nr_remote) {
		fr_buf__put(b, ",\"remote\":[", 11);
		for (uint32_t i = 0; i < s->nr_remote && i < FR_MAX_REMOTE; i++) {
			const struct fr_remote_part *p = &s->remote[i];

			fr_buf__printf(b, "%s{\"incident\":\"%016" PRIx64 "\",\"waited_ms\":%.3f,"
					  "\"answer_ms\":%.3f",
				       i ? "," : "", p->incident_id, p->ns / 1e6, p->answer_ns / 1e6);
			fr_web_kv_str(b, "node", p->node, true);
			fr_web_kv_str(b, "state", fr_remote_state__name(p->state), true);
			fr_web_kv_str(b, "endpoint", p->endpoint, true);
			fr_web_kv_str(b, "service", p->service, true);
			fr_web_kv_str(b, "verdict", p->verdict, true);
			fr_web_kv_str(b, "note", p->note, true);
			fr_web_kv_str(b, "via", p->via, true);
			fr_web_kv_str(b, "ui", p->ui, true);
			fr_buf__putc(b, '}');
		}
		fr_buf__putc(b, ']');
	}
	fr_buf__putc(b, '}');
}

static int by_id_desc(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x > y ? -1 : x < y;
}

/* GET /api/incidents?trace_id=HEX: every incident of one trace here (the
 * local one and the parts taken for other nodes), newest first. */
static enum MHD_Result list_by_trace(struct fr_web *w, struct MHD_Connection *c, const char *hex)
{
	uint8_t tid[16];
	uint64_t ids[64];
	struct fr_incident_summary *sum = malloc(sizeof(*sum));
	struct fr_buf b = { 0 };
	int n, shown = 0;

	if (!sum)
		return fr_web_error(c, 503, "out of memory");
	if (!fr_unhex(hex, strlen(hex), tid, 16)) {
		free(sum);
		return fr_web_error(c, 400, "bad trace_id (32 hex digits)");
	}
	n = fr_store__by_trace(w->o.store, tid, ids, 64);
	if (n < 0) {
		free(sum);
		return fr_web_error(c, 500, "the store could not be read");
	}
	qsort(ids, (size_t)n, sizeof(ids[0]), by_id_desc);
	fr_buf__put(&b, "{\"incidents\":[", 14);
	for (int i = 0; i < n; i++) {
		if (fr_store__summary(w->o.store, ids[i], sum))
			continue; /* evicted since */
		if (shown++)
			fr_buf__putc(&b, ',');
		fr_web_summary_json(&b, sum);
	}
	fr_buf__put(&b, "],\"next_cursor\":null}", 21);
	free(sum);
	return fr_web_json(c, 200, &b);
}

static enum MHD_Result list_incidents(struct fr_web *w, struct MHD_Connection *c)
{
	struct fr_store_query q = { .limit = 50 };
	struct fr_incident_summary *out;
	struct fr_buf b = { 0 };
	const char *cur = fr_web_arg(c, "cursor");
	uint64_t v, next = 0;
	bool bad = false;
	int n;

	if (fr_web_arg(c, "trace_id"))
		return list_by_trace(w, c, fr_web_arg(c, "trace_id"));
	q.service = fr_web_arg(c, "service");
	q.span_name = fr_web_arg(c, "name");
	q.node = fr_web_arg(c, "node");
	if (fr_web_arg_u64(c, "from", &v, &bad))
		q.from_unix_nano = v;
	if (fr_web_arg_u64(c, "to", &v, &bad))
		q.to_unix_nano = v;
	if (fr_web_arg_u64(c, "min_ms", &v, &bad))
		q.min_duration_ns = v * 1000000;
	if (fr_web_arg_u64(c, "limit", &v, &bad)) {
		if (v < 1 || v > 500)
			bad = true;
		q.limit = (uint32_t)v;
	}
	if (cur && !fr_web_parse_id(cur, &q.before_id))
		bad = true;
	if (bad)
		return fr_web_error(c, 400, "bad query: from/to are Unix ns, min_ms a number, "
					   "limit 1..500, cursor an incident id");
	out = calloc(q.limit, sizeof(*out));
	if (!out)
		return fr_web_error(c, 503, "out of memory");
	n = fr_store__list(w->o.store, &q, out, &next);
	if (n < 0) {
		free(out);
		return fr_web_error(c, 500, "the store could not be read");
	}
	fr_buf__put(&b, "{\"incidents\":[", 14);
	for (int i = 0; i < n; i++) {
		if (i)
			fr_buf__putc(&b, ',');
		fr_web_summary_json(&b, &out[i]);
	}
	if (next)
		fr_buf__printf(&b, "],\"next_cursor\":\"%016" PRIx64 "\"}", next);
	else
		fr_buf__put(&b, "],\"next_cursor\":null}", 21);
	free(out);
	return fr_web_json(c, 200, &b);
}

static enum MHD_Result incident(struct fr_web *w, struct MHD_Connection *c, const char *rest,
				const char *method)
{
	char idpart[32], disp[96];
	const char *slash = strchr(rest, '/');
	struct fr_incident_summary sum;
	struct fr_buf snap = { 0 }, b = { 0 };
	PbSnap *ps = NULL;
	uint64_t id;
	int rc;

	snprintf(idpart, sizeof(idpart), "%.*s", slash ? (int)(slash - rest) : (int)strlen(rest),
		 rest);
	if (!fr_web_parse_id(idpart, &id))
		return fr_web_error(c, 400, "bad incident id (16 lowercase hex digits)");
	if (!strcmp(method, "DELETE")) {
		if (slash)
			return fr_web_error(c, 405, "DELETE an incident at /api/incidents/ID");
		rc = fr_store__delete(w->o.store, id);
		if (rc == -ENOENT)
			return fr_web_error(c, 404, "no such incident");
		if (rc)
			return fr_web_error(c, 500, "delete failed");
		fr_buf__put(&b, "{\"deleted\":true}", 16);
		return fr_web_json(c, 200, &b);
	}
	if (strcmp(method, "GET"))
		return fr_web_error(c, 405, "use GET or DELETE");
	rc = fr_store__summary(w->o.store, id, &sum);
	if (rc == -ENOENT)
		return fr_web_error(c, 404, "no such incident");
	if (rc)
		return fr_web_error(c, 500, "the incident could not be read");
	if (w->o.snapshot) { /* the fleet view: from the node that holds it */
		char why[256];

		if (w->o.snapshot(w->o.ctx, &sum, &snap, why, sizeof(why))) {
			fr_buf__free(&snap);
			if (slash)
				return fr_web_error(c, 502, why);
			/* the summary still shows, and the page says why there is no more */
			fr_buf__put(&b, "{\"summary\":", 11);
			fr_web_summary_json(&b, &sum);
			fr_buf__printf(&b, ",\"snapshot\":null,\"snapshot_error\":");
			fr_buf__json_str(&b, why, strlen(why));
			fr_buf__putc(&b, '}');
			return fr_web_json(c, 200, &b);
		}
	} else if (fr_store__snapshot(w->o.store, id, &snap)) {
		return fr_web_error(c, 500, "the incident could not be read");
	}
	if (slash && !strcmp(slash, "/snapshot")) {
		enum MHD_Result ret;

		snprintf(disp, sizeof(disp), "attachment; filename=\"incident-%016" PRIx64 ".frsnap\"",
			 id);
		ret = fr_web_respond(c, 200, snap.p, snap.len, "application/octet-stream", disp, false);
		fr_buf__free(&snap);
		return ret;
	}
	if (fr_frsnap__decode(snap.p, snap.len, FR_FRSNAP_MAX_BYTES, &ps)) {
		fr_buf__free(&snap);
		return fr_web_error(c, 500, "the snapshot does not decode");
	}
	fr_buf__free(&snap);
	if (slash && !strcmp(slash, "/perfetto")) {
		snprintf(disp, sizeof(disp),
			 "attachment; filename=\"incident-%016" PRIx64 ".perfetto.json\"", id);
		fr_snapview__perfetto(ps, &b);
		fr_frsnap__free(ps);
		{
			enum MHD_Result ret = fr_web_respond(c, 200, b.p, b.len, "application/json", disp, false);

			fr_buf__free(&b);
			return ret;
		}
	}
	if (slash && !strcmp(slash, "/profile.pb.gz")) {
		enum MHD_Result ret;

		snprintf(disp, sizeof(disp), "attachment; filename=\"incident-%016" PRIx64 ".pb.gz\"",
			 id);
		rc = fr_snapview__pprof(ps, &b);
		fr_frsnap__free(ps);
		if (rc) {
			fr_buf__free(&b);
			return fr_web_error(c, 500, "the profile could not be made");
		}
		ret = fr_web_respond(c, 200, b.p, b.len, "application/octet-stream", disp, false);
		fr_buf__free(&b);
		return ret;
	}
	if (slash) {
		fr_frsnap__free(ps);
		return fr_web_error(c, 404, "no such resource of an incident");
	}
	fr_buf__put(&b, "{\"summary\":", 11);
	fr_web_summary_json(&b, &sum);
	fr_buf__put(&b, ",\"snapshot\":", 12);
	fr_snapview__json(&b, &ps->base);
	fr_buf__putc(&b, '}');
	fr_frsnap__free(ps);
	return fr_web_json(c, 200, &b);
}

enum MHD_Result fr_web_api_incidents(struct fr_web *w, struct MHD_Connection *c, const char *rest,
				     const char *method, struct fr_web_req *r)
{
	(void)r;
	if (!*rest)
		return strcmp(method, "GET") ? fr_web_error(c, 405, "use GET") : list_incidents(w, c);
	return incident(w, c, rest + 1, method);
}
