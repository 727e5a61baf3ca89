// SPDX-License-Identifier: MIT
/*
 * api_operations.c - the operations: GET /api/operations (live p50/p99 per
 * operation), /api/operations/chart (one operation's last hour) and
 * /api/baselines (its normal spans).
 */
#define FR_LOG_MOD "web"
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fr_baseline.h"
#include "fr_series.h"

#include "web_int.h"

static enum MHD_Result operations(struct fr_web *w, struct MHD_Connection *c)
{
	struct fr_op_stats *ops;
	struct fr_buf b = { 0 };
	size_t n;

	if (!w->o.trig)
		return fr_web_error(c, 404, "no trigger engine");
	ops = calloc(256, sizeof(*ops));
	if (!ops)
		return fr_web_error(c, 503, "out of memory");
	n = fr_trigger__ops(w->o.trig, ops, 256);
	fr_buf__put(&b, "{\"operations\":[", 15);
	for (size_t i = 0; i < n && i < 256; i++) {
		fr_buf__put(&b, i ? ",{" : "{", i ? 2 : 1);
		fr_web_kv_str(&b, "service", ops[i].service, false);
		fr_web_kv_str(&b, "name", ops[i].name, true);
		fr_buf__printf(&b, ",\"kind\":%u,\"count\":%" PRIu64 ",\"p50_ms\":%.3f,\"p99_ms\":%.3f,"
				  "\"captures\":%" PRIu64 "}",
			       ops[i].kind, ops[i].count, ops[i].p50_ns / 1e6, ops[i].p99_ns / 1e6,
			       ops[i].captures);
	}
	fr_buf__printf(&b, "],\"total\":%zu}", n);
	free(ops);
	return fr_web_json(c, 200, &b);
}

/*
 * GET /api/operations/chart?service=S&name=N[&minutes=M]: the operation's
 * latency over the last M minutes (default 60): kept spans as dots, p50 and
 * p99 per minute, its trigger thresholds, and its incidents.
 */
static enum MHD_Result operation_chart(struct fr_web *w, struct MHD_Connection *c)
{
	const char *service = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "service");
	const char *name = fr_web_arg(c, "name");
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
		return fr_web_error(c, 404, "no latency series");
	if (!service || !name)
		return fr_web_error(c, 400, "expected ?service=S&name=N (the operation)");
	if (fr_web_arg_u64(c, "minutes", &minutes, &bad) && (bad || !minutes || minutes > FR_SERIES_MINUTES))
		return fr_web_error(c, 400, "minutes: 1 to 60");
	pts = calloc(maxp, sizeof(*pts));
	inc = calloc(500, sizeof(*inc));
	if (!pts || !inc) {
		free(pts);
		free(inc);
		return fr_web_error(c, 503, "out of memory");
	}
	if (!fr_series__get(w->o.series, service, name, now - minutes * 60000000000ull, mins, &nm,
			    pts, maxp, &np)) {
		free(pts);
		free(inc);
		return fr_web_error(c, 404, "no span of this operation in the last hour");
	}
	fr_buf__put(&b, "{", 1);
	fr_web_kv_str(&b, "service", service, false);
	fr_web_kv_str(&b, "name", name, true);
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
				fr_web_kv_str(&b, "rule", text, true);
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
	return fr_web_json(c, 200, &b);
}

/* GET /api/baselines?service=S&name=N: what normal spans of the operation
 * spend their time on (medians over the samples). */
static enum MHD_Result baselines(struct fr_web *w, struct MHD_Connection *c)
{
	const char *service = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "service");
	const char *name = fr_web_arg(c, "name");
	struct fr_cause_delta d[FR_BASELINE_CAUSES * 2];
	struct fr_baseline_stats st;
	struct fr_buf b = { 0 };
	uint64_t span_ns;
	uint32_t samples;
	size_t n;

	if (!w->o.baselines)
		return fr_web_error(c, 404, "baselines are off (--no-baselines, or no kernel capture)");
	if (!service || !name)
		return fr_web_error(c, 400, "expected ?service=S&name=N (the operation)");
	samples = fr_baselines__describe(w->o.baselines, service, name, d,
					 sizeof(d) / sizeof(d[0]), &n, &span_ns);
	if (!samples)
		return fr_web_error(c, 404, "no normal span of this operation sampled yet");
	fr_baselines__stats(w->o.baselines, &st);
	fr_buf__put(&b, "{", 1);
	fr_web_kv_str(&b, "service", service, false);
	fr_web_kv_str(&b, "name", name, true);
	fr_buf__printf(&b, ",\"samples\":%u,\"normal_span_ms\":%.3f,\"causes\":[", samples,
		       span_ns / 1e6);
	for (size_t i = 0; i < n; i++) {
		fr_buf__printf(&b, "%s{", i ? "," : "");
		fr_web_kv_str(&b, "what", d[i].what, false);
		fr_buf__printf(&b, ",\"normal_ms\":%.3f}", d[i].normal_ns / 1e6);
	}
	fr_buf__printf(&b, "],\"sampler\":{\"taken\":%" PRIu64 ",\"operations\":%u,\"bytes\":%zu}}",
		       st.taken, st.ops, st.bytes);
	return fr_web_json(c, 200, &b);
}

enum MHD_Result fr_web_api_operations(struct fr_web *w, struct MHD_Connection *c, const char *rest,
				      const char *method, struct fr_web_req *r)
{
	(void)r;
	if (strcmp(method, "GET"))
		return fr_web_error(c, 405, "use GET");
	if (!*rest)
		return operations(w, c);
	if (!strcmp(rest, "/chart"))
		return operation_chart(w, c);
	return fr_web_error(c, 404, "no such API");
}

enum MHD_Result fr_web_api_baselines(struct fr_web *w, struct MHD_Connection *c, const char *rest,
				     const char *method, struct fr_web_req *r)
{
	(void)r;
	if (*rest)
		return fr_web_error(c, 404, "no such API");
	return strcmp(method, "GET") ? fr_web_error(c, 405, "use GET") : baselines(w, c);
}
