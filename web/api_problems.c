// SPDX-License-Identifier: MIT
/*
 * api_problems.c - the recurring causes: GET /api/problems, GET or POST
 * /api/problems/SIG.
 */
#define FR_LOG_MOD "web"
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "web_int.h"

static void problem_json(struct fr_buf *b, const struct fr_problem *p)
{
	fr_buf__printf(b, "{\"signature\":\"%016" PRIx64 "\"", p->signature);
	fr_web_kv_str(b, "service", p->service, true);
	fr_web_kv_str(b, "name", p->span_name, true);
	fr_web_kv_str(b, "cause", p->cause, true);
	fr_buf__printf(b, ",\"count\":%" PRIu64 ",\"first_unix_nano\":\"%" PRIu64
			  "\",\"last_unix_nano\":\"%" PRIu64 "\",\"total_ms\":%.3f,"
			  "\"muted\":%s,\"known\":%s}",
		       p->count, p->first_unix_nano, p->last_unix_nano, p->total_ns / 1e6,
		       p->muted ? "true" : "false", p->known ? "true" : "false");
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
	const char *all = fr_web_arg(c, "all");
	struct fr_buf b = { 0 };
	int n;

	if (!ps)
		return fr_web_error(c, 500, "out of memory");
	n = fr_store__problems(w->o.store, ps, MAX_PROBLEMS);
	if (n < 0) {
		free(ps);
		return fr_web_error(c, 500, "cannot read the store");
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
	return fr_web_json(c, 200, &b);
}

/* GET /api/problems/SIG: the problem and its incidents still stored;
 * POST /api/problems/SIG {"muted": bool, "known": bool} marks it. */
static enum MHD_Result problem(struct fr_web *w, struct MHD_Connection *c, const char *sig_text,
			       const char *method, struct fr_web_req *r)
{
	struct fr_problem p;
	struct fr_buf b = { 0 };
	uint64_t sig, ids[100];
	int rc, n;

	if (!fr_web_parse_id(sig_text, &sig))
		return fr_web_error(c, 400, "bad signature (16 lowercase hex digits)");
	if (!strcmp(method, "POST")) {
		struct json_object *j, *v;
		int muted = -1, known = -1;

		fr_buf__putc(&r->body, '\0');
		j = json_tokener_parse((const char *)r->body.p);
		if (!j || !json_object_is_type(j, json_type_object)) {
			json_object_put(j);
			return fr_web_error(c, 400, "expected {\"muted\": true|false, \"known\": true|false}");
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
			return fr_web_error(c, 400, "expected {\"muted\": true|false, \"known\": true|false}");
		rc = fr_store__mark_problem(w->o.store, sig, muted, known);
		if (rc == -ENOENT)
			return fr_web_error(c, 404, "no such problem");
		if (rc)
			return fr_web_error(c, 500, "cannot mark the problem");
	} else if (strcmp(method, "GET")) {
		return fr_web_error(c, 405, "GET or POST /api/problems/SIGNATURE");
	}
	rc = fr_store__problem(w->o.store, sig, &p);
	if (rc == -ENOENT)
		return fr_web_error(c, 404, "no such problem");
	if (rc)
		return fr_web_error(c, 500, "cannot read the store");
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
		fr_web_summary_json(&b, &sum);
	}
	fr_buf__put(&b, "]}", 2);
	return fr_web_json(c, 200, &b);
}

enum MHD_Result fr_web_api_problems(struct fr_web *w, struct MHD_Connection *c, const char *rest,
				    const char *method, struct fr_web_req *r)
{
	if (!*rest)
		return strcmp(method, "GET") ? fr_web_error(c, 405, "use GET") : list_problems(w, c);
	return problem(w, c, rest + 1, method, r);
}
