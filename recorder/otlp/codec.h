/* SPDX-License-Identifier: MIT */
/*
 * codec.h - private to recorder/otlp: what the codec files share (the
 * protobuf-c message names, small string helpers, the arena allocator
 * for protobuf-c).
 */
#ifndef FR_OTLP_CODEC_H
#define FR_OTLP_CODEC_H

#include <stdio.h>
#include <string.h>

#include "fr_otlp.h"
#include "google/rpc/status.pb-c.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"

typedef Opentelemetry__Proto__Common__V1__AnyValue PbAny;
typedef Opentelemetry__Proto__Common__V1__KeyValue PbKv;
typedef Opentelemetry__Proto__Common__V1__InstrumentationScope PbScope;
typedef Opentelemetry__Proto__Resource__V1__Resource PbResource;
typedef Opentelemetry__Proto__Trace__V1__ResourceSpans PbResourceSpans;
typedef Opentelemetry__Proto__Trace__V1__ScopeSpans PbScopeSpans;
typedef Opentelemetry__Proto__Trace__V1__Span PbSpan;
typedef Opentelemetry__Proto__Trace__V1__Span__Event PbEvent;
typedef Opentelemetry__Proto__Trace__V1__Span__Link PbLink;
typedef Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest PbRequest;
typedef Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceResponse PbResponse;

extern const char fr_otlp_empty_str[];

/* A model string for a C string (NULL gives ""). */
static inline struct fr_str fr_otlp_mkstr(const char *p)
{
	struct fr_str s = { p ? p : fr_otlp_empty_str, p ? (uint32_t)strlen(p) : 0 };

	return s;
}

static inline void fr_otlp_set_err(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

/* protobuf-c allocations from an arena (freed with it, never one by one). */
ProtobufCAllocator fr_otlp_arena_allocator(struct fr_arena *a);

/* A decoder's state: the batch being filled. */
struct conv {
	struct fr_batch *b;
	bool oom;
};

/* Counts a refused span; the first reason is kept. */
void fr_otlp_note_reject(struct fr_batch *b, const char *why);
/* Values of the well-known attributes the later stages look up. */
void fr_otlp_resource_wellknown(struct fr_resource *r);
void fr_otlp_span_wellknown(struct fr_span *s);
/* Checks ids; false (and counted) when the span must be refused. */
bool fr_otlp_ids_ok(struct fr_batch *b, const struct fr_span *s);

/* Encoders: a span's scope (an empty one when it has none); where the run
 * of spans sharing spans[i]'s scope, or its resource, ends (before n). */
const struct fr_scope *fr_otlp_scope_of(const struct fr_span *s);
size_t fr_otlp_scope_end(const struct fr_span *spans, size_t i, size_t n);
size_t fr_otlp_resource_end(const struct fr_span *spans, size_t i, size_t n);

#endif /* FR_OTLP_CODEC_H */
