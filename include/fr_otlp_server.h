/* SPDX-License-Identifier: MIT */
/*
 * fr_otlp_server.h - the OTLP/HTTP trace receiver (libmicrohttpd):
 * POST /v1/traces, protobuf or JSON, optionally gzip, answered as the OTLP
 * specification says (200 + partial_success, 400 + google.rpc.Status, 404,
 * 405, 413 (also for chunked bodies), 415, 429 + Retry-After when the
 * bodies in flight would pass their global cap, 503 + Retry-After when out
 * of memory).
 */
#ifndef FR_OTLP_SERVER_H
#define FR_OTLP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "fr_span.h"

#define FR_OTLP_DEFAULT_LISTEN "127.0.0.1:4318"
#define FR_OTLP_DEFAULT_MAX_BODY (20u << 20)
#define FR_OTLP_DEFAULT_MAX_INFLIGHT (128u << 20)

/*
 * Receives each decoded request, on a server thread. The batch is only
 * borrowed for the call: take a reference (fr_batch__get) to keep it.
 * Returns 0, or -EAGAIN when overloaded (the client is told to retry).
 */
typedef int (*fr_otlp_sink_fn)(void *ctx, struct fr_batch *batch);

struct fr_otlp_server_opts {
	size_t sz;
	const char *listen;        /* ADDR:PORT; default FR_OTLP_DEFAULT_LISTEN; port 0 = any */
	size_t max_body;           /* bytes, also after decompression; default 20 MiB */
	size_t max_inflight;       /* request bodies held at once, all connections together;
				    * beyond it 429 + Retry-After; default 128 MiB */
	unsigned max_connections;  /* default 4096 */
	unsigned threads;          /* server threads; default 1 */
	unsigned retry_after_s;    /* Retry-After of 429 and 503 answers; default 1 */
	unsigned timeout_s;        /* idle connection timeout; default 10 */
	fr_otlp_sink_fn sink;      /* required */
	void *sink_ctx;
	const char *tls_cert;      /* PEM: serve HTTPS (both or neither); NULL: HTTP */
	const char *tls_key;
	const char *token;         /* requests must carry "Authorization: Bearer TOKEN"
				    * (401 otherwise); NULL: any sender */
};

struct fr_otlp_server_stats {
	uint64_t requests;
	uint64_t spans_accepted;
	uint64_t spans_rejected;   /* refused inside accepted requests (bad ids) */
	uint64_t bad_request;      /* 400 */
	uint64_t too_large;        /* 413 */
	uint64_t unsupported;      /* 415 */
	uint64_t not_allowed;      /* 405 and 404 */
	uint64_t busy;             /* 503 */
	uint64_t unauthorized;     /* 401: no or a wrong bearer token */
	uint64_t bytes_in;         /* request bodies as received */
};

struct fr_otlp_server;

/* Starts serving. NULL with errno set (and a logged reason) on failure. */
struct fr_otlp_server *fr_otlp_server__start(const struct fr_otlp_server_opts *opts);

/* The port actually bound (useful with port 0). */
uint16_t fr_otlp_server__port(const struct fr_otlp_server *s);

/* Thread-safe snapshot of the counters. */
void fr_otlp_server__stats(const struct fr_otlp_server *s, struct fr_otlp_server_stats *out);

/* Stops accepting, waits for handlers in flight, frees. NULL is a no-op. */
void fr_otlp_server__stop(struct fr_otlp_server *s);

#endif /* FR_OTLP_SERVER_H */
