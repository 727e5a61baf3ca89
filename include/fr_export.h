/* SPDX-License-Identifier: MIT */
/*
 * fr_export.h - OTLP/HTTP exporter (libcurl): forwards spans as gzip'd
 * protobuf to a tracing backend.
 *
 * Spans are encoded on submit into an open batch; batches are sealed by
 * size or age and queued. The queue is bounded in bytes: when full, the
 * oldest queued batches are dropped and counted, never unbounded memory.
 * One sender thread posts batches over a persistent connection, retrying
 * only on 429/502/503/504 and connection failures, with exponential backoff
 * and jitter, honouring Retry-After; other answers drop the batch (counted).
 * All calls are thread-safe.
 */
#ifndef FR_EXPORT_H
#define FR_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "fr_span.h"

struct fr_export_opts {
	size_t sz;
	const char *endpoint;          /* the traces URL (required) */
	const char *headers;           /* "k1=v1,k2=v2", values URL-encoded; may be NULL */
	size_t max_queue_bytes;        /* default 64 MiB */
	size_t max_batch_bytes;        /* encoded, before gzip; default 1 MiB */
	unsigned linger_ms;            /* a batch is sent at most this late; default 200 */
	unsigned backoff_initial_ms;   /* default 1000 */
	unsigned backoff_max_ms;       /* default 30000 (also caps Retry-After) */
	unsigned max_elapsed_ms;       /* give a batch up after retrying this long; default 300000 */
	unsigned timeout_ms;           /* one request; default 10000 */
	int gzip_level;                /* 1..9, default 1 */
};

struct fr_export_stats {
	uint64_t spans_submitted;
	uint64_t batches_sent;        /* answered 2xx */
	uint64_t spans_sent;
	uint64_t retries;             /* attempts after the first */
	uint64_t batches_dropped_full; /* dropped from a full queue */
	uint64_t spans_dropped_full;
	uint64_t batches_rejected;    /* non-retryable answer (4xx other than 429, ...) */
	uint64_t batches_gave_up;     /* retried past max_elapsed_ms, or unsent at exit */
	uint64_t spans_lost;          /* rejected + gave up */
	uint64_t queue_bytes;         /* queued now (sealed, not yet sent) */
	uint64_t queue_bytes_peak;
	uint64_t queue_batches;
	int last_http_status;         /* 0 = none yet or connection failure */
};

struct fr_exporter;

/* Starts the sender thread. NULL with errno (EINVAL: no endpoint). */
struct fr_exporter *fr_exporter__new(const struct fr_export_opts *opts);

/* Encodes spans[0..n) (see fr_otlp__encode_proto) into the open batch.
 * 0, -ENOMEM, or -EPIPE after close. */
int fr_exporter__submit(struct fr_exporter *e, const struct fr_span *spans, size_t n);

/* Sends all that is pending; waits until done or timeout_ms: 0 or -ETIMEDOUT. */
int fr_exporter__flush(struct fr_exporter *e, unsigned timeout_ms);

void fr_exporter__stats(struct fr_exporter *e, struct fr_export_stats *out);

/* Stops the sender; what is still queued is counted as given up. Stats
 * stay readable; later submits fail with -EPIPE. */
void fr_exporter__close(struct fr_exporter *e);

/* Closes if needed, then frees. NULL is a no-op. */
void fr_exporter__free(struct fr_exporter *e);

/*
 * The endpoint from OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (as is) or
 * OTEL_EXPORTER_OTLP_ENDPOINT (+ "/v1/traces"), and headers from
 * OTEL_EXPORTER_OTLP_TRACES_HEADERS or OTEL_EXPORTER_OTLP_HEADERS.
 * Returns a malloc'd string or NULL when unset.
 */
char *fr_export_endpoint_from_env(void);
char *fr_export_headers_from_env(void);

/* An endpoint given as a base URL ("http://host:4318") gets "/v1/traces". malloc'd. */
char *fr_export_normalize_endpoint(const char *url);

#endif /* FR_EXPORT_H */
