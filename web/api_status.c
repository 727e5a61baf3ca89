// SPDX-License-Identifier: MIT
/*
 * api_status.c - the recorder's own figures: GET /api/status, /api/status/history
 * (the last hour) and /metrics (Prometheus text).
 */
#define FR_LOG_MOD "web"
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fr_status.h"

#include "web_int.h"

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
		return fr_web_error(c, 404, "no status history");
	p = calloc(FR_STATUS_HISTORY, sizeof(*p));
	if (!p)
		return fr_web_error(c, 503, "out of memory");
	n = fr_status_history__get(w->o.history, p, FR_STATUS_HISTORY);
	fr_buf__put(&b, "{\"points\":[", 11);
	for (size_t i = 0; i < n; i++)
		fr_buf__printf(&b, "%s{\"t\":%" PRIu64 ",\"events_per_s\":%.0f,\"spans_per_s\":%.1f,"
				  "\"incidents\":%" PRIu64 ",\"coverage_s\":%.1f}", i ? "," : "",
			       p[i].t_unix_ms, p[i].events_per_s, p[i].spans_per_s, p[i].incidents,
			       p[i].coverage_s);
	fr_buf__put(&b, "]}", 2);
	free(p);
	return fr_web_json(c, 200, &b);
}

static enum MHD_Result status(struct fr_web *w, struct MHD_Connection *c)
{
	struct fr_buf b = { 0 };
	struct fr_status st;

	gather(w, &st);
	fr_status__json(&st, &b);
	return fr_web_json(c, 200, &b);
}

static enum MHD_Result metrics(struct fr_web *w, struct MHD_Connection *c)
{
	struct fr_buf b = { 0 };
	struct fr_status st;
	enum MHD_Result ret;

	gather(w, &st);
	fr_status__prometheus(&st, &b);
	ret = fr_web_respond(c, 200, b.p, b.len, "text/plain; version=0.0.4", NULL, false);
	fr_buf__free(&b);
	return ret;
}

enum MHD_Result fr_web_api_status(struct fr_web *w, struct MHD_Connection *c, const char *rest,
				  const char *method, struct fr_web_req *r)
{
	(void)r;
	if (strcmp(method, "GET"))
		return fr_web_error(c, 405, "use GET");
	if (!*rest)
		return status(w, c);
	if (!strcmp(rest, "/history"))
		return status_history(w, c);
	return fr_web_error(c, 404, "no such API");
}

enum MHD_Result fr_web_api_metrics(struct fr_web *w, struct MHD_Connection *c, const char *rest,
				   const char *method, struct fr_web_req *r)
{
	(void)r;
	if (*rest)
		return fr_web_error(c, 404, "not found");
	return strcmp(method, "GET") ? fr_web_error(c, 405, "use GET") : metrics(w, c);
}
