/* SPDX-License-Identifier: MIT */
/*
 * fr_span.h - the internal span model: what an OTLP request decodes into,
 * once, and what the trigger engine, annotation and exporter share.
 *
 * Everything of one request lives in one batch: an arena holds the
 * resources, scopes, spans and their strings; the batch is reference
 * counted so that each stage holds it as long as it needs. Strings are
 * NUL-terminated and carry their length. A batch is immutable once
 * decoded; readers may share it across threads. Arenas and buffers: fr_buf.h.
 */
#ifndef FR_SPAN_H
#define FR_SPAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "fr_buf.h"

/* ---- the model ---- */

struct fr_str {
	const char *p; /* NUL-terminated, never NULL in a decoded batch */
	uint32_t len;
};

enum fr_value_type {
	FR_VAL_EMPTY = 0,
	FR_VAL_STRING,
	FR_VAL_BOOL,
	FR_VAL_INT,
	FR_VAL_DOUBLE,
	FR_VAL_ARRAY,
	FR_VAL_KVLIST,
	FR_VAL_BYTES,
};

struct fr_kv;

struct fr_value {
	uint8_t type; /* enum fr_value_type */
	union {
		struct fr_str s;
		bool b;
		int64_t i;
		double d;
		struct {
			struct fr_value *v;
			uint32_t n;
		} arr;
		struct {
			struct fr_kv *kv;
			uint32_t n;
		} kvlist;
		struct {
			const uint8_t *p;
			uint32_t len;
		} bytes;
	};
};

struct fr_kv {
	struct fr_str key;
	struct fr_value value;
};

struct fr_attrs {
	struct fr_kv *kv;
	uint32_t n;
	uint32_t dropped; /* as received plus any over the decoder's limit */
};

struct fr_resource {
	struct fr_attrs attrs;
	struct fr_str schema_url;
	struct fr_str service_name; /* service.name, "" when absent */
	int64_t pid;                /* process.pid, 0 when absent */
};

struct fr_scope {
	const struct fr_resource *resource;
	struct fr_str name;
	struct fr_str version;
	struct fr_attrs attrs;
	struct fr_str schema_url;
};

struct fr_span_event {
	uint64_t time_ns;
	struct fr_str name;
	struct fr_attrs attrs;
};

struct fr_link {
	uint8_t trace_id[16];
	uint8_t span_id[8];
	struct fr_str trace_state;
	struct fr_attrs attrs;
	uint32_t flags;
};

enum fr_span_kind {
	FR_KIND_UNSPECIFIED = 0,
	FR_KIND_INTERNAL = 1,
	FR_KIND_SERVER = 2,
	FR_KIND_CLIENT = 3,
	FR_KIND_PRODUCER = 4,
	FR_KIND_CONSUMER = 5,
};

enum fr_status_code {
	FR_STATUS_UNSET = 0,
	FR_STATUS_OK = 1,
	FR_STATUS_ERROR = 2,
};

struct fr_span {
	uint8_t trace_id[16];
	uint8_t span_id[8];
	uint8_t parent_span_id[8];
	bool has_parent;
	uint8_t kind;        /* enum fr_span_kind */
	uint8_t status_code; /* enum fr_status_code */
	uint32_t flags;
	uint64_t start_ns;   /* Unix ns */
	uint64_t end_ns;
	struct fr_str name;
	struct fr_str trace_state;
	struct fr_str status_message;
	struct fr_attrs attrs;
	struct fr_span_event *events;
	uint32_t nr_events, dropped_events;
	struct fr_link *links;
	uint32_t nr_links, dropped_links;
	const struct fr_scope *scope; /* scope->resource is the resource */
	int64_t thread_id;            /* thread.id attribute, 0 when absent */
};

/*
 * A decoded request. Spans are grouped: spans sharing a scope are
 * contiguous, scopes of one resource are contiguous.
 */
struct fr_batch {
	struct fr_arena *arena;
	struct fr_resource *resources;
	size_t nr_resources;
	struct fr_scope *scopes;
	size_t nr_scopes;
	struct fr_span *spans;
	size_t nr_spans;
	uint64_t rejected;        /* spans refused while decoding (bad ids, ...) */
	const char *reject_reason; /* the first reason, or NULL */
	struct fr_batch *hold;     /* a batch this one points into (released with it) */
	int refs;
	/* who sent it: the connection's two ends (family AF_UNSPEC: unknown) */
	struct sockaddr_storage peer, local;
};

/* A new empty batch holding one reference. NULL with errno = ENOMEM. */
struct fr_batch *fr_batch__new(size_t arena_hint);
/* Takes one more reference; returns b. Thread-safe. */
struct fr_batch *fr_batch__get(struct fr_batch *b);
/* Drops a reference, freeing at zero. NULL is a no-op. Thread-safe. */
void fr_batch__put(struct fr_batch *b);

/* Decoder limits: beyond these, items are dropped and counted. */
#define FR_MAX_ATTRS 1024
#define FR_MAX_EVENTS 1024
#define FR_MAX_LINKS 1024
#define FR_MAX_VALUE_DEPTH 16

#endif /* FR_SPAN_H */
