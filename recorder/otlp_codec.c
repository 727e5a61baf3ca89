// SPDX-License-Identifier: MIT
/*
 * otlp_codec.c - OTLP trace requests to and from the span model.
 *
 * Protobuf is decoded by protobuf-c (generated from recorder/proto) into the
 * batch's arena, after a schema-guided pre-walk that bounds nesting depth
 * (protobuf-c recurses without limit); then converted to the model, which
 * keeps pointers to the unpacked strings. JSON is parsed by json-c.
 * Encoding to protobuf is direct from the model (sizes first, then bytes).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

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

static const char empty_str[] = "";

static struct fr_str mkstr(const char *p)
{
	struct fr_str s = { p ? p : empty_str, p ? (uint32_t)strlen(p) : 0 };

	return s;
}

static void set_err(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

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

static void *pb_alloc(void *data, size_t size)
{
	return fr_arena__alloc(data, size);
}

static void pb_free(void *data, void *ptr)
{
	(void)data;
	(void)ptr; /* the arena frees everything at once */
}

struct conv {
	struct fr_batch *b;
	bool oom;
};

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

		kv->key = mkstr(in[i]->key);
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
		out->s = mkstr(in->string_value);
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

static void note_reject(struct fr_batch *b, const char *why)
{
	b->rejected++;
	if (!b->reject_reason)
		b->reject_reason = why;
}

/* Values of the well-known attributes the later stages look up. */
static void resource_wellknown(struct fr_resource *r)
{
	r->service_name = mkstr(NULL);
	for (uint32_t i = 0; i < r->attrs.n; i++) {
		const struct fr_kv *kv = &r->attrs.kv[i];

		if (!strcmp(kv->key.p, "service.name") && kv->value.type == FR_VAL_STRING)
			r->service_name = kv->value.s;
		else if (!strcmp(kv->key.p, "process.pid") && kv->value.type == FR_VAL_INT)
			r->pid = kv->value.i;
	}
}

static void span_wellknown(struct fr_span *s)
{
	for (uint32_t i = 0; i < s->attrs.n; i++) {
		const struct fr_kv *kv = &s->attrs.kv[i];

		if (!strcmp(kv->key.p, "thread.id") && kv->value.type == FR_VAL_INT)
			s->thread_id = kv->value.i;
	}
}

/* Checks ids; false (and counted) when the span must be refused. */
static bool ids_ok(struct fr_batch *b, const struct fr_span *s)
{
	if (fr_all_zero(s->trace_id, 16)) {
		note_reject(b, "invalid trace id");
		return false;
	}
	if (fr_all_zero(s->span_id, 8)) {
		note_reject(b, "invalid span id");
		return false;
	}
	return true;
}

static int conv_span(struct conv *c, const PbSpan *in, const struct fr_scope *scope,
		     struct fr_span *s)
{
	struct fr_batch *b = c->b;

	memset(s, 0, sizeof(*s));
	if (in->trace_id.len != 16 || in->span_id.len != 8 ||
	    (in->parent_span_id.len != 0 && in->parent_span_id.len != 8)) {
		note_reject(b, "invalid trace or span id length");
		return 1;
	}
	memcpy(s->trace_id, in->trace_id.data, 16);
	memcpy(s->span_id, in->span_id.data, 8);
	if (in->parent_span_id.len == 8 && !fr_all_zero(in->parent_span_id.data, 8)) {
		memcpy(s->parent_span_id, in->parent_span_id.data, 8);
		s->has_parent = true;
	}
	if (!ids_ok(b, s))
		return 1;
	s->flags = in->flags;
	s->kind = in->kind <= 5 ? (uint8_t)in->kind : FR_KIND_UNSPECIFIED;
	s->start_ns = in->start_time_unix_nano;
	s->end_ns = in->end_time_unix_nano;
	s->name = mkstr(in->name);
	s->trace_state = mkstr(in->trace_state);
	s->status_message = mkstr(in->status ? in->status->message : NULL);
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
		s->events[i].name = mkstr(e->name);
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
		ol->trace_state = mkstr(l->trace_state);
		ol->flags = l->flags;
		if (conv_kvs(c, l->attributes, l->n_attributes, l->dropped_attributes_count,
			     &ol->attrs, 0))
			return -ENOMEM;
	}
	span_wellknown(s);
	return 0;
}

int fr_otlp__decode_proto(const uint8_t *buf, size_t len, struct fr_batch **out, char *err,
			  size_t errlen)
{
	ProtobufCAllocator alloc = { pb_alloc, pb_free, NULL };
	size_t nr_rs = 0, nr_ss = 0, nr_spans = 0;
	struct conv c = { 0 };
	struct fr_batch *b;
	PbRequest *req;
	int rc;

	*out = NULL;
	rc = prewalk(buf, buf + len, T_REQ, 0);
	if (rc) {
		set_err(err, errlen, rc == -E2BIG ? "values nested too deeply"
						  : "malformed protobuf");
		return -EBADMSG;
	}
	b = fr_batch__new(len * 3 + 4096);
	if (!b)
		return -ENOMEM;
	fr_arena__set_limit(b->arena, FR_OTLP_MAX_DECODED_BYTES);
	alloc.allocator_data = b->arena;
	req = opentelemetry__proto__collector__trace__v1__export_trace_service_request__unpack(
		&alloc, len, buf);
	if (!req) {
		bool big = fr_arena__bytes(b->arena) + (64u << 20) > FR_OTLP_MAX_DECODED_BYTES;

		fr_batch__put(b);
		set_err(err, errlen, big ? "request too large once decoded"
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

		r->schema_url = mkstr(rs->schema_url);
		if (rs->resource && conv_kvs(&c, rs->resource->attributes,
					     rs->resource->n_attributes,
					     rs->resource->dropped_attributes_count, &r->attrs, 0))
			goto oom;
		resource_wellknown(r);
		for (size_t j = 0; j < rs->n_scope_spans; j++) {
			const PbScopeSpans *ss = rs->scope_spans[j];
			struct fr_scope *sc = &b->scopes[b->nr_scopes++];

			sc->resource = r;
			sc->schema_url = mkstr(ss->schema_url);
			sc->name = mkstr(ss->scope ? ss->scope->name : NULL);
			sc->version = mkstr(ss->scope ? ss->scope->version : NULL);
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
	set_err(err, errlen, "out of memory decoding the request");
	return -E2BIG;
}

/* ------------------------------------------------------------------ */
/* JSON into the model                                                 */

static struct json_object *jget(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!o || !json_object_is_type(o, json_type_object))
		return NULL;
	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static struct fr_str jstr(struct conv *c, struct json_object *v)
{
	const char *s;
	size_t len;
	char *p;

	if (!v || !json_object_is_type(v, json_type_string))
		return mkstr(NULL);
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	p = fr_arena__strndup(c->b->arena, s, len);
	if (!p) {
		c->oom = true;
		return mkstr(NULL);
	}
	return (struct fr_str){ p, (uint32_t)len };
}

/* 64-bit integers come as JSON numbers or as decimal strings. */
static bool jint64(struct json_object *v, int64_t *out)
{
	if (!v)
		return false;
	if (json_object_is_type(v, json_type_int)) {
		*out = json_object_get_int64(v);
		return true;
	}
	if (json_object_is_type(v, json_type_double)) {
		double d = json_object_get_double(v);

		if (!isfinite(d) || d != (double)(int64_t)d)
			return false;
		*out = (int64_t)d;
		return true;
	}
	if (json_object_is_type(v, json_type_string)) {
		const char *s = json_object_get_string(v);
		char *end;

		errno = 0;
		*out = strtoll(s, &end, 10);
		return *s && !*end && !errno;
	}
	return false;
}

static uint64_t juint64(struct json_object *v)
{
	if (v && json_object_is_type(v, json_type_string)) {
		const char *s = json_object_get_string(v);
		char *end;
		unsigned long long u;

		errno = 0;
		u = strtoull(s, &end, 10);
		return (*s && !*end && !errno) ? u : 0;
	}
	if (v && json_object_is_type(v, json_type_int))
		return json_object_get_uint64(v);
	if (v && json_object_is_type(v, json_type_double) && json_object_get_double(v) >= 0)
		return (uint64_t)json_object_get_double(v);
	return 0;
}

static uint32_t juint32(struct json_object *v)
{
	uint64_t u = juint64(v);

	return u > UINT32_MAX ? UINT32_MAX : (uint32_t)u;
}

static int jvalue(struct conv *c, struct json_object *in, struct fr_value *out, int depth);

static void jkvs(struct conv *c, struct json_object *arr, uint32_t dropped, struct fr_attrs *out,
		 int depth)
{
	size_t n = arr && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr)
								    : 0;
	size_t keep = n < FR_MAX_ATTRS ? n : FR_MAX_ATTRS;

	memset(out, 0, sizeof(*out));
	out->dropped = dropped + (uint32_t)(n - keep);
	out->kv = keep ? fr_arena__alloc(c->b->arena, keep * sizeof(*out->kv)) : NULL;
	if (keep && !out->kv) {
		c->oom = true;
		return;
	}
	for (size_t i = 0; i < keep; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		struct fr_kv *kv = &out->kv[out->n];

		if (!e || !json_object_is_type(e, json_type_object)) {
			out->dropped++;
			continue;
		}
		kv->key = jstr(c, jget(e, "key"));
		jvalue(c, jget(e, "value"), &kv->value, depth + 1);
		out->n++;
	}
}

static int jvalue(struct conv *c, struct json_object *in, struct fr_value *out, int depth)
{
	struct json_object *v;

	memset(out, 0, sizeof(*out));
	if (!in || depth > FR_MAX_VALUE_DEPTH)
		return 0;
	if ((v = jget(in, "stringValue"))) {
		out->type = FR_VAL_STRING;
		out->s = jstr(c, v);
	} else if ((v = jget(in, "boolValue"))) {
		out->type = FR_VAL_BOOL;
		out->b = json_object_get_boolean(v);
	} else if ((v = jget(in, "intValue"))) {
		if (jint64(v, &out->i))
			out->type = FR_VAL_INT;
	} else if ((v = jget(in, "doubleValue"))) {
		out->type = FR_VAL_DOUBLE;
		if (json_object_is_type(v, json_type_string))
			out->d = strtod(json_object_get_string(v), NULL); /* "NaN", "Infinity" */
		else
			out->d = json_object_get_double(v);
	} else if ((v = jget(in, "bytesValue"))) {
		/* base64 per the protobuf JSON mapping */
		struct fr_str s = jstr(c, v);
		uint8_t *p = fr_arena__alloc(c->b->arena, s.len * 3 / 4 + 3);
		uint32_t n = 0, acc = 0, bits = 0;

		if (!p) {
			c->oom = true;
			return 0;
		}
		for (uint32_t i = 0; i < s.len; i++) {
			char ch = s.p[i];
			int d = ch >= 'A' && ch <= 'Z' ? ch - 'A' : ch >= 'a' && ch <= 'z' ? ch - 'a' + 26
				: ch >= '0' && ch <= '9' ? ch - '0' + 52 : (ch == '+' || ch == '-') ? 62
				: (ch == '/' || ch == '_') ? 63 : -1;

			if (d < 0)
				continue; /* padding */
			acc = acc << 6 | (uint32_t)d;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				p[n++] = (uint8_t)(acc >> bits);
			}
		}
		out->type = FR_VAL_BYTES;
		out->bytes.p = p;
		out->bytes.len = n;
	} else if ((v = jget(in, "arrayValue"))) {
		struct json_object *vals = jget(v, "values");
		size_t n = vals && json_object_is_type(vals, json_type_array)
				   ? json_object_array_length(vals) : 0;

		if (n > FR_MAX_ATTRS)
			n = FR_MAX_ATTRS;
		out->type = FR_VAL_ARRAY;
		out->arr.v = n ? fr_arena__alloc(c->b->arena, n * sizeof(*out->arr.v)) : NULL;
		if (n && !out->arr.v) {
			c->oom = true;
			return 0;
		}
		for (size_t i = 0; i < n; i++)
			jvalue(c, json_object_array_get_idx(vals, i), &out->arr.v[i], depth + 1);
		out->arr.n = (uint32_t)n;
	} else if ((v = jget(in, "kvlistValue"))) {
		struct fr_attrs a;

		jkvs(c, jget(v, "values"), 0, &a, depth);
		out->type = FR_VAL_KVLIST;
		out->kvlist.kv = a.kv;
		out->kvlist.n = a.n;
	}
	return 0;
}

/* OTLP JSON ids are hex; an empty or absent id is "none". */
static bool jid(struct json_object *v, uint8_t *out, size_t n, bool *present)
{
	const char *s;
	size_t len;

	memset(out, 0, n);
	*present = false;
	if (!v)
		return true;
	if (!json_object_is_type(v, json_type_string))
		return false;
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (!len)
		return true;
	*present = true;
	return fr_unhex(s, len, out, n);
}

static int jkind(struct json_object *v)
{
	static const char *const names[] = { "SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL",
					     "SPAN_KIND_SERVER", "SPAN_KIND_CLIENT",
					     "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER" };
	int64_t k;

	if (v && json_object_is_type(v, json_type_string)) {
		for (int i = 0; i < 6; i++)
			if (!strcmp(json_object_get_string(v), names[i]))
				return i;
	}
	return jint64(v, &k) && k >= 0 && k <= 5 ? (int)k : 0;
}

static void jspan(struct conv *c, struct json_object *in, const struct fr_scope *scope)
{
	struct fr_batch *b = c->b;
	struct fr_span *s = &b->spans[b->nr_spans];
	struct json_object *st = jget(in, "status"), *evs, *lks;
	bool have_trace, have_span, have_parent;
	int64_t code;

	memset(s, 0, sizeof(*s));
	if (!json_object_is_type(in, json_type_object) ||
	    !jid(jget(in, "traceId"), s->trace_id, 16, &have_trace) ||
	    !jid(jget(in, "spanId"), s->span_id, 8, &have_span) ||
	    !jid(jget(in, "parentSpanId"), s->parent_span_id, 8, &have_parent)) {
		note_reject(b, "invalid trace or span id");
		return;
	}
	s->has_parent = have_parent && !fr_all_zero(s->parent_span_id, 8);
	if (!ids_ok(b, s))
		return;
	s->scope = scope;
	s->name = jstr(c, jget(in, "name"));
	s->trace_state = jstr(c, jget(in, "traceState"));
	s->flags = juint32(jget(in, "flags"));
	s->kind = (uint8_t)jkind(jget(in, "kind"));
	s->start_ns = juint64(jget(in, "startTimeUnixNano"));
	s->end_ns = juint64(jget(in, "endTimeUnixNano"));
	s->status_message = jstr(c, jget(st, "message"));
	s->status_code = jint64(jget(st, "code"), &code) && code >= 0 && code <= 2 ? (uint8_t)code
										  : 0;
	if (st && json_object_is_type(jget(st, "code"), json_type_string)) {
		const char *n = json_object_get_string(jget(st, "code"));

		s->status_code = !strcmp(n, "STATUS_CODE_OK") ? 1 : !strcmp(n, "STATUS_CODE_ERROR") ? 2
											  : s->status_code;
	}
	jkvs(c, jget(in, "attributes"), juint32(jget(in, "droppedAttributesCount")), &s->attrs, 0);
	evs = jget(in, "events");
	if (evs && json_object_is_type(evs, json_type_array)) {
		size_t n = json_object_array_length(evs);

		s->nr_events = (uint32_t)(n < FR_MAX_EVENTS ? n : FR_MAX_EVENTS);
		s->dropped_events = (uint32_t)(n - s->nr_events);
		s->events = fr_arena__zalloc(b->arena, (s->nr_events + 1) * sizeof(*s->events));
		if (!s->events) {
			c->oom = true;
			return;
		}
		for (uint32_t i = 0; i < s->nr_events; i++) {
			struct json_object *e = json_object_array_get_idx(evs, i);

			s->events[i].time_ns = juint64(jget(e, "timeUnixNano"));
			s->events[i].name = jstr(c, jget(e, "name"));
			jkvs(c, jget(e, "attributes"), juint32(jget(e, "droppedAttributesCount")),
			     &s->events[i].attrs, 0);
		}
	}
	s->dropped_events += juint32(jget(in, "droppedEventsCount"));
	lks = jget(in, "links");
	if (lks && json_object_is_type(lks, json_type_array)) {
		size_t n = json_object_array_length(lks);

		s->nr_links = (uint32_t)(n < FR_MAX_LINKS ? n : FR_MAX_LINKS);
		s->dropped_links = (uint32_t)(n - s->nr_links);
		s->links = fr_arena__zalloc(b->arena, (s->nr_links + 1) * sizeof(*s->links));
		if (!s->links) {
			c->oom = true;
			return;
		}
		for (uint32_t i = 0; i < s->nr_links; i++) {
			struct json_object *l = json_object_array_get_idx(lks, i);
			bool p;

			jid(jget(l, "traceId"), s->links[i].trace_id, 16, &p);
			jid(jget(l, "spanId"), s->links[i].span_id, 8, &p);
			s->links[i].trace_state = jstr(c, jget(l, "traceState"));
			s->links[i].flags = juint32(jget(l, "flags"));
			jkvs(c, jget(l, "attributes"), juint32(jget(l, "droppedAttributesCount")),
			     &s->links[i].attrs, 0);
		}
	}
	s->dropped_links += juint32(jget(in, "droppedLinksCount"));
	span_wellknown(s);
	b->nr_spans++;
}

static size_t jarray_len(struct json_object *a)
{
	return a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

int fr_otlp__decode_json(const char *buf, size_t len, struct fr_batch **out, char *err,
			 size_t errlen)
{
	struct json_tokener *tok = json_tokener_new_ex(16 + 3 * FR_MAX_VALUE_DEPTH);
	struct json_object *root, *rss;
	size_t nr_rs, nr_ss = 0, nr_spans = 0;
	struct conv c = { 0 };
	struct fr_batch *b;

	*out = NULL;
	if (!tok)
		return -ENOMEM;
	if (len > INT32_MAX) {
		json_tokener_free(tok);
		set_err(err, errlen, "request too large");
		return -E2BIG;
	}
	root = json_tokener_parse_ex(tok, buf, (int)len);
	if (!root || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) < len) {
		/* trailing whitespace is fine */
		size_t end = root ? json_tokener_get_parse_end(tok) : 0;
		bool only_space = root != NULL;

		for (size_t i = end; only_space && i < len; i++)
			only_space = buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\r' ||
				     buf[i] == '\t';
		if (!only_space) {
			char msg[160];

			enum json_tokener_error je = json_tokener_get_error(tok);

			snprintf(msg, sizeof(msg), "malformed JSON: %s",
				 root ? "trailing data"
				 : je == json_tokener_continue ? "unexpected end of input"
				 : json_tokener_error_desc(je));
			set_err(err, errlen, msg);
			json_object_put(root);
			json_tokener_free(tok);
			return -EBADMSG;
		}
	}
	json_tokener_free(tok);
	if (!json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		set_err(err, errlen, "the request is not a JSON object");
		return -EBADMSG;
	}
	rss = jget(root, "resourceSpans");
	if (rss && !json_object_is_type(rss, json_type_array)) {
		json_object_put(root);
		set_err(err, errlen, "resourceSpans is not an array");
		return -EBADMSG;
	}
	nr_rs = jarray_len(rss);
	for (size_t i = 0; i < nr_rs; i++) {
		struct json_object *sss = jget(json_object_array_get_idx(rss, i), "scopeSpans");

		nr_ss += jarray_len(sss);
		for (size_t j = 0; j < jarray_len(sss); j++)
			nr_spans += jarray_len(jget(json_object_array_get_idx(sss, j), "spans"));
	}
	b = fr_batch__new(len + 4096);
	if (!b) {
		json_object_put(root);
		return -ENOMEM;
	}
	fr_arena__set_limit(b->arena, FR_OTLP_MAX_DECODED_BYTES);
	c.b = b;
	b->resources = fr_arena__zalloc(b->arena, (nr_rs + 1) * sizeof(*b->resources));
	b->scopes = fr_arena__zalloc(b->arena, (nr_ss + 1) * sizeof(*b->scopes));
	b->spans = fr_arena__alloc(b->arena, (nr_spans + 1) * sizeof(*b->spans));
	if (!b->resources || !b->scopes || !b->spans)
		c.oom = true;
	for (size_t i = 0; i < nr_rs && !c.oom; i++) {
		struct json_object *rs = json_object_array_get_idx(rss, i);
		struct json_object *res = jget(rs, "resource"), *sss = jget(rs, "scopeSpans");
		struct fr_resource *r = &b->resources[b->nr_resources++];

		r->schema_url = jstr(&c, jget(rs, "schemaUrl"));
		jkvs(&c, jget(res, "attributes"), juint32(jget(res, "droppedAttributesCount")),
		     &r->attrs, 0);
		resource_wellknown(r);
		for (size_t j = 0; j < jarray_len(sss) && !c.oom; j++) {
			struct json_object *ss = json_object_array_get_idx(sss, j);
			struct json_object *scope = jget(ss, "scope"), *spans = jget(ss, "spans");
			struct fr_scope *sc = &b->scopes[b->nr_scopes++];

			sc->resource = r;
			sc->schema_url = jstr(&c, jget(ss, "schemaUrl"));
			sc->name = jstr(&c, jget(scope, "name"));
			sc->version = jstr(&c, jget(scope, "version"));
			jkvs(&c, jget(scope, "attributes"),
			     juint32(jget(scope, "droppedAttributesCount")), &sc->attrs, 0);
			for (size_t k = 0; k < jarray_len(spans) && !c.oom; k++)
				jspan(&c, json_object_array_get_idx(spans, k), sc);
		}
	}
	json_object_put(root);
	if (c.oom) {
		fr_batch__put(b);
		set_err(err, errlen, "request too large once decoded");
		return -E2BIG;
	}
	*out = b;
	return 0;
}

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

static const struct fr_resource empty_resource = { .service_name = { empty_str, 0 },
						   .schema_url = { empty_str, 0 } };
static const struct fr_scope empty_scope = { .resource = &empty_resource,
					     .name = { empty_str, 0 },
					     .version = { empty_str, 0 },
					     .schema_url = { empty_str, 0 } };

static const struct fr_scope *scope_of(const struct fr_span *s)
{
	return s->scope ? s->scope : &empty_scope;
}

static size_t scope_msg_size(const struct fr_scope *sc)
{
	return str_size(1, sc->name) + str_size(2, sc->version) +
	       kvs_size(3, sc->attrs.kv, sc->attrs.n) + uint_size(4, sc->attrs.dropped);
}

/* Spans [i, j) share one scope. */
static size_t scope_spans_size(const struct fr_span *spans, size_t i, size_t j)
{
	const struct fr_scope *sc = scope_of(&spans[i]);
	size_t n = ld_size(1, scope_msg_size(sc)) + str_size(3, sc->schema_url);

	for (size_t k = i; k < j; k++)
		n += ld_size(2, span_size(&spans[k]));
	return n;
}

static size_t scope_end(const struct fr_span *spans, size_t i, size_t n)
{
	size_t j = i + 1;

	while (j < n && scope_of(&spans[j]) == scope_of(&spans[i]))
		j++;
	return j;
}

static size_t resource_end(const struct fr_span *spans, size_t i, size_t n)
{
	size_t j = i + 1;

	while (j < n && scope_of(&spans[j])->resource == scope_of(&spans[i])->resource)
		j++;
	return j;
}

void fr_otlp__encode_proto(const struct fr_span *spans, size_t n, struct fr_buf *out)
{
	for (size_t i = 0; i < n;) {
		size_t rend = resource_end(spans, i, n), rs_size;
		const struct fr_resource *r = scope_of(&spans[i])->resource;
		size_t res_size = kvs_size(1, r->attrs.kv, r->attrs.n) + uint_size(2, r->attrs.dropped);

		rs_size = ld_size(1, res_size) + str_size(3, r->schema_url);
		for (size_t k = i; k < rend; k = scope_end(spans, k, rend))
			rs_size += ld_size(2, scope_spans_size(spans, k, scope_end(spans, k, rend)));
		fr_buf__reserve(out, ld_size(1, rs_size));
		put_tag(out, 1, 2);
		put_varint(out, rs_size);
		put_tag(out, 1, 2);
		put_varint(out, res_size);
		put_kvs(out, 1, r->attrs.kv, r->attrs.n);
		put_uint(out, 2, r->attrs.dropped);
		for (size_t k = i; k < rend;) {
			size_t kend = scope_end(spans, k, rend);
			const struct fr_scope *sc = scope_of(&spans[k]);

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

/* ------------------------------------------------------------------ */
/* Model to OTLP JSON                                                  */

static void json_value(struct fr_buf *o, const struct fr_value *v);

static void json_kvs(struct fr_buf *o, const struct fr_kv *kv, uint32_t n)
{
	fr_buf__putc(o, '[');
	for (uint32_t i = 0; i < n; i++) {
		if (i)
			fr_buf__putc(o, ',');
		fr_buf__put(o, "{\"key\":", 7);
		fr_buf__json_str(o, kv[i].key.p, kv[i].key.len);
		fr_buf__put(o, ",\"value\":", 9);
		json_value(o, &kv[i].value);
		fr_buf__putc(o, '}');
	}
	fr_buf__putc(o, ']');
}

static void json_value(struct fr_buf *o, const struct fr_value *v)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	switch (v->type) {
	case FR_VAL_STRING:
		fr_buf__put(o, "{\"stringValue\":", 15);
		fr_buf__json_str(o, v->s.p, v->s.len);
		fr_buf__putc(o, '}');
		break;
	case FR_VAL_BOOL:
		fr_buf__printf(o, "{\"boolValue\":%s}", v->b ? "true" : "false");
		break;
	case FR_VAL_INT:
		fr_buf__printf(o, "{\"intValue\":\"%" PRId64 "\"}", v->i);
		break;
	case FR_VAL_DOUBLE:
		if (isnan(v->d))
			fr_buf__put(o, "{\"doubleValue\":\"NaN\"}", 21);
		else if (isinf(v->d))
			fr_buf__printf(o, "{\"doubleValue\":\"%sInfinity\"}", v->d < 0 ? "-" : "");
		else
			fr_buf__printf(o, "{\"doubleValue\":%.17g}", v->d);
		break;
	case FR_VAL_BYTES:
		fr_buf__put(o, "{\"bytesValue\":\"", 15);
		for (uint32_t i = 0; i < v->bytes.len; i += 3) {
			uint32_t n = v->bytes.len - i, w = (uint32_t)v->bytes.p[i] << 16;
			char q[4];

			if (n > 1)
				w |= (uint32_t)v->bytes.p[i + 1] << 8;
			if (n > 2)
				w |= v->bytes.p[i + 2];
			q[0] = b64[w >> 18 & 63];
			q[1] = b64[w >> 12 & 63];
			q[2] = n > 1 ? b64[w >> 6 & 63] : '=';
			q[3] = n > 2 ? b64[w & 63] : '=';
			fr_buf__put(o, q, 4);
		}
		fr_buf__put(o, "\"}", 2);
		break;
	case FR_VAL_ARRAY:
		fr_buf__put(o, "{\"arrayValue\":{\"values\":[", 25);
		for (uint32_t i = 0; i < v->arr.n; i++) {
			if (i)
				fr_buf__putc(o, ',');
			json_value(o, &v->arr.v[i]);
		}
		fr_buf__put(o, "]}}", 3);
		break;
	case FR_VAL_KVLIST:
		fr_buf__put(o, "{\"kvlistValue\":{\"values\":", 25);
		json_kvs(o, v->kvlist.kv, v->kvlist.n);
		fr_buf__put(o, "}}", 2);
		break;
	default:
		fr_buf__put(o, "{}", 2);
	}
}

static void json_id(struct fr_buf *o, const char *key, const uint8_t *id, size_t n)
{
	char hex[33];

	fr_hex(id, n, hex);
	fr_buf__printf(o, "\"%s\":\"%s\"", key, hex);
}

static void json_span_body(struct fr_buf *o, const struct fr_span *s)
{
	json_id(o, "traceId", s->trace_id, 16);
	fr_buf__putc(o, ',');
	json_id(o, "spanId", s->span_id, 8);
	if (s->has_parent) {
		fr_buf__putc(o, ',');
		json_id(o, "parentSpanId", s->parent_span_id, 8);
	}
	if (s->trace_state.len) {
		fr_buf__put(o, ",\"traceState\":", 14);
		fr_buf__json_str(o, s->trace_state.p, s->trace_state.len);
	}
	fr_buf__printf(o, ",\"flags\":%u,\"name\":", s->flags);
	fr_buf__json_str(o, s->name.p, s->name.len);
	fr_buf__printf(o,
		       ",\"kind\":%u,\"startTimeUnixNano\":\"%" PRIu64
		       "\",\"endTimeUnixNano\":\"%" PRIu64 "\",\"attributes\":",
		       s->kind, s->start_ns, s->end_ns);
	json_kvs(o, s->attrs.kv, s->attrs.n);
	fr_buf__printf(o, ",\"droppedAttributesCount\":%u,\"events\":[", s->attrs.dropped);
	for (uint32_t i = 0; i < s->nr_events; i++) {
		const struct fr_span_event *e = &s->events[i];

		fr_buf__printf(o, "%s{\"timeUnixNano\":\"%" PRIu64 "\",\"name\":", i ? "," : "",
			       e->time_ns);
		fr_buf__json_str(o, e->name.p, e->name.len);
		fr_buf__put(o, ",\"attributes\":", 14);
		json_kvs(o, e->attrs.kv, e->attrs.n);
		fr_buf__printf(o, ",\"droppedAttributesCount\":%u}", e->attrs.dropped);
	}
	fr_buf__printf(o, "],\"droppedEventsCount\":%u,\"links\":[", s->dropped_events);
	for (uint32_t i = 0; i < s->nr_links; i++) {
		const struct fr_link *l = &s->links[i];

		fr_buf__put(o, i ? ",{" : "{", i ? 2 : 1);
		json_id(o, "traceId", l->trace_id, 16);
		fr_buf__putc(o, ',');
		json_id(o, "spanId", l->span_id, 8);
		fr_buf__put(o, ",\"traceState\":", 14);
		fr_buf__json_str(o, l->trace_state.p, l->trace_state.len);
		fr_buf__put(o, ",\"attributes\":", 14);
		json_kvs(o, l->attrs.kv, l->attrs.n);
		fr_buf__printf(o, ",\"droppedAttributesCount\":%u,\"flags\":%u}", l->attrs.dropped,
			       l->flags);
	}
	fr_buf__printf(o, "],\"droppedLinksCount\":%u,\"status\":{\"message\":", s->dropped_links);
	fr_buf__json_str(o, s->status_message.p, s->status_message.len);
	fr_buf__printf(o, ",\"code\":%u}", s->status_code);
}

static void json_resource(struct fr_buf *o, const struct fr_resource *r)
{
	fr_buf__put(o, "{\"attributes\":", 14);
	json_kvs(o, r->attrs.kv, r->attrs.n);
	fr_buf__printf(o, ",\"droppedAttributesCount\":%u}", r->attrs.dropped);
}

static void json_scope(struct fr_buf *o, const struct fr_scope *sc)
{
	fr_buf__put(o, "{\"name\":", 8);
	fr_buf__json_str(o, sc->name.p, sc->name.len);
	fr_buf__put(o, ",\"version\":", 11);
	fr_buf__json_str(o, sc->version.p, sc->version.len);
	fr_buf__put(o, ",\"attributes\":", 14);
	json_kvs(o, sc->attrs.kv, sc->attrs.n);
	fr_buf__printf(o, ",\"droppedAttributesCount\":%u}", sc->attrs.dropped);
}

void fr_otlp__span_json(const struct fr_span *s, struct fr_buf *out)
{
	fr_buf__putc(out, '{');
	json_span_body(out, s);
	fr_buf__put(out, ",\"resource\":", 12);
	json_resource(out, scope_of(s)->resource);
	fr_buf__put(out, ",\"scope\":", 9);
	json_scope(out, scope_of(s));
	fr_buf__putc(out, '}');
}

void fr_otlp__encode_json(const struct fr_span *spans, size_t n, struct fr_buf *out)
{
	fr_buf__put(out, "{\"resourceSpans\":[", 18);
	for (size_t i = 0; i < n;) {
		size_t rend = resource_end(spans, i, n);
		const struct fr_resource *r = scope_of(&spans[i])->resource;

		fr_buf__put(out, i ? ",{\"resource\":" : "{\"resource\":", i ? 13 : 12);
		json_resource(out, r);
		fr_buf__put(out, ",\"scopeSpans\":[", 15);
		for (size_t k = i; k < rend;) {
			size_t kend = scope_end(spans, k, rend);

			fr_buf__put(out, k > i ? ",{\"scope\":" : "{\"scope\":", k > i ? 10 : 9);
			json_scope(out, scope_of(&spans[k]));
			fr_buf__put(out, ",\"spans\":[", 10);
			for (size_t m = k; m < kend; m++) {
				fr_buf__put(out, m > k ? ",{" : "{", m > k ? 2 : 1);
				json_span_body(out, &spans[m]);
				fr_buf__putc(out, '}');
			}
			fr_buf__put(out, "],\"schemaUrl\":", 14);
			fr_buf__json_str(out, scope_of(&spans[k])->schema_url.p,
					 scope_of(&spans[k])->schema_url.len);
			fr_buf__putc(out, '}');
			k = kend;
		}
		fr_buf__put(out, "],\"schemaUrl\":", 14);
		fr_buf__json_str(out, r->schema_url.p, r->schema_url.len);
		fr_buf__putc(out, '}');
		i = rend;
	}
	fr_buf__put(out, "]}", 2);
}

/* ------------------------------------------------------------------ */
/* Responses                                                           */

void fr_otlp__response(bool json, uint64_t rejected, const char *message, struct fr_buf *out)
{
	struct fr_str msg = mkstr(message);

	if (json) {
		if (!rejected && !msg.len) {
			fr_buf__put(out, "{}", 2);
			return;
		}
		fr_buf__printf(out, "{\"partialSuccess\":{\"rejectedSpans\":\"%" PRIu64
				    "\",\"errorMessage\":", rejected);
		fr_buf__json_str(out, msg.p, msg.len);
		fr_buf__put(out, "}}", 2);
		return;
	}
	if (!rejected && !msg.len)
		return; /* an empty ExportTraceServiceResponse */
	put_tag(out, 1, 2);
	put_varint(out, uint_size(1, rejected) + str_size(2, msg));
	put_uint(out, 1, rejected);
	put_str(out, 2, msg);
}

void fr_otlp__status(bool json, int code, const char *message, struct fr_buf *out)
{
	Google__Rpc__Status st = GOOGLE__RPC__STATUS__INIT;
	size_t n;

	if (json) {
		fr_buf__printf(out, "{\"code\":%d,\"message\":", code);
		fr_buf__json_str(out, message, strlen(message));
		fr_buf__putc(out, '}');
		return;
	}
	st.code = code;
	st.message = (char *)message;
	n = google__rpc__status__get_packed_size(&st);
	fr_buf__reserve(out, n);
	if (out->oom)
		return;
	google__rpc__status__pack(&st, out->p + out->len);
	out->len += n;
}
