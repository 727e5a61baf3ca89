/* SPDX-License-Identifier: MIT */
/*
 * fr_otlp_pb.h - the span model as protobuf-c OTLP messages, for embedding
 * spans into other messages (the snapshot schema) without an encode and
 * decode round trip. The inverse of what fr_otlp__decode_proto converts.
 *
 * Messages are allocated from an arena and point into the model's strings
 * and attribute arrays: both must outlive them. Thread-safe.
 */
#ifndef FR_OTLP_PB_H
#define FR_OTLP_PB_H

#include "fr_span.h"
#include "opentelemetry/proto/trace/v1/trace.pb-c.h"

/* One span as a Span message; NULL when the arena is out of memory. */
Opentelemetry__Proto__Trace__V1__Span *fr_otlp_pb__span(struct fr_arena *a, const struct fr_span *s);

/*
 * One span with its resource and scope, as a ResourceSpans holding one
 * ScopeSpans holding the span. NULL when out of memory.
 */
Opentelemetry__Proto__Trace__V1__ResourceSpans *fr_otlp_pb__resource_spans(struct fr_arena *a,
									  const struct fr_span *s);

#endif /* FR_OTLP_PB_H */
