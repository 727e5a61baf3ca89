// SPDX-License-Identifier: MIT
/*
 * pb_message.c - the span model as protobuf-c messages (fr_otlp_pb.h).
 * Proto3 semantics as the wire encoder writes them: an absent parent id is
 * empty, a status is present only when it says something.
 */
#include "codec.h"
#include "fr_otlp_pb.h"

typedef Opentelemetry__Proto__Trace__V1__Status PbStatus;

#define ANEW(a, type, n) ((type *)fr_arena__zalloc((a), sizeof(type) * ((n) ? (n) : 1)))

static PbAny *value_pb(struct fr_arena *a, const struct fr_value *v);

static PbKv **kvs_pb(struct fr_arena *a, const struct fr_kv *kv, uint32_t n)
{
	PbKv **out = ANEW(a, PbKv *, n);

	if (!out)
		return NULL;
	for (uint32_t i = 0; i < n; i++) {
		out[i] = ANEW(a, PbKv, 1);
		if (!out[i])
			return NULL;
		opentelemetry__proto__common__v1__key_value__init(out[i]);
		out[i]->key = (char *)kv[i].key.p;
		out[i]->value = value_pb(a, &kv[i].value);
		if (!out[i]->value)
			return NULL;
	}
	return out;
}

static PbAny *value_pb(struct fr_arena *a, const struct fr_value *v)
{
	PbAny *o = ANEW(a, PbAny, 1);

	if (!o)
		return NULL;
	opentelemetry__proto__common__v1__any_value__init(o);
	switch (v->type) {
	case FR_VAL_STRING:
		o->value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE;
		o->string_value = (char *)v->s.p;
		break;
	case FR_VAL_BOOL:
		o->value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BOOL_VALUE;
		o->bool_value = v->b;
		break;
	case FR_VAL_INT:
		o->value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE;
		o->int_value = v->i;
		break;
	case FR_VAL_DOUBLE:
		o->value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_DOUBLE_VALUE;
		o->double_value = v->d;
		break;
	case FR_VAL_BYTES:
		o->value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BYTES_VALUE;
		o->bytes_value.data = (uint8_t *)v->bytes.p;
		o->bytes_value.len = v->bytes.len;
		break;
	case FR_VAL_ARRAY: {
		Opentelemetry__Proto__Common__V1__ArrayValue *arr = ANEW(a, typeof(*arr), 1);

		if (!arr)
			return NULL;
		opentelemetry__proto__common__v1__array_value__init(arr);
		arr->values = ANEW(a, PbAny *, v->arr.n);
		if (!arr->values)
			return NULL;
		for (uint32_t i = 0; i < v->arr.n; i++)
			if (!(arr->values[arr->n_values++] = value_pb(a, &v->arr.v[i])))
				return NULL;
		o->value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_ARRAY_VALUE;
		o->array_value = arr;
		break;
	}
	case FR_VAL_KVLIST: {
		Opentelemetry__Proto__Common__V1__KeyValueList *l = ANEW(a, typeof(*l), 1);

		if (!l)
			return NULL;
		opentelemetry__proto__common__v1__key_value_list__init(l);
		l->values = kvs_pb(a, v->kvlist.kv, v->kvlist.n);
		if (!l->values)
			return NULL;
		l->n_values = v->kvlist.n;
		o->value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_KVLIST_VALUE;
		o->kvlist_value = l;
		break;
	}
	default:
		break; /* empty: no case set */
	}
	return o;
}

static ProtobufCBinaryData bytes(const uint8_t *p, size_t n)
{
	return (ProtobufCBinaryData){ n, (uint8_t *)p };
}

/* Events and links of s into o; false when out of memory. */
static bool events_links_pb(struct fr_arena *a, const struct fr_span *s, PbSpan *o)
{
	o->events = ANEW(a, PbEvent *, s->nr_events);
	o->links = ANEW(a, PbLink *, s->nr_links);
	if (!o->events || !o->links)
		return false;
	for (uint32_t i = 0; i < s->nr_events; i++) {
		const struct fr_span_event *e = &s->events[i];
		PbEvent *pe = ANEW(a, PbEvent, 1);

		if (!pe)
			return false;
		opentelemetry__proto__trace__v1__span__event__init(pe);
		pe->time_unix_nano = e->time_ns;
		pe->name = (char *)e->name.p;
		pe->attributes = kvs_pb(a, e->attrs.kv, e->attrs.n);
		if (!pe->attributes)
			return false;
		pe->n_attributes = e->attrs.n;
		pe->dropped_attributes_count = e->attrs.dropped;
		o->events[o->n_events++] = pe;
	}
	for (uint32_t i = 0; i < s->nr_links; i++) {
		const struct fr_link *l = &s->links[i];
		PbLink *pl = ANEW(a, PbLink, 1);

		if (!pl)
			return false;
		opentelemetry__proto__trace__v1__span__link__init(pl);
		pl->trace_id = bytes(l->trace_id, 16);
		pl->span_id = bytes(l->span_id, 8);
		pl->trace_state = (char *)l->trace_state.p;
		pl->attributes = kvs_pb(a, l->attrs.kv, l->attrs.n);
		if (!pl->attributes)
			return false;
		pl->n_attributes = l->attrs.n;
		pl->dropped_attributes_count = l->attrs.dropped;
		pl->flags = l->flags;
		o->links[o->n_links++] = pl;
	}
	return true;
}

PbSpan *fr_otlp_pb__span(struct fr_arena *a, const struct fr_span *s)
{
	PbSpan *o = ANEW(a, PbSpan, 1);

	if (!o)
		return NULL;
	opentelemetry__proto__trace__v1__span__init(o);
	o->trace_id = bytes(s->trace_id, 16);
	o->span_id = bytes(s->span_id, 8);
	o->trace_state = (char *)fr_otlp_mkstr(s->trace_state.p).p;
	o->parent_span_id = bytes(s->parent_span_id, s->has_parent ? 8 : 0);
	o->flags = s->flags;
	o->name = (char *)fr_otlp_mkstr(s->name.p).p;
	o->kind = (Opentelemetry__Proto__Trace__V1__Span__SpanKind)s->kind;
	o->start_time_unix_nano = s->start_ns;
	o->end_time_unix_nano = s->end_ns;
	o->attributes = kvs_pb(a, s->attrs.kv, s->attrs.n);
	if (!o->attributes || !events_links_pb(a, s, o))
		return NULL;
	o->n_attributes = s->attrs.n;
	o->dropped_attributes_count = s->attrs.dropped;
	o->dropped_events_count = s->dropped_events;
	o->dropped_links_count = s->dropped_links;
	if (s->status_code || s->status_message.len) {
		PbStatus *st = ANEW(a, PbStatus, 1);

		if (!st)
			return NULL;
		opentelemetry__proto__trace__v1__status__init(st);
		st->code = (Opentelemetry__Proto__Trace__V1__Status__StatusCode)s->status_code;
		st->message = (char *)s->status_message.p;
		o->status = st;
	}
	return o;
}

PbResourceSpans *fr_otlp_pb__resource_spans(struct fr_arena *a, const struct fr_span *s)
{
	const struct fr_scope *sc = s->scope;
	const struct fr_resource *r = sc ? sc->resource : NULL;
	PbResourceSpans *rs = ANEW(a, PbResourceSpans, 1);
	PbScopeSpans *ss = ANEW(a, PbScopeSpans, 1);
	PbResource *res = ANEW(a, PbResource, 1);
	PbScope *scope = ANEW(a, PbScope, 1);

	if (!rs || !ss || !res || !scope)
		return NULL;
	opentelemetry__proto__trace__v1__resource_spans__init(rs);
	opentelemetry__proto__trace__v1__scope_spans__init(ss);
	opentelemetry__proto__resource__v1__resource__init(res);
	opentelemetry__proto__common__v1__instrumentation_scope__init(scope);
	if (r) {
		res->attributes = kvs_pb(a, r->attrs.kv, r->attrs.n);
		if (!res->attributes)
			return NULL;
		res->n_attributes = r->attrs.n;
		res->dropped_attributes_count = r->attrs.dropped;
		rs->schema_url = (char *)fr_otlp_mkstr(r->schema_url.p).p;
	}
	if (sc) {
		scope->name = (char *)fr_otlp_mkstr(sc->name.p).p;
		scope->version = (char *)fr_otlp_mkstr(sc->version.p).p;
		scope->attributes = kvs_pb(a, sc->attrs.kv, sc->attrs.n);
		if (!scope->attributes)
			return NULL;
		scope->n_attributes = sc->attrs.n;
		scope->dropped_attributes_count = sc->attrs.dropped;
		ss->schema_url = (char *)fr_otlp_mkstr(sc->schema_url.p).p;
	}
	rs->resource = res;
	ss->scope = scope;
	ss->spans = ANEW(a, PbSpan *, 1);
	rs->scope_spans = ANEW(a, PbScopeSpans *, 1);
	if (!ss->spans || !rs->scope_spans || !(ss->spans[0] = fr_otlp_pb__span(a, s)))
		return NULL;
	ss->n_spans = 1;
	rs->scope_spans[0] = ss;
	rs->n_scope_spans = 1;
	return rs;
}
