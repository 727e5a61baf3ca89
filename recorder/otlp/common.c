// SPDX-License-Identifier: MIT
/*
 * common.c - what the OTLP codec files share (codec.h): the arena
 * allocator for protobuf-c, the well-known attributes, the id checks, how
 * encoders group spans by scope and resource.
 */
#include <string.h>

#include "codec.h"

const char fr_otlp_empty_str[] = "";

static void *arena_alloc(void *data, size_t size)
{
	return fr_arena__alloc(data, size);
}

static void arena_free(void *data, void *ptr)
{
	(void)data;
	(void)ptr; /* the arena frees everything at once */
}

ProtobufCAllocator fr_otlp_arena_allocator(struct fr_arena *a)
{
	ProtobufCAllocator alloc = { arena_alloc, arena_free, a };

	return alloc;
}

void fr_otlp_note_reject(struct fr_batch *b, const char *why)
{
	b->rejected++;
	if (!b->reject_reason)
		b->reject_reason = why;
}

/* Values of the well-known attributes the later stages look up. */
void fr_otlp_resource_wellknown(struct fr_resource *r)
{
	r->service_name = fr_otlp_mkstr(NULL);
	for (uint32_t i = 0; i < r->attrs.n; i++) {
		const struct fr_kv *kv = &r->attrs.kv[i];

		if (!strcmp(kv->key.p, "service.name") && kv->value.type == FR_VAL_STRING)
			r->service_name = kv->value.s;
		else if (!strcmp(kv->key.p, "process.pid") && kv->value.type == FR_VAL_INT)
			r->pid = kv->value.i;
	}
}

void fr_otlp_span_wellknown(struct fr_span *s)
{
	for (uint32_t i = 0; i < s->attrs.n; i++) {
		const struct fr_kv *kv = &s->attrs.kv[i];

		if (!strcmp(kv->key.p, "thread.id") && kv->value.type == FR_VAL_INT)
			s->thread_id = kv->value.i;
	}
}

/* Checks ids; false (and counted) when the span must be refused. */
bool fr_otlp_ids_ok(struct fr_batch *b, const struct fr_span *s)
{
	if (fr_all_zero(s->trace_id, 16)) {
		fr_otlp_note_reject(b, "invalid trace id");
		return false;
	}
	if (fr_all_zero(s->span_id, 8)) {
		fr_otlp_note_reject(b, "invalid span id");
		return false;
	}
	return true;
}

static const struct fr_resource empty_resource = { .service_name = { fr_otlp_empty_str, 0 },
						   .schema_url = { fr_otlp_empty_str, 0 } };
static const struct fr_scope empty_scope = { .resource = &empty_resource,
					     .name = { fr_otlp_empty_str, 0 },
					     .version = { fr_otlp_empty_str, 0 },
					     .schema_url = { fr_otlp_empty_str, 0 } };

const struct fr_scope *fr_otlp_scope_of(const struct fr_span *s)
{
	return s->scope ? s->scope : &empty_scope;
}

size_t fr_otlp_scope_end(const struct fr_span *spans, size_t i, size_t n)
{
	size_t j = i + 1;

	while (j < n && fr_otlp_scope_of(&spans[j]) == fr_otlp_scope_of(&spans[i]))
		j++;
	return j;
}

size_t fr_otlp_resource_end(const struct fr_span *spans, size_t i, size_t n)
{
	size_t j = i + 1;

	while (j < n && fr_otlp_scope_of(&spans[j])->resource == fr_otlp_scope_of(&spans[i])->resource)
		j++;
	return j;
}
