/* SPDX-License-Identifier: MIT */
/*
 * fr_otlp.h - OTLP trace codec: ExportTraceServiceRequest bodies, binary
 * protobuf and JSON, to and from the span model (fr_span.h); the response
 * and google.rpc.Status bodies of OTLP/HTTP.
 *
 * Decoding never trusts its input: nesting depth, item counts and memory are
 * bounded, ids are checked (a span with a bad trace or span id is left out
 * and counted in batch->rejected), and a body that cannot be decoded gives
 * an error, never a partial batch. All functions are thread-safe.
 */
#ifndef FR_OTLP_H
#define FR_OTLP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fr_span.h"

/* Memory a decoded request may take, at most (protection from bombs). */
#define FR_OTLP_MAX_DECODED_BYTES (512u << 20)

/*
 * Decode a request body. Returns 0 with a new batch in *out (zero spans for
 * an empty request), -EBADMSG for a body that is not a valid request (reason
 * in err), -E2BIG when decoding it would take too much memory, -ENOMEM.
 */
int fr_otlp__decode_proto(const uint8_t *buf, size_t len, struct fr_batch **out, char *err,
			  size_t errlen);
int fr_otlp__decode_json(const char *buf, size_t len, struct fr_batch **out, char *err,
			 size_t errlen);

/*
 * Appends spans[0..n) as ResourceSpans entries (field 1 of
 * ExportTraceServiceRequest), grouping consecutive spans of one scope and
 * consecutive scopes of one resource. Appending several times yields one
 * valid request: protobuf concatenates repeated fields.
 */
void fr_otlp__encode_proto(const struct fr_span *spans, size_t n, struct fr_buf *out);

/* A whole OTLP JSON request {"resourceSpans":[...]} for spans[0..n). */
void fr_otlp__encode_json(const struct fr_span *spans, size_t n, struct fr_buf *out);

/* One span as an OTLP JSON Span object, plus "resource" and "scope" keys. */
void fr_otlp__span_json(const struct fr_span *s, struct fr_buf *out);

/*
 * Inflates a gzip body (members may be concatenated) into out, never past
 * max bytes whatever it claims: 0, -E2BIG past max, -EBADMSG for data that
 * is not gzip, -ENOMEM.
 */
int fr_otlp__gunzip(const uint8_t *in, size_t len, size_t max, struct fr_buf *out);

/* Deflates in[0..len) as one gzip member (level 1..9) into out: 0, -ENOMEM
 * or -EIO. */
int fr_otlp__gzip(const uint8_t *in, size_t len, int level, struct fr_buf *out);

/* ExportTraceServiceResponse; partial_success filled when rejected > 0. */
void fr_otlp__response(bool json, uint64_t rejected, const char *message, struct fr_buf *out);

/* google.rpc.Status with a gRPC code (3 = INVALID_ARGUMENT, ...). */
void fr_otlp__status(bool json, int code, const char *message, struct fr_buf *out);

#endif /* FR_OTLP_H */
