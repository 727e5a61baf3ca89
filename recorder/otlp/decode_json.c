// SPDX-License-Identifier: MIT
/*
 * decode_json.c - OTLP JSON request bodies into the span model (fr_otlp.h), parsed
 * by json-c.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <json-c/json.h>

#include "codec.h"

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
		return fr_otlp_mkstr(NULL);
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	p = fr_arena__strndup(c->b->arena, s, len);
	if (!p) {
		c->oom = true;
		return fr_otlp_mkstr(NULL);
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

		/* out of int64_t's range the cast itself is undefined */
		if (!isfinite(d) || d < -9223372036854775808.0 || d >= 9223372036854775808.0 ||
		    d != (double)(int64_t)d)
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
		fr_otlp_note_reject(b, "invalid trace or span id");
		return;
	}
	s->has_parent = have_parent && !fr_all_zero(s->parent_span_id, 8);
	if (!fr_otlp_ids_ok(b, s))
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
	fr_otlp_span_wellknown(s);
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
		fr_otlp_set_err(err, errlen, "request too large");
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
			fr_otlp_set_err(err, errlen, msg);
			json_object_put(root);
			json_tokener_free(tok);
			return -EBADMSG;
		}
	}
	json_tokener_free(tok);
	if (!json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		fr_otlp_set_err(err, errlen, "the request is not a JSON object");
		return -EBADMSG;
	}
	rss = jget(root, "resourceSpans");
	if (rss && !json_object_is_type(rss, json_type_array)) {
		json_object_put(root);
		fr_otlp_set_err(err, errlen, "resourceSpans is not an array");
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
		fr_otlp_resource_wellknown(r);
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
		fr_otlp_set_err(err, errlen, "request too large once decoded");
		return -E2BIG;
	}
	*out = b;
	return 0;
}
