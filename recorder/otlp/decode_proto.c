// SPDX-License-Identifier: MIT
/*
 * decode_proto.c - OTLP protobuf request bodies into the span model (fr_otlp.h).
 *
 * Decoded by protobuf-c (generated from recorder/otlp/proto) into the
 * batch's arena, after a schema-guided pre-walk that bounds nesting depth
 * (protobuf-c recurses without limit); then converted to the model, which
 * keeps pointers to the unpacked strings.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "codec.h"

/* ------------------------------------------------------------------ */
/* Pre-walk of the wire format: bounded nesting, well-formed lengths.  */

enum pbt {
	T_NONE, T_REQ, T_RS, T_RES, T_SS, T_SCOPE, T_SPAN, T_EVENT, T_LINK, T_STATUS,
	T_KV, T_ANY, T_ARR, T_KVL,
};

static enum pbt child_type(enum pbt t, uint32_t field)
{
	switch (t) {
	case T_REQ: return field == 1 ? T_RS : T_NONE;
	case T_RS: return field == 1 ? T_RES : field == 2 ? T_SS : T_NONE;
	case T_RES: return field == 1 ? T_KV : T_NONE;
	case T_SS: return field == 1 ? T_SCOPE : field == 2 ? T_SPAN : T_NONE;
	case T_SCOPE: return field == 3 ? T_KV : T_NONE;
	case T_SPAN:
		return field == 9 ? T_KV : field == 11 ? T_EVENT : field == 13 ? T_LINK :
		       field == 15 ? T_STATUS : T_NONE;
	case T_EVENT: return field == 3 ? T_KV : T_NONE;
	case T_LINK: return field == 4 ? T_KV : T_NONE;
	case T_KV: return field == 2 ? T_ANY : T_NONE;
	case T_ANY: return field == 5 ? T_ARR : field == 6 ? T_KVL : T_NONE;
	case T_ARR: return field == 1 ? T_ANY : T_NONE;
	case T_KVL: return field == 1 ? T_KV : T_NONE;
	default: return T_NONE;
	}
}

static bool read_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t r = 0;

	for (int shift = 0; shift < 64 && *p < end; shift += 7) {
		uint8_t b = *(*p)++;

		r |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = r;
			return true;
		}
	}
	return false;
}

#define MAX_WIRE_DEPTH (8 + 2 * FR_MAX_VALUE_DEPTH + 2)

/* 0, or -EBADMSG (malformed) / -E2BIG (too deep). */
static int prewalk(const uint8_t *p, const uint8_t *end, enum pbt t, int depth)
{
	if (depth > MAX_WIRE_DEPTH)
		return -E2BIG;
	while (p < end) {
		uint64_t key, len;
		uint32_t field, wt;

		if (!read_varint(&p, end, &key))
			return -EBADMSG;
		field = (uint32_t)(key >> 3);
		wt = key & 7;
		if (!field)
			return -EBADMSG;
		switch (wt) {
		case 0:
			if (!read_varint(&p, end, &len))
				return -EBADMSG;
			break;
		case 1:
			if (end - p < 8)
				return -EBADMSG;
			p += 8;
			break;
		case 5:
			if (end - p < 4)
				return -EBADMSG;
			p += 4;
			break;
		case 2: {
			enum pbt ct;
			int err;

			if (!read_varint(&p, end, &len) || len > (uint64_t)(end - p))
				return -EBADMSG;
			ct = child_type(t, field);
			if (ct != T_NONE) {
				err = prewalk(p, p + len, ct, depth + 1);
				if (err)
					return err;
			}
			p += len;
			break;
		}
		default:
			return -EBADMSG; /* groups are not part of OTLP */
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* protobuf-c into the model                                           */

static int conv_value(struct conv *c, const PbAny *in, struct fr_value *out, int depth);

static int conv_kvs(struct conv *c, PbKv *const *in, size_t n, uint32_t dropped,
		    struct fr_attrs *out, int depth)
{
	size_t keep = n < FR_MAX_ATTRS ? n : FR_MAX_ATTRS;

	out->n = 0;
	out->dropped = dropped + (uint32_t)(n - keep);
	out->kv = keep ? fr_arena__alloc(c->b->arena, keep * sizeof(*out->kv)) : NULL;
	if (keep && !out->kv)
		return -ENOMEM;
	for (size_t i = 0; i < keep; i++) {
		struct fr_kv *kv = &out->kv[out->n];

		kv->key = fr_otlp_mkstr(in[i]->key);
		memset(&kv->value, 0, sizeof(kv->value));
		if (in[i]->value && conv_value(c, in[i]->value, &kv->value, depth + 1))
			return -ENOMEM;
		out->n++;
	}
	return 0;
}

static int conv_value(struct conv *c, const PbAny *in, struct fr_value *out, int depth)
{
	memset(out, 0, sizeof(*out));
	if (depth > FR_MAX_VALUE_DEPTH)
		return 0; /* left empty: the pre-walk bounds depth already */
	switch (in->value_case) {
	case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE:
		out->type = FR_VAL_STRING;
		out->s = fr_otlp_mkstr(in->string_value);
		break;
	case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BOOL_VALUE:
		out->type = FR_VAL_BOOL;
		out->b = in->bool_value;
		break;
	case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE:
		out->type = FR_VAL_INT;
		out->i = in->int_value;
		break;
	case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_DOUBLE_VALUE:
		out->type = FR_VAL_DOUBLE;
		out->d = in->double_value;
		break;
	case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BYTES_VALUE:
		out->type = FR_VAL_BYTES;
		out->bytes.p = in->bytes_value.data;
		out->bytes.len = (uint32_t)in->bytes_value.len;
		break;
	case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_ARRAY_VALUE: {
		size_t n = in->array_value ? in->array_value->n_values : 0;

		out->type = FR_VAL_ARRAY;
		if (n > FR_MAX_ATTRS)
			n = FR_MAX_ATTRS;
		out->arr.v = n ? fr_arena__alloc(c->b->arena, n * sizeof(*out->arr.v)) : NULL;
		if (n && !out->arr.v)
			return -ENOMEM;
		for (size_t i = 0; i < n; i++)
			if (conv_value(c, in->array_value->values[i], &out->arr.v[i], depth + 1))
				return -ENOMEM;
		out->arr.n = (uint32_t)n;
		break;
	}
	case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_KVLIST_VALUE: {
		struct fr_attrs a;

		out->type = FR_VAL_KVLIST;
		if (in->kvlist_value &&
		    conv_kvs(c, in->kvlist_value->values, in->kvlist_value->n_values, 0, &a, depth))
			return -ENOMEM;
		out->kvlist.kv = in->kvlist_value ? a.kv : NULL;
		out->kvlist.n = in->kvlist_value ? a.n : 0;
		break;
	}
	default:
		break;
	}
	return 0;
}

static int conv_span(struct conv *c, const PbSpan *in, const struct fr_scope *scope,
		     struct fr_span *s)
{
	struct fr_batch *b = c->b;

	memset(s, 0, sizeof(*s));
	if (in->trace_id.len != 16 || in->span_id.len != 8 ||
	    (in->parent_span_id.len != 0 && in->parent_span_id.len != 8)) {
		fr_otlp_note_reject(b, "invalid trace or span id length");
		return 1;
	}
	memcpy(s->trace_id, in->trace_id.data, 16);
	memcpy(s->span_id, in->span_id.data, 8);
	if (in->parent_span_id.len == 8 && !fr_all_zero(in->parent_span_id.data, 8)) {
		memcpy(s->parent_span_id, in->parent_span_id.data, 8);
		s->has_parent = true;
	}
	if (!fr_otlp_ids_ok(b, s))
		return 1;
	s->flags = in->flags;
	s->kind = in->kind <= 5 ? (uint8_t)in->kind : FR_KIND_UNSPECIFIED;
	s->start_ns = in->start_time_unix_nano;
	s->end_ns = in->end_time_unix_nano;
	s->name = fr_otlp_mkstr(in->name);
	s->trace_state = fr_otlp_mkstr(in->trace_state);
	s->status_message = fr_otlp_mkstr(in->status ? in->status->message : NULL);
	s->status_code = in->status && in->status->code <= 2 ? (uint8_t)in->status->code : 0;
	s->scope = scope;
	if (conv_kvs(c, in->attributes, in->n_attributes, in->dropped_attributes_count,
		     &s->attrs, 0))
		return -ENOMEM;
	s->nr_events = (uint32_t)(in->n_events < FR_MAX_EVENTS ? in->n_events : FR_MAX_EVENTS);
	s->dropped_events = in->dropped_events_count + (uint32_t)(in->n_events - s->nr_events);
	s->events = s->nr_events ? fr_arena__alloc(b->arena, s->nr_events * sizeof(*s->events))
				 : NULL;
	if (s->nr_events && !s->events)
		return -ENOMEM;
	for (uint32_t i = 0; i < s->nr_events; i++) {
		const PbEvent *e = in->events[i];

		s->events[i].time_ns = e->time_unix_nano;
		s->events[i].name = fr_otlp_mkstr(e->name);
		if (conv_kvs(c, e->attributes, e->n_attributes, e->dropped_attributes_count,
			     &s->events[i].attrs, 0))
			return -ENOMEM;
	}
	s->nr_links = (uint32_t)(in->n_links < FR_MAX_LINKS ? in->n_links : FR_MAX_LINKS);
	s->dropped_links = in->dropped_links_count + (uint32_t)(in->n_links - s->nr_links);
	s->links = s->nr_links ? fr_arena__zalloc(b->arena, s->nr_links * sizeof(*s->links)) : NULL;
	if (s->nr_links && !s->links)
		return -ENOMEM;
	for (uint32_t i = 0; i < s->nr_links; i++) {
		const PbLink *l = in->links[i];
		struct fr_link *ol = &s->links[i];

		if (l->trace_id.len == 16)
			memcpy(ol->trace_id, l->trace_id.data, 16);
		if (l->span_id.len == 8)
			memcpy(ol->span_id, l->span_id.data, 8);
		ol->trace_state = fr_otlp_mkstr(l->trace_state);
		ol->flags = l->flags;
		if (conv_kvs(c, l->attributes, l->n_attributes, l->dropped_attributes_count,
			     &ol->attrs, 0))
			return -ENOMEM;
	}
	fr_otlp_span_wellknown(s);
	return 0;
}

int fr_otlp__decode_proto(const uint8_t *buf, size_t len, struct fr_batch **out, char *err,
			  size_t errlen)
{
	ProtobufCAllocator alloc;
	size_t nr_rs = 0, nr_ss = 0, nr_spans = 0;
	struct conv c = { 0 };
	struct fr_batch *b;
	PbRequest *req;
	int rc;

	*out = NULL;
	if (!len)
		buf = (const uint8_t *)""; /* an empty request: no pointer arithmetic on NULL */
	rc = prewalk(buf, buf + len, T_REQ, 0);
	if (rc) {
		fr_otlp_set_err(err, errlen, rc == -E2BIG ? "values nested too deeply"
						  : "malformed protobuf");
		return -EBADMSG;
	}
	b = fr_batch__new(len * 3 + 4096);
	if (!b)
		return -ENOMEM;
	fr_arena__set_limit(b->arena, FR_OTLP_MAX_DECODED_BYTES);
	alloc = fr_otlp_arena_allocator(b->arena);
	req = opentelemetry__proto__collector__trace__v1__export_trace_service_request__unpack(
		&alloc, len, buf);
	if (!req) {
		bool big = fr_arena__bytes(b->arena) + (64u << 20) > FR_OTLP_MAX_DECODED_BYTES;

		fr_batch__put(b);
		fr_otlp_set_err(err, errlen, big ? "request too large once decoded"
					 : "invalid ExportTraceServiceRequest");
		return big ? -E2BIG : -EBADMSG;
	}
	c.b = b;
	for (size_t i = 0; i < req->n_resource_spans; i++) {
		nr_rs++;
		for (size_t j = 0; j < req->resource_spans[i]->n_scope_spans; j++) {
			nr_ss++;
			nr_spans += req->resource_spans[i]->scope_spans[j]->n_spans;
		}
	}
	b->resources = fr_arena__zalloc(b->arena, (nr_rs + 1) * sizeof(*b->resources));
	b->scopes = fr_arena__zalloc(b->arena, (nr_ss + 1) * sizeof(*b->scopes));
	b->spans = fr_arena__alloc(b->arena, (nr_spans + 1) * sizeof(*b->spans));
	if (!b->resources || !b->scopes || !b->spans)
		goto oom;
	for (size_t i = 0; i < req->n_resource_spans; i++) {
		const PbResourceSpans *rs = req->resource_spans[i];
		struct fr_resource *r = &b->resources[b->nr_resources++];

		r->schema_url = fr_otlp_mkstr(rs->schema_url);
		if (rs->resource && conv_kvs(&c, rs->resource->attributes,
					     rs->resource->n_attributes,
					     rs->resource->dropped_attributes_count, &r->attrs, 0))
			goto oom;
		fr_otlp_resource_wellknown(r);
		for (size_t j = 0; j < rs->n_scope_spans; j++) {
			const PbScopeSpans *ss = rs->scope_spans[j];
			struct fr_scope *sc = &b->scopes[b->nr_scopes++];

			sc->resource = r;
			sc->schema_url = fr_otlp_mkstr(ss->schema_url);
			sc->name = fr_otlp_mkstr(ss->scope ? ss->scope->name : NULL);
			sc->version = fr_otlp_mkstr(ss->scope ? ss->scope->version : NULL);
			if (ss->scope && conv_kvs(&c, ss->scope->attributes, ss->scope->n_attributes,
						  ss->scope->dropped_attributes_count, &sc->attrs, 0))
				goto oom;
			for (size_t k = 0; k < ss->n_spans; k++) {
				rc = conv_span(&c, ss->spans[k], sc, &b->spans[b->nr_spans]);
				if (rc < 0)
					goto oom;
				if (rc == 0)
					b->nr_spans++;
			}
		}
	}
	*out = b;
	return 0;
oom:
	fr_batch__put(b);
	fr_otlp_set_err(err, errlen, "out of memory decoding the request");
	return -E2BIG;
}
