/* SPDX-License-Identifier: MIT */
/*
 * web_int.h - private to web/: the server's state, and the checks every
 * request passes (guard.c).
 */
#ifndef FR_WEB_INT_H
#define FR_WEB_INT_H

#include <stdbool.h>
#include <microhttpd.h>

#include "fr_web.h"

struct fr_web {
	struct fr_web_opts o;
	struct MHD_Daemon *d;
	uint16_t port;
	uint64_t started;
	char listen_host[128]; /* the listen address's host, as a Host header names it */
};

/* The request carries the token (header, or the cookie), or none is set. */
bool fr_web_token_ok(struct fr_web *w, struct MHD_Connection *c);
/* The Host header names this UI (DNS rebinding). */
bool fr_web_host_ok(const struct fr_web *w, struct MHD_Connection *c);
/* Why a change (POST, PUT, DELETE) must be refused, or NULL. */
const char *fr_web_change_refused(const struct fr_web *w, struct MHD_Connection *c,
				  const char *method);

#endif /* FR_WEB_INT_H */
