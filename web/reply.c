// SPDX-License-Identifier: MIT
/*
 * reply.c - what every handler answers with (web_int.h): responses with
 * the security headers, JSON bodies and errors, and query arguments.
 */
#define FR_LOG_MOD "web"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "web_int.h"

static const char csp[] =
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
	"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

enum MHD_Result fr_web_respond(struct MHD_Connection *c, unsigned status, const void *p, size_t len,
			    const char *ctype, const char *disposition, bool cache)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)p, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(r, "Content-Security-Policy", csp);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, cache ? "max-age=300" : "no-store");
	if (disposition)
		MHD_add_response_header(r, "Content-Disposition", disposition);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result fr_web_json(struct MHD_Connection *c, unsigned status, struct fr_buf *b)
{
	enum MHD_Result ret;

	if (b->oom) {
		fr_buf__free(b);
		return fr_web_respond(c, 500, "{\"error\":\"out of memory\"}", 25, "application/json", NULL,
			       false);
	}
	ret = fr_web_respond(c, status, b->p ? (char *)b->p : "", b->len, "application/json", NULL, false);
	fr_buf__free(b);
	return ret;
}

enum MHD_Result fr_web_error(struct MHD_Connection *c, unsigned status, const char *msg)
{
	struct fr_buf b = { 0 };

	fr_buf__put(&b, "{\"error\":", 9);
	fr_buf__json_str(&b, msg, strlen(msg));
	fr_buf__put(&b, "}", 1);
	return fr_web_json(c, status, &b);
}

void fr_web_kv_str(struct fr_buf *b, const char *key, const char *val, bool comma)
{
	fr_buf__printf(b, "%s\"%s\":", comma ? "," : "", key);
	fr_buf__json_str(b, val, strlen(val));
}

bool fr_web_parse_id(const char *s, uint64_t *id)
{
	char *end;

	if (strlen(s) != 16)
		return false;
	for (int i = 0; i < 16; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	*id = strtoull(s, &end, 16);
	return !*end && *id;
}

const char *fr_web_arg(struct MHD_Connection *c, const char *k)
{
	const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, k);

	return v && *v ? v : NULL;
}

bool fr_web_arg_u64(struct MHD_Connection *c, const char *k, uint64_t *out, bool *bad)
{
	const char *v = fr_web_arg(c, k);
	char *end;

	if (!v)
		return false;
	errno = 0;
	*out = strtoull(v, &end, 10);
	if (errno || *end)
		*bad = true;
	return true;
}
