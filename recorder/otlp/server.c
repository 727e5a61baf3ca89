// SPDX-License-Identifier: MIT
/*
 * otlp_server.c - OTLP/HTTP receiver on libmicrohttpd (fr_otlp_server.h).
 *
 * A request is judged on its headers first (path, method, content type and
 * encoding, declared length); its body is then collected up to the limit,
 * inflated with the same limit (a gzip bomb stops at the limit), decoded
 * once into a batch and handed to the sink.
 */
#define FR_LOG_MOD "otlp"
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <microhttpd.h>

#include "fr_log.h"
#include "fr_net.h"
#include "fr_otlp.h"
#include "fr_otlp_server.h"

struct fr_otlp_server {
	struct MHD_Daemon *d;
	struct fr_otlp_server_opts o;
	uint16_t port;
	struct fr_otlp_server_stats st; /* updated with atomics */
	size_t inflight;                /* body bytes held by requests (atomic) */
};

enum body_kind { BODY_PROTO, BODY_JSON };

struct req {
	int status;        /* an answer decided before the body is read; 0 = none */
	const char *why;   /* its message */
	enum body_kind kind;
	bool gzip;
	struct fr_buf body;
	size_t declared;   /* Content-Length, when given (and within the limit) */
	size_t held;       /* bytes of s->inflight this request holds */
	size_t discarded;  /* body bytes read past a refusal */
};

#define COUNT(s, field) __atomic_add_fetch(&(s)->st.field, 1, __ATOMIC_RELAXED)
#define ADD(s, field, n) __atomic_add_fetch(&(s)->st.field, (n), __ATOMIC_RELAXED)

static enum MHD_Result respond(struct MHD_Connection *conn, int status, const struct fr_buf *body,
			       const char *ctype, unsigned retry_after)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		body ? body->len : 0, body && body->len ? body->p : (void *)"",
		MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;
	char ra[16];

	if (!r)
		return MHD_NO;
	if (ctype)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "POST");
	if (retry_after) {
		snprintf(ra, sizeof(ra), "%u", retry_after);
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, ra);
	}
	ret = MHD_queue_response(conn, (unsigned)status, r);
	MHD_destroy_response(r);
	return ret;
}

static const char *ctype_of(enum body_kind k)
{
	return k == BODY_JSON ? "application/json" : "application/x-protobuf";
}

/* An error answer: google.rpc.Status in the request's encoding when known. */
static enum MHD_Result respond_error(struct fr_otlp_server *s, struct MHD_Connection *conn,
				     struct req *r, int status, const char *why)
{
	struct fr_buf body = { 0 };
	int grpc = status == 400 ? 3 : status == 413 ? 8 : status == 503 || status == 429 ? 14
		 : status == 401 ? 16 : 12;
	enum MHD_Result ret;

	switch (status) {
	case 400: COUNT(s, bad_request); break;
	case 413: COUNT(s, too_large); break;
	case 415: COUNT(s, unsupported); break;
	case 401: COUNT(s, unauthorized); break;
	case 429:
	case 503: COUNT(s, busy); break;
	default: COUNT(s, not_allowed); break;
	}
	if (status == 415 || status == 404 || status == 405) {
		fr_buf__printf(&body, "%s\n", why);
		ret = respond(conn, status, &body, "text/plain", 0);
	} else {
		fr_otlp__status(r->kind == BODY_JSON, grpc, why, &body);
		ret = respond(conn, status, &body, ctype_of(r->kind),
			      status == 503 || status == 429 ? s->o.retry_after_s : 0);
	}
	fr_buf__free(&body);
	return ret;
}

static bool header_is(const char *v, const char *want)
{
	size_t n = strlen(want);

	/* media type compare, parameters (";charset=...") ignored */
	while (v && (*v == ' ' || *v == '\t'))
		v++;
	return v && !strncasecmp(v, want, n) && (v[n] == '\0' || v[n] == ';' || v[n] == ' ');
}

/* Judges a request on its headers. */
/* The request carries "Authorization: Bearer <token>". */
static bool bearer_ok(struct MHD_Connection *conn, const char *token)
{
	const char *a = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_AUTHORIZATION);

	return a && !strncasecmp(a, "Bearer ", 7) && fr_secret_eq(a + 7, token);
}

static void check_headers(struct fr_otlp_server *s, struct MHD_Connection *conn, const char *url,
			  const char *method, struct req *r)
{
	const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_TYPE);
	const char *ce = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_ENCODING);
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);

	if (strcmp(url, "/v1/traces")) {
		r->status = 404;
		r->why = "not found: OTLP traces are received at POST /v1/traces";
	} else if (strcmp(method, "POST")) {
		r->status = 405;
		r->why = "method not allowed: use POST";
	} else if (header_is(ct, "application/x-protobuf")) {
		r->kind = BODY_PROTO;
	} else if (header_is(ct, "application/json")) {
		r->kind = BODY_JSON;
	} else {
		r->status = 415;
		r->why = "unsupported content type: use application/x-protobuf or application/json";
	}
	if (!r->status && ce && *ce && strcasecmp(ce, "identity")) {
		if (!strcasecmp(ce, "gzip")) {
			r->gzip = true;
		} else {
			r->status = 415;
			r->why = "unsupported content encoding: use gzip or none";
		}
	}
	if (!r->status && cl) {
		unsigned long long n = strtoull(cl, NULL, 10);

		if (n > s->o.max_body) {
			r->status = 413;
			r->why = "request body over the size limit";
		} else {
			r->declared = (size_t)n;
		}
	}
	/* last, so that the answer still speaks the request's content type */
	if (s->o.token && !bearer_ok(conn, s->o.token)) {
		r->status = 401;
		r->why = "unauthorized: this receiver needs Authorization: Bearer TOKEN";
	}
}

/* The connection's two ends, for the sink to tell who sent the batch. */
static void sender_of(struct MHD_Connection *conn, struct fr_batch *b)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const union MHD_ConnectionInfo *fi =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	socklen_t len = sizeof(b->local);

	if (ci && ci->client_addr)
		memcpy(&b->peer, ci->client_addr,
		       ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
							: sizeof(struct sockaddr_in));
	if (!fi || getsockname(fi->connect_fd, (struct sockaddr *)&b->local, &len))
		b->local.ss_family = AF_UNSPEC;
}

static enum MHD_Result finish(struct fr_otlp_server *s, struct MHD_Connection *conn, struct req *r)
{
	struct fr_buf plain = { 0 }, resp = { 0 };
	const struct fr_buf *body = &r->body;
	struct fr_batch *b = NULL;
	enum MHD_Result ret;
	char err[192] = "";
	int rc;

	ADD(s, bytes_in, r->body.len);
	if (r->gzip) {
		rc = fr_otlp__gunzip(r->body.p, r->body.len, s->o.max_body, &plain);
		if (rc) {
			fr_buf__free(&plain);
			return respond_error(s, conn, r, rc == -E2BIG ? 413 : 400,
					     rc == -E2BIG ? "request body over the size limit once inflated"
							  : "body is not valid gzip");
		}
		body = &plain;
	}
	if (r->kind == BODY_JSON)
		rc = fr_otlp__decode_json((const char *)body->p, body->len, &b, err, sizeof(err));
	else
		rc = fr_otlp__decode_proto(body->p, body->len, &b, err, sizeof(err));
	fr_buf__free(&plain);
	if (rc) {
		pr_debug("refused a request: %s", err);
		return respond_error(s, conn, r, rc == -E2BIG ? 413 : 400,
				     err[0] ? err : "cannot decode the request");
	}
	sender_of(conn, b);
	if (b->nr_spans) {
		rc = s->o.sink(s->o.sink_ctx, b);
		if (rc) {
			fr_batch__put(b);
			return respond_error(s, conn, r, 503,
					     "the recorder is overloaded: retry later");
		}
	}
	ADD(s, spans_accepted, b->nr_spans);
	ADD(s, spans_rejected, b->rejected);
	fr_otlp__response(r->kind == BODY_JSON, b->rejected, b->rejected ? b->reject_reason : NULL,
			  &resp);
	fr_batch__put(b);
	ret = respond(conn, 200, &resp, ctype_of(r->kind), 0);
	fr_buf__free(&resp);
	return ret;
}

/*
 * Takes n more bytes of the global body budget for r; false (nothing
 * taken) when all requests together would hold more than max_inflight.
 */
static bool hold(struct fr_otlp_server *s, struct req *r, size_t n)
{
	size_t cur = __atomic_load_n(&s->inflight, __ATOMIC_RELAXED);

	do {
		if (cur + n > s->o.max_inflight)
			return false;
	} while (!__atomic_compare_exchange_n(&s->inflight, &cur, cur + n, true, __ATOMIC_ACQ_REL,
					      __ATOMIC_RELAXED));
	r->held += n;
	return true;
}

static void release(struct fr_otlp_server *s, struct req *r)
{
	__atomic_sub_fetch(&s->inflight, r->held, __ATOMIC_ACQ_REL);
	r->held = 0;
}

/* Refuses the rest of a request whose body is still coming: it is read and
 * dropped (at most a few limits' worth, then the connection goes), and the
 * answer given when it ends. */
static enum MHD_Result refuse_body(struct fr_otlp_server *s, struct req *r, int status,
				   const char *why, size_t n)
{
	if (!r->status) {
		r->status = status;
		r->why = why;
		fr_buf__free(&r->body);
		release(s, r);
	}
	r->discarded += n;
	return r->discarded > 4 * s->o.max_body ? MHD_NO : MHD_YES;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
			       const char *method, const char *version, const char *upload_data,
			       size_t *upload_data_size, void **req_cls)
{
	struct fr_otlp_server *s = cls;
	struct req *r = *req_cls;

	(void)version;
	if (!r) {
		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		*req_cls = r;
		COUNT(s, requests);
		check_headers(s, conn, url, method, r);
		/* Do not read a body declared too large, or one there is no room
		 * for now: answer at once. */
		if (r->status == 413)
			return respond_error(s, conn, r, 413, r->why);
		if (!r->status && r->declared && !hold(s, r, r->declared))
			return respond_error(s, conn, r, 429,
					     "too many request bodies in flight: retry later");
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;

		*upload_data_size = 0;
		if (r->status)
			return refuse_body(s, r, r->status, r->why, n);
		if (r->body.len + n > s->o.max_body) /* chunked, or longer than declared */
			return refuse_body(s, r, 413, "request body over the size limit", n);
		if (r->body.len + n > r->held && !hold(s, r, r->body.len + n - r->held))
			return refuse_body(s, r, 429, "too many request bodies in flight: retry later",
					   n);
		fr_buf__put(&r->body, upload_data, n);
		if (r->body.oom)
			return refuse_body(s, r, 503, "out of memory: retry later", n);
		return MHD_YES;
	}
	if (r->status)
		return respond_error(s, conn, r, r->status, r->why);
	return finish(s, conn, r);
}

static void completed(void *cls, struct MHD_Connection *conn, void **req_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct req *r = *req_cls;

	(void)conn;
	(void)toe;
	if (!r)
		return;
	release(cls, r);
	fr_buf__free(&r->body);
	free(r);
	*req_cls = NULL;
}

struct fr_otlp_server *fr_otlp_server__start(const struct fr_otlp_server_opts *opts)
{
	struct sockaddr_storage addr;
	struct fr_otlp_server *s;
	const union MHD_DaemonInfo *info;
	/* the thread pool and TLS, when asked for; MHD_OPTION_END after them */
	struct MHD_OptionItem pool[4] = { { MHD_OPTION_END, 0, NULL }, { MHD_OPTION_END, 0, NULL },
					  { MHD_OPTION_END, 0, NULL }, { MHD_OPTION_END, 0, NULL } };
	size_t np = 0;
	socklen_t alen;

	if (!opts || !opts->sink) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	fr_opts_copy(&s->o, opts);
	if (!s->o.listen)
		s->o.listen = FR_OTLP_DEFAULT_LISTEN;
	if (!s->o.max_body)
		s->o.max_body = FR_OTLP_DEFAULT_MAX_BODY;
	if (!s->o.max_connections)
		s->o.max_connections = 4096;
	if (!s->o.max_inflight)
		s->o.max_inflight = FR_OTLP_DEFAULT_MAX_INFLIGHT;
	if (!s->o.threads)
		s->o.threads = 1;
	if (!s->o.retry_after_s)
		s->o.retry_after_s = 1;
	if (!s->o.timeout_s)
		s->o.timeout_s = 10;
	/* A pool of one is no pool (MHD would warn): name it only when larger. */
	if (s->o.threads > 1)
		pool[np++] = (struct MHD_OptionItem){ MHD_OPTION_THREAD_POOL_SIZE,
						      (intptr_t)s->o.threads, NULL };
	if (fr_parse_listen(s->o.listen, &addr, &alen)) {
		pr_err("bad OTLP listen address '%s' (want ADDR:PORT)", s->o.listen);
		free(s);
		errno = EINVAL;
		return NULL;
	}
	if (!s->o.tls_cert != !s->o.tls_key) {
		pr_err("TLS needs both a certificate and a key");
		free(s);
		errno = EINVAL;
		return NULL;
	}
	if (s->o.tls_cert) {
		pool[np++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0,
						      (void *)s->o.tls_key };
		pool[np++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0,
						      (void *)s->o.tls_cert };
	}
	s->d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
			(addr.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0) |
			(s->o.tls_cert ? MHD_USE_TLS : 0),
		0, NULL, NULL, handler, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
		MHD_OPTION_CONNECTION_LIMIT, s->o.max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
		s->o.timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(128 * 1024),
		MHD_OPTION_ARRAY, pool,
		MHD_OPTION_NOTIFY_COMPLETED, completed, s, MHD_OPTION_EXTERNAL_LOGGER, fr_log_mhd, s,
		MHD_OPTION_END);
	if (!s->d) {
		pr_err("cannot listen for OTLP on %s (address in use, or not allowed)", s->o.listen);
		free(s);
		errno = EADDRINUSE;
		return NULL;
	}
	info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : 0;
	return s;
}

uint16_t fr_otlp_server__port(const struct fr_otlp_server *s)
{
	return s->port;
}

void fr_otlp_server__stats(const struct fr_otlp_server *s, struct fr_otlp_server_stats *out)
{
	const uint64_t *src = (const uint64_t *)&s->st;
	uint64_t *dst = (uint64_t *)out;

	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

void fr_otlp_server__stop(struct fr_otlp_server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->d);
	free(s);
}
