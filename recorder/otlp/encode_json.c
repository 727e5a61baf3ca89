// SPDX-License-Identifier: MIT
/*
 * encode_json.c - the span model to OTLP JSON.
 */
#include <inttypes.h>
#include <math.h>

#include "codec.h"

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
	json_resource(out, fr_otlp_scope_of(s)->resource);
	fr_buf__put(out, ",\"scope\":", 9);
	json_scope(out, fr_otlp_scope_of(s));
	fr_buf__putc(out, '}');
}

void fr_otlp__encode_json(const struct fr_span *spans, size_t n, struct fr_buf *out)
{
	fr_buf__put(out, "{\"resourceSpans\":[", 18);
	for (size_t i = 0; i < n;) {
		size_t rend = fr_otlp_resource_end(spans, i, n);
		const struct fr_resource *r = fr_otlp_scope_of(&spans[i])->resource;

		fr_buf__put(out, i ? ",{\"resource\":" : "{\"resource\":", i ? 13 : 12);
		json_resource(out, r);
		fr_buf__put(out, ",\"scopeSpans\":[", 15);
		for (size_t k = i; k < rend;) {
			size_t kend = fr_otlp_scope_end(spans, k, rend);

			fr_buf__put(out, k > i ? ",{\"scope\":" : "{\"scope\":", k > i ? 10 : 9);
			json_scope(out, fr_otlp_scope_of(&spans[k]));
			fr_buf__put(out, ",\"spans\":[", 10);
			for (size_t m = k; m < kend; m++) {
				fr_buf__put(out, m > k ? ",{" : "{", m > k ? 2 : 1);
				json_span_body(out, &spans[m]);
				fr_buf__putc(out, '}');
			}
			fr_buf__put(out, "],\"schemaUrl\":", 14);
			fr_buf__json_str(out, fr_otlp_scope_of(&spans[k])->schema_url.p,
					 fr_otlp_scope_of(&spans[k])->schema_url.len);
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
