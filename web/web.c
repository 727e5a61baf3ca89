// SPDX-License-Identifier: MIT
/*
 * web.c - the web UI and JSON API on libmicrohttpd (fr_web.h).
 */
#define FR_LOG_MOD "web"
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <json-c/json.h>
#include <microhttpd.h>

#include "fr_annotate.h"
#include "fr_assets.h"
#include "fr_baseline.h"
#include "fr_series.h"
#include "fr_clock.h"
#include "fr_log.h"
#include "fr_net.h"
#include "fr_snapview.h"
#include "fr_status.h"
#include "fr_syscalls.h"
#include "fr_web.h"
#include "web_int.h"


struct req {
	struct fr_buf body;
	bool too_large;
};

static const char csp[] =
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
	"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

static enum MHD_Result respond(struct MHD_Connection *c, unsigned status, const void *p, size_t len,
			    const char *ctype, const char *disposition, bool cache)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)p, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(r, "Content-Security-Policy", csp);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, cache ? "max-age=300" : "no-store");
	if (disposition)
		MHD_add_response_header(r, "Content-Disposition", disposition);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, struct fr_buf *b)
{
	enum MHD_Result ret;

	if (b->oom) {
		fr_buf__free(b);
		return respond(c, 500, "{\"error\":\"out of memory\"}", 25, "application/json", NULL,
			       false);
	}
	ret = respond(c, status, b->p ? (char *)b->p : "", b->len, "application/json", NULL, false);
	fr_buf__free(b);
	return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *msg)
{
	struct fr_buf b = { 0 };

	fr_buf__put(&b, "{\"error\":", 9);
	fr_buf__json_str(&b, msg, strlen(msg));
	fr_buf__put(&b, "}", 1);
	return send_json(c, status, &b);
}

static void json_kv_str(struct fr_buf *b, const char *key, const char *val, bool comma)
{
	fr_buf__printf(b, "%s\"%s\":", comma ? "," : "", key);
	fr_buf__json_str(b, val, strlen(val));
}

static void summary_json(struct fr_buf *b, const struct fr_incident_summary *s)
{
	char hex[33];

	fr_buf__printf(b, "{\"id\":\"%016" PRIx64 "\",\"time_unix_nano\":\"%" PRIu64 "\"", s->id,
		       s->time_unix_nano);
	json_kv_str(b, "service", s->service, true);
	json_kv_str(b, "name", s->span_name, true);
	fr_hex(s->trace_id, 16, hex);
	json_kv_str(b, "trace_id", hex, true);
	fr_hex(s->span_id, 8, hex);
	json_kv_str(b, "span_id", hex, true);
	fr_buf__printf(b, ",\"duration_ms\":%.3f,\"threshold_ms\":%.3f", s->duration_ns / 1e6,
		       s->threshold_ns / 1e6);
	json_kv_str(b, "rule", s->rule, true);
	json_kv_str(b, "verdict", s->verdict, true);
	fr_buf__printf(b, ",\"kernel_context\":%s,\"complete\":%s,\"records\":%u,"
			  "\"snapshot_bytes\":%" PRIu64 ",\"kind\":%u,\"pid\":%u",
		       s->kernel_context ? "true" : "false", s->complete ? "true" : "false", s->records,
		       s->snapshot_bytes, s->kind, s->pid);
	if (s->signature) {
		fr_buf__printf(b, ",\"signature\":\"%016" PRIx64 "\"", s->signature);
		json_kv_str(b, "cause", s->cause, true);
	}
	fr_buf__putc(b, '}');
}

static void problem_json(struct fr_buf *b, const struct fr_problem *p)
{
	fr_buf__printf(b, "{\"signature\":\"%016" PRIx64 "\"", p->signature);
	json_kv_str(b, "service", p->service, true);
	json_kv_str(b, "name", p->span_name, true);
	json_kv_str(b, "cause", p->cause, true);
	fr_buf__printf(b, ",\"count\":%" PRIu64 ",\"first_unix_nano\":\"%" PRIu64
			  "\",\"last_unix_nano\":\"%" PRIu64 "\",\"total_ms\":%.3f,"
			  "\"muted\":%s,\"known\":%s}",
		       p->count, p->first_unix_nano, p->last_unix_nano, p->total_ns / 1e6,
		       p->muted ? "true" : "false", p->known ? "true" : "false");
}

/* ---------------- handlers ---------------- */

static bool parse_id(const char *s, uint64_t *id)
{
	char *end;

	if (strlen(s) != 16)
		return false;
	for (int i = 0; i < 16; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	*id = strtoull(s, &end, 16);
	return !*end && *id;
}

static const char *arg(struct MHD_Connection *c, const char *k)
{
	const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, k);

	return v && *v ? v : NULL;
}

static bool arg_u64(struct MHD_Connection *c, const char *k, uint64_t *out, bool *bad)
{
	const char *v = arg(c, k);
	char *end;

	if (!v)
		return false;
	errno = 0;
	*out = strtoull(v, &end, 10);
	if (errno || *end)
		*bad = true;
	return true;
}

static enum MHD_Result list_incidents(struct fr_web *w, struct MHD_Connection *c)
{
	struct fr_store_query q = { .limit = 50 };
	struct fr_incident_summary *out;
	struct fr_buf b = { 0 };
	const char *cur = arg(c, "cursor");
	uint64_t v, next = 0;
	bool bad = false;
	int n;

	q.service = arg(c, "service");
	q.span_name = arg(c, "name");
	if (arg_u64(c, "from", &v, &bad))
		q.from_unix_nano = v;
	if (arg_u64(c, "to", &v, &bad))
		q.to_unix_nano = v;
	if (arg_u64(c, "min_ms", &v, &bad))
		q.min_duration_ns = v * 1000000;
	if (arg_u64(c, "limit", &v, &bad)) {
		if (v < 1 || v > 500)
			bad = true;
		q.limit = (uint32_t)v;
	}
	if (cur && !parse_id(cur, &q.before_id))
		bad = true;
	if (bad)
		return send_error(c, 400, "bad query: from/to are Unix ns, min_ms a number, "
					   "limit 1..500, cursor an incident id");
	out = calloc(q.limit, sizeof(*out));
	if (!out)
		return send_error(c, 503, "out of memory");
	n = fr_store__list(w->o.store, &q, out, &next);
	if (n < 0) {
		free(out);
		return send_error(c, 500, "the store could not be read");
	}
	fr_buf__put(&b, "{\"incidents\":[", 14);
	for (int i = 0; i < n; i++) {
		if (i)
			fr_buf__putc(&b, ',');
		summary_json(&b, &out[i]);
	}
	if (next)
		fr_buf__printf(&b, "],\"next_cursor\":\"%016" PRIx64 "\"}", next);
	else
		fr_buf__put(&b, "],\"next_cursor\":null}", 21);
	free(out);
	return send_json(c, 200, &b);
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
	if (!parse_id(idpart, &id))
		return send_error(c, 400, "bad incident id (16 lowercase hex digits)");
	if (!strcmp(method, "DELETE")) {
		if (slash)
			return send_error(c, 405, "DELETE an incident at /api/incidents/ID");
		rc = fr_store__delete(w->o.store, id);
		if (rc == -ENOENT)
			return send_error(c, 404, "no such incident");
		if (rc)
			return send_error(c, 500, "delete failed");
		fr_buf__put(&b, "{\"deleted\":true}", 16);
		return send_json(c, 200, &b);
	}
	if (strcmp(method, "GET"))
		return send_error(c, 405, "use GET or DELETE");
	rc = fr_store__summary(w->o.store, id, &sum);
	if (rc == -ENOENT)
		return send_error(c, 404, "no such incident");
	if (rc || fr_store__snapshot(w->o.store, id, &snap))
		return send_error(c, 500, "the incident could not be read");
	if (slash && !strcmp(slash, "/snapshot")) {
		enum MHD_Result ret;

		snprintf(disp, sizeof(disp), "attachment; filename=\"incident-%016" PRIx64 ".frsnap\"",
			 id);
		ret = respond(c, 200, snap.p, snap.len, "application/octet-stream", disp, false);
		fr_buf__free(&snap);
		return ret;
	}
	if (fr_frsnap__decode(snap.p, snap.len, FR_FRSNAP_MAX_BYTES, &ps)) {
		fr_buf__free(&snap);
		return send_error(c, 500, "the snapshot does not decode");
	}
	fr_buf__free(&snap);
	if (slash && !strcmp(slash, "/perfetto")) {
		snprintf(disp, sizeof(disp),
			 "attachment; filename=\"incident-%016" PRIx64 ".perfetto.json\"", id);
		fr_snapview__perfetto(ps, &b);
		fr_frsnap__free(ps);
		{
			enum MHD_Result ret = respond(c, 200, b.p, b.len, "application/json", disp, false);

			fr_buf__free(&b);
			return ret;
		}
	}
	if (slash) {
		fr_frsnap__free(ps);
		return send_error(c, 404, "no such resource of an incident");
	}
	fr_buf__put(&b, "{\"summary\":", 11);
	summary_json(&b, &sum);
	fr_buf__put(&b, ",\"snapshot\":", 12);
	fr_snapview__json(&b, &ps->base);
	fr_buf__putc(&b, '}');
	fr_frsnap__free(ps);
	return send_json(c, 200, &b);
}

static int by_last_seen(const void *a, const void *b)
{
	const struct fr_problem *x = a, *y = b;

	return x->last_unix_nano > y->last_unix_nano ? -1 : x->last_unix_nano < y->last_unix_nano;
}

#define MAX_PROBLEMS 4096

/* GET /api/problems[?all=1]: the recurring causes, the latest first (muted
 * ones only with all=1). */
static enum MHD_Result list_problems(struct fr_web *w, struct MHD_Connection *c)
{
	struct fr_problem *ps = calloc(MAX_PROBLEMS, sizeof(*ps));
	const char *all = arg(c, "all");
	struct fr_buf b = { 0 };
	int n;

	if (!ps)
		return send_error(c, 500, "out of memory");
	n = fr_store__problems(w->o.store, ps, MAX_PROBLEMS);
	if (n < 0) {
		free(ps);
		return send_error(c, 500, "cannot read the store");
	}
	if (n > MAX_PROBLEMS)
		n = MAX_PROBLEMS;
	qsort(ps, (size_t)n, sizeof(*ps), by_last_seen);
	fr_buf__put(&b, "{\"problems\":[", 13);
	for (int i = 0, k = 0; i < n; i++) {
		if (ps[i].muted && !(all && !strcmp(all, "1")))
			continue;
		if (k++)
			fr_buf__putc(&b, ',');
		problem_json(&b, &ps[i]);
		if (k <= 100) { /* the first hundred: occurrences per hour, the last day */
			uint64_t ids[256], now_ms = fr_wall_ns() / 1000000;
			unsigned hours[24] = { 0 };
			int m = fr_store__problem_incidents(w->o.store, ps[i].signature, 0, ids, 256);

			for (int x = 0; x < m; x++) {
				uint64_t t = ids[x] >> 16; /* ids are capture times, ms */
				uint64_t ago = now_ms > t ? (now_ms - t) / 3600000 : 0;

				if (ago < 24)
					hours[23 - ago]++;
			}
			b.len--; /* reopen the object */
			fr_buf__put(&b, ",\"hours\":[", 10);
			for (int h = 0; h < 24; h++)
				fr_buf__printf(&b, "%s%u", h ? "," : "", hours[h]);
			fr_buf__put(&b, "]}", 2);
		}
	}
	fr_buf__put(&b, "]}", 2);
	free(ps);
	return send_json(c, 200, &b);
}

/* GET /api/problems/SIG: the problem and its incidents still stored;
 * POST /api/problems/SIG {"muted": bool, "known": bool} marks it. */
static enum MHD_Result problem(struct fr_web *w, struct MHD_Connection *c, const char *sig_text,
			       const char *method, struct req *r)
{
	struct fr_problem p;
	struct fr_buf b = { 0 };
	uint64_t sig, ids[100];
	int rc, n;

	if (!parse_id(sig_text, &sig))
		return send_error(c, 400, "bad signature (16 lowercase hex digits)");
	if (!strcmp(method, "POST")) {
		struct json_object *j, *v;
		int muted = -1, known = -1;

		fr_buf__putc(&r->body, '\0');
		j = json_tokener_parse((const char *)r->body.p);
		if (!j || !json_object_is_type(j, json_type_object)) {
			json_object_put(j);
			return send_error(c, 400, "expected {\"muted\": true|false, \"known\": true|false}");
		}
		if (json_object_object_get_ex(j, "muted", &v)) {
			if (!json_object_is_type(v, json_type_boolean))
				muted = -2;
			else
				muted = json_object_get_boolean(v);
		}
		if (json_object_object_get_ex(j, "known", &v)) {
			if (!json_object_is_type(v, json_type_boolean))
				known = -2;
			else
				known = json_object_get_boolean(v);
		}
		json_object_put(j);
		if (muted == -2 || known == -2 || (muted < 0 && known < 0))
			return send_error(c, 400, "expected {\"muted\": true|false, \"known\": true|false}");
		rc = fr_store__mark_problem(w->o.store, sig, muted, known);
		if (rc == -ENOENT)
			return send_error(c, 404, "no such problem");
		if (rc)
			return send_error(c, 500, "cannot mark the problem");
	} else if (strcmp(method, "GET")) {
		return send_error(c, 405, "GET or POST /api/problems/SIGNATURE");
	}
	rc = fr_store__problem(w->o.store, sig, &p);
	if (rc == -ENOENT)
		return send_error(c, 404, "no such problem");
	if (rc)
		return send_error(c, 500, "cannot read the store");
	fr_buf__put(&b, "{\"problem\":", 11);
	problem_json(&b, &p);
	fr_buf__put(&b, ",\"incidents\":[", 14);
	n = fr_store__problem_incidents(w->o.store, sig, 0, ids, 100);
	for (int i = 0, k = 0; i < n; i++) {
		struct fr_incident_summary sum;

		if (fr_store__summary(w->o.store, ids[i], &sum))
			continue;
		if (k++)
			fr_buf__putc(&b, ',');
		summary_json(&b, &sum);
	}
	fr_buf__put(&b, "]}", 2);
	return send_json(c, 200, &b);
}

/* GET /api/baselines?service=S&name=N: what normal spans of the operation
 * spend their time on (medians over the samples). */
static enum MHD_Result baselines(struct fr_web *w, struct MHD_Connection *c)
{
	const char *service = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "service");
	const char *name = arg(c, "name");
	struct fr_cause_delta d[FR_BASELINE_CAUSES * 2];
	struct fr_baseline_stats st;
	struct fr_buf b = { 0 };
	uint64_t span_ns;
	uint32_t samples;
	size_t n;

	if (!w->o.baselines)
		return send_error(c, 404, "baselines are off (--no-baselines, or no kernel capture)");
	if (!service || !name)
		return send_error(c, 400, "expected ?service=S&name=N (the operation)");
	samples = fr_baselines__describe(w->o.baselines, service, name, d,
					 sizeof(d) / sizeof(d[0]), &n, &span_ns);
	if (!samples)
		return send_error(c, 404, "no normal span of this operation sampled yet");
	fr_baselines__stats(w->o.baselines, &st);
	fr_buf__put(&b, "{", 1);
	json_kv_str(&b, "service", service, false);
	json_kv_str(&b, "name", name, true);
	fr_buf__printf(&b, ",\"samples\":%u,\"normal_span_ms\":%.3f,\"causes\":[", samples,
		       span_ns / 1e6);
	for (size_t i = 0; i < n; i++) {
		fr_buf__printf(&b, "%s{", i ? "," : "");
		json_kv_str(&b, "what", d[i].what, false);
		fr_buf__printf(&b, ",\"normal_ms\":%.3f}", d[i].normal_ns / 1e6);
	}
	fr_buf__printf(&b, "],\"sampler\":{\"taken\":%" PRIu64 ",\"operations\":%u,\"bytes\":%zu}}",
		       st.taken, st.ops, st.bytes);
	return send_json(c, 200, &b);
}

/*
 * GET /api/operations/chart?service=S&name=N[&minutes=M]: the operation's
 * latency over the last M minutes (default 60): kept spans as dots, p50 and
 * p99 per minute, its trigger thresholds, and its incidents.
 */
static enum MHD_Result operation_chart(struct fr_web *w, struct MHD_Connection *c)
{
	const char *service = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "service");
	const char *name = arg(c, "name");
	struct fr_series_minute mins[FR_SERIES_MINUTES];
	struct fr_series_point *pts;
	struct fr_incident_summary *inc;
	struct fr_store_query q = { 0 };
	struct fr_buf b = { 0 };
	uint64_t minutes = 60, now = fr_wall_ns(), next, p99 = 0;
	size_t nm, np, maxp = FR_SERIES_MINUTES * FR_SERIES_POINTS;
	bool bad = false;
	int ni;

	if (!w->o.series)
		return send_error(c, 404, "no latency series");
	if (!service || !name)
		return send_error(c, 400, "expected ?service=S&name=N (the operation)");
	if (arg_u64(c, "minutes", &minutes, &bad) && (bad || !minutes || minutes > FR_SERIES_MINUTES))
		return send_error(c, 400, "minutes: 1 to 60");
	pts = calloc(maxp, sizeof(*pts));
	inc = calloc(500, sizeof(*inc));
	if (!pts || !inc) {
		free(pts);
		free(inc);
		return send_error(c, 503, "out of memory");
	}
	if (!fr_series__get(w->o.series, service, name, now - minutes * 60000000000ull, mins, &nm,
			    pts, maxp, &np)) {
		free(pts);
		free(inc);
		return send_error(c, 404, "no span of this operation in the last hour");
	}
	fr_buf__put(&b, "{", 1);
	json_kv_str(&b, "service", service, false);
	json_kv_str(&b, "name", name, true);
	fr_buf__printf(&b, ",\"from_unix_ms\":%" PRIu64 ",\"points\":[", (uint64_t)((now - minutes * 60000000000ull) / 1000000));
	for (size_t i = 0; i < np; i++)
		fr_buf__printf(&b, "%s[%" PRIu64 ",%.3f]", i ? "," : "", pts[i].t_unix_ns / 1000000,
			       pts[i].dur_ns / 1e6);
	fr_buf__put(&b, "],\"minutes\":[", 13);
	for (size_t i = 0; i < nm; i++)
		fr_buf__printf(&b, "%s{\"t\":%" PRIu64 ",\"count\":%" PRIu64 ",\"p50_ms\":%.3f,"
				  "\"p99_ms\":%.3f}", i ? "," : "", mins[i].t_unix_ns / 1000000,
			       mins[i].count, mins[i].p50_ns / 1e6, mins[i].p99_ns / 1e6);
	fr_buf__put(&b, "],\"thresholds\":[", 16);
	if (w->o.trig) {
		struct fr_rule rs[FR_MAX_RULES];
		size_t n = fr_trigger__rules(w->o.trig, rs, FR_MAX_RULES);
		int k = 0;

		for (size_t i = 0; i < n && i < FR_MAX_RULES; i++) {
			char text[512];

			if ((rs[i].service[0] && strcmp(rs[i].service, service)) ||
			    (rs[i].name[0] && strcmp(rs[i].name, name)))
				continue;
			if (rs[i].type == FR_RULE_THRESHOLD) {
				fr_rule__format(&rs[i], text, sizeof(text));
				fr_buf__printf(&b, "%s{\"ms\":%.3f", k++ ? "," : "", rs[i].threshold_ns / 1e6);
				json_kv_str(&b, "rule", text, true);
				fr_buf__putc(&b, '}');
			}
		}
		{
			struct fr_op_stats *ops = calloc(256, sizeof(*ops));
			size_t no = ops ? fr_trigger__ops(w->o.trig, ops, 256) : 0;

			for (size_t i = 0; i < no && i < 256; i++)
				if (!strcmp(ops[i].service, service) && !strcmp(ops[i].name, name))
					p99 = ops[i].p99_ns;
			free(ops);
		}
	}
	fr_buf__printf(&b, "],\"live_p99_ms\":%.3f,\"incidents\":[", p99 / 1e6);
	q.service = service;
	q.span_name = name;
	q.from_unix_nano = now - minutes * 60000000000ull;
	q.limit = 500;
	ni = fr_store__list(w->o.store, &q, inc, &next);
	for (int i = 0; i < ni; i++) {
		char hex[17];

		snprintf(hex, sizeof(hex), "%016" PRIx64, inc[i].id);
		fr_buf__printf(&b, "%s{\"id\":\"%s\",\"t\":%" PRIu64 ",\"duration_ms\":%.3f}", i ? "," : "",
			       hex, inc[i].time_unix_nano / 1000000, inc[i].duration_ns / 1e6);
	}
	fr_buf__put(&b, "]}", 2);
	free(pts);
	free(inc);
	return send_json(c, 200, &b);
}

static const char *type_name(uint8_t t)
{
	return t == FR_RULE_THRESHOLD ? "threshold" : t == FR_RULE_PERCENTILE ? "percentile" : "error";
}

static enum MHD_Result rules(struct fr_web *w, struct MHD_Connection *c, const char *method,
			     const char *rest, struct req *r)
{
	struct fr_buf b = { 0 };

	if (!w->o.trig)
		return send_error(c, 404, "no trigger engine");
	if (!strcmp(method, "GET") && !*rest) {
		struct fr_rule rs[FR_MAX_RULES];
		size_t n = fr_trigger__rules(w->o.trig, rs, FR_MAX_RULES);

		fr_buf__put(&b, "{\"rules\":[", 10);
		for (size_t i = 0; i < n && i < FR_MAX_RULES; i++) {
			char text[512];

			fr_rule__format(&rs[i], text, sizeof(text));
			fr_buf__printf(&b, "%s{\"id\":%u,\"type\":\"%s\"", i ? "," : "", rs[i].id,
				       type_name(rs[i].type));
			json_kv_str(&b, "text", text, true);
			json_kv_str(&b, "service", rs[i].service, true);
			json_kv_str(&b, "name", rs[i].name, true);
			fr_buf__printf(&b, ",\"percentile\":%g,\"threshold_ms\":%.3f,\"fired\":%" PRIu64
					  ",\"cooled\":%" PRIu64 "}",
				       rs[i].quantile * 100, rs[i].threshold_ns / 1e6, rs[i].fired,
				       rs[i].cooled);
		}
		fr_buf__put(&b, "]}", 2);
		return send_json(c, 200, &b);
	}
	if (!strcmp(method, "POST") && !*rest) {
		struct json_object *j, *v;
		struct fr_rule rule;
		char err[192];
		uint32_t id;
		int rc;

		if (r->too_large)
			return send_error(c, 413, "request body too large");
		fr_buf__putc(&r->body, '\0');
		j = json_tokener_parse((const char *)r->body.p);
		if (!j || !json_object_object_get_ex(j, "rule", &v) ||
		    !json_object_is_type(v, json_type_string)) {
			json_object_put(j);
			return send_error(c, 400, "expected {\"rule\": \"p99,name=...\"}");
		}
		rc = fr_rule__parse(json_object_get_string(v), &rule, err, sizeof(err));
		json_object_put(j);
		if (rc)
			return send_error(c, 400, err);
		rc = fr_trigger__add_rule(w->o.trig, &rule, &id);
		if (rc)
			return send_error(c, 409, rc == -ENOSPC ? "too many rules" : "cannot add the rule");
		if (w->o.rules_changed)
			w->o.rules_changed(w->o.ctx);
		fr_buf__printf(&b, "{\"id\":%u}", id);
		return send_json(c, 201, &b);
	}
	if (!strcmp(method, "DELETE") && *rest == '/') {
		char *end;
		unsigned long id = strtoul(rest + 1, &end, 10);

		if (*end || !id || rest[1] == '\0')
			return send_error(c, 400, "bad rule id");
		if (fr_trigger__remove_rule(w->o.trig, (uint32_t)id))
			return send_error(c, 404, "no such rule");
		if (w->o.rules_changed)
			w->o.rules_changed(w->o.ctx);
		fr_buf__put(&b, "{\"deleted\":true}", 16);
		return send_json(c, 200, &b);
	}
	return send_error(c, 405, "GET or POST /api/rules, DELETE /api/rules/ID");
}

static enum MHD_Result operations(struct fr_web *w, struct MHD_Connection *c)
{
	struct fr_op_stats *ops;
	struct fr_buf b = { 0 };
	size_t n;

	if (!w->o.trig)
		return send_error(c, 404, "no trigger engine");
	ops = calloc(256, sizeof(*ops));
	if (!ops)
		return send_error(c, 503, "out of memory");
	n = fr_trigger__ops(w->o.trig, ops, 256);
	fr_buf__put(&b, "{\"operations\":[", 15);
	for (size_t i = 0; i < n && i < 256; i++) {
		fr_buf__put(&b, i ? ",{" : "{", i ? 2 : 1);
		json_kv_str(&b, "service", ops[i].service, false);
		json_kv_str(&b, "name", ops[i].name, true);
		fr_buf__printf(&b, ",\"kind\":%u,\"count\":%" PRIu64 ",\"p50_ms\":%.3f,\"p99_ms\":%.3f,"
				  "\"captures\":%" PRIu64 "}",
			       ops[i].kind, ops[i].count, ops[i].p50_ns / 1e6, ops[i].p99_ns / 1e6,
			       ops[i].captures);
	}
	fr_buf__printf(&b, "],\"total\":%zu}", n);
	free(ops);
	return send_json(c, 200, &b);
}

/* The status figures: from the daemon when it gathers them, else from
 * what the web was handed (the store and the triggers). */
static void gather(struct fr_web *w, struct fr_status *st)
{
	if (w->o.status) {
		w->o.status(w->o.ctx, st);
	} else {
		struct fr_status_sources src = { .started = w->started, .store = w->o.store,
						 .trig = w->o.trig };

		fr_status__gather(&src, st);
	}
}

/* GET /api/status/history: the status figures of the last hour. */
static enum MHD_Result status_history(struct fr_web *w, struct MHD_Connection *c)
{
	struct fr_status_point *p;
	struct fr_buf b = { 0 };
	size_t n;

	if (!w->o.history)
		return send_error(c, 404, "no status history");
	p = calloc(FR_STATUS_HISTORY, sizeof(*p));
	if (!p)
		return send_error(c, 503, "out of memory");
	n = fr_status_history__get(w->o.history, p, FR_STATUS_HISTORY);
	fr_buf__put(&b, "{\"points\":[", 11);
	for (size_t i = 0; i < n; i++)
		fr_buf__printf(&b, "%s{\"t\":%" PRIu64 ",\"events_per_s\":%.0f,\"spans_per_s\":%.1f,"
				  "\"incidents\":%" PRIu64 ",\"coverage_s\":%.1f}", i ? "," : "",
			       p[i].t_unix_ms, p[i].events_per_s, p[i].spans_per_s, p[i].incidents,
			       p[i].coverage_s);
	fr_buf__put(&b, "]}", 2);
	free(p);
	return send_json(c, 200, &b);
}

static enum MHD_Result status(struct fr_web *w, struct MHD_Connection *c)
{
	struct fr_buf b = { 0 };
	struct fr_status st;

	gather(w, &st);
	fr_status__json(&st, &b);
	return send_json(c, 200, &b);
}

static enum MHD_Result metrics(struct fr_web *w, struct MHD_Connection *c)
{
	struct fr_buf b = { 0 };
	struct fr_status st;
	enum MHD_Result ret;

	gather(w, &st);
	fr_status__prometheus(&st, &b);
	ret = respond(c, 200, b.p, b.len, "text/plain; version=0.0.4", NULL, false);
	fr_buf__free(&b);
	return ret;
}

/* const SYSCALLS = [...]: names by number, for the pages. */
static enum MHD_Result syscalls_js(struct MHD_Connection *c)
{
	struct fr_buf b = { 0 };
	enum MHD_Result ret;

	fr_buf__put(&b, "'use strict';\nconst SYSCALLS = [", 32);
	for (unsigned i = 0; i < 512; i++) {
		const char *n = fr_syscall_name(i);

		if (i)
			fr_buf__putc(&b, ',');
		if (n)
			fr_buf__json_str(&b, n, strlen(n));
		else
			fr_buf__put(&b, "null", 4);
	}
	fr_buf__put(&b, "];\n", 3);
	ret = respond(c, 200, b.p, b.len, "text/javascript; charset=utf-8", NULL, true);
	fr_buf__free(&b);
	return ret;
}

static enum MHD_Result asset(struct MHD_Connection *c, const char *url)
{
	const char *path = url;

	if (!strcmp(url, "/syscalls.js"))
		return syscalls_js(c);

	/* the pages are one document; it routes by its own path */
	if (!strcmp(url, "/") || !strcmp(url, "/triggers") || !strcmp(url, "/status") ||
	    !strcmp(url, "/incidents") || !strncmp(url, "/incidents/", 11) ||
	    !strcmp(url, "/problems") || !strncmp(url, "/problems/", 10) ||
	    !strcmp(url, "/operation"))
		path = "/index.html";
	for (size_t i = 0; i < fr_nr_assets; i++)
		if (!strcmp(fr_assets[i].path, path))
			return respond(c, 200, fr_assets[i].data, fr_assets[i].len, fr_assets[i].mime, NULL,
				    strcmp(path, "/index.html") != 0);
	return respond(c, 404, "not found\n", 10, "text/plain", NULL, false);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
			       const char *method, const char *version, const char *data,
			       size_t *size, void **req_cls)
{
	struct fr_web *w = cls;
	struct req *r = *req_cls;
	bool changing;

	(void)version;
	if (!r) {
		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		*req_cls = r;
		return MHD_YES;
	}
	if (*size) {
		if (r->body.len + *size > w->o.max_body)
			r->too_large = true;
		else
			fr_buf__put(&r->body, data, *size);
		*size = 0;
		return MHD_YES;
	}
	if (!fr_web_host_ok(w, c))
		return send_error(c, 403, "unknown Host: this UI answers to its own address only "
					  "(--web-allow-host adds names)");
	changing = !strcmp(method, "POST") || !strcmp(method, "DELETE") || !strcmp(method, "PUT");
	if (changing) {
		const char *why = fr_web_change_refused(w, c, method);

		if (why)
			return send_error(c, 403, why);
	}
	/* /?token=... sets the cookie the pages then use */
	if (w->o.token && !strcmp(url, "/") && !strcmp(method, "GET")) {
		const char *t = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");

		if (t && fr_secret_eq(t, w->o.token)) {
			struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *)"",
										    MHD_RESPMEM_PERSISTENT);
			char cookie[512];
			enum MHD_Result ret;

			snprintf(cookie, sizeof(cookie), "fr_token=%s; Path=/; HttpOnly; SameSite=Strict",
				 w->o.token);
			MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, cookie);
			MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, "/");
			ret = MHD_queue_response(c, 303, resp);
			MHD_destroy_response(resp);
			return ret;
		}
	}
	if (!fr_web_token_ok(w, c))
		return send_error(c, 401, changing ? "this change needs the token"
						   : "a token is needed (Authorization: Bearer TOKEN)");
	if (r->too_large)
		return send_error(c, 413, "request body too large");
	if (!strcmp(url, "/api/incidents")) {
		if (strcmp(method, "GET"))
			return send_error(c, 405, "use GET");
		return list_incidents(w, c);
	}
	if (!strncmp(url, "/api/incidents/", 15))
		return incident(w, c, url + 15, method);
	if (!strncmp(url, "/api/rules", 10) && (url[10] == '\0' || url[10] == '/'))
		return rules(w, c, method, url + 10, r);
	if (!strcmp(url, "/api/problems"))
		return strcmp(method, "GET") ? send_error(c, 405, "use GET") : list_problems(w, c);
	if (!strncmp(url, "/api/problems/", 14))
		return problem(w, c, url + 14, method, r);
	if (!strcmp(url, "/api/baselines"))
		return strcmp(method, "GET") ? send_error(c, 405, "use GET") : baselines(w, c);
	if (!strcmp(url, "/api/operations/chart"))
		return strcmp(method, "GET") ? send_error(c, 405, "use GET") : operation_chart(w, c);
	if (!strcmp(url, "/api/operations"))
		return strcmp(method, "GET") ? send_error(c, 405, "use GET") : operations(w, c);
	if (!strcmp(url, "/api/status/history"))
		return strcmp(method, "GET") ? send_error(c, 405, "use GET") : status_history(w, c);
	if (!strcmp(url, "/api/status"))
		return strcmp(method, "GET") ? send_error(c, 405, "use GET") : status(w, c);
	if (!strncmp(url, "/api/", 5) || !strcmp(url, "/api"))
		return send_error(c, 404, "no such API");
	if (!strcmp(url, "/metrics"))
		return strcmp(method, "GET") ? send_error(c, 405, "use GET") : metrics(w, c);
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return respond(c, 405, "method not allowed\n", 19, "text/plain", NULL, false);
	return asset(c, url);
}

static void completed(void *cls, struct MHD_Connection *c, void **req_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct req *r = *req_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (r) {
		fr_buf__free(&r->body);
		free(r);
		*req_cls = NULL;
	}
}

struct fr_web *fr_web__start(const struct fr_web_opts *opts)
{
	struct sockaddr_storage addr;
	const union MHD_DaemonInfo *info;
	struct fr_web *w;
	socklen_t alen;
	bool loopback;

	if (!opts || !opts->store) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	fr_opts_copy(&w->o, opts);
	if (!w->o.listen)
		w->o.listen = FR_WEB_DEFAULT_LISTEN;
	if (!w->o.max_body)
		w->o.max_body = 64 * 1024;
	if (!w->o.max_connections)
		w->o.max_connections = 1024;
	if (w->o.token && !*w->o.token)
		w->o.token = NULL;
	if (fr_parse_listen(w->o.listen, &addr, &alen)) {
		pr_err("bad web listen address '%s' (want ADDR:PORT)", w->o.listen);
		free(w);
		errno = EINVAL;
		return NULL;
	}
	if (!fr_is_loopback(&addr) && !w->o.token) {
		pr_err("the UI on %s would be reachable beyond this host: give --auth-token "
		       "(or --auth-token-file)", w->o.listen);
		free(w);
		errno = EINVAL;
		return NULL;
	}
	/* Every local user is 127.0.0.1: a per-address limit there would let one
	 * of them lock all out. Idle connections are closed after 10 s. */
	loopback = fr_is_loopback(&addr);
	{
		const char *colon = strrchr(w->o.listen, ':');
		size_t n = colon ? (size_t)(colon - w->o.listen) : strlen(w->o.listen);

		snprintf(w->listen_host, sizeof(w->listen_host), "%.*s", (int)n, w->o.listen);
	}
	w->started = fr_mono_ns();
	w->d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
			(addr.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
		0, NULL, NULL, handler, w, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
		MHD_OPTION_CONNECTION_LIMIT, w->o.max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)10, MHD_OPTION_PER_IP_CONNECTION_LIMIT, loopback ? 0u : 32u,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024), MHD_OPTION_NOTIFY_COMPLETED,
		completed, w, MHD_OPTION_EXTERNAL_LOGGER, fr_log_mhd, w, MHD_OPTION_END);
	if (!w->d) {
		pr_err("cannot serve the UI on %s (address in use, or not allowed)", w->o.listen);
		free(w);
		errno = EADDRINUSE;
		return NULL;
	}
	info = MHD_get_daemon_info(w->d, MHD_DAEMON_INFO_BIND_PORT);
	w->port = info ? info->port : 0;
	return w;
}

uint16_t fr_web__port(const struct fr_web *w)
{
	return w->port;
}

void fr_web__stop(struct fr_web *w)
{
	if (!w)
		return;
	MHD_stop_daemon(w->d);
	free(w);
}
