// SPDX-License-Identifier: MIT
/*
 * api_rules.c - the trigger rules: GET /api/rules (with live p50/p99), POST to
 * add one, DELETE /api/rules/ID.
 */
#define FR_LOG_MOD "web"
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "web_int.h"

static const char *type_name(uint8_t t)
{
	return t == FR_RULE_THRESHOLD ? "threshold" : t == FR_RULE_PERCENTILE ? "percentile" : "error";
}

static enum MHD_Result rules(struct fr_web *w, struct MHD_Connection *c, const char *method,
			     const char *rest, struct fr_web_req *r)
{
	struct fr_buf b = { 0 };

	if (!w->o.trig)
		return fr_web_error(c, 404, "no trigger engine");
	if (!strcmp(method, "GET") && !*rest) {
		struct fr_rule rs[FR_MAX_RULES];
		size_t n = fr_trigger__rules(w->o.trig, rs, FR_MAX_RULES);

		fr_buf__put(&b, "{\"rules\":[", 10);
		for (size_t i = 0; i < n && i < FR_MAX_RULES; i++) {
			char text[512];

			fr_rule__format(&rs[i], text, sizeof(text));
			fr_buf__printf(&b, "%s{\"id\":%u,\"type\":\"%s\"", i ? "," : "", rs[i].id,
				       type_name(rs[i].type));
			fr_web_kv_str(&b, "text", text, true);
			fr_web_kv_str(&b, "service", rs[i].service, true);
			fr_web_kv_str(&b, "name", rs[i].name, true);
			fr_buf__printf(&b, ",\"percentile\":%g,\"threshold_ms\":%.3f,\"fired\":%" PRIu64
					  ",\"cooled\":%" PRIu64 "}",
				       rs[i].quantile * 100, rs[i].threshold_ns / 1e6, rs[i].fired,
				       rs[i].cooled);
		}
		fr_buf__put(&b, "]}", 2);
		return fr_web_json(c, 200, &b);
	}
	if (!strcmp(method, "POST") && !*rest) {
		struct json_object *j, *v;
		struct fr_rule rule;
		char err[192];
		uint32_t id;
		int rc;

		if (r->too_large)
			return fr_web_error(c, 413, "request body too large");
		fr_buf__putc(&r->body, '\0');
		j = json_tokener_parse((const char *)r->body.p);
		if (!j || !json_object_object_get_ex(j, "rule", &v) ||
		    !json_object_is_type(v, json_type_string)) {
			json_object_put(j);
			return fr_web_error(c, 400, "expected {\"rule\": \"p99,name=...\"}");
		}
		rc = fr_rule__parse(json_object_get_string(v), &rule, err, sizeof(err));
		json_object_put(j);
		if (rc)
			return fr_web_error(c, 400, err);
		rc = fr_trigger__add_rule(w->o.trig, &rule, &id);
		if (rc)
			return fr_web_error(c, 409, rc == -ENOSPC ? "too many rules" : "cannot add the rule");
		if (w->o.rules_changed)
			w->o.rules_changed(w->o.ctx);
		fr_buf__printf(&b, "{\"id\":%u}", id);
		return fr_web_json(c, 201, &b);
	}
	if (!strcmp(method, "DELETE") && *rest == '/') {
		char *end;
		unsigned long id = strtoul(rest + 1, &end, 10);

		if (*end || !id || rest[1] == '\0')
			return fr_web_error(c, 400, "bad rule id");
		if (fr_trigger__remove_rule(w->o.trig, (uint32_t)id))
			return fr_web_error(c, 404, "no such rule");
		if (w->o.rules_changed)
			w->o.rules_changed(w->o.ctx);
		fr_buf__put(&b, "{\"deleted\":true}", 16);
		return fr_web_json(c, 200, &b);
	}
	return fr_web_error(c, 405, "GET or POST /api/rules, DELETE /api/rules/ID");
}

enum MHD_Result fr_web_api_rules(struct fr_web *w, struct MHD_Connection *c, const char *rest,
				 const char *method, struct fr_web_req *r)
{
	return rules(w, c, method, rest, r);
}
