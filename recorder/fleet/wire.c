// SPDX-License-Identifier: MIT
/*
 * wire.c - capture requests and answers as JSON (fr_fleet.h), every bound
 * of what comes from another node checked on the way in.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "fr_fleet.h"

#define WIRE_VERSION 1

bool fr_fleet__valid_node(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (!n || n >= FR_NODE_NAME)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
	}
	return true;
}

static bool unhex(const char *s, uint8_t *out, size_t n)
{
	return s && fr_unhex(s, strlen(s), out, n);
}

static void put_str(struct fr_buf *b, const char *key, const char *val, bool comma)
{
	fr_buf__printf(b, "%s\"%s\":", comma ? "," : "", key);
	fr_buf__json_str(b, val, strlen(val));
}

int fr_capture_req__encode(const struct fr_capture_req *r, struct fr_buf *out)
{
	char t[33], p[17], a[80];

	fr_hex(r->trace_id, 16, t);
	fr_hex(r->parent_span_id, 8, p);
	fr_buf__printf(out, "{\"v\":%d", WIRE_VERSION);
	put_str(out, "trace", t, true);
	put_str(out, "parent", p, true);
	fr_buf__printf(out, ",\"incident\":\"%016" PRIx64 "\"", r->from_incident);
	if (r->local.ss_family) {
		fr_sockaddr__format(&r->local, a, sizeof(a));
		put_str(out, "local", a, true);
	}
	if (r->remote.ss_family) {
		fr_sockaddr__format(&r->remote, a, sizeof(a));
		put_str(out, "remote", a, true);
	}
	fr_buf__printf(out, ",\"caller\":%s,\"start\":%" PRIu64 ",\"end\":%" PRIu64
			    ",\"hops\":%u,\"max_hops\":%u,\"deadline\":%" PRIu64
			    ",\"broadcast\":%s,\"visited\":[",
		       r->caller ? "true" : "false", r->start_unix_ns, r->end_unix_ns, r->hops,
		       r->max_hops, r->deadline_unix_ns, r->broadcast ? "true" : "false");
	for (uint32_t i = 0; i < r->nr_visited && i < FR_FLEET_MAX_VISITED; i++) {
		if (i)
			fr_buf__putc(out, ',');
		fr_buf__json_str(out, r->visited[i], strlen(r->visited[i]));
	}
	fr_buf__put(out, "]}", 2);
	return out->oom ? -ENOMEM : 0;
}

static const char *get_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool get_u64(json_object *o, const char *key, uint64_t *out)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	errno = 0;
	*out = json_object_get_uint64(v);
	return !errno;
}

static bool get_bool(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_boolean) &&
	       json_object_get_boolean(v);
}

static bool get_id(json_object *o, const char *key, uint64_t *out)
{
	const char *s = get_str(o, key);
	uint8_t b[8];

	if (!s || !unhex(s, b, 8))
		return false;
	*out = 0;
	for (int i = 0; i < 8; i++)
		*out = *out << 8 | b[i];
	return true;
}

#define BAD(...)                                              \
	do {                                                  \
		if (err)                                      \
			snprintf(err, err_len, __VA_ARGS__); \
		goto bad;                                     \
	} while (0)

int fr_capture_req__decode(const char *json, size_t len, uint64_t now_unix, uint32_t max_hops,
			   struct fr_capture_req *r, char *err, size_t err_len)
{
	struct json_tokener *tok = json_tokener_new_ex(8);
	json_object *o = NULL, *vis;
	const char *s;
	uint64_t v;

	memset(r, 0, sizeof(*r));
	if (!tok)
		return -ENOMEM;
	if (len > 16384)
		BAD("request too large");
	o = json_tokener_parse_ex(tok, json, (int)len);
	if (!o || !json_object_is_type(o, json_type_object))
		BAD("not a JSON object");
	if (!get_u64(o, "v", &v) || v != WIRE_VERSION)
		BAD("unknown version");
	if (!unhex(get_str(o, "trace"), r->trace_id, 16))
		BAD("bad trace id");
	if (fr_all_zero(r->trace_id, 16))
		BAD("zero trace id");
	if (!unhex(get_str(o, "parent"), r->parent_span_id, 8))
		BAD("bad parent span id");
	if (!get_id(o, "incident", &r->from_incident))
		BAD("bad incident id");
	if ((s = get_str(o, "local")) && fr_sockaddr__parse(s, &r->local))
		BAD("bad local address");
	if ((s = get_str(o, "remote")) && fr_sockaddr__parse(s, &r->remote))
		BAD("bad remote address");
	r->caller = get_bool(o, "caller");
	r->broadcast = get_bool(o, "broadcast");
	if (!r->broadcast && !r->local.ss_family)
		BAD("no local address");
	if (!get_u64(o, "start", &r->start_unix_ns) || !get_u64(o, "end", &r->end_unix_ns) ||
	    r->end_unix_ns < r->start_unix_ns)
		BAD("bad window");
	if (r->end_unix_ns - r->start_unix_ns > FR_FLEET_MAX_WINDOW_NS)
		BAD("window longer than %llu s", FR_FLEET_MAX_WINDOW_NS / 1000000000ull);
	if (!get_u64(o, "hops", &v) || !v || v > max_hops)
		BAD("hop count out of 1..%u", max_hops);
	r->hops = (uint32_t)v;
	if (!get_u64(o, "max_hops", &v) || v > 64)
		BAD("bad hop limit");
	r->max_hops = (uint32_t)(v < max_hops ? v : max_hops);
	if (r->hops > r->max_hops)
		BAD("hop limit reached");
	/* past its deadline a request is still taken: its answer comes late and
	 * still updates the asker's incident; long past it, it is stale */
	if (!get_u64(o, "deadline", &r->deadline_unix_ns) ||
	    r->deadline_unix_ns + FR_FLEET_LATE_NS <= now_unix)
		BAD("deadline long passed");
	if (r->deadline_unix_ns > now_unix &&
	    r->deadline_unix_ns - now_unix > FR_FLEET_MAX_DEADLINE_NS)
		BAD("deadline too far ahead");
	if (!json_object_object_get_ex(o, "visited", &vis) ||
	    !json_object_is_type(vis, json_type_array))
		BAD("no visited set");
	if (json_object_array_length(vis) > FR_FLEET_MAX_VISITED)
		BAD("visited set larger than %d", FR_FLEET_MAX_VISITED);
	for (size_t i = 0; i < json_object_array_length(vis); i++) {
		json_object *n = json_object_array_get_idx(vis, i);
		const char *name = json_object_is_type(n, json_type_string)
					   ? json_object_get_string(n) : NULL;

		if (!fr_fleet__valid_node(name))
			BAD("bad node name in the visited set");
		snprintf(r->visited[r->nr_visited++], FR_NODE_NAME, "%s", name);
	}
	json_object_put(o);
	json_tokener_free(tok);
	return 0;
bad:
	json_object_put(o);
	json_tokener_free(tok);
	return -EINVAL;
}

static void part_json(struct fr_buf *b, const struct fr_remote_part *p)
{
	fr_buf__printf(b, "{\"incident\":\"%016" PRIx64 "\",\"state\":%u,\"ns\":%" PRIu64
			  ",\"answer_ns\":%" PRIu64,
		       p->incident_id, p->state, p->ns, p->answer_ns);
	put_str(b, "node", p->node, true);
	put_str(b, "endpoint", p->endpoint, true);
	put_str(b, "service", p->service, true);
	put_str(b, "verdict", p->verdict, true);
	put_str(b, "note", p->note, true);
	put_str(b, "via", p->via, true);
	put_str(b, "ui", p->ui, true);
	fr_buf__putc(b, '}');
}

int fr_capture_answer__encode(const struct fr_capture_answer *a, struct fr_buf *out)
{
	fr_buf__printf(out, "{\"v\":%d,\"state\":%u,\"incident\":\"%016" PRIx64 "\"", WIRE_VERSION,
		       a->state, a->incident_id);
	put_str(out, "node", a->node, true);
	put_str(out, "service", a->service, true);
	put_str(out, "verdict", a->verdict, true);
	put_str(out, "note", a->note, true);
	fr_buf__put(out, ",\"parts\":[", 10);
	for (uint32_t i = 0; i < a->nr_parts && i < FR_MAX_REMOTE; i++) {
		if (i)
			fr_buf__putc(out, ',');
		part_json(out, &a->parts[i]);
	}
	fr_buf__put(out, "]}", 2);
	return out->oom ? -ENOMEM : 0;
}

#define COPY(dst, o, key) snprintf((dst), sizeof(dst), "%s", get_str((o), (key)) ?: "")

int fr_capture_answer__decode(const char *json, size_t len, struct fr_capture_answer *a)
{
	struct json_tokener *tok = json_tokener_new_ex(8);
	json_object *o = NULL, *parts;
	uint64_t v;
	int err = -EINVAL;

	memset(a, 0, sizeof(*a));
	if (!tok)
		return -ENOMEM;
	if (len > 65536)
		goto out;
	o = json_tokener_parse_ex(tok, json, (int)len);
	if (!o || !json_object_is_type(o, json_type_object) || !get_u64(o, "v", &v) ||
	    v != WIRE_VERSION || !get_u64(o, "state", &v) || !v || v > FR_REMOTE_ERROR)
		goto out;
	a->state = (uint8_t)v;
	if (!get_id(o, "incident", &a->incident_id))
		goto out;
	COPY(a->node, o, "node");
	if (a->node[0] && !fr_fleet__valid_node(a->node))
		goto out;
	COPY(a->service, o, "service");
	COPY(a->verdict, o, "verdict");
	COPY(a->note, o, "note");
	if (json_object_object_get_ex(o, "parts", &parts) &&
	    json_object_is_type(parts, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(parts) && a->nr_parts < FR_MAX_REMOTE;
		     i++) {
			json_object *p = json_object_array_get_idx(parts, i);
			struct fr_remote_part *r = &a->parts[a->nr_parts];

			if (!json_object_is_type(p, json_type_object) || !get_u64(p, "state", &v) ||
			    !v || v > FR_REMOTE_ERROR || !get_id(p, "incident", &r->incident_id))
				continue;
			r->state = (uint8_t)v;
			get_u64(p, "ns", &r->ns);
			get_u64(p, "answer_ns", &r->answer_ns);
			COPY(r->node, p, "node");
			COPY(r->endpoint, p, "endpoint");
			COPY(r->service, p, "service");
			COPY(r->verdict, p, "verdict");
			COPY(r->note, p, "note");
			COPY(r->via, p, "via");
			COPY(r->ui, p, "ui");
			a->nr_parts++;
		}
	}
	err = 0;
out:
	json_object_put(o);
	json_tokener_free(tok);
	return err;
}
