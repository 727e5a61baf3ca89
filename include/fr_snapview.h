/* SPDX-License-Identifier: MIT */
/*
 * fr_snapview.h - a decoded snapshot and its renderings (JSON, Perfetto).
 * Pure functions; thread-safe.
 */
#ifndef FR_SNAPVIEW_H
#define FR_SNAPVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "flightrec/snapshot/v1/snapshot.pb-c.h"
#include "fr_snapshot.h"
#include "fr_span.h"

typedef Flightrec__Snapshot__V1__Snapshot PbSnap;
typedef Opentelemetry__Proto__Trace__V1__Span PbSpan;

/* Unwraps and decodes a .frsnap: 0 or -EBADMSG. Free with fr_snapview__free. */
int fr_snapview__decode(const void *frsnap, size_t len, PbSnap **out);
void fr_snapview__free(PbSnap *s);

/* Any protobuf-c message as JSON (64-bit integers as strings, bytes as hex). */
void fr_snapview__json(struct fr_buf *o, const ProtobufCMessage *m);

/* Chrome/Perfetto trace-event JSON. */
void fr_snapview__perfetto(const PbSnap *s, struct fr_buf *out);

/* The slow span, its service name, a thread's name ("" when unknown). */
const PbSpan *fr_snapview__span(const PbSnap *s);
const char *fr_snapview__service(const PbSnap *s);
const char *fr_snapview__thread_name(const PbSnap *s, uint32_t tid);

#endif /* FR_SNAPVIEW_H */
