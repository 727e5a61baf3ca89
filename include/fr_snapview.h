/* SPDX-License-Identifier: MIT */
/*
 * fr_snapview.h - renderings of a decoded snapshot (fr_frsnap.h): JSON,
 * Perfetto trace events, and the lookups the renderings share.
 * Pure functions; thread-safe.
 */
#ifndef FR_SNAPVIEW_H
#define FR_SNAPVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "fr_buf.h"
#include "fr_frsnap.h"

typedef Opentelemetry__Proto__Trace__V1__Span PbSpan;

/* Any protobuf-c message as JSON (64-bit integers as strings, bytes as hex). */
void fr_snapview__json(struct fr_buf *o, const ProtobufCMessage *m);

/* Chrome/Perfetto trace-event JSON. */
void fr_snapview__perfetto(const PbSnap *s, struct fr_buf *out);

/*
 * The on-CPU samples as a gzipped pprof profile (perftools.profiles):
 * samples and CPU time (at the capture's rate) per stack, labelled pid,
 * tid, thread and span (inside/outside). 0 or -ENOMEM.
 */
int fr_snapview__pprof(const PbSnap *s, struct fr_buf *out);

/* The slow span, its service name, a thread's name ("" when unknown). */
const PbSpan *fr_snapview__span(const PbSnap *s);
const char *fr_snapview__service(const PbSnap *s);
const char *fr_snapview__thread_name(const PbSnap *s, uint32_t tid);

#endif /* FR_SNAPVIEW_H */
