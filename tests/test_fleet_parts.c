// SPDX-License-Identifier: MIT
/*
 * test_fleet_parts.c - the fleet's parts that need no NATS server: capture
 * requests and answers on the wire (every bound a request from another
 * node must keep), the peers OTLP spans name, breadcrumbs from a window's
 * kernel-named connections, and the trace index (kept, bounded, replaced
 * oldest first). The fleet over a real server is test_fleet.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fr_breadcrumbs.h"
#include "fr_clock.h"
#include "fr_fleet.h"

#define NOW 1800000000000000000ull
#define S 1000000000ull

static struct fr_capture_req good_req(void)
{
	struct fr_capture_req r = { .hops = 1, .max_hops = 4, .nr_visited = 1 };

	memset(r.trace_id, 0xab, 16);
	memset(r.parent_span_id, 0x01, 8);
	r.from_incident = 0xaa;
	assert_int_equal(fr_sockaddr__parse("10.1.0.2:9000", &r.local), 0);
	assert_int_equal(fr_sockaddr__parse("10.1.0.1:41000", &r.remote), 0);
	r.start_unix_ns = NOW - S;
	r.end_unix_ns = NOW - S / 2;
	r.deadline_unix_ns = NOW + S;
	snprintf(r.visited[0], FR_NODE_NAME, "node-a");
	return r;
}

static int decode(const struct fr_capture_req *in, struct fr_capture_req *out, char *err)
{
	struct fr_buf b = { 0 };
	int rc;

	assert_int_equal(fr_capture_req__encode(in, &b), 0);
	rc = fr_capture_req__decode((const char *)b.p, b.len, NOW, 4, out, err, 160);
	fr_buf__free(&b);
	return rc;
}

static void test_request_round_trip(void **state)
{
	struct fr_capture_req r = good_req(), back;
	char err[160] = "", a[64];

	(void)state;
	assert_int_equal(decode(&r, &back, err), 0);
	assert_memory_equal(back.trace_id, r.trace_id, 16);
	assert_memory_equal(back.parent_span_id, r.parent_span_id, 8);
	assert_int_equal(back.from_incident, 0xaa);
	fr_sockaddr__format(&back.local, a, sizeof(a));
	assert_string_equal(a, "10.1.0.2:9000");
	fr_sockaddr__format(&back.remote, a, sizeof(a));
	assert_string_equal(a, "10.1.0.1:41000");
	assert_int_equal(back.hops, 1);
	assert_int_equal(back.max_hops, 4);
	assert_int_equal(back.nr_visited, 1);
	assert_string_equal(back.visited[0], "node-a");
	assert_int_equal(back.deadline_unix_ns, NOW + S);
	/* IPv6 too */
	assert_int_equal(fr_sockaddr__parse("[fd00::2]:8080", &r.local), 0);
	assert_int_equal(decode(&r, &back, err), 0);
	fr_sockaddr__format(&back.local, a, sizeof(a));
	assert_string_equal(a, "[fd00::2]:8080");
}

/* Each bound, broken alone, is refused with a reason. */
static void test_request_bounds(void **state)
{
	struct fr_capture_req r, back;
	char err[160];

	(void)state;
	r = good_req();
	r.end_unix_ns = r.start_unix_ns + FR_FLEET_MAX_WINDOW_NS + 1;
	assert_int_not_equal(decode(&r, &back, err), 0);
	assert_non_null(strstr(err, "window"));
	r = good_req();
	r.end_unix_ns = r.start_unix_ns - 1;
	assert_int_not_equal(decode(&r, &back, err), 0);
	r = good_req();
	r.hops = 0;
	assert_int_not_equal(decode(&r, &back, err), 0);
	assert_non_null(strstr(err, "hop"));
	r = good_req();
	r.hops = 5; /* past the receiver's limit of 4 */
	assert_int_not_equal(decode(&r, &back, err), 0);
	r = good_req();
	r.deadline_unix_ns = NOW - 1; /* just past: still taken, answered late */
	assert_int_equal(decode(&r, &back, err), 0);
	r.deadline_unix_ns = NOW - FR_FLEET_LATE_NS; /* long past: stale */
	assert_int_not_equal(decode(&r, &back, err), 0);
	assert_non_null(strstr(err, "deadline"));
	r = good_req();
	r.deadline_unix_ns = NOW + FR_FLEET_MAX_DEADLINE_NS + 1;
	assert_int_not_equal(decode(&r, &back, err), 0);
	r = good_req();
	memset(r.trace_id, 0, 16);
	assert_int_not_equal(decode(&r, &back, err), 0);
	r = good_req();
	memset(&r.local, 0, sizeof(r.local)); /* a request to one node names its end */
	assert_int_not_equal(decode(&r, &back, err), 0);
	r.broadcast = true; /* a broadcast need not */
	assert_int_equal(decode(&r, &back, err), 0);
	assert_true(back.broadcast);
	/* a max_hops above the receiver's own is lowered to it */
	r = good_req();
	r.max_hops = 50;
	assert_int_equal(decode(&r, &back, err), 0);
	assert_int_equal(back.max_hops, 4);
	/* a visited set too large, or with a name no subject may carry */
	{
		const char *json_big = "{\"v\":1,\"trace\":\"abababababababababababababababab\","
				       "\"parent\":\"0101010101010101\",\"incident\":\"00000000000000aa\","
				       "\"local\":\"10.1.0.2:9000\",\"start\":1,\"end\":2,\"hops\":1,"
				       "\"max_hops\":4,\"deadline\":1800000000500000000,\"visited\":["
				       "\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\",\"k\","
				       "\"l\",\"m\",\"n\",\"o\",\"p\",\"q\"]}";
		const char *json_dot = "{\"v\":1,\"trace\":\"abababababababababababababababab\","
				       "\"parent\":\"0101010101010101\",\"incident\":\"00000000000000aa\","
				       "\"local\":\"10.1.0.2:9000\",\"start\":1,\"end\":2,\"hops\":1,"
				       "\"max_hops\":4,\"deadline\":1800000000500000000,"
				       "\"visited\":[\"node.a\"]}";

		assert_int_not_equal(fr_capture_req__decode(json_big, strlen(json_big), NOW, 4, &back,
							    err, sizeof(err)), 0);
		assert_non_null(strstr(err, "visited"));
		assert_int_not_equal(fr_capture_req__decode(json_dot, strlen(json_dot), NOW, 4, &back,
							    err, sizeof(err)), 0);
	}
	/* not JSON, not an object, truncated */
	assert_int_not_equal(fr_capture_req__decode("nope", 4, NOW, 4, &back, err, sizeof(err)), 0);
	assert_int_not_equal(fr_capture_req__decode("[1]", 3, NOW, 4, &back, err, sizeof(err)), 0);
	assert_int_not_equal(fr_capture_req__decode("{\"v\":1,", 7, NOW, 4, &back, err, sizeof(err)),
			     0);
}

static void test_answer_round_trip(void **state)
{
	struct fr_capture_answer a = { .state = FR_REMOTE_ANSWERED, .incident_id = 0x1234,
				       .nr_parts = 1 }, back;
	struct fr_buf b = { 0 };

	(void)state;
	snprintf(a.node, sizeof(a.node), "node-b");
	snprintf(a.service, sizeof(a.service), "svc-b (pid 12)");
	snprintf(a.verdict, sizeof(a.verdict), "blocked in fsync(/x \"quoted\" → é)");
	snprintf(a.parts[0].node, sizeof(a.parts[0].node), "node-c");
	snprintf(a.parts[0].endpoint, sizeof(a.parts[0].endpoint), "10.1.0.3:9000");
	a.parts[0].state = FR_REMOTE_NO_ANSWER;
	a.parts[0].incident_id = 7;
	assert_int_equal(fr_capture_answer__encode(&a, &b), 0);
	assert_int_equal(fr_capture_answer__decode((const char *)b.p, b.len, &back), 0);
	assert_string_equal(back.node, "node-b");
	assert_int_equal(back.state, FR_REMOTE_ANSWERED);
	assert_int_equal(back.incident_id, 0x1234);
	assert_string_equal(back.verdict, a.verdict);
	assert_int_equal(back.nr_parts, 1);
	assert_string_equal(back.parts[0].endpoint, "10.1.0.3:9000");
	assert_int_equal(back.parts[0].state, FR_REMOTE_NO_ANSWER);
	fr_buf__free(&b);
	/* a state out of range, a node name no subject may carry */
	assert_int_not_equal(fr_capture_answer__decode("{\"v\":1,\"state\":42,\"incident\":"
						       "\"0000000000000001\"}", 47, &back), 0);
	assert_int_not_equal(fr_capture_answer__decode("{\"v\":1,\"state\":1,\"incident\":"
						       "\"0000000000000001\",\"node\":\"a.b\"}",
						       57, &back), 0);
	assert_true(fr_fleet__valid_node("node-b_2"));
	assert_false(fr_fleet__valid_node("node.b"));
	assert_false(fr_fleet__valid_node("node b"));
	assert_false(fr_fleet__valid_node(""));
	assert_false(fr_fleet__valid_node(NULL));
	assert_string_equal(fr_remote_state__name(FR_REMOTE_LATE), "late");
	assert_string_equal(fr_remote_state__name(200), "unknown");
}

static struct fr_kv kv_s(const char *k, const char *v)
{
	return (struct fr_kv){ .key = { k, (uint32_t)strlen(k) },
			       .value = { .type = FR_VAL_STRING, .s = { v, (uint32_t)strlen(v) } } };
}

static struct fr_kv kv_i(const char *k, int64_t v)
{
	return (struct fr_kv){ .key = { k, (uint32_t)strlen(k) },
			       .value = { .type = FR_VAL_INT, .i = v } };
}

static void test_span_peer(void **state)
{
	struct fr_kv client[] = { kv_s("server.address", "10.1.0.2"), kv_i("server.port", 9000) };
	struct fr_kv server[] = { kv_s("client.address", "10.1.0.1"), kv_i("client.port", 41000) };
	struct fr_kv named[] = { kv_s("server.address", "inventory"), kv_i("server.port", 80) };
	struct fr_span sp = { .kind = FR_KIND_CLIENT, .attrs = { client, 2, 0 } };
	struct sockaddr_storage a;
	char s[64];

	(void)state;
	assert_int_equal(fr_span__peer(&sp, &a), 0);
	fr_sockaddr__format(&a, s, sizeof(s));
	assert_string_equal(s, "10.1.0.2:9000");
	sp.kind = FR_KIND_SERVER;
	sp.attrs = (struct fr_attrs){ server, 2, 0 };
	assert_int_equal(fr_span__peer(&sp, &a), 0);
	fr_sockaddr__format(&a, s, sizeof(s));
	assert_string_equal(s, "10.1.0.1:41000");
	/* a host name is no address (not resolved on the span path) */
	sp.kind = FR_KIND_CLIENT;
	sp.attrs = (struct fr_attrs){ named, 2, 0 };
	assert_int_not_equal(fr_span__peer(&sp, &a), 0);
	/* an internal span has no peer */
	sp.kind = FR_KIND_INTERNAL;
	sp.attrs = (struct fr_attrs){ client, 2, 0 };
	assert_int_not_equal(fr_span__peer(&sp, &a), 0);
}

static struct fr_fdname inet_name(const char *src, uint16_t sport, const char *dst,
				  uint16_t dport)
{
	struct fr_fdname n = { .kind = FR_NAME_INET, .proto = 6, .family = AF_INET,
			       .sport = sport, .dport = dport };

	inet_pton(AF_INET, src, n.saddr);
	inet_pton(AF_INET, dst, n.daddr);
	return n;
}

/* The span's process waited 300 ms on B and 5 ms on a loopback peer and
 * 20 ms on C; another process waited on D: B first, then C, and neither
 * the loopback peer nor D. */
static void test_breadcrumbs(void **state)
{
	struct fr_fdname names[4] = {
		inet_name("10.1.0.1", 41000, "10.1.0.2", 9000),
		inet_name("127.0.0.1", 41001, "127.0.0.1", 6379),
		inet_name("10.1.0.1", 41002, "10.1.0.3", 9000),
		inet_name("10.1.0.1", 41003, "10.1.0.4", 9000),
	};
	struct fr_event ev[4] = { 0 };
	struct fr_window w = { .events = ev, .nr_events = 4, .names = names, .nr_names = 4 };
	uint64_t durs[4] = { 300000000, 5000000, 20000000, 400000000 };
	uint32_t pids[4] = { 10, 10, 10, 99 };
	struct fr_crumb c[FR_MAX_CRUMBS];
	char s[64];
	size_t n;

	(void)state;
	for (int i = 0; i < 4; i++) {
		ev[i].rec = (struct fr_rec){ .type = FR_REC_SYSCALL, .flags = FR_SYS_NAMED,
					     .ts = 1000000000ull + (uint64_t)i * 1000, .pid = pids[i],
					     .tid = pids[i], .sys = { .dur = (uint32_t)durs[i] } };
		ev[i].name = i;
		ev[i].nr_names = 1;
		ev[i].stack = -1;
	}
	n = fr_breadcrumbs__from_window(&w, 10, 0, 2000000000ull, c, FR_MAX_CRUMBS);
	assert_int_equal(n, 2);
	fr_sockaddr__format(&c[0].remote, s, sizeof(s));
	assert_string_equal(s, "10.1.0.2:9000");
	fr_sockaddr__format(&c[0].local, s, sizeof(s));
	assert_string_equal(s, "10.1.0.1:41000");
	assert_int_equal(c[0].ns, 300000000);
	assert_int_equal(c[0].source, FR_CRUMB_KERNEL);
	fr_sockaddr__format(&c[1].remote, s, sizeof(s));
	assert_string_equal(s, "10.1.0.3:9000");
	/* at most max, the longest kept */
	assert_int_equal(fr_breadcrumbs__from_window(&w, 10, 0, 2000000000ull, c, 1), 1);
	fr_sockaddr__format(&c[0].remote, s, sizeof(s));
	assert_string_equal(s, "10.1.0.2:9000");
	/* outside the interval: none */
	assert_int_equal(fr_breadcrumbs__from_window(&w, 10, 3000000000ull, 4000000000ull, c,
						     FR_MAX_CRUMBS), 0);
	/* addresses that do not parse */
	{
		struct sockaddr_storage a;

		assert_int_not_equal(fr_sockaddr__parse("10.1.0.2", &a), 0);
		assert_int_not_equal(fr_sockaddr__parse("10.1.0.2:99999", &a), 0);
		assert_int_not_equal(fr_sockaddr__parse("host:80", &a), 0);
		assert_int_not_equal(fr_sockaddr__parse("[fd00::1:80", &a), 0);
	}
}

/* A batch of n spans of trace (first byte t), client spans to 10.1.0.2:9000,
 * of one resource (service svc, pid 4242). */
static struct fr_batch *batch_of(uint8_t t, size_t n, struct fr_kv *kv)
{
	struct fr_batch *b = fr_batch__new(4096);
	struct fr_resource *res = fr_arena__zalloc(b->arena, sizeof(*res));
	struct fr_scope *sc = fr_arena__zalloc(b->arena, sizeof(*sc));

	res->service_name = (struct fr_str){ "svc", 3 };
	res->pid = 4242;
	sc->resource = res;
	b->resources = res;
	b->nr_resources = 1;
	b->spans = fr_arena__zalloc(b->arena, n * sizeof(*b->spans));
	for (size_t i = 0; i < n; i++) {
		struct fr_span *sp = &b->spans[i];

		memset(sp->trace_id, t, 16);
		sp->trace_id[15] = (uint8_t)(t + i);
		sp->span_id[0] = (uint8_t)(i + 1);
		sp->kind = FR_KIND_CLIENT;
		sp->name = (struct fr_str){ "GET /x", 6 };
		sp->scope = sc;
		sp->attrs = (struct fr_attrs){ kv, 2, 0 };
		sp->start_ns = NOW;
		sp->end_ns = NOW + S;
	}
	b->nr_spans = n;
	return b;
}

/*
 * With no NATS server reachable the fleet still opens (it connects in the
 * background) and keeps its trace index; asking about an address on no
 * node says so, within the wait.
 */
static void test_offline_index_and_ask(void **state)
{
	const char *servers[] = { "nats://127.0.0.1:1" };
	struct fr_fleet_opts o = { .sz = sizeof(o), .servers = servers, .nr_servers = 1,
				   .node = "node-t", .wait_ms = 100 };
	struct fr_kv kv[] = { kv_s("server.address", "10.1.0.2"), kv_i("server.port", 9000) };
	struct fr_fleet *f;
	struct fr_batch *b;
	struct fr_trace_span ts[4];
	uint8_t tid[16];
	pid_t pids[1] = { 4242 };
	struct fr_crumb crumb = { .source = FR_CRUMB_KERNEL };
	struct fr_fleet_ask ask = { .incident_id = 1, .crumbs = &crumb, .nr_crumbs = 1 };
	struct fr_remote_part parts[FR_MAX_REMOTE];
	struct fr_fleet_stats st;
	char svc[64], a[64];
	size_t n;

	(void)state;
	f = fr_fleet__open(&o);
	assert_non_null(f);
	assert_string_equal(fr_fleet__node(f), "node-t");
	b = batch_of(0x10, 3, kv);
	fr_fleet__note_spans(f, b, pids, 1);
	memset(tid, 0x10, 16);
	tid[15] = 0x11; /* the second span's trace */
	n = fr_fleet__trace_spans(f, tid, 60 * S, ts, 4);
	assert_int_equal(n, 1);
	assert_int_equal(ts[0].pid, 4242);
	assert_string_equal(ts[0].service, "svc");
	assert_string_equal(ts[0].name, "GET /x");
	fr_sockaddr__format(&ts[0].peer, a, sizeof(a));
	assert_string_equal(a, "10.1.0.2:9000");
	assert_int_equal(fr_fleet__service_of(f, 4242, svc, sizeof(svc)), 0);
	assert_string_equal(svc, "svc");
	assert_int_not_equal(fr_fleet__service_of(f, 4243, svc, sizeof(svc)), 0);
	/* kept only as long as asked */
	assert_int_equal(fr_fleet__trace_spans(f, tid, 0, ts, 4), 0);
	fr_batch__put(b);
	/* the index is bounded: 70,000 more spans replace the oldest */
	for (int i = 0; i < 70; i++) {
		b = batch_of(0x20, 1000, kv);
		fr_fleet__note_spans(f, b, pids, 1);
		fr_batch__put(b);
	}
	assert_int_equal(fr_fleet__trace_spans(f, tid, 60 * S, ts, 4), 0);
	/* an address on no node: one part that says so */
	memcpy(ask.trace_id, tid, 16);
	assert_int_equal(fr_sockaddr__parse("10.1.0.9:5432", &crumb.remote), 0);
	n = fr_fleet__ask(f, &ask, parts, FR_MAX_REMOTE);
	assert_int_equal(n, 1);
	assert_int_equal(parts[0].state, FR_REMOTE_NO_NODE);
	assert_string_equal(parts[0].note, "10.1.0.9 is on no flightrec node");
	fr_fleet__stats(f, &st);
	assert_false(st.connected);
	assert_int_equal(st.no_node, 1);
	fr_fleet__close(f);
	fr_fleet__close(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_round_trip),
		cmocka_unit_test(test_request_bounds),
		cmocka_unit_test(test_answer_round_trip),
		cmocka_unit_test(test_span_peer),
		cmocka_unit_test(test_breadcrumbs),
		cmocka_unit_test(test_offline_index_and_ask),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
