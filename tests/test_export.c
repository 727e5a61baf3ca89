// SPDX-License-Identifier: MIT
/*
 * test_export.c - the exporter against a local HTTP server that answers as
 * scripted: 200, 400, 429 with Retry-After, 503 then 200, and nothing at
 * all (closed port). Checks which retries happen, which batches are dropped
 * and counted, and that memory stays bounded.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <microhttpd.h>

#include "fr_clock.h"
#include "fr_export.h"
#include "fr_otlp.h"
#include "fr_test_http.h"
#include "fr_test_util.h"

#define MAX_HITS 4096

struct script_server {
	struct fr_test_sink sink;
	uint16_t port;
	pthread_mutex_t mu;
	int answers[16];       /* status per hit; the last repeats */
	int nr_answers;
	int hits;
	uint64_t hit_ms[MAX_HITS];
	size_t spans;          /* decoded from accepted bodies */
	bool bad_body;         /* a body that did not decode */
	char api_key[64];
};

static uint64_t ms(void)
{
	return fr_mono_ns() / 1000000;
}

/* Decodes a gzip'd OTLP body; the number of spans, or -1. */
static long count_spans(const struct fr_buf *gz)
{
	struct fr_buf plain = { 0 };
	struct fr_batch *b = NULL;
	long n = -1;

	if (!fr_test_gunzip(gz->p, gz->len, &plain) &&
	    !fr_otlp__decode_proto(plain.p, plain.len, &b, NULL, 0)) {
		n = (long)b->nr_spans;
		fr_batch__put(b);
	}
	fr_buf__free(&plain);
	return n;
}

/* Answers each request with the next scripted status. */
static unsigned answer(void *cls, struct MHD_Connection *conn, const struct fr_buf *body,
		       size_t bytes)
{
	struct script_server *s = cls;
	const char *key;
	int status;

	(void)bytes;
	pthread_mutex_lock(&s->mu);
	status = s->answers[s->hits < s->nr_answers ? s->hits : s->nr_answers - 1];
	if (s->hits < MAX_HITS)
		s->hit_ms[s->hits] = ms();
	s->hits++;
	key = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "x-api-key");
	if (key)
		snprintf(s->api_key, sizeof(s->api_key), "%s", key);
	if (status == 200) {
		long n = count_spans(body);

		if (n < 0)
			s->bad_body = true;
		else
			s->spans += (size_t)n;
	}
	pthread_mutex_unlock(&s->mu);
	return (unsigned)status;
}

static struct script_server *server_start(const int *answers, int n, const char *retry_after)
{
	struct script_server *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	pthread_mutex_init(&s->mu, NULL);
	memcpy(s->answers, answers, n * sizeof(int));
	s->nr_answers = n;
	s->sink = (struct fr_test_sink){ .fn = answer, .ctx = s, .keep_bodies = true,
					 .retry_after = retry_after };
	assert_int_equal(fr_test_sink__start(&s->sink, 0), 0);
	s->port = s->sink.port;
	return s;
}

static void server_stop(struct script_server *s)
{
	fr_test_sink__stop(&s->sink);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/* n spans of one trace, 1 KiB of attribute each. */
static struct fr_batch *make_spans(size_t n)
{
	struct fr_buf json = { 0 };
	struct fr_batch *b = NULL;
	char pad[1025];

	memset(pad, 'x', 1024);
	pad[1024] = '\0';
	fr_buf__printf(&json, "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[");
	for (size_t i = 0; i < n; i++)
		fr_buf__printf(&json,
			       "%s{\"traceId\":\"0000000000000000000000000000000a\","
			       "\"spanId\":\"%016zx\",\"name\":\"op\",\"attributes\":[{\"key\":"
			       "\"pad\",\"value\":{\"stringValue\":\"%s\"}}]}",
			       i ? "," : "", i + 1, pad);
	fr_buf__printf(&json, "]}]}]}");
	assert_int_equal(fr_otlp__decode_json((char *)json.p, json.len, &b, NULL, 0), 0);
	assert_int_equal(b->nr_spans, n);
	fr_buf__free(&json);
	return b;
}

static struct fr_exporter *exporter_to(uint16_t port, struct fr_export_opts *o)
{
	char url[64];
	struct fr_exporter *e;

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/v1/traces", port);
	o->sz = sizeof(*o);
	o->endpoint = url;
	if (!o->backoff_initial_ms)
		o->backoff_initial_ms = 50;
	if (!o->linger_ms)
		o->linger_ms = 20;
	e = fr_exporter__new(o);
	assert_non_null(e);
	return e;
}

static void test_ok(void **state)
{
	const int answers[] = { 200 };
	struct script_server *s = server_start(answers, 1, NULL);
	struct fr_export_opts o = { .headers = "x-api-key=abc%20def, other = 1" };
	struct fr_exporter *e = exporter_to(s->port, &o);
	struct fr_batch *b = make_spans(10);
	struct fr_export_stats st;

	(void)state;
	assert_int_equal(fr_exporter__submit(e, b->spans, 4), 0);
	assert_int_equal(fr_exporter__submit(e, b->spans + 4, 6), 0);
	assert_int_equal(fr_exporter__flush(e, 10000), 0);
	fr_exporter__stats(e, &st);
	assert_int_equal(st.spans_submitted, 10);
	assert_int_equal(st.spans_sent, 10);
	assert_int_equal(st.batches_sent, 1); /* both submits joined one batch */
	assert_int_equal(st.retries, 0);
	assert_int_equal(st.last_http_status, 200);
	assert_int_equal(s->spans, 10);
	assert_false(s->bad_body);
	assert_string_equal(s->api_key, "abc def");
	fr_exporter__free(e);
	server_stop(s);
	fr_batch__put(b);
}

static void test_bad_request_not_retried(void **state)
{
	const int answers[] = { 400 };
	struct script_server *s = server_start(answers, 1, NULL);
	struct fr_export_opts o = { 0 };
	struct fr_exporter *e = exporter_to(s->port, &o);
	struct fr_batch *b = make_spans(3);
	struct fr_export_stats st;

	(void)state;
	fr_exporter__submit(e, b->spans, 3);
	assert_int_equal(fr_exporter__flush(e, 10000), 0);
	fr_exporter__stats(e, &st);
	assert_int_equal(s->hits, 1);
	assert_int_equal(st.retries, 0);
	assert_int_equal(st.batches_rejected, 1);
	assert_int_equal(st.spans_lost, 3);
	assert_int_equal(st.spans_sent, 0);
	fr_exporter__free(e);
	server_stop(s);
	fr_batch__put(b);
}

static void test_retry_after_honoured(void **state)
{
	const int answers[] = { 429, 200 };
	struct script_server *s = server_start(answers, 2, "1");
	struct fr_export_opts o = { .backoff_initial_ms = 10 };
	struct fr_exporter *e = exporter_to(s->port, &o);
	struct fr_batch *b = make_spans(5);
	struct fr_export_stats st;

	(void)state;
	fr_exporter__submit(e, b->spans, 5);
	assert_int_equal(fr_exporter__flush(e, 10000), 0);
	fr_exporter__stats(e, &st);
	assert_int_equal(s->hits, 2);
	assert_int_equal(st.retries, 1);
	assert_int_equal(st.spans_sent, 5);
	/* the server asked for 1 s; our own backoff would have been 10 ms */
	assert_true(s->hit_ms[1] - s->hit_ms[0] >= 950);
	fr_exporter__free(e);
	server_stop(s);
	fr_batch__put(b);
}

static void test_unavailable_then_ok(void **state)
{
	const int answers[] = { 503, 502, 504, 200 };
	struct script_server *s = server_start(answers, 4, NULL);
	struct fr_export_opts o = { 0 };
	struct fr_exporter *e = exporter_to(s->port, &o);
	struct fr_batch *b = make_spans(7);
	struct fr_export_stats st;

	(void)state;
	fr_exporter__submit(e, b->spans, 7);
	assert_int_equal(fr_exporter__flush(e, 20000), 0);
	fr_exporter__stats(e, &st);
	assert_int_equal(s->hits, 4);
	assert_int_equal(st.retries, 3);
	assert_int_equal(st.batches_sent, 1);
	assert_int_equal(st.spans_sent, 7);
	assert_int_equal(s->spans, 7);
	/* backoff grows: each wait at least half the doubled delay */
	assert_true(s->hit_ms[1] - s->hit_ms[0] >= 25);
	assert_true(s->hit_ms[3] - s->hit_ms[2] >= 100);
	fr_exporter__free(e);
	server_stop(s);
	fr_batch__put(b);
}

static void test_closed_port(void **state)
{
	const int answers[] = { 200 };
	struct script_server *s = server_start(answers, 1, NULL);
	uint16_t port = s->port;
	struct fr_export_opts o = { .max_elapsed_ms = 600 };
	struct fr_exporter *e;
	struct fr_batch *b = make_spans(2);
	struct fr_export_stats st;

	(void)state;
	server_stop(s); /* nothing listens there now */
	e = exporter_to(port, &o);
	fr_exporter__submit(e, b->spans, 2);
	assert_int_equal(fr_exporter__flush(e, 10000), 0);
	fr_exporter__stats(e, &st);
	assert_true(st.retries >= 2); /* connection failures are retried */
	assert_int_equal(st.batches_gave_up, 1);
	assert_int_equal(st.spans_lost, 2);
	assert_int_equal(st.last_http_status, 0);
	fr_exporter__free(e);
	fr_batch__put(b);
}

/* A backend that never takes anything: the queue stays within its budget,
 * the oldest batches go, and every span is accounted for. */
static void test_memory_bounded(void **state)
{
	const int answers[] = { 503 };
	struct script_server *s = server_start(answers, 1, NULL);
	struct fr_export_opts o = { .max_queue_bytes = 64 * 1024, .max_batch_bytes = 8 * 1024,
				    .backoff_initial_ms = 200, .max_elapsed_ms = 2000 };
	struct fr_exporter *e = exporter_to(s->port, &o);
	struct fr_batch *b = make_spans(100);
	struct fr_export_stats st;

	(void)state;
	for (int round = 0; round < 50; round++)
		for (size_t i = 0; i < b->nr_spans; i += 4)
			assert_int_equal(fr_exporter__submit(e, b->spans + i, 4), 0);
	fr_exporter__stats(e, &st);
	assert_int_equal(st.spans_submitted, 5000);
	assert_true(st.queue_bytes_peak <= o.max_queue_bytes);
	assert_true(st.batches_dropped_full > 0);
	fr_exporter__close(e); /* what is left is counted as given up */
	fr_exporter__stats(e, &st);
	assert_int_equal(st.spans_sent + st.spans_dropped_full + st.spans_lost, 5000);
	assert_int_equal(st.queue_bytes, 0);
	assert_int_equal(fr_exporter__submit(e, b->spans, 1), -EPIPE);
	fr_exporter__free(e);
	server_stop(s);
	fr_batch__put(b);
}

static void test_accounting_after_free(void **state)
{
	const int answers[] = { 503 };
	struct script_server *s = server_start(answers, 1, NULL);
	struct fr_export_opts o = { .max_queue_bytes = 32 * 1024, .max_batch_bytes = 4 * 1024,
				    .backoff_initial_ms = 100 };
	struct fr_exporter *e = exporter_to(s->port, &o);
	struct fr_batch *b = make_spans(40);
	struct fr_export_stats st;

	(void)state;
	for (int round = 0; round < 10; round++)
		for (size_t i = 0; i < b->nr_spans; i += 4)
			fr_exporter__submit(e, b->spans + i, 4);
	assert_int_equal(fr_exporter__flush(e, 300), -ETIMEDOUT);
	fr_exporter__stats(e, &st);
	assert_true(st.queue_bytes <= o.max_queue_bytes);
	assert_true(st.queue_batches > 0); /* a flush that timed out left work */
	fr_exporter__close(e);
	fr_exporter__stats(e, &st);
	assert_int_equal(st.spans_sent + st.spans_dropped_full + st.spans_lost, 400);
	fr_exporter__free(e);
	server_stop(s);
	fr_batch__put(b);
}

static void test_env(void **state)
{
	char *v;

	(void)state;
	unsetenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
	unsetenv("OTEL_EXPORTER_OTLP_ENDPOINT");
	assert_null(fr_export_endpoint_from_env());
	setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/", 1);
	v = fr_export_endpoint_from_env();
	assert_string_equal(v, "http://collector:4318/v1/traces");
	free(v);
	setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://jaeger:4318/custom", 1);
	v = fr_export_endpoint_from_env();
	assert_string_equal(v, "http://jaeger:4318/custom");
	free(v);
	v = fr_export_normalize_endpoint("http://host:4318");
	assert_string_equal(v, "http://host:4318/v1/traces");
	free(v);
	v = fr_export_normalize_endpoint("http://host:4318/api/traces");
	assert_string_equal(v, "http://host:4318/api/traces");
	free(v);
	setenv("OTEL_EXPORTER_OTLP_HEADERS", "a=b", 1);
	v = fr_export_headers_from_env();
	assert_string_equal(v, "a=b");
	free(v);
	assert_null(fr_exporter__new(&(struct fr_export_opts){ .sz = sizeof(struct fr_export_opts) }));
	assert_int_equal(errno, EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok),
		cmocka_unit_test(test_bad_request_not_retried),
		cmocka_unit_test(test_retry_after_honoured),
		cmocka_unit_test(test_unavailable_then_ok),
		cmocka_unit_test(test_closed_port),
		cmocka_unit_test(test_memory_bounded),
		cmocka_unit_test(test_accounting_after_free),
		cmocka_unit_test(test_env),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
