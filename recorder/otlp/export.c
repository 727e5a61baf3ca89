// SPDX-License-Identifier: MIT
/*
 * export.c - OTLP/HTTP exporter on libcurl (fr_export.h).
 */
#define FR_LOG_MOD "export"
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <curl/curl.h>

#include "fr_clock.h"
#include "fr_export.h"
#include "fr_log.h"
#include "fr_otlp.h"

struct qbatch {
	struct qbatch *next;
	uint8_t *data;
	size_t len;
	uint32_t spans;
};

struct fr_exporter {
	struct fr_export_opts o;
	char *endpoint;
	struct curl_slist *headers;
	CURL *curl;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t wake; /* the sender: work, stop, flush */
	pthread_cond_t idle; /* flush waiters: something was sent */
	struct fr_buf open;  /* the batch being filled */
	uint32_t open_spans;
	uint64_t open_since;
	struct qbatch *head, *tail;
	bool inflight, stop, flushing, closed;
	struct fr_export_stats st;
	unsigned seed;
	long retry_after_s; /* of the last answer, -1 = none */
	char resp[256];     /* start of the last answer's body */
	size_t resp_len;
};

static uint64_t now_ms(void)
{
	return fr_mono_ns() / 1000000;
}

static void abstime_in(struct timespec *ts, uint64_t ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

static void drop_batch(struct qbatch *q)
{
	free(q->data);
	free(q);
}

/* Queues a sealed batch, dropping the oldest to stay in budget. Locked. */
static void enqueue(struct fr_exporter *e, struct qbatch *q)
{
	while (e->head && e->st.queue_bytes + q->len > e->o.max_queue_bytes) {
		struct qbatch *old = e->head;

		e->head = old->next;
		if (!e->head)
			e->tail = NULL;
		e->st.queue_bytes -= old->len;
		e->st.queue_batches--;
		e->st.batches_dropped_full++;
		e->st.spans_dropped_full += old->spans;
		drop_batch(old);
	}
	if (q->len > e->o.max_queue_bytes) {
		e->st.batches_dropped_full++;
		e->st.spans_dropped_full += q->spans;
		drop_batch(q);
		return;
	}
	if (e->tail)
		e->tail->next = q;
	else
		e->head = q;
	e->tail = q;
	e->st.queue_bytes += q->len;
	e->st.queue_batches++;
	if (e->st.queue_bytes > e->st.queue_bytes_peak)
		e->st.queue_bytes_peak = e->st.queue_bytes;
}

/* Seals the open batch into the queue. Locked. */
static void seal(struct fr_exporter *e)
{
	struct qbatch *q;

	if (!e->open.len)
		return;
	q = calloc(1, sizeof(*q));
	if (!q) {
		e->st.batches_dropped_full++;
		e->st.spans_dropped_full += e->open_spans;
		fr_buf__free(&e->open);
		e->open_spans = 0;
		return;
	}
	q->data = e->open.p;
	q->len = e->open.len;
	q->spans = e->open_spans;
	memset(&e->open, 0, sizeof(e->open));
	e->open_spans = 0;
	enqueue(e, q);
}

int fr_exporter__submit(struct fr_exporter *e, const struct fr_span *spans, size_t n)
{
	struct fr_buf enc = { 0 };

	if (!n)
		return 0;
	if (__atomic_load_n(&e->closed, __ATOMIC_ACQUIRE))
		return -EPIPE;
	fr_otlp__encode_proto(spans, n, &enc);
	if (enc.oom) {
		fr_buf__free(&enc);
		return -ENOMEM;
	}
	pthread_mutex_lock(&e->mu);
	e->st.spans_submitted += n;
	if (e->open.len && e->open.len + enc.len > e->o.max_batch_bytes)
		seal(e);
	if (!e->open.len) {
		e->open = enc; /* take the buffer as is */
		e->open_since = now_ms();
	} else {
		fr_buf__put(&e->open, enc.p, enc.len);
		fr_buf__free(&enc);
	}
	e->open_spans += (uint32_t)n;
	if (e->open.len >= e->o.max_batch_bytes)
		seal(e);
	pthread_cond_signal(&e->wake);
	pthread_mutex_unlock(&e->mu);
	return 0;
}

static size_t on_header(char *buf, size_t size, size_t n, void *ud)
{
	struct fr_exporter *e = ud;
	size_t len = size * n;

	if (len > 12 && !strncasecmp(buf, "Retry-After:", 12)) {
		char v[128];
		size_t vl = len - 12;

		if (vl >= sizeof(v))
			vl = sizeof(v) - 1;
		memcpy(v, buf + 12, vl);
		v[vl] = '\0';
		v[strcspn(v, "\r\n")] = '\0';
		char *p = v;

		while (*p == ' ')
			p++;
		if (isdigit((unsigned char)*p)) {
			e->retry_after_s = strtol(p, NULL, 10);
		} else {
			time_t t = curl_getdate(p, NULL);

			if (t > 0)
				e->retry_after_s = t > time(NULL) ? t - time(NULL) : 0;
		}
	}
	return len;
}

static size_t on_body(char *buf, size_t size, size_t n, void *ud)
{
	struct fr_exporter *e = ud;
	size_t len = size * n, room = sizeof(e->resp) - 1 - e->resp_len;

	if (room) {
		size_t c = len < room ? len : room;

		memcpy(e->resp + e->resp_len, buf, c);
		e->resp_len += c;
		e->resp[e->resp_len] = '\0';
	}
	return len;
}

/* One POST: the HTTP status, or 0 when no answer came (connection, timeout). */
static long post(struct fr_exporter *e, const struct fr_buf *body)
{
	CURLcode rc;
	long code = 0;

	e->retry_after_s = -1;
	e->resp_len = 0;
	e->resp[0] = '\0';
	curl_easy_setopt(e->curl, CURLOPT_POSTFIELDS, body->p);
	curl_easy_setopt(e->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->len);
	rc = curl_easy_perform(e->curl);
	if (rc != CURLE_OK) {
		pr_debug("export to %s failed: %s", e->endpoint, curl_easy_strerror(rc));
		return 0;
	}
	curl_easy_getinfo(e->curl, CURLINFO_RESPONSE_CODE, &code);
	return code;
}

static bool retryable(long code)
{
	return code == 0 || code == 429 || code == 502 || code == 503 || code == 504;
}

/* Sends one batch with retries. Called unlocked; takes the lock to wait. */
static void send_batch(struct fr_exporter *e, struct qbatch *q)
{
	uint64_t start = now_ms(), delay = e->o.backoff_initial_ms;
	struct fr_buf gz = { 0 };

	if (fr_otlp__gzip(q->data, q->len, e->o.gzip_level, &gz)) {
		pthread_mutex_lock(&e->mu);
		e->st.batches_gave_up++;
		e->st.spans_lost += q->spans;
		pthread_mutex_unlock(&e->mu);
		fr_buf__free(&gz);
		return;
	}
	for (int attempt = 0;; attempt++) {
		long code = post(e, &gz);
		uint64_t wait;

		pthread_mutex_lock(&e->mu);
		e->st.last_http_status = (int)code;
		if (attempt)
			e->st.retries++;
		if (code >= 200 && code < 300) {
			e->st.batches_sent++;
			e->st.spans_sent += q->spans;
			pthread_mutex_unlock(&e->mu);
			break;
		}
		if (!retryable(code)) {
			e->st.batches_rejected++;
			e->st.spans_lost += q->spans;
			pthread_mutex_unlock(&e->mu);
			pr_warn("backend answered %ld: dropped a batch of %u spans (%.120s)", code,
				q->spans, e->resp);
			break;
		}
		if (e->retry_after_s >= 0) {
			wait = (uint64_t)e->retry_after_s * 1000;
		} else {
			/* exponential backoff, jitter in [delay/2, delay) */
			wait = delay / 2 + (uint64_t)rand_r(&e->seed) % (delay / 2 + 1);
			delay = delay * 2 < e->o.backoff_max_ms ? delay * 2 : e->o.backoff_max_ms;
		}
		if (wait > e->o.backoff_max_ms)
			wait = e->o.backoff_max_ms;
		if (now_ms() + wait - start > e->o.max_elapsed_ms || e->stop) {
			e->st.batches_gave_up++;
			e->st.spans_lost += q->spans;
			pthread_mutex_unlock(&e->mu);
			pr_warn("gave up a batch of %u spans after %d attempts (last: %ld)", q->spans,
				attempt + 1, code);
			break;
		}
		{
			struct timespec ts;

			abstime_in(&ts, wait);
			while (!e->stop && pthread_cond_timedwait(&e->wake, &e->mu, &ts) == 0)
				; /* woken for other reasons: keep waiting out the delay */
		}
		if (e->stop) {
			e->st.batches_gave_up++;
			e->st.spans_lost += q->spans;
			pthread_mutex_unlock(&e->mu);
			break;
		}
		pthread_mutex_unlock(&e->mu);
	}
	fr_buf__free(&gz);
}

static void *sender(void *arg)
{
	struct fr_exporter *e = arg;

	pthread_mutex_lock(&e->mu);
	while (!e->stop) {
		struct qbatch *q;

		if (e->open.len && (e->flushing || now_ms() - e->open_since >= e->o.linger_ms))
			seal(e);
		q = e->head;
		if (q) {
			e->head = q->next;
			if (!e->head)
				e->tail = NULL;
			e->st.queue_bytes -= q->len;
			e->st.queue_batches--;
			e->inflight = true;
			pthread_mutex_unlock(&e->mu);
			send_batch(e, q);
			drop_batch(q);
			pthread_mutex_lock(&e->mu);
			e->inflight = false;
			pthread_cond_broadcast(&e->idle);
			continue;
		}
		pthread_cond_broadcast(&e->idle);
		if (e->open.len) {
			struct timespec ts;
			uint64_t age = now_ms() - e->open_since;

			abstime_in(&ts, age < e->o.linger_ms ? e->o.linger_ms - age : 0);
			pthread_cond_timedwait(&e->wake, &e->mu, &ts);
		} else {
			pthread_cond_wait(&e->wake, &e->mu);
		}
	}
	pthread_mutex_unlock(&e->mu);
	return NULL;
}

/* "k1=v1,k2=v2" with URL-encoded values into curl headers. */
static struct curl_slist *parse_headers(const char *spec, struct curl_slist *list)
{
	char *copy, *tok, *save = NULL;

	if (!spec)
		return list;
	copy = strdup(spec);
	if (!copy)
		return list;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '='), *key, *val, line[1024];
		int outlen = 0;

		if (!eq)
			continue;
		*eq = '\0';
		key = tok;
		while (*key == ' ')
			key++;
		val = curl_easy_unescape(NULL, eq + 1, 0, &outlen);
		if (!val)
			continue;
		for (char *k = key + strlen(key); k > key && k[-1] == ' '; k--)
			k[-1] = '\0';
		if (*key && !strpbrk(key, "\r\n:") && !strpbrk(val, "\r\n")) {
			snprintf(line, sizeof(line), "%s: %s", key, val);
			list = curl_slist_append(list, line);
		}
		curl_free(val);
	}
	free(copy);
	return list;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct fr_exporter *fr_exporter__new(const struct fr_export_opts *opts)
{
	struct fr_exporter *e;

	if (!opts || !opts->endpoint || !*opts->endpoint) {
		errno = EINVAL;
		return NULL;
	}
	pthread_once(&curl_once, curl_init);
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	fr_opts_copy(&e->o, opts);
	if (!e->o.max_queue_bytes)
		e->o.max_queue_bytes = 64u << 20;
	if (!e->o.max_batch_bytes)
		e->o.max_batch_bytes = 1u << 20;
	if (!e->o.linger_ms)
		e->o.linger_ms = 200;
	if (!e->o.backoff_initial_ms)
		e->o.backoff_initial_ms = 1000;
	if (!e->o.backoff_max_ms)
		e->o.backoff_max_ms = 30000;
	if (!e->o.max_elapsed_ms)
		e->o.max_elapsed_ms = 300000;
	if (!e->o.timeout_ms)
		e->o.timeout_ms = 10000;
	if (e->o.gzip_level < 1 || e->o.gzip_level > 9)
		e->o.gzip_level = 1;
	e->seed = (unsigned)fr_mono_ns();
	e->endpoint = strdup(opts->endpoint);
	e->curl = curl_easy_init();
	e->headers = curl_slist_append(NULL, "Content-Type: application/x-protobuf");
	e->headers = curl_slist_append(e->headers, "Content-Encoding: gzip");
	e->headers = parse_headers(opts->headers, e->headers);
	if (!e->endpoint || !e->curl || !e->headers)
		goto fail;
	e->o.endpoint = e->endpoint;
	curl_easy_setopt(e->curl, CURLOPT_URL, e->endpoint);
	curl_easy_setopt(e->curl, CURLOPT_HTTPHEADER, e->headers);
	curl_easy_setopt(e->curl, CURLOPT_TIMEOUT_MS, (long)e->o.timeout_ms);
	curl_easy_setopt(e->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)e->o.timeout_ms);
	curl_easy_setopt(e->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e->curl, CURLOPT_HEADERDATA, e);
	curl_easy_setopt(e->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e->curl, CURLOPT_WRITEDATA, e);
	curl_easy_setopt(e->curl, CURLOPT_USERAGENT, "flightrec/0.1");
	/* No "Expect: 100-continue" round trip for large batches. */
	e->headers = curl_slist_append(e->headers, "Expect:");
	curl_easy_setopt(e->curl, CURLOPT_HTTPHEADER, e->headers);
	pthread_mutex_init(&e->mu, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&e->wake, &ca);
		pthread_cond_init(&e->idle, &ca);
		pthread_condattr_destroy(&ca);
	}
	if (pthread_create(&e->thread, NULL, sender, e)) {
		pthread_mutex_destroy(&e->mu);
		pthread_cond_destroy(&e->wake);
		pthread_cond_destroy(&e->idle);
		goto fail;
	}
	return e;
fail:
	curl_slist_free_all(e->headers);
	if (e->curl)
		curl_easy_cleanup(e->curl);
	free(e->endpoint);
	free(e);
	errno = ENOMEM;
	return NULL;
}

int fr_exporter__flush(struct fr_exporter *e, unsigned timeout_ms)
{
	struct timespec ts;
	int rc = 0;

	abstime_in(&ts, timeout_ms);
	pthread_mutex_lock(&e->mu);
	e->flushing = true;
	pthread_cond_signal(&e->wake);
	while (e->head || e->open.len || e->inflight) {
		if (pthread_cond_timedwait(&e->idle, &e->mu, &ts) == ETIMEDOUT) {
			rc = -ETIMEDOUT;
			break;
		}
	}
	e->flushing = false;
	pthread_mutex_unlock(&e->mu);
	return rc;
}

void fr_exporter__stats(struct fr_exporter *e, struct fr_export_stats *out)
{
	pthread_mutex_lock(&e->mu);
	*out = e->st;
	pthread_mutex_unlock(&e->mu);
}

void fr_exporter__close(struct fr_exporter *e)
{
	pthread_mutex_lock(&e->mu);
	if (e->closed) {
		pthread_mutex_unlock(&e->mu);
		return;
	}
	e->stop = true;
	pthread_cond_broadcast(&e->wake);
	pthread_mutex_unlock(&e->mu);
	pthread_join(e->thread, NULL);
	pthread_mutex_lock(&e->mu);
	e->closed = true;
	seal(e);
	while (e->head) {
		struct qbatch *q = e->head;

		e->head = q->next;
		e->st.queue_bytes -= q->len;
		e->st.queue_batches--;
		e->st.batches_gave_up++;
		e->st.spans_lost += q->spans;
		drop_batch(q);
	}
	e->tail = NULL;
	pthread_mutex_unlock(&e->mu);
	if (e->st.spans_lost)
		pr_info("%llu spans were not delivered", (unsigned long long)e->st.spans_lost);
}

void fr_exporter__free(struct fr_exporter *e)
{
	if (!e)
		return;
	fr_exporter__close(e);
	pthread_mutex_destroy(&e->mu);
	pthread_cond_destroy(&e->wake);
	pthread_cond_destroy(&e->idle);
	curl_slist_free_all(e->headers);
	curl_easy_cleanup(e->curl);
	free(e->endpoint);
	free(e);
}

/* base without a trailing slash, then "/v1/traces". malloc'd. */
static char *with_traces_path(const char *base)
{
	size_t len = strlen(base);
	char *out = malloc(len + sizeof("/v1/traces"));

	if (!out)
		return NULL;
	memcpy(out, base, len);
	if (len && out[len - 1] == '/')
		len--;
	strcpy(out + len, "/v1/traces");
	return out;
}

char *fr_export_normalize_endpoint(const char *url)
{
	const char *scheme = strstr(url, "://");
	const char *path = scheme ? strchr(scheme + 3, '/') : NULL;

	if (path && strcmp(path, "/"))
		return strdup(url); /* a full URL: as given */
	return with_traces_path(url);
}

char *fr_export_endpoint_from_env(void)
{
	const char *v = getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");

	if (v && *v)
		return strdup(v); /* the signal's own endpoint is used as is */
	v = getenv("OTEL_EXPORTER_OTLP_ENDPOINT");
	return v && *v ? with_traces_path(v) : NULL;
}

char *fr_export_headers_from_env(void)
{
	const char *v = getenv("OTEL_EXPORTER_OTLP_TRACES_HEADERS");

	if (!v || !*v)
		v = getenv("OTEL_EXPORTER_OTLP_HEADERS");
	return v && *v ? strdup(v) : NULL;
}
