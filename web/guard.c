// SPDX-License-Identifier: MIT
/*
 * guard.c - what every request of the UI and API must pass: the token
 * (constant-time), the Host header, and for changes their origin and
 * content type (web_int.h).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "web_int.h"

bool fr_web_token_ok(struct fr_web *w, struct MHD_Connection *c)
{
	const char *h, *cookie;

	if (!w->o.token)
		return true;
	h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	if (h && !strncmp(h, "Bearer ", 7) && fr_secret_eq(h + 7, w->o.token))
		return true;
	cookie = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "fr_token");
	return cookie && fr_secret_eq(cookie, w->o.token);
}

/* host (without its port) is one of the names this UI answers to. */
static bool host_known(const struct fr_web *w, const char *host, size_t len)
{
	static const char *const local[] = { "127.0.0.1", "localhost", "[::1]" };
	const char *p = w->o.allowed_hosts;

	for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++)
		if (strlen(local[i]) == len && !strncasecmp(host, local[i], len))
			return true;
	if (strlen(w->listen_host) == len && !strncasecmp(host, w->listen_host, len))
		return true;
	while (p && *p) {
		size_t n = strcspn(p, ",");

		if (n == len && !strncasecmp(host, p, len))
			return true;
		p += n + (p[n] == ',');
	}
	return false;
}

/*
 * "host[:port]" (host may be [v6]) names this UI: a known host and, when a
 * port is given (or must be), ours.
 */
static bool names_us(const struct fr_web *w, const char *hp, bool need_port)
{
	const char *colon = hp[0] == '[' ? strstr(hp, "]:") : strrchr(hp, ':');

	if (colon && hp[0] == '[')
		colon++;
	if (!colon)
		return !need_port && host_known(w, hp, strlen(hp));
	return (unsigned)strtoul(colon + 1, NULL, 10) == w->port &&
	       host_known(w, hp, (size_t)(colon - hp));
}

/*
 * The Host header names this UI (DNS rebinding: a foreign name resolving
 * to 127.0.0.1 must not reach it). Its port must be ours too.
 */
bool fr_web_host_ok(const struct fr_web *w, struct MHD_Connection *c)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);

	return h && *h && names_us(w, h, false);
}

/*
 * A change (POST, PUT, DELETE) from a browser page must come from our own
 * pages: an Origin, when sent, names this UI; a body is JSON (a cross-site
 * form or text/plain post cannot be, without a preflight we never grant).
 */
const char *fr_web_change_refused(const struct fr_web *w, struct MHD_Connection *c,
				  const char *method)
{
	const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
	const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_TYPE);

	if (origin && (strncasecmp(origin, "http://", 7) || !names_us(w, origin + 7, true)))
		return "cross-origin change refused";
	if (strcmp(method, "DELETE") &&
	    (!ct || strncasecmp(ct, "application/json", 16) || (ct[16] && ct[16] != ';')))
		return "a change needs Content-Type: application/json";
	return NULL;
}

/* ---------------- JSON pieces ---------------- */
