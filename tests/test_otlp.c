// SPDX-License-Identifier: MIT
/*
 * test_otlp.c - the OTLP codec and receiver: round trips, every value type,
 * and bad input of every kind answered with the right status while the
 * server keeps serving.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <zlib.h>

#include "fr_otlp.h"
#include "fr_net.h"
#include "fr_otlp_server.h"
#include "fr_test_util.h"
#include "fr_web.h"
#include "fr_test_http.h"
#include "google/rpc/status.pb-c.h"

static const char *sample_json =
	"{\"resourceSpans\":[{\"resource\":{\"attributes\":["
	"{\"key\":\"service.name\",\"value\":{\"stringValue\":\"checkout\"}},"
	"{\"key\":\"process.pid\",\"value\":{\"intValue\":\"4242\"}}]},"
	"\"scopeSpans\":[{\"scope\":{\"name\":\"lib\",\"version\":\"1.0\"},\"spans\":[{"
	"\"traceId\":\"5B8EFFF798038103D269B633813FC60C\",\"spanId\":\"EEE19B7EC3C1B174\","
	"\"parentSpanId\":\"EEE19B7EC3C1B173\",\"name\":\"POST /checkout\",\"kind\":2,"
	"\"startTimeUnixNano\":\"1544712660000000000\",\"endTimeUnixNano\":1544712661000000000,"
	"\"attributes\":["
	"{\"key\":\"s\",\"value\":{\"stringValue\":\"caf\\u00e9 <b>\"}},"
	"{\"key\":\"i\",\"value\":{\"intValue\":\"-9007199254740993\"}},"
	"{\"key\":\"i2\",\"value\":{\"intValue\":12}},"
	"{\"key\":\"d\",\"value\":{\"doubleValue\":2.5}},"
	"{\"key\":\"b\",\"value\":{\"boolValue\":true}},"
	"{\"key\":\"by\",\"value\":{\"bytesValue\":\"AQID\"}},"
	"{\"key\":\"a\",\"value\":{\"arrayValue\":{\"values\":[{\"intValue\":1},{\"stringValue\":\"x\"}]}}},"
	"{\"key\":\"kv\",\"value\":{\"kvlistValue\":{\"values\":[{\"key\":\"k\",\"value\":{\"boolValue\":false}}]}}},"
	"{\"key\":\"thread.id\",\"value\":{\"intValue\":77}}],"
	"\"events\":[{\"timeUnixNano\":\"1544712660500000000\",\"name\":\"retry\","
	"\"attributes\":[{\"key\":\"n\",\"value\":{\"intValue\":1}}]}],"
	"\"links\":[{\"traceId\":\"00000000000000000000000000000001\",\"spanId\":\"0000000000000002\","
	"\"attributes\":[{\"key\":\"l\",\"value\":{\"stringValue\":\"v\"}}]}],"
	"\"status\":{\"code\":2,\"message\":\"boom\"},\"unknownField\":{\"x\":1}}]}]}]}";

static struct fr_batch *decode_json_ok(const char *json)
{
	struct fr_batch *b = NULL;
	char err[128] = "";

	assert_int_equal(fr_otlp__decode_json(json, strlen(json), &b, err, sizeof(err)), 0);
	assert_non_null(b);
	return b;
}

static void check_sample(const struct fr_batch *b)
{
	const struct fr_span *s;

	assert_int_equal(b->nr_spans, 1);
	assert_int_equal(b->rejected, 0);
	s = &b->spans[0];
	assert_int_equal(s->trace_id[0], 0x5b);
	assert_int_equal(s->span_id[7], 0x74);
	assert_true(s->has_parent);
	assert_int_equal(s->parent_span_id[7], 0x73);
	assert_string_equal(s->name.p, "POST /checkout");
	assert_int_equal(s->kind, FR_KIND_SERVER);
	assert_int_equal(s->start_ns, 1544712660000000000ull);
	assert_int_equal(s->end_ns, 1544712661000000000ull);
	assert_int_equal(s->status_code, FR_STATUS_ERROR);
	assert_string_equal(s->status_message.p, "boom");
	assert_int_equal(s->attrs.n, 9);
	assert_string_equal(s->attrs.kv[0].value.s.p, "caf\xc3\xa9 <b>");
	assert_int_equal(s->attrs.kv[1].value.type, FR_VAL_INT);
	assert_int_equal(s->attrs.kv[1].value.i, -9007199254740993ll);
	assert_int_equal(s->attrs.kv[2].value.i, 12);
	assert_true(s->attrs.kv[3].value.d == 2.5);
	assert_true(s->attrs.kv[4].value.b);
	assert_int_equal(s->attrs.kv[5].value.type, FR_VAL_BYTES);
	assert_int_equal(s->attrs.kv[5].value.bytes.len, 3);
	assert_int_equal(s->attrs.kv[5].value.bytes.p[2], 3);
	assert_int_equal(s->attrs.kv[6].value.arr.n, 2);
	assert_string_equal(s->attrs.kv[6].value.arr.v[1].s.p, "x");
	assert_int_equal(s->attrs.kv[7].value.kvlist.n, 1);
	assert_false(s->attrs.kv[7].value.kvlist.kv[0].value.b);
	assert_int_equal(s->thread_id, 77);
	assert_int_equal(s->nr_events, 1);
	assert_string_equal(s->events[0].name.p, "retry");
	assert_int_equal(s->events[0].time_ns, 1544712660500000000ull);
	assert_int_equal(s->nr_links, 1);
	assert_int_equal(s->links[0].span_id[7], 2);
	assert_string_equal(s->scope->name.p, "lib");
	assert_string_equal(s->scope->version.p, "1.0");
	assert_string_equal(s->scope->resource->service_name.p, "checkout");
	assert_int_equal(s->scope->resource->pid, 4242);
}

/* JSON -> model -> protobuf -> model -> JSON: nothing lost either way. */
static void test_round_trip(void **state)
{
	struct fr_batch *b = decode_json_ok(sample_json), *b2 = NULL, *b3;
	struct fr_buf pb = { 0 }, js = { 0 }, js2 = { 0 };
	char err[128];

	(void)state;
	check_sample(b);
	fr_otlp__encode_proto(b->spans, b->nr_spans, &pb);
	assert_int_equal(fr_otlp__decode_proto(pb.p, pb.len, &b2, err, sizeof(err)), 0);
	check_sample(b2);
	fr_otlp__encode_json(b2->spans, b2->nr_spans, &js);
	fr_buf__putc(&js, '\0');
	b3 = decode_json_ok((const char *)js.p);
	check_sample(b3);
	fr_otlp__encode_json(b3->spans, b3->nr_spans, &js2);
	fr_buf__putc(&js2, '\0');
	assert_string_equal((const char *)js.p, (const char *)js2.p);
	/* HTML-significant characters never appear raw in our JSON */
	assert_null(strstr((const char *)js.p, "<b>"));
	fr_buf__free(&pb);
	fr_buf__free(&js);
	fr_buf__free(&js2);
	fr_batch__put(b);
	fr_batch__put(b2);
	fr_batch__put(b3);
}

static void test_json_variants(void **state)
{
	struct fr_batch *b;
	char err[128];

	(void)state;
	/* empty request and empty object are successes with no spans */
	b = decode_json_ok("{}");
	assert_int_equal(b->nr_spans, 0);
	fr_batch__put(b);
	b = decode_json_ok("{\"resourceSpans\":[]}  \n");
	fr_batch__put(b);
	/* bad ids: rejected and counted, the good span kept */
	b = decode_json_ok("{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":["
			   "{\"traceId\":\"xyz\",\"spanId\":\"0000000000000001\"},"
			   "{\"traceId\":\"00000000000000000000000000000000\",\"spanId\":\"0000000000000001\"},"
			   "{\"traceId\":\"0000000000000000000000000000000a\",\"spanId\":\"0000000000000000\"},"
			   "{\"traceId\":\"0000000000000000000000000000000a\",\"spanId\":\"0000000000000001\","
			   "\"kind\":\"SPAN_KIND_CLIENT\"}]}]}]}");
	assert_int_equal(b->nr_spans, 1);
	assert_int_equal(b->rejected, 3);
	assert_int_equal(b->spans[0].kind, FR_KIND_CLIENT);
	assert_false(b->spans[0].has_parent);
	fr_batch__put(b);
	/* malformed */
	assert_int_equal(fr_otlp__decode_json("{\"resourceSpans\":[", 18, &b, err, sizeof(err)),
			 -EBADMSG);
	assert_null(b);
	assert_int_equal(fr_otlp__decode_json("[1,2]", 5, &b, err, sizeof(err)), -EBADMSG);
	assert_int_equal(fr_otlp__decode_json("{} x", 4, &b, err, sizeof(err)), -EBADMSG);
	assert_int_equal(fr_otlp__decode_json("{\"resourceSpans\":3}", 19, &b, err, sizeof(err)),
			 -EBADMSG);
}

static size_t varint_len(size_t v)
{
	size_t n = 1;

	while (v >= 128) {
		v >>= 7;
		n++;
	}
	return n;
}

static void put_varint(struct fr_buf *o, size_t v)
{
	for (;; v >>= 7) {
		uint8_t b = (uint8_t)(v >= 128 ? (v & 0x7f) | 0x80 : v);

		fr_buf__put(o, &b, 1);
		if (v < 128)
			break;
	}
}

/*
 * An AnyValue nested n deep, as protobuf: level i is
 * AnyValue{ array_value(5) = ArrayValue{ values(1) = level i-1 } }.
 * Built without recursion: lengths bottom-up, then headers top-down.
 */
static void deep_value(struct fr_buf *o, int n)
{
	size_t *len = calloc((size_t)n + 1, sizeof(size_t));

	assert_non_null(len);
	len[0] = 2; /* int_value = 1 */
	for (int i = 1; i <= n; i++) {
		size_t arr = 1 + varint_len(len[i - 1]) + len[i - 1];

		len[i] = 1 + varint_len(arr) + arr;
	}
	for (int i = n; i >= 1; i--) {
		fr_buf__putc(o, 0x2a);
		put_varint(o, 1 + varint_len(len[i - 1]) + len[i - 1]);
		fr_buf__putc(o, 0x0a);
		put_varint(o, len[i - 1]);
	}
	fr_buf__put(o, "\x18\x01", 2);
	free(len);
}

/* A request with one span whose one attribute holds value v (protobuf). */
static void span_with_value(struct fr_buf *out, const struct fr_buf *v)
{
	/* Built by hand: Request{ResourceSpans{ScopeSpans{Span{ids, KeyValue{k, v}}}}} */
	{
		struct fr_buf kv = { 0 }, span = { 0 }, ss = { 0 }, rs = { 0 };
		uint8_t tid[16] = { [15] = 10 }, sid[8] = { [7] = 1 };

#define LD(buf, field, p, n)                                                  \
	do {                                                                  \
		uint8_t h[11];                                                \
		size_t hl = 0;                                                \
		h[hl++] = (uint8_t)((field) << 3 | 2);                        \
		for (size_t x = (n);; x >>= 7) {                              \
			h[hl++] = (uint8_t)(x >= 128 ? (x & 0x7f) | 0x80 : x); \
			if (x < 128)                                          \
				break;                                        \
		}                                                             \
		fr_buf__put(buf, h, hl);                                      \
		fr_buf__put(buf, p, n);                                       \
	} while (0)
		LD(&kv, 1, "k", 1);
		LD(&kv, 2, v->p, v->len);
		LD(&span, 1, tid, 16);
		LD(&span, 2, sid, 8);
		LD(&span, 9, kv.p, kv.len);
		LD(&ss, 2, span.p, span.len);
		LD(&rs, 2, ss.p, ss.len);
		LD(out, 1, rs.p, rs.len);
#undef LD
		fr_buf__free(&kv);
		fr_buf__free(&span);
		fr_buf__free(&ss);
		fr_buf__free(&rs);
	}
}

static void test_proto_hostile(void **state)
{
	struct fr_buf v = { 0 }, req = { 0 };
	struct fr_batch *b = NULL;
	char err[128];

	(void)state;
	/* an empty body (no buffer at all) is an empty request */
	assert_int_equal(fr_otlp__decode_proto(NULL, 0, &b, err, sizeof(err)), 0);
	assert_int_equal(b->nr_spans, 0);
	fr_batch__put(b);
	/* nesting within the limit decodes */
	deep_value(&v, 8);
	span_with_value(&req, &v);
	assert_int_equal(fr_otlp__decode_proto(req.p, req.len, &b, err, sizeof(err)), 0);
	assert_int_equal(b->nr_spans, 1);
	assert_int_equal(b->spans[0].attrs.kv[0].value.type, FR_VAL_ARRAY);
	fr_batch__put(b);
	fr_buf__free(&v);
	fr_buf__free(&req);
	/* 100000 levels deep: refused, not a stack overflow */
	deep_value(&v, 100000);
	span_with_value(&req, &v);
	assert_int_equal(fr_otlp__decode_proto(req.p, req.len, &b, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "nested"));
	/* every truncation of a valid request is refused or decodes, never crashes */
	for (size_t cut = 1; cut < req.len && cut < 400; cut++) {
		if (fr_otlp__decode_proto(req.p, cut, &b, err, sizeof(err)) == 0)
			fr_batch__put(b);
	}
	fr_buf__free(&v);
	fr_buf__free(&req);
	/* garbage */
	assert_int_equal(fr_otlp__decode_proto((const uint8_t *)"\xff\xff\xff\xff\xff", 5, &b,
					       err, sizeof(err)), -EBADMSG);
	/* an empty body is an empty request */
	assert_int_equal(fr_otlp__decode_proto((const uint8_t *)"", 0, &b, err, sizeof(err)), 0);
	assert_int_equal(b->nr_spans, 0);
	fr_batch__put(b);
}

/* ---- the HTTP receiver ---- */

struct sink {
	int calls;
	size_t spans;
	int answer; /* what the sink returns */
	size_t last_attrs, last_dropped;
};

static int sink_fn(void *ctx, struct fr_batch *b)
{
	struct sink *s = ctx;

	if (s->answer)
		return s->answer;
	s->calls++;
	s->spans += b->nr_spans;
	if (b->nr_spans) {
		s->last_attrs = b->spans[0].attrs.n;
		s->last_dropped = b->spans[0].attrs.dropped;
	}
	return 0;
}

struct resp {
	long status;
	struct fr_buf body;
	char retry_after[32];
	char allow[32];
	char ctype[64];
};

static struct resp post(uint16_t port, const char *method, const char *path, const char *ctype,
			const char *cenc, const void *body, size_t len)
{
	char ct[128], ce[128];
	const char *headers[3] = { NULL, NULL, NULL };
	size_t nh = 0;
	struct fr_test_resp t;
	struct resp r = { 0 };

	if (ctype) {
		snprintf(ct, sizeof(ct), "Content-Type: %s", ctype);
		headers[nh++] = ct;
	}
	if (cenc) {
		snprintf(ce, sizeof(ce), "Content-Encoding: %s", cenc);
		headers[nh++] = ce;
	}
	t = fr_test_http(port, method, path, headers, body, len);
	r.status = t.status;
	r.body = t.body;
	fr_test_resp_header(&t, "Retry-After", r.retry_after, sizeof(r.retry_after));
	fr_test_resp_header(&t, "Allow", r.allow, sizeof(r.allow));
	fr_test_resp_header(&t, "Content-Type", r.ctype, sizeof(r.ctype));
	fr_buf__free(&t.head);
	return r;
}

static int status_code_of(const struct resp *r)
{
	Google__Rpc__Status *st = google__rpc__status__unpack(NULL, r->body.len, r->body.p);
	int code;

	assert_non_null(st);
	code = st->code;
	assert_true(strlen(st->message) > 0);
	google__rpc__status__free_unpacked(st, NULL);
	return code;
}

static void gzip_buf(const void *in, size_t len, struct fr_buf *out)
{
	z_stream z = { 0 };

	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY), Z_OK);
	fr_buf__reserve(out, deflateBound(&z, len));
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = out->p;
	z.avail_out = (uInt)out->cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	out->len = out->cap - z.avail_out;
	deflateEnd(&z);
}

static void test_server(void **state)
{
	struct sink sink = { 0 };
	struct fr_otlp_server_opts o = { .sz = sizeof(o), .listen = "127.0.0.1:0",
					 .max_body = 1u << 20, .sink = sink_fn, .sink_ctx = &sink };
	struct fr_otlp_server *srv = fr_otlp_server__start(&o);
	struct fr_batch *b = decode_json_ok(sample_json);
	struct fr_buf pb = { 0 }, gz = { 0 }, big = { 0 };
	struct fr_otlp_server_stats st;
	struct resp r;
	uint16_t port;

	(void)state;
	assert_non_null(srv);
	port = fr_otlp_server__port(srv);
	assert_true(port > 0);
	fr_otlp__encode_proto(b->spans, b->nr_spans, &pb);

	/* protobuf, JSON, each with gzip */
	r = post(port, "POST", "/v1/traces", "application/x-protobuf", NULL, pb.p, pb.len);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.ctype, "application/x-protobuf");
	assert_int_equal(r.body.len, 0); /* full success: empty response message */
	fr_buf__free(&r.body);
	gzip_buf(pb.p, pb.len, &gz);
	r = post(port, "POST", "/v1/traces", "application/x-protobuf", "gzip", gz.p, gz.len);
	assert_int_equal(r.status, 200);
	fr_buf__free(&r.body);
	fr_buf__free(&gz);
	r = post(port, "POST", "/v1/traces", "application/json; charset=utf-8", NULL, sample_json,
		 strlen(sample_json));
	assert_int_equal(r.status, 200);
	assert_string_equal(r.ctype, "application/json");
	fr_buf__free(&r.body);
	gzip_buf(sample_json, strlen(sample_json), &gz);
	r = post(port, "POST", "/v1/traces", "application/json", "gzip", gz.p, gz.len);
	assert_int_equal(r.status, 200);
	fr_buf__free(&r.body);
	fr_buf__free(&gz);
	assert_int_equal(sink.spans, 4);

	/* an empty request is a success */
	r = post(port, "POST", "/v1/traces", "application/x-protobuf", NULL, "", 0);
	assert_int_equal(r.status, 200);
	fr_buf__free(&r.body);

	/* truncated and garbage protobuf: 400 with a google.rpc.Status */
	r = post(port, "POST", "/v1/traces", "application/x-protobuf", NULL, pb.p, pb.len / 2);
	assert_int_equal(r.status, 400);
	assert_int_equal(status_code_of(&r), 3);
	fr_buf__free(&r.body);
	r = post(port, "POST", "/v1/traces", "application/x-protobuf", NULL, "\x0a\xff\xff\xff", 4);
	assert_int_equal(r.status, 400);
	fr_buf__free(&r.body);
	/* malformed JSON: 400 with a JSON Status */
	r = post(port, "POST", "/v1/traces", "application/json", NULL, "{\"resourceSpans\":[{", 19);
	assert_int_equal(r.status, 400);
	fr_buf__putc(&r.body, '\0');
	assert_non_null(strstr((char *)r.body.p, "\"code\":3"));
	fr_buf__free(&r.body);
	/* not gzip at all */
	r = post(port, "POST", "/v1/traces", "application/json", "gzip", "{}", 2);
	assert_int_equal(r.status, 400);
	fr_buf__free(&r.body);

	/* wrong content type, encoding, method, path */
	r = post(port, "POST", "/v1/traces", "text/plain", NULL, "x", 1);
	assert_int_equal(r.status, 415);
	fr_buf__free(&r.body);
	r = post(port, "POST", "/v1/traces", "application/json", "br", "{}", 2);
	assert_int_equal(r.status, 415);
	fr_buf__free(&r.body);
	r = post(port, "GET", "/v1/traces", NULL, NULL, NULL, 0);
	assert_int_equal(r.status, 405);
	assert_string_equal(r.allow, "POST");
	fr_buf__free(&r.body);
	r = post(port, "POST", "/v1/metrics", "application/json", NULL, "{}", 2);
	assert_int_equal(r.status, 404);
	fr_buf__free(&r.body);

	/* over the body limit: plainly, and as a gzip bomb (small, inflates huge) */
	fr_buf__reserve(&big, (2u << 20));
	memset(big.p, 0, 2u << 20);
	big.len = 2u << 20;
	r = post(port, "POST", "/v1/traces", "application/x-protobuf", NULL, big.p, big.len);
	assert_int_equal(r.status, 413);
	fr_buf__free(&r.body);
	{
		struct fr_buf huge = { 0 };

		fr_buf__reserve(&huge, 64u << 20);
		memset(huge.p, 0, 64u << 20);
		gzip_buf(huge.p, 64u << 20, &gz);
		fr_buf__free(&huge);
	}
	assert_true(gz.len < o.max_body);
	r = post(port, "POST", "/v1/traces", "application/x-protobuf", "gzip", gz.p, gz.len);
	assert_int_equal(r.status, 413);
	assert_int_equal(status_code_of(&r), 8);
	fr_buf__free(&r.body);
	fr_buf__free(&gz);
	fr_buf__free(&big);

	/* invalid ids: 200 with partial success */
	{
		const char *bad = "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":["
				  "{\"traceId\":\"nothex\",\"spanId\":\"0000000000000001\"},"
				  "{\"traceId\":\"0000000000000000000000000000000a\","
				  "\"spanId\":\"0000000000000001\"}]}]}]}";

		r = post(port, "POST", "/v1/traces", "application/json", NULL, bad, strlen(bad));
		assert_int_equal(r.status, 200);
		fr_buf__putc(&r.body, '\0');
		assert_non_null(strstr((char *)r.body.p, "\"rejectedSpans\":\"1\""));
		fr_buf__free(&r.body);
	}

	/* huge attribute counts: kept up to the limit, the rest counted */
	{
		struct fr_buf json = { 0 };

		fr_buf__printf(&json, "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{"
				      "\"traceId\":\"0000000000000000000000000000000a\","
				      "\"spanId\":\"0000000000000001\",\"attributes\":[");
		for (int i = 0; i < 20000; i++)
			fr_buf__printf(&json, "%s{\"key\":\"k%d\",\"value\":{\"intValue\":%d}}",
				       i ? "," : "", i, i);
		fr_buf__printf(&json, "]}]}]}]}");
		r = post(port, "POST", "/v1/traces", "application/json", NULL, json.p, json.len);
		assert_int_equal(r.status, 200);
		assert_int_equal(sink.last_attrs, FR_MAX_ATTRS);
		assert_int_equal(sink.last_dropped, 20000 - FR_MAX_ATTRS);
		fr_buf__free(&r.body);
		fr_buf__free(&json);
	}

	/* deep JSON nesting: refused */
	{
		struct fr_buf json = { 0 };

		for (int i = 0; i < 5000; i++)
			fr_buf__putc(&json, '[');
		r = post(port, "POST", "/v1/traces", "application/json", NULL, json.p, json.len);
		assert_int_equal(r.status, 400);
		fr_buf__free(&r.body);
		fr_buf__free(&json);
	}

	/* overloaded sink: 503 with Retry-After */
	sink.answer = -EAGAIN;
	r = post(port, "POST", "/v1/traces", "application/x-protobuf", NULL, pb.p, pb.len);
	assert_int_equal(r.status, 503);
	assert_string_equal(r.retry_after, "1");
	fr_buf__free(&r.body);
	sink.answer = 0;

	/* and it still serves */
	r = post(port, "POST", "/v1/traces", "application/x-protobuf", NULL, pb.p, pb.len);
	assert_int_equal(r.status, 200);
	fr_buf__free(&r.body);
	fr_otlp_server__stats(srv, &st);
	assert_int_equal(st.too_large, 2);
	assert_int_equal(st.busy, 1);
	assert_true(st.bad_request >= 5);
	assert_int_equal(st.unsupported, 2);
	assert_int_equal(st.spans_rejected, 1);

	fr_buf__free(&pb);
	fr_batch__put(b);
	fr_otlp_server__stop(srv);
}

static void test_listen_errors(void **state)
{
	struct sink sink = { 0 };
	struct fr_otlp_server_opts o = { .sz = sizeof(o), .listen = "nonsense", .sink = sink_fn,
					 .sink_ctx = &sink };
	struct fr_otlp_server *a, *b;

	(void)state;
	assert_null(fr_otlp_server__start(&o));
	assert_int_equal(errno, EINVAL);
	o.listen = "127.0.0.1:0";
	a = fr_otlp_server__start(&o);
	assert_non_null(a);
	{
		char addr[32];

		snprintf(addr, sizeof(addr), "127.0.0.1:%u", fr_otlp_server__port(a));
		o.listen = addr;
		b = fr_otlp_server__start(&o); /* the port is taken */
		assert_null(b);
	}
	fr_otlp_server__stop(a);
}

/* curl's answer to one request: "STATUS BODY", or what it said. */
static char *curl_to(const char *args)
{
	char cmd[1024];
	int status;

	snprintf(cmd, sizeof(cmd), "curl -s -m 5 -w ' %%{http_code}' %s 2>&1", args);
	return fr_test_run(cmd, &status);
}

/*
 * Beyond loopback: the receiver and the UI over HTTPS (a self-signed
 * certificate made with openssl), and the receiver's bearer token (401
 * without it, counted; 200 with it).
 */
static void test_tls_and_token(void **state)
{
	char dir[] = "/tmp/fr-tls-XXXXXX", cmd[1024], cert[256], key[256], args[1024], *out;
	struct sink sink = { 0 };
	struct fr_otlp_server_opts o = { .sz = sizeof(o), .listen = "127.0.0.1:0", .sink = sink_fn,
					 .sink_ctx = &sink, .token = "0123456789abcdef-token" };
	struct fr_otlp_server *srv;
	struct fr_otlp_server_stats st;
	struct fr_tls tls, none;
	struct fr_store *store;
	struct fr_store_opts so = { .sz = sizeof(so) };
	struct fr_web_opts wo = { .sz = sizeof(wo), .listen = "127.0.0.1:0" };
	struct fr_web *web;
	int status;
	uint16_t port;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(cmd, sizeof(cmd), "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s -out %s "
		 "-days 2 -subj /CN=localhost 2>&1", key, cert);
	free(fr_test_run(cmd, &status));
	assert_int_equal(status, 0);
	assert_int_not_equal(fr_tls__load(cert, "/nonexistent/key.pem", &none), 0);
	assert_int_equal(fr_tls__load(cert, key, &tls), 0);
	o.tls_cert = tls.cert;
	o.tls_key = tls.key;
	srv = fr_otlp_server__start(&o);
	assert_non_null(srv);
	port = fr_otlp_server__port(srv);
	/* no token: 401 in words */
	snprintf(args, sizeof(args), "-k -X POST -H 'Content-Type: application/json' -d "
		 "'{\"resourceSpans\":[]}' https://127.0.0.1:%u/v1/traces", port);
	out = curl_to(args);
	assert_non_null(strstr(out, "Bearer"));
	assert_non_null(strstr(out, " 401"));
	free(out);
	/* the token: 200 */
	snprintf(args, sizeof(args), "-k -X POST -H 'Authorization: Bearer 0123456789abcdef-token' "
		 "-H 'Content-Type: application/json' -d '{\"resourceSpans\":[]}' "
		 "https://127.0.0.1:%u/v1/traces", port);
	out = curl_to(args);
	assert_non_null(strstr(out, " 200"));
	free(out);
	/* a wrong one, and plain HTTP to a TLS port, get nothing through */
	snprintf(args, sizeof(args), "-k -X POST -H 'Authorization: Bearer 0123456789abcdef-tokeX' "
		 "-H 'Content-Type: application/json' -d '{}' https://127.0.0.1:%u/v1/traces", port);
	out = curl_to(args);
	assert_non_null(strstr(out, " 401"));
	free(out);
	snprintf(args, sizeof(args), "-X POST -H 'Content-Type: application/json' -d '{}' "
		 "http://127.0.0.1:%u/v1/traces", port);
	out = curl_to(args);
	assert_null(strstr(out, " 200"));
	free(out);
	fr_otlp_server__stats(srv, &st);
	assert_int_equal(st.unauthorized, 2);
	fr_otlp_server__stop(srv);
	/* the UI over HTTPS */
	so.dir = dir;
	store = fr_store__open(&so);
	assert_non_null(store);
	wo.store = store;
	wo.tls_cert = tls.cert;
	wo.tls_key = tls.key;
	web = fr_web__start(&wo);
	assert_non_null(web);
	snprintf(args, sizeof(args), "-k https://127.0.0.1:%u/api/status", fr_web__port(web));
	out = curl_to(args);
	assert_non_null(strstr(out, "\"uptime_s\""));
	assert_non_null(strstr(out, " 200"));
	free(out);
	fr_web__stop(web);
	fr_store__close(store);
	/* a certificate without its key is refused */
	o.tls_key = NULL;
	assert_null(fr_otlp_server__start(&o));
	fr_tls__free(&tls);
	assert_int_equal(fr_test_rm_rf(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_json_variants),
		cmocka_unit_test(test_proto_hostile),
		cmocka_unit_test(test_server),
		cmocka_unit_test(test_listen_errors),
		cmocka_unit_test(test_tls_and_token),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
