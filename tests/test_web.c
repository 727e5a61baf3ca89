// SPDX-License-Identifier: MIT
/*
 * test_web.c - the JSON API and pages over HTTP: every endpoint, filters and
 * cursors, downloads, rules, bad ids, bad JSON, oversized bodies, the token
 * (missing, header, cookie), headers (CSP), and untrusted span names.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <json-c/json.h>

#include "fr_clock.h"
#include "fr_snapshot.h"
#include "fr_frsnap.h"
#include "fr_store.h"
#include "fr_trigger.h"
#include "fr_baseline.h"
#include "fr_series.h"
#include "fr_web.h"
#include "fr_test_http.h"

#define MS 1000000ull

static char dir[128];
static struct fr_store *store;
static struct fr_trigger *trig;
static uint64_t ids[12];
static int rules_changed_calls;

/* ---- incidents made by the snapshotter from an in-memory ring ---- */

static struct fr_rec recs[2 * 4096];
static struct fr_stack_slot stacks[2 * 8];
static struct fr_cpu_state cpus[2];
static struct fr_ring_view view = { .recs = recs, .stacks = stacks, .cpus = cpus, .nr_cpus = 2,
				    .slots = 4096, .stack_slots = 8, .start_ts = 1 };

static void put_rec(uint32_t cpu, struct fr_rec r)
{
	uint64_t pos = cpus[cpu].head++;

	r.seq = FR_SEQ(pos);
	recs[cpu * 4096 + pos % 4096] = r;
}

static uint64_t make_incident(const char *service, const char *name, uint64_t dur_ms)
{
	struct fr_batch *b = fr_batch__new(4096);
	struct fr_resource *res = fr_arena__zalloc(b->arena, sizeof(*res));
	struct fr_scope *sc = fr_arena__zalloc(b->arena, sizeof(*sc));
	struct fr_span *sp = fr_arena__zalloc(b->arena, sizeof(*sp));
	struct fr_snapshot_opts so = { .sz = sizeof(so), .view = &view, .pre_ns = 5 * MS, .post_ns = MS };
	struct fr_snapshotter *snap = fr_snapshotter__new(&so, NULL, NULL);
	struct fr_incident_in in = { .batch = b, .span = sp, .host_pid = 777, .followed = true };
	struct fr_incident_out out;
	struct fr_clock clk;
	uint64_t now;

	fr_clock__sample(&clk, 8);
	now = fr_mono_ns();
	/* a ring of its own for each incident: their spans overlap in time */
	memset(recs, 0, sizeof(recs));
	memset(cpus, 0, sizeof(cpus));
	/* the thread blocks in fsync for most of the span */
	put_rec(0, (struct fr_rec){ .type = FR_REC_SWITCH, .ts = now - dur_ms * MS - 2 * MS, .tid = 1,
				    .pid = 1, .sw = { .next_tid = 778, .next_pid = 777 } });
	put_rec(0, (struct fr_rec){ .type = FR_REC_SWITCH, .aux = 2, .ts = now - dur_ms * MS + 3 * MS,
				    .tid = 778, .pid = 777, .sw = { .next_tid = 0, .next_pid = 0 } });
	put_rec(0, (struct fr_rec){ .type = FR_REC_SYSCALL, .aux = 74, .ts = now - 2 * MS, .tid = 778,
				    .pid = 777, .sys = { .dur = (uint32_t)((dur_ms - 4) * MS), .arg0 = 9 } });
	put_rec(0, (struct fr_rec){ .type = FR_REC_SWITCH, .ts = now - 2 * MS, .tid = 0, .pid = 0,
				    .sw = { .next_tid = 778, .next_pid = 777 } });
	res->service_name = (struct fr_str){ fr_arena__strndup(b->arena, service, strlen(service)),
					     (uint32_t)strlen(service) };
	res->schema_url = (struct fr_str){ "", 0 };
	sc->resource = res;
	sc->name = sc->version = sc->schema_url = (struct fr_str){ "", 0 };
	sp->scope = sc;
	sp->name = (struct fr_str){ fr_arena__strndup(b->arena, name, strlen(name)),
				    (uint32_t)strlen(name) };
	sp->trace_state = sp->status_message = (struct fr_str){ "", 0 };
	sp->kind = FR_KIND_SERVER;
	sp->trace_id[15] = 7;
	sp->span_id[7] = 9;
	sp->start_ns = fr_clock__to_wall(&clk, now - dur_ms * MS);
	sp->end_ns = fr_clock__to_wall(&clk, now - MS);
	in.id = fr_store__new_id(store);
	snprintf(in.rule, sizeof(in.rule), "threshold=1ms");
	assert_int_equal(fr_snapshotter__take(snap, &in, &out), 0);
	assert_int_equal(fr_store__put(store, &out.summary, out.frsnap, out.frsnap_len, NULL, NULL), 0);
	fr_batch__put(out.export);
	fr_batch__put(b);
	fr_snapshotter__free(snap);
	usleep(2000);
	return in.id;
}

/* ---- HTTP ---- */

struct resp {
	long status;
	struct fr_buf body;
	char ctype[96], disposition[160], csp[400], cookie[300], location[64];
};

static struct resp req(uint16_t port, const char *method, const char *path, const char *body,
		       size_t len, const char *auth)
{
	const char *headers[3] = { "Content-Type: application/json", auth, NULL };
	struct fr_test_resp t = fr_test_http(port, method, path, headers, body, len);
	struct resp r = { .status = t.status, .body = t.body };

	fr_test_resp_header(&t, "Content-Type", r.ctype, sizeof(r.ctype));
	fr_test_resp_header(&t, "Content-Disposition", r.disposition, sizeof(r.disposition));
	fr_test_resp_header(&t, "Content-Security-Policy", r.csp, sizeof(r.csp));
	fr_test_resp_header(&t, "Set-Cookie", r.cookie, sizeof(r.cookie));
	fr_test_resp_header(&t, "Location", r.location, sizeof(r.location));
	fr_buf__putc(&r.body, '\0');
	fr_buf__free(&t.head);
	return r;
}

static struct resp get(uint16_t port, const char *path)
{
	return req(port, "GET", path, NULL, 0, NULL);
}

static struct json_object *json(struct resp *r)
{
	struct json_object *j = json_tokener_parse((char *)r->body.p);

	assert_non_null(j);
	return j;
}

static struct json_object *field(struct json_object *o, const char *k)
{
	struct json_object *v = NULL;

	assert_true(json_object_object_get_ex(o, k, &v));
	return v;
}

static void rules_changed(void *ctx)
{
	(void)ctx;
	rules_changed_calls++;
}

static struct fr_web *start(const char *token)
{
	struct fr_web_opts o = { .sz = sizeof(o), .listen = "127.0.0.1:0", .store = store,
				 .trig = trig, .token = token, .rules_changed = rules_changed,
				 .max_body = 4096 };
	struct fr_web *w = fr_web__start(&o);

	assert_non_null(w);
	return w;
}

static int setup(void **state)
{
	struct fr_store_opts so = { .sz = sizeof(so) };
	struct fr_trigger_opts to = { .sz = sizeof(to) };
	struct fr_rule r;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/fr-web-test-%d-XXXXXX", getpid());
	if (!mkdtemp(dir))
		return -1;
	so.dir = dir;
	store = fr_store__open(&so);
	trig = fr_trigger__new(&to);
	if (!store || !trig)
		return -1;
	fr_rule__parse(FR_DEFAULT_RULE, &r, NULL, 0);
	fr_trigger__add_rule(trig, &r, NULL);
	for (int i = 0; i < 12; i++)
		ids[i] = make_incident(i % 3 ? "checkout" : "cart",
				       i == 11 ? "<img src=x onerror=alert(1)>" : (i % 2 ? "POST /pay" : "GET /cart"),
				       20 + (uint64_t)i * 10);
	fr_store__sync(store);
	return 0;
}

static int teardown(void **state)
{
	char cmd[160];

	(void)state;
	fr_store__close(store);
	fr_trigger__free(trig);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

static void test_incidents(void **state)
{
	struct fr_web *w = start(NULL);
	uint16_t port = fr_web__port(w);
	struct resp r;
	struct json_object *j, *arr;
	char path[128], first[17];

	(void)state;
	r = get(port, "/api/incidents?limit=5");
	assert_int_equal(r.status, 200);
	assert_string_equal(r.ctype, "application/json");
	j = json(&r);
	arr = field(j, "incidents");
	assert_int_equal(json_object_array_length(arr), 5);
	snprintf(first, sizeof(first), "%016llx", (unsigned long long)ids[11]);
	assert_string_equal(json_object_get_string(field(json_object_array_get_idx(arr, 0), "id")), first);
	/* the next page */
	snprintf(path, sizeof(path), "/api/incidents?limit=5&cursor=%s",
		 json_object_get_string(field(j, "next_cursor")));
	json_object_put(j);
	fr_buf__free(&r.body);
	r = get(port, path);
	j = json(&r);
	assert_int_equal(json_object_array_length(field(j, "incidents")), 5);
	json_object_put(j);
	fr_buf__free(&r.body);
	/* filters */
	r = get(port, "/api/incidents?service=cart");
	j = json(&r);
	assert_int_equal(json_object_array_length(field(j, "incidents")), 4);
	json_object_put(j);
	fr_buf__free(&r.body);
	r = get(port, "/api/incidents?service=checkout&name=POST%20/pay&min_ms=60");
	j = json(&r);
	arr = field(j, "incidents");
	for (size_t i = 0; i < json_object_array_length(arr); i++)
		assert_true(json_object_get_double(field(json_object_array_get_idx(arr, i), "duration_ms")) >= 60);
	assert_int_equal(json_object_array_length(arr), 2); /* checkout, odd, >= 60 ms: i = 5, 7 */
	json_object_put(j);
	fr_buf__free(&r.body);
	/* bad queries */
	r = get(port, "/api/incidents?limit=0");
	assert_int_equal(r.status, 400);
	fr_buf__free(&r.body);
	r = get(port, "/api/incidents?cursor=zzz");
	assert_int_equal(r.status, 400);
	fr_buf__free(&r.body);
	r = get(port, "/api/incidents?min_ms=abc");
	assert_int_equal(r.status, 400);
	fr_buf__free(&r.body);
	/* the span name with HTML comes back escaped, never raw */
	r = get(port, "/api/incidents?limit=1");
	assert_null(strstr((char *)r.body.p, "<img"));
	assert_non_null(strstr((char *)r.body.p, "\\u003cimg src=x onerror=alert(1)\\u003e"));
	fr_buf__free(&r.body);
	fr_web__stop(w);
}

static void late(void *ctx, struct fr_incident_summary *sum)
{
	(void)ctx;
	sum->remote[0].state = FR_REMOTE_LATE;
	snprintf(sum->verdict, sizeof(sum->verdict), "now with node-b's part");
}

/*
 * What crosses hosts: an incident with a node, what it is part of and its
 * remote parts comes back whole, by trace and by node; a late answer
 * changes it in place; bad queries are refused.
 */
static void test_across_hosts(void **state)
{
	struct fr_web *w = start(NULL);
	uint16_t port = fr_web__port(w);
	struct fr_incident_summary sum = { .duration_ns = 300 * MS, .time_unix_nano = fr_wall_ns() };
	struct json_object *j, *arr, *inc, *part;
	struct resp r;
	char path[160];

	(void)state;
	sum.id = fr_store__new_id(store);
	memset(sum.trace_id, 0x5a, 16);
	snprintf(sum.service, sizeof(sum.service), "svc-a");
	snprintf(sum.span_name, sizeof(sum.span_name), "GET /work");
	snprintf(sum.verdict, sizeof(sum.verdict), "waited on node-b");
	snprintf(sum.node, sizeof(sum.node), "node-x");
	snprintf(sum.part_of_node, sizeof(sum.part_of_node), "node-y");
	sum.part_of_id = 0x42;
	sum.nr_remote = 1;
	snprintf(sum.remote[0].node, sizeof(sum.remote[0].node), "node-b");
	snprintf(sum.remote[0].endpoint, sizeof(sum.remote[0].endpoint), "10.1.0.2:9000");
	snprintf(sum.remote[0].note, sizeof(sum.remote[0].note), "node-b did not answer within 1.0 s");
	sum.remote[0].state = FR_REMOTE_NO_ANSWER;
	sum.remote[0].ns = 250 * MS;
	assert_int_equal(fr_store__put(store, &sum, NULL, 0, NULL, NULL), 0);
	fr_store__sync(store);
	r = get(port, "/api/incidents?trace_id=5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a");
	assert_int_equal(r.status, 200);
	j = json(&r);
	arr = field(j, "incidents");
	assert_int_equal(json_object_array_length(arr), 1);
	inc = json_object_array_get_idx(arr, 0);
	assert_string_equal(json_object_get_string(field(inc, "node")), "node-x");
	assert_string_equal(json_object_get_string(field(field(inc, "part_of"), "node")), "node-y");
	assert_string_equal(json_object_get_string(field(field(inc, "part_of"), "incident")),
			    "0000000000000042");
	part = json_object_array_get_idx(field(inc, "remote"), 0);
	assert_string_equal(json_object_get_string(field(part, "state")), "no answer");
	assert_string_equal(json_object_get_string(field(part, "endpoint")), "10.1.0.2:9000");
	assert_true(json_object_get_double(field(part, "waited_ms")) == 250.0);
	json_object_put(j);
	fr_buf__free(&r.body);
	/* by node: only it */
	r = get(port, "/api/incidents?node=node-x");
	j = json(&r);
	assert_int_equal(json_object_array_length(field(j, "incidents")), 1);
	json_object_put(j);
	fr_buf__free(&r.body);
	/* a late answer changes it where it is */
	assert_int_equal(fr_store__update(store, sum.id, late, NULL), 0);
	assert_int_equal(fr_store__update(store, 12345, late, NULL), -ENOENT);
	snprintf(path, sizeof(path), "/api/incidents?trace_id=5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a");
	r = get(port, path);
	j = json(&r);
	inc = json_object_array_get_idx(field(j, "incidents"), 0);
	assert_string_equal(json_object_get_string(field(inc, "verdict")), "now with node-b's part");
	part = json_object_array_get_idx(field(inc, "remote"), 0);
	assert_string_equal(json_object_get_string(field(part, "state")), "late");
	json_object_put(j);
	fr_buf__free(&r.body);
	/* bad trace ids; a trace nobody holds */
	r = get(port, "/api/incidents?trace_id=5a5a");
	assert_int_equal(r.status, 400);
	fr_buf__free(&r.body);
	r = get(port, "/api/incidents?trace_id=zz5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a");
	assert_int_equal(r.status, 400);
	fr_buf__free(&r.body);
	r = get(port, "/api/incidents?trace_id=00000000000000000000000000000001");
	j = json(&r);
	assert_int_equal(json_object_array_length(field(j, "incidents")), 0);
	json_object_put(j);
	fr_buf__free(&r.body);
	/* not in a fleet: /api/fleet says so */
	r = get(port, "/api/fleet");
	assert_int_equal(r.status, 200);
	j = json(&r);
	assert_false(json_object_get_boolean(field(j, "view")));
	assert_int_equal(json_object_array_length(field(j, "nodes")), 0);
	json_object_put(j);
	fr_buf__free(&r.body);
	r = get(port, "/api/fleet/x");
	assert_int_equal(r.status, 404);
	fr_buf__free(&r.body);
	assert_int_equal(fr_store__delete(store, sum.id), 0);
	fr_web__stop(w);
}

static void test_one_incident(void **state)
{
	struct fr_web *w = start(NULL);
	uint16_t port = fr_web__port(w);
	struct resp r;
	struct json_object *j, *snap;
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "/api/incidents/%016llx", (unsigned long long)ids[3]);
	r = get(port, path);
	assert_int_equal(r.status, 200);
	j = json(&r);
	snap = field(j, "snapshot");
	print_message("verdict: %s\n", json_object_get_string(field(snap, "verdict")));
	assert_non_null(strstr(json_object_get_string(field(snap, "verdict")), "blocked in fsync"));
	assert_true(json_object_array_length(field(field(snap, "records"), "type")) >= 3);
	assert_string_equal(json_object_get_string(field(field(j, "summary"), "service")), "cart"); /* i = 3 */
	json_object_put(j);
	fr_buf__free(&r.body);
	/* downloads */
	snprintf(path, sizeof(path), "/api/incidents/%016llx/snapshot", (unsigned long long)ids[3]);
	r = get(port, path);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.ctype, "application/octet-stream");
	assert_non_null(strstr(r.disposition, ".frsnap\""));
	assert_memory_equal(r.body.p, FR_FRSNAP_MAGIC, FR_FRSNAP_MAGIC_LEN);
	fr_buf__free(&r.body);
	snprintf(path, sizeof(path), "/api/incidents/%016llx/perfetto", (unsigned long long)ids[3]);
	r = get(port, path);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.disposition, ".perfetto.json\""));
	j = json(&r);
	assert_true(json_object_array_length(field(j, "traceEvents")) > 2);
	json_object_put(j);
	fr_buf__free(&r.body);
	/* bad and unknown ids, unknown parts */
	r = get(port, "/api/incidents/123");
	assert_int_equal(r.status, 400);
	fr_buf__free(&r.body);
	r = get(port, "/api/incidents/ZZZZZZZZZZZZZZZZ");
	assert_int_equal(r.status, 400);
	fr_buf__free(&r.body);
	r = get(port, "/api/incidents/00000000000000ff");
	assert_int_equal(r.status, 404);
	fr_buf__free(&r.body);
	snprintf(path, sizeof(path), "/api/incidents/%016llx/nope", (unsigned long long)ids[3]);
	r = get(port, path);
	assert_int_equal(r.status, 404);
	fr_buf__free(&r.body);
	/* delete */
	snprintf(path, sizeof(path), "/api/incidents/%016llx", (unsigned long long)ids[0]);
	r = req(port, "DELETE", path, NULL, 0, NULL);
	assert_int_equal(r.status, 200);
	fr_buf__free(&r.body);
	r = req(port, "DELETE", path, NULL, 0, NULL);
	assert_int_equal(r.status, 404);
	fr_buf__free(&r.body);
	r = req(port, "POST", "/api/incidents", "{}", 2, NULL);
	assert_int_equal(r.status, 405);
	fr_buf__free(&r.body);
	fr_web__stop(w);
}

static void test_rules_ops_status(void **state)
{
	struct fr_web *w = start(NULL);
	uint16_t port = fr_web__port(w);
	struct resp r;
	struct json_object *j;
	char big[8192], path[64];
	int id;

	(void)state;
	r = get(port, "/api/rules");
	assert_int_equal(r.status, 200);
	j = json(&r);
	assert_int_equal(json_object_array_length(field(j, "rules")), 1);
	json_object_put(j);
	fr_buf__free(&r.body);
	{
		const char *body = "{\"rule\":\"p99.9,name='POST /checkout',kind=server\"}";

		r = req(port, "POST", "/api/rules", body, strlen(body), NULL);
	}
	assert_int_equal(r.status, 201);
	j = json(&r);
	id = json_object_get_int(field(j, "id"));
	assert_true(id > 1);
	json_object_put(j);
	fr_buf__free(&r.body);
	assert_int_equal(rules_changed_calls, 1);
	r = get(port, "/api/rules");
	assert_non_null(strstr((char *)r.body.p, "p99.9"));
	assert_non_null(strstr((char *)r.body.p, "POST /checkout"));
	fr_buf__free(&r.body);
	/* bad JSON, bad rule, too large */
	r = req(port, "POST", "/api/rules", "{\"rule\":", 8, NULL);
	assert_int_equal(r.status, 400);
	fr_buf__free(&r.body);
	r = req(port, "POST", "/api/rules", "{\"rule\":\"p101\"}", 15, NULL);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr((char *)r.body.p, "percentile"));
	fr_buf__free(&r.body);
	r = req(port, "POST", "/api/rules", "[1,2]", 5, NULL);
	assert_int_equal(r.status, 400);
	fr_buf__free(&r.body);
	memset(big, 'a', sizeof(big));
	r = req(port, "POST", "/api/rules", big, sizeof(big), NULL);
	assert_int_equal(r.status, 413);
	fr_buf__free(&r.body);
	/* delete */
	snprintf(path, sizeof(path), "/api/rules/%d", id);
	r = req(port, "DELETE", path, NULL, 0, NULL);
	assert_int_equal(r.status, 200);
	fr_buf__free(&r.body);
	r = req(port, "DELETE", path, NULL, 0, NULL);
	assert_int_equal(r.status, 404);
	fr_buf__free(&r.body);
	r = req(port, "DELETE", "/api/rules/abc", NULL, 0, NULL);
	assert_int_equal(r.status, 400);
	fr_buf__free(&r.body);
	assert_int_equal(rules_changed_calls, 2);
	/* operations: what the trigger engine has seen */
	{
		struct fr_resource res = { .service_name = { "svc", 3 } };
		struct fr_scope sc = { .resource = &res };
		struct fr_span sp = { .name = { "GET /x", 6 }, .scope = &sc, .kind = FR_KIND_SERVER,
				      .start_ns = 1, .end_ns = 1 + 5 * MS };
		struct fr_decision d;

		for (int i = 0; i < 50; i++)
			fr_trigger__observe(trig, &sp, &d);
	}
	r = get(port, "/api/operations");
	assert_int_equal(r.status, 200);
	j = json(&r);
	assert_int_equal(json_object_array_length(field(j, "operations")), 1);
	assert_int_equal(json_object_get_int(field(json_object_array_get_idx(field(j, "operations"), 0), "count")), 50);
	json_object_put(j);
	fr_buf__free(&r.body);
	/* status and metrics */
	r = get(port, "/api/status");
	assert_int_equal(r.status, 200);
	j = json(&r);
	assert_false(json_object_get_boolean(field(j, "kernel_capture")));
	assert_int_equal(json_object_get_int(field(field(j, "store"), "incidents")), 11);
	json_object_put(j);
	fr_buf__free(&r.body);
	r = get(port, "/metrics");
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.ctype, "text/plain"));
	assert_non_null(strstr((char *)r.body.p, "# TYPE flightrec_store_incidents gauge"));
	assert_non_null(strstr((char *)r.body.p, "flightrec_trigger_spans_total 50"));
	fr_buf__free(&r.body);
	fr_web__stop(w);
}

/* The status of method path with body (NULL: none); the response freed. */
static long status_with(uint16_t port, const char *method, const char *path, const char *body)
{
	struct resp r = req(port, method, path, body, body ? strlen(body) : 0, NULL);

	fr_buf__free(&r.body);
	return r.status;
}

/*
 * Problems: the setup's 12 incidents of five operations, all blocked in
 * fsync, make five problems (one per operation) counted right; a problem
 * lists its incidents; muting hides it from the list but for all=1; bad
 * signatures, bodies and methods get errors.
 */
static void test_problems(void **state)
{
	struct fr_web *w = start(NULL);
	uint16_t port = fr_web__port(w);
	struct json_object *j, *list, *big = NULL;
	uint64_t total = 0;
	char path[128], sig[17];
	struct resp r;

	(void)state;
	r = get(port, "/api/problems");
	assert_int_equal(r.status, 200);
	j = json(&r);
	list = field(j, "problems");
	assert_int_equal(json_object_array_length(list), 5);
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *p = json_object_array_get_idx(list, i);

		total += (uint64_t)json_object_get_int64(field(p, "count"));
		assert_non_null(strstr(json_object_get_string(field(p, "cause")), "fsync"));
		if (!strcmp(json_object_get_string(field(p, "service")), "checkout") &&
		    !strcmp(json_object_get_string(field(p, "name")), "GET /cart"))
			big = p;
	}
	assert_int_equal(total, 12);
	assert_non_null(big);
	assert_int_equal(json_object_get_int64(field(big, "count")), 4);
	{
		struct json_object *hours = field(big, "hours");
		int64_t sum = 0;

		assert_int_equal(json_object_array_length(hours), 24);
		for (size_t h = 0; h < 24; h++)
			sum += json_object_get_int64(json_object_array_get_idx(hours, h));
		assert_int_equal(sum, 4); /* all within the last hour: the last bar */
		assert_int_equal(json_object_get_int64(json_object_array_get_idx(hours, 23)), 4);
	}
	snprintf(sig, sizeof(sig), "%s", json_object_get_string(field(big, "signature")));
	json_object_put(j);
	fr_buf__free(&r.body);

	/* the problem and its incidents; each carries the signature */
	snprintf(path, sizeof(path), "/api/problems/%s", sig);
	r = get(port, path);
	assert_int_equal(r.status, 200);
	j = json(&r);
	list = field(j, "incidents");
	assert_int_equal(json_object_array_length(list), 4);
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(json_object_get_string(field(json_object_array_get_idx(list, i),
								 "signature")), sig);
	json_object_put(j);
	fr_buf__free(&r.body);

	/* muted: hidden, but for all=1; then known too */
	assert_int_equal(status_with(port, "POST", path, "{\"muted\": true}"), 200);
	r = get(port, "/api/problems");
	j = json(&r);
	assert_int_equal(json_object_array_length(field(j, "problems")), 4);
	json_object_put(j);
	fr_buf__free(&r.body);
	r = get(port, "/api/problems?all=1");
	j = json(&r);
	assert_int_equal(json_object_array_length(field(j, "problems")), 5);
	json_object_put(j);
	fr_buf__free(&r.body);
	r = req(port, "POST", path, "{\"known\": true}", 15, NULL);
	assert_int_equal(r.status, 200);
	j = json(&r);
	assert_true(json_object_get_boolean(field(field(j, "problem"), "known")));
	assert_true(json_object_get_boolean(field(field(j, "problem"), "muted")));
	json_object_put(j);
	fr_buf__free(&r.body);
	assert_int_equal(status_with(port, "POST", path, "{\"muted\": false}"), 200);

	/* bad input */
	assert_int_equal(status_with(port, "GET", "/api/problems/zz", NULL), 400);
	assert_int_equal(status_with(port, "GET", "/api/problems/00000000000000ff", NULL), 404);
	assert_int_equal(status_with(port, "POST", "/api/problems/00000000000000ff",
				     "{\"muted\": true}"), 404);
	assert_int_equal(status_with(port, "POST", path, "not json"), 400);
	assert_int_equal(status_with(port, "POST", path, "{\"muted\": \"yes\"}"), 400);
	assert_int_equal(status_with(port, "POST", path, "{}"), 400);
	assert_int_equal(status_with(port, "POST", path, "[true]"), 400);
	assert_int_equal(status_with(port, "DELETE", path, NULL), 405);
	assert_int_equal(status_with(port, "POST", "/api/problems", "{}"), 405);
	fr_web__stop(w);
}

/* The operation chart and the baselines: data, and errors for bad requests. */
static void test_chart_and_baselines(void **state)
{
	struct fr_series *series = fr_series__new(NULL);
	struct fr_baselines *bl = fr_baselines__new(NULL);
	struct fr_web_opts o = { .sz = sizeof(o), .listen = "127.0.0.1:0", .store = store,
				 .trig = trig, .series = series, .baselines = bl, .max_body = 4096 };
	struct fr_evidence ev = { .nr_causes = 1, .span_ns = 5 * MS };
	struct fr_web *w;
	struct json_object *j;
	struct resp r;
	uint16_t port;

	(void)state;
	assert_non_null(series);
	assert_non_null(bl);
	for (int i = 0; i < 300; i++)
		fr_series__add(series, "checkout", "POST /pay", fr_wall_ns() - (uint64_t)i * 100 * MS,
			       (5 + (uint64_t)(i % 7)) * MS);
	ev.causes[0].kind = FR_CAUSE_ON_CPU;
	ev.causes[0].ns = 5 * MS;
	snprintf(ev.causes[0].what, sizeof(ev.causes[0].what), "on CPU");
	fr_baselines__add(bl, "checkout", "POST /pay", &ev);
	w = fr_web__start(&o);
	assert_non_null(w);
	port = fr_web__port(w);

	r = get(port, "/api/operations/chart?service=checkout&name=POST%20/pay&minutes=60");
	assert_int_equal(r.status, 200);
	j = json(&r);
	assert_true(json_object_array_length(field(j, "points")) > 0);
	assert_true(json_object_array_length(field(j, "minutes")) >= 1);
	/* the setup's incidents of this operation, within the hour */
	assert_int_equal(json_object_array_length(field(j, "incidents")), 3);
	json_object_put(j);
	fr_buf__free(&r.body);
	assert_int_equal(status_with(port, "GET", "/api/operations/chart", NULL), 400);
	assert_int_equal(status_with(port, "GET", "/api/operations/chart?service=checkout", NULL), 400);
	assert_int_equal(status_with(port, "GET",
				     "/api/operations/chart?service=checkout&name=POST%20/pay&minutes=0",
				     NULL), 400);
	assert_int_equal(status_with(port, "GET",
				     "/api/operations/chart?service=checkout&name=POST%20/pay&minutes=61",
				     NULL), 400);
	assert_int_equal(status_with(port, "GET",
				     "/api/operations/chart?service=checkout&name=POST%20/pay&minutes=x",
				     NULL), 400);
	assert_int_equal(status_with(port, "GET", "/api/operations/chart?service=a&name=b", NULL), 404);
	assert_int_equal(status_with(port, "POST", "/api/operations/chart?service=a&name=b", "{}"), 405);

	r = get(port, "/api/baselines?service=checkout&name=POST%20/pay");
	assert_int_equal(r.status, 200);
	j = json(&r);
	assert_int_equal(json_object_get_int(field(j, "samples")), 1);
	assert_string_equal(json_object_get_string(field(json_object_array_get_idx(field(j, "causes"), 0),
							 "what")), "on CPU");
	json_object_put(j);
	fr_buf__free(&r.body);
	assert_int_equal(status_with(port, "GET", "/api/baselines?service=checkout", NULL), 400);
	assert_int_equal(status_with(port, "GET", "/api/baselines?service=checkout&name=GET%20/x", NULL), 404);
	assert_int_equal(status_with(port, "DELETE", "/api/baselines", NULL), 405);
	fr_web__stop(w);
	fr_series__free(series);
	fr_baselines__free(bl);

	/* the status history: points as added, oldest first */
	{
		static struct fr_status_history h = FR_STATUS_HISTORY_INIT;
		struct fr_status st = { .kernel_capture = true, .events_per_s = 1000, .min_coverage_s = 30,
					.has_triggers = true, .has_incidents = true };
		struct fr_web_opts ho = { .sz = sizeof(ho), .listen = "127.0.0.1:0", .store = store,
					  .history = &h };

		for (int i = 0; i < 3; i++) {
			st.trig.spans = 100 * (uint64_t)i;
			st.incidents.stored = (uint64_t)i;
			fr_status_history__add(&h, &st, (uint64_t)(i + 1) * 10000000000ull,
					       1700000000000000000ull + (uint64_t)i * 10000000000ull);
		}
		w = fr_web__start(&ho);
		assert_non_null(w);
		r = get(fr_web__port(w), "/api/status/history");
		assert_int_equal(r.status, 200);
		j = json(&r);
		assert_int_equal(json_object_array_length(field(j, "points")), 3);
		assert_int_equal(json_object_get_double(field(json_object_array_get_idx(field(j, "points"), 2),
							      "spans_per_s")), 10);
		assert_int_equal(json_object_get_int(field(json_object_array_get_idx(field(j, "points"), 2),
							   "incidents")), 1);
		json_object_put(j);
		fr_buf__free(&r.body);
		assert_int_equal(status_with(fr_web__port(w), "POST", "/api/status/history", "{}"), 405);
		fr_web__stop(w);
	}

	/* a web without them says so */
	w = start(NULL);
	port = fr_web__port(w);
	assert_int_equal(status_with(port, "GET", "/api/status/history", NULL), 404);
	assert_int_equal(status_with(port, "GET", "/api/baselines?service=a&name=b", NULL), 404);
	assert_int_equal(status_with(port, "GET", "/api/operations/chart?service=a&name=b", NULL), 404);
	fr_web__stop(w);
}

static void test_pages_and_paths(void **state)
{
	static const char *const modules[] = {
		"/app.js", "/common.js", "/charts.js", "/page-incidents.js", "/page-incident.js",
		"/page-problems.js", "/page-operation.js", "/page-triggers.js", "/page-status.js",
		"/page-fleet.js",
	};
	struct fr_web *w = start(NULL);
	uint16_t port = fr_web__port(w);
	struct resp r;

	(void)state;
	r = get(port, "/");
	assert_int_equal(r.status, 200);
	assert_string_equal(r.ctype, "text/html; charset=utf-8");
	assert_non_null(strstr(r.csp, "script-src 'self'"));
	assert_null(strstr(r.csp, "unsafe-inline"));
	assert_non_null(strstr((char *)r.body.p, "<script type=\"module\" src=\"/app.js\">"));
	fr_buf__free(&r.body);
	r = get(port, "/incidents/0123456789abcdef"); /* a page, routed by the script */
	assert_int_equal(r.status, 200);
	fr_buf__free(&r.body);
	/* the router and a module per page, each served, none putting data
	 * into the page as markup */
	for (size_t i = 0; i < sizeof(modules) / sizeof(modules[0]); i++) {
		r = get(port, modules[i]);
		assert_int_equal(r.status, 200);
		assert_non_null(strstr(r.ctype, "javascript"));
		assert_null(strstr((char *)r.body.p, "innerHTML")); /* data only ever as text */
		fr_buf__free(&r.body);
	}
	r = get(port, "/syscalls.js");
	assert_non_null(strstr((char *)r.body.p, "\"fsync\""));
	fr_buf__free(&r.body);
	r = get(port, "/nope");
	assert_int_equal(r.status, 404);
	fr_buf__free(&r.body);
	r = get(port, "/api/nope");
	assert_int_equal(r.status, 404);
	fr_buf__free(&r.body);
	r = req(port, "POST", "/", "x", 1, NULL);
	assert_int_equal(r.status, 405);
	fr_buf__free(&r.body);
	fr_web__stop(w);
}

static void test_token(void **state)
{
	struct fr_web *w = start("s3cret");
	uint16_t port = fr_web__port(w);
	struct resp r;
	char cookie[300];

	(void)state;
	r = get(port, "/api/incidents");
	assert_int_equal(r.status, 401);
	fr_buf__free(&r.body);
	r = get(port, "/");
	assert_int_equal(r.status, 401);
	fr_buf__free(&r.body);
	r = req(port, "GET", "/api/incidents", NULL, 0, "Authorization: Bearer wrong");
	assert_int_equal(r.status, 401);
	fr_buf__free(&r.body);
	r = req(port, "GET", "/api/incidents", NULL, 0, "Authorization: Bearer s3cret");
	assert_int_equal(r.status, 200);
	fr_buf__free(&r.body);
	r = req(port, "POST", "/api/rules", "{\"rule\":\"error\"}", 16, NULL);
	assert_int_equal(r.status, 401);
	fr_buf__free(&r.body);
	/* the browser way: /?token= sets an HttpOnly cookie */
	r = get(port, "/?token=s3cret");
	assert_int_equal(r.status, 303);
	assert_non_null(strstr(r.cookie, "fr_token=s3cret"));
	assert_non_null(strstr(r.cookie, "HttpOnly"));
	fr_buf__free(&r.body);
	/* a deep link (an exported span's) without the token: a page that asks
	 * for it, which then goes on to that page; the API still answers JSON */
	r = get(port, "/incidents/0123456789abcdef");
	assert_int_equal(r.status, 401);
	assert_non_null(strstr(r.ctype, "text/html"));
	fr_buf__putc(&r.body, '\0');
	assert_non_null(strstr((char *)r.body.p, "needs its token"));
	assert_non_null(strstr((char *)r.body.p, "name=\"token\""));
	fr_buf__free(&r.body);
	r = get(port, "/incidents/0123456789abcdef?token=s3cret");
	assert_int_equal(r.status, 303);
	assert_string_equal(r.location, "/incidents/0123456789abcdef");
	assert_non_null(strstr(r.cookie, "fr_token=s3cret"));
	fr_buf__free(&r.body);
	r = get(port, "/incidents/x?token=wrong");
	assert_int_equal(r.status, 401);
	fr_buf__free(&r.body);
	/* never a redirect off this server */
	r = get(port, "//evil.example/?token=s3cret");
	assert_int_equal(r.status, 303);
	assert_string_equal(r.location, "/");
	fr_buf__free(&r.body);
	snprintf(cookie, sizeof(cookie), "Cookie: fr_token=s3cret");
	r = req(port, "GET", "/api/status", NULL, 0, cookie);
	assert_int_equal(r.status, 200);
	fr_buf__free(&r.body);
	fr_web__stop(w);
	/* beyond loopback without a token: refused */
	{
		struct fr_web_opts o = { .sz = sizeof(o), .listen = "0.0.0.0:0", .store = store };

		assert_null(fr_web__start(&o));
		assert_int_equal(errno, EINVAL);
		o.token = "t";
		w = fr_web__start(&o);
		assert_non_null(w);
		fr_web__stop(w);
	}
}

/* One request with exactly these header lines; its status. */
static long status_of(uint16_t port, const char *method, const char *path, const char *const *h,
		      const char *body)
{
	struct fr_test_resp t = fr_test_http(port, method, path, h, body, body ? strlen(body) : 0);
	long st = t.status;

	fr_test_resp_free(&t);
	return st;
}

/* What a page on another site, or a rebinding DNS name, could send. */
static void test_origin_and_host(void **state)
{
	struct fr_web *w = start(NULL);
	uint16_t port = fr_web__port(w);
	const char *rule = "{\"rule\":\"threshold=5s,service=origin-test\"}";
	char same[64], other_port[64], host_evil[64], host_ours[64];
	const char *json_ct = "Content-Type: application/json";
	int changes = rules_changed_calls;

	(void)state;
	snprintf(same, sizeof(same), "Origin: http://127.0.0.1:%u", port);
	snprintf(other_port, sizeof(other_port), "Origin: http://127.0.0.1:%u", port + 1);
	snprintf(host_evil, sizeof(host_evil), "Host: attacker.example:%u", port);
	snprintf(host_ours, sizeof(host_ours), "Host: localhost:%u", port);
	/* a foreign Host is refused, on reads too */
	assert_int_equal(status_of(port, "GET", "/api/incidents", (const char *[]){ host_evil, NULL },
				   NULL), 403);
	assert_int_equal(status_of(port, "GET", "/", (const char *[]){ "Host: 127.0.0.1:1", NULL },
				   NULL), 403);
	assert_int_equal(status_of(port, "GET", "/api/incidents", (const char *[]){ host_ours, NULL },
				   NULL), 200);
	/* text/plain and form posts: the cross-site requests a browser sends
	 * without asking */
	assert_int_equal(status_of(port, "POST", "/api/rules",
				   (const char *[]){ "Content-Type: text/plain", NULL }, rule), 403);
	assert_int_equal(status_of(port, "POST", "/api/rules",
				   (const char *[]){ "Content-Type: application/x-www-form-urlencoded",
						     NULL }, rule), 403);
	/* another origin, even on this host */
	assert_int_equal(status_of(port, "POST", "/api/rules",
				   (const char *[]){ json_ct, "Origin: https://evil.example", NULL },
				   rule), 403);
	assert_int_equal(status_of(port, "POST", "/api/rules",
				   (const char *[]){ json_ct, other_port, NULL }, rule), 403);
	assert_int_equal(status_of(port, "DELETE", "/api/rules/1",
				   (const char *[]){ "Origin: http://evil.example", NULL }, NULL), 403);
	assert_int_equal(rules_changed_calls, changes);
	/* our own pages' requests, and scripts without an Origin, go through */
	assert_int_equal(status_of(port, "POST", "/api/rules", (const char *[]){ json_ct, same, NULL },
				   rule), 201);
	assert_int_equal(status_of(port, "POST", "/api/rules", (const char *[]){ json_ct, NULL },
				   rule), 201);
	assert_int_equal(rules_changed_calls, changes + 2);
	fr_web__stop(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_incidents),
		cmocka_unit_test(test_one_incident),
		cmocka_unit_test(test_across_hosts),
		cmocka_unit_test(test_rules_ops_status),
		cmocka_unit_test(test_problems),
		cmocka_unit_test(test_chart_and_baselines),
		cmocka_unit_test(test_pages_and_paths),
		cmocka_unit_test(test_token),
		cmocka_unit_test(test_origin_and_host),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, setup, teardown);
}
