/* SPDX-License-Identifier: MIT */
/*
 * fr_test_http.h - an HTTP sink for the tests and benchmarks that stand in
 * for an OTLP backend (libmicrohttpd on 127.0.0.1, any port): it reads each
 * request's body and answers with the status a callback gives.
 */
#ifndef FR_TEST_HTTP_H
#define FR_TEST_HTTP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
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

#endif /* FR_TEST_HTTP_H */
