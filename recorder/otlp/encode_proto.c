// SPDX-License-Identifier: MIT
/*
 * encode_proto.c - the span model to OTLP protobuf, written directly from the
 * model: sizes first, then bytes.
 */
#include <stdint.h>

#include "codec.h"

/* ------------------------------------------------------------------ */
/* Model to protobuf: sizes first, then bytes.                         */

static size_t varint_size(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static void put_varint(struct fr_buf *o, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;

	while (v >= 0x80) {
		tmp[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	tmp[n++] = (uint8_t)v;
	fr_buf__put(o, tmp, n);
}

static void put_tag(struct fr_buf *o, uint32_t field, uint32_t wt)
{
	put_varint(o, (uint64_t)field << 3 | wt);
}

/* Size of a length-delimited field carrying len bytes. */
static size_t ld_size(uint32_t field, size_t len)
{
	return varint_size((uint64_t)field << 3) + varint_size(len) + len;
}

static void put_ld(struct fr_buf *o, uint32_t field, const void *p, size_t len)
{
	put_tag(o, field, 2);
	put_varint(o, len);
	fr_buf__put(o, p, len);
}

/* Proto3: empty strings and zero numbers are not written. */
static size_t str_size(uint32_t field, struct fr_str s)
{
	return s.len ? ld_size(field, s.len) : 0;
}

static void put_str(struct fr_buf *o, uint32_t field, struct fr_str s)
{
	if (s.len)
		put_ld(o, field, s.p, s.len);
}

static size_t fixed64_size(uint32_t field, uint64_t v)
{
	return v ? varint_size((uint64_t)field << 3) + 8 : 0;
}

static void put_fixed64(struct fr_buf *o, uint32_t field, uint64_t v)
{
	if (!v)
		return;
	put_tag(o, field, 1);
	fr_buf__put(o, &v, 8); /* little-endian host */
}

static size_t fixed32_size(uint32_t field, uint32_t v)
{
	return v ? varint_size((uint64_t)field << 3) + 4 : 0;
}

static void put_fixed32(struct fr_buf *o, uint32_t field, uint32_t v)
{
	if (!v)
		return;
	put_tag(o, field, 5);
	fr_buf__put(o, &v, 4);
}

static size_t uint_size(uint32_t field, uint64_t v)
{
	return v ? varint_size((uint64_t)field << 3) + varint_size(v) : 0;
}

static void put_uint(struct fr_buf *o, uint32_t field, uint64_t v)
{
	if (!v)
		return;
	put_tag(o, field, 0);
	put_varint(o, v);
}

static size_t value_size(const struct fr_value *v);
static void put_value(struct fr_buf *o, const struct fr_value *v);

static size_t kv_size(const struct fr_kv *kv)
{
	size_t vs = value_size(&kv->value);

	return str_size(1, kv->key) + (kv->value.type ? ld_size(2, vs) : 0);
}

static void put_kv(struct fr_buf *o, const struct fr_kv *kv)
{
	put_str(o, 1, kv->key);
	if (kv->value.type) {
		put_tag(o, 2, 2);
		put_varint(o, value_size(&kv->value));
		put_value(o, &kv->value);
	}
}

static size_t kvs_size(uint32_t field, const struct fr_kv *kv, uint32_t n)
{
	size_t s = 0;

	for (uint32_t i = 0; i < n; i++)
		s += ld_size(field, kv_size(&kv[i]));
	return s;
}

static void put_kvs(struct fr_buf *o, uint32_t field, const struct fr_kv *kv, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		put_tag(o, field, 2);
		put_varint(o, kv_size(&kv[i]));
		put_kv(o, &kv[i]);
	}
}

static size_t value_size(const struct fr_value *v)
{
	size_t s = 0;

	switch (v->type) {
	case FR_VAL_STRING:
		return ld_size(1, v->s.len); /* oneof: written even when empty */
	case FR_VAL_BOOL:
		return 2;
	case FR_VAL_INT:
		return 1 + varint_size((uint64_t)v->i);
	case FR_VAL_DOUBLE:
		return 9;
	case FR_VAL_BYTES:
		return ld_size(7, v->bytes.len);
	case FR_VAL_ARRAY:
		for (uint32_t i = 0; i < v->arr.n; i++)
			s += ld_size(1, value_size(&v->arr.v[i]));
		return ld_size(5, s);
	case FR_VAL_KVLIST:
		return ld_size(6, kvs_size(1, v->kvlist.kv, v->kvlist.n));
	default:
		return 0;
	}
}

static void put_value(struct fr_buf *o, const struct fr_value *v)
{
	size_t s = 0;

	switch (v->type) {
	case FR_VAL_STRING:
		put_ld(o, 1, v->s.p, v->s.len);
		break;
	case FR_VAL_BOOL:
		put_tag(o, 2, 0);
		put_varint(o, v->b ? 1 : 0);
		break;
	case FR_VAL_INT:
		put_tag(o, 3, 0);
		put_varint(o, (uint64_t)v->i);
		break;
	case FR_VAL_DOUBLE:
		put_tag(o, 4, 1);
		fr_buf__put(o, &v->d, 8);
		break;
	case FR_VAL_BYTES:
		put_ld(o, 7, v->bytes.p, v->bytes.len);
		break;
	case FR_VAL_ARRAY:
		for (uint32_t i = 0; i < v->arr.n; i++)
			s += ld_size(1, value_size(&v->arr.v[i]));
		put_tag(o, 5, 2);
		put_varint(o, s);
		for (uint32_t i = 0; i < v->arr.n; i++) {
			put_tag(o, 1, 2);
			put_varint(o, value_size(&v->arr.v[i]));
			put_value(o, &v->arr.v[i]);
		}
		break;
	case FR_VAL_KVLIST:
		put_tag(o, 6, 2);
		put_varint(o, kvs_size(1, v->kvlist.kv, v->kvlist.n));
		put_kvs(o, 1, v->kvlist.kv, v->kvlist.n);
		break;
	default:
		break;
	}
}

static size_t event_size(const struct fr_span_event *e)
{
	return fixed64_size(1, e->time_ns) + str_size(2, e->name) +
	       kvs_size(3, e->attrs.kv, e->attrs.n) + uint_size(4, e->attrs.dropped);
}

static size_t link_size(const struct fr_link *l)
{
	return ld_size(1, 16) + ld_size(2, 8) + str_size(3, l->trace_state) +
	       kvs_size(4, l->attrs.kv, l->attrs.n) + uint_size(5, l->attrs.dropped) +
	       fixed32_size(6, l->flags);
}

static size_t status_size(const struct fr_span *s)
{
	return str_size(2, s->status_message) + uint_size(3, s->status_code);
}

static size_t span_size(const struct fr_span *s)
{
	size_t n = ld_size(1, 16) + ld_size(2, 8) + str_size(3, s->trace_state) +
		   (s->has_parent ? ld_size(4, 8) : 0) + fixed32_size(16, s->flags) +
		   str_size(5, s->name) + uint_size(6, s->kind) + fixed64_size(7, s->start_ns) +
		   fixed64_size(8, s->end_ns) + kvs_size(9, s->attrs.kv, s->attrs.n) +
		   uint_size(10, s->attrs.dropped) + uint_size(12, s->dropped_events) +
		   uint_size(14, s->dropped_links);
	size_t st = status_size(s);

	for (uint32_t i = 0; i < s->nr_events; i++)
		n += ld_size(11, event_size(&s->events[i]));
	for (uint32_t i = 0; i < s->nr_links; i++)
		n += ld_size(13, link_size(&s->links[i]));
	if (st)
		n += ld_size(15, st);
	return n;
}

static void put_span(struct fr_buf *o, const struct fr_span *s)
{
	size_t st = status_size(s);

	put_ld(o, 1, s->trace_id, 16);
	put_ld(o, 2, s->span_id, 8);
	put_str(o, 3, s->trace_state);
	if (s->has_parent)
		put_ld(o, 4, s->parent_span_id, 8);
	put_str(o, 5, s->name);
	put_uint(o, 6, s->kind);
	put_fixed64(o, 7, s->start_ns);
	put_fixed64(o, 8, s->end_ns);
	put_kvs(o, 9, s->attrs.kv, s->attrs.n);
	put_uint(o, 10, s->attrs.dropped);
	for (uint32_t i = 0; i < s->nr_events; i++) {
		const struct fr_span_event *e = &s->events[i];

		put_tag(o, 11, 2);
		put_varint(o, event_size(e));
		put_fixed64(o, 1, e->time_ns);
		put_str(o, 2, e->name);
		put_kvs(o, 3, e->attrs.kv, e->attrs.n);
		put_uint(o, 4, e->attrs.dropped);
	}
	put_uint(o, 12, s->dropped_events);
	for (uint32_t i = 0; i < s->nr_links; i++) {
		const struct fr_link *l = &s->links[i];

		put_tag(o, 13, 2);
		put_varint(o, link_size(l));
		put_ld(o, 1, l->trace_id, 16);
		put_ld(o, 2, l->span_id, 8);
		put_str(o, 3, l->trace_state);
		put_kvs(o, 4, l->attrs.kv, l->attrs.n);
		put_uint(o, 5, l->attrs.dropped);
		put_fixed32(o, 6, l->flags);
	}
	put_uint(o, 14, s->dropped_links);
	if (st) {
		put_tag(o, 15, 2);
		put_varint(o, st);
		put_str(o, 2, s->status_message);
		put_uint(o, 3, s->status_code);
	}
	put_fixed32(o, 16, s->flags);
}

static size_t scope_msg_size(const struct fr_scope *sc)
{
	return str_size(1, sc->name) + str_size(2, sc->version) +
	       kvs_size(3, sc->attrs.kv, sc->attrs.n) + uint_size(4, sc->attrs.dropped);
}

/* Spans [i, j) share one scope. */
static size_t scope_spans_size(const struct fr_span *spans, size_t i, size_t j)
{
	const struct fr_scope *sc = fr_otlp_scope_of(&spans[i]);
	size_t n = ld_size(1, scope_msg_size(sc)) + str_size(3, sc->schema_url);

	for (size_t k = i; k < j; k++)
		n += ld_size(2, span_size(&spans[k]));
	return n;
}

void fr_otlp__encode_proto(const struct fr_span *spans, size_t n, struct fr_buf *out)
{
	for (size_t i = 0; i < n;) {
		size_t rend = fr_otlp_resource_end(spans, i, n), rs_size;
		const struct fr_resource *r = fr_otlp_scope_of(&spans[i])->resource;
		size_t res_size = kvs_size(1, r->attrs.kv, r->attrs.n) + uint_size(2, r->attrs.dropped);

		rs_size = ld_size(1, res_size) + str_size(3, r->schema_url);
		for (size_t k = i; k < rend; k = fr_otlp_scope_end(spans, k, rend))
			rs_size += ld_size(2, scope_spans_size(spans, k, fr_otlp_scope_end(spans, k, rend)));
		fr_buf__reserve(out, ld_size(1, rs_size));
		put_tag(out, 1, 2);
		put_varint(out, rs_size);
		put_tag(out, 1, 2);
		put_varint(out, res_size);
		put_kvs(out, 1, r->attrs.kv, r->attrs.n);
		put_uint(out, 2, r->attrs.dropped);
		for (size_t k = i; k < rend;) {
			size_t kend = fr_otlp_scope_end(spans, k, rend);
			const struct fr_scope *sc = fr_otlp_scope_of(&spans[k]);

			put_tag(out, 2, 2);
			put_varint(out, scope_spans_size(spans, k, kend));
			put_tag(out, 1, 2);
			put_varint(out, scope_msg_size(sc));
			put_str(out, 1, sc->name);
			put_str(out, 2, sc->version);
			put_kvs(out, 3, sc->attrs.kv, sc->attrs.n);
			put_uint(out, 4, sc->attrs.dropped);
			for (; k < kend; k++) {
				put_tag(out, 2, 2);
				put_varint(out, span_size(&spans[k]));
				put_span(out, &spans[k]);
			}
			put_str(out, 3, sc->schema_url);
		}
		put_str(out, 3, r->schema_url);
		i = rend;
	}
}
