/* SPDX-License-Identifier: MIT */
/*
 * fr_test_http.h - HTTP for the tests and benchmarks: a sink that stands in
 * for an OTLP backend (libmicrohttpd on 127.0.0.1, any port), reading each
 * request's body and answering with the status a callback gives; and a
 * client (libcurl) that sends one request and keeps the whole answer.
 */
#ifndef FR_TEST_HTTP_H
#define FR_TEST_HTTP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>
#include <microhttpd.h>

#include "fr_buf.h"

/*
 * Called once per request, on the sink's thread, when its body is whole.
 * body holds it when the sink keeps bodies, else NULL (bytes says how
 * long it was). Returns the HTTP status to answer.
 */
typedef unsigned (*fr_test_sink_fn)(void *ctx, struct MHD_Connection *c,
				    const struct fr_buf *body, size_t bytes);

struct fr_test_sink {
	struct MHD_Daemon *d;
	uint16_t port;
	fr_test_sink_fn fn;
	void *ctx;
	bool keep_bodies;        /* false: count bytes only (benchmarks) */
	const char *retry_after; /* sent with a 429 when set */
};

struct fr_test_upload {
	struct fr_buf body;
	size_t bytes;
};

static enum MHD_Result fr_test_sink_handler(void *cls, struct MHD_Connection *c, const char *url,
					    const char *method, const char *version,
					    const char *data, size_t *size, void **req)
{
	struct fr_test_sink *s = cls;
	struct fr_test_upload *u = *req;
	struct MHD_Response *r;
	enum MHD_Result ret;
	unsigned status;

	(void)url;
	(void)method;
	(void)version;
	if (!u) {
		*req = calloc(1, sizeof(struct fr_test_upload));
		return *req ? MHD_YES : MHD_NO;
	}
	if (*size) {
		if (s->keep_bodies)
			fr_buf__put(&u->body, data, *size);
		u->bytes += *size;
		*size = 0;
		return MHD_YES;
	}
	status = s->fn(s->ctx, c, s->keep_bodies ? &u->body : NULL, u->bytes);
	r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (s->retry_after && status == 429)
		MHD_add_response_header(r, "Retry-After", s->retry_after);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static void fr_test_sink_completed(void *cls, struct MHD_Connection *c, void **req,
				   enum MHD_RequestTerminationCode t)
{
	struct fr_test_upload *u = *req;

	(void)cls;
	(void)c;
	(void)t;
	if (u) {
		fr_buf__free(&u->body);
		free(u);
		*req = NULL;
	}
}

/* Starts s (fn, ctx, keep_bodies, retry_after set by the caller); 0 or -1. */
static inline int fr_test_sink__start(struct fr_test_sink *s, unsigned max_connections)
{
	s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL,
				fr_test_sink_handler, s, MHD_OPTION_NOTIFY_COMPLETED,
				fr_test_sink_completed, s, MHD_OPTION_CONNECTION_LIMIT,
				max_connections ? max_connections : 64u, MHD_OPTION_END);
	if (!s->d)
		return -1;
	s->port = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT)->port;
	return 0;
}

static inline void fr_test_sink__stop(struct fr_test_sink *s)
{
	if (s->d)
		MHD_stop_daemon(s->d);
	s->d = NULL;
}

/* ---- the client ---- */

struct fr_test_resp {
	long status;         /* 0 when no answer came */
	struct fr_buf body;
	struct fr_buf head;  /* the header lines as received */
};

static size_t fr_test_http_data(char *p, size_t sz, size_t n, void *ud)
{
	fr_buf__put(ud, p, sz * n);
	return sz * n;
}

/*
 * method path on 127.0.0.1:port with the extra header lines in headers
 * (NULL-terminated; may be NULL) and body (may be NULL), within 30 s.
 * "Expect: 100-continue" is never sent. Free with fr_test_resp_free.
 */
static inline struct fr_test_resp fr_test_http(uint16_t port, const char *method, const char *path,
					       const char *const *headers, const void *body,
					       size_t len)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = curl_slist_append(NULL, "Expect:");
	struct fr_test_resp r = { 0 };
	char url[512];

	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, path);
	for (size_t i = 0; headers && headers[i]; i++)
		h = curl_slist_append(h, headers[i]);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fr_test_http_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, fr_test_http_data);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &r.head);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return r;
}

/* The value of response header name (trimmed) into out; "" when absent. */
static inline void fr_test_resp_header(const struct fr_test_resp *r, const char *name, char *out,
				       size_t outlen)
{
	size_t nl = strlen(name);
	const char *p = (const char *)r->head.p, *end = p + r->head.len;

	out[0] = '\0';
	while (p && p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t len = eol ? (size_t)(eol - p) : (size_t)(end - p);

		if (len > nl && !strncasecmp(p, name, nl) && p[nl] == ':') {
			const char *v = p + nl + 1;
			size_t vl = len - nl - 1;

			while (vl && *v == ' ')
				v++, vl--;
			while (vl && (v[vl - 1] == '\r' || v[vl - 1] == ' '))
				vl--;
			snprintf(out, outlen, "%.*s", (int)vl, v);
		}
		p = eol ? eol + 1 : end;
	}
}

static inline void fr_test_resp_free(struct fr_test_resp *r)
{
	fr_buf__free(&r->body);
	fr_buf__free(&r->head);
}

#endif /* FR_TEST_HTTP_H */
