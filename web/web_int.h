/* SPDX-License-Identifier: MIT */
/*
 * web_int.h - private to web/: the server's state, the checks every
 * request passes (guard.c), what handlers answer with (reply.c), and the
 * handlers, one file per resource (api_*.c).
 */
#ifndef FR_WEB_INT_H
#define FR_WEB_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <microhttpd.h>

#include "fr_buf.h"
#include "fr_store.h"
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

/* A request's body as it came (up to the limit). */
struct fr_web_req {
	struct fr_buf body;
	bool too_large;
};

/*
 * A resource's handler: rest is the path after the resource's prefix
 * ("" or "/..."); the token, Host and change checks have passed.
 */
typedef enum MHD_Result fr_web_handler_fn(struct fr_web *w, struct MHD_Connection *c,
					  const char *rest, const char *method,
					  struct fr_web_req *r);

fr_web_handler_fn fr_web_api_incidents, fr_web_api_problems, fr_web_api_rules,
	fr_web_api_operations, fr_web_api_baselines, fr_web_api_status, fr_web_api_metrics,
	fr_web_api_fleet;

/* reply.c: a response with the security headers (body copied); cache: may
 * be kept 5 minutes; disposition may be NULL. */
enum MHD_Result fr_web_respond(struct MHD_Connection *c, unsigned status, const void *p,
			       size_t len, const char *ctype, const char *disposition, bool cache);
/* b as an application/json response; frees b (500 when it ran out of memory). */
enum MHD_Result fr_web_json(struct MHD_Connection *c, unsigned status, struct fr_buf *b);
/* {"error": msg} */
enum MHD_Result fr_web_error(struct MHD_Connection *c, unsigned status, const char *msg);
/* ,"key":"val" (no comma when !comma), val JSON-escaped. */
void fr_web_kv_str(struct fr_buf *b, const char *key, const char *val, bool comma);
/* An incident id or signature: 16 lowercase hex digits, not 0. */
bool fr_web_parse_id(const char *s, uint64_t *id);
/* A query argument, NULL when absent or empty. */
const char *fr_web_arg(struct MHD_Connection *c, const char *k);
/* A decimal query argument: false when absent; *bad set when malformed. */
bool fr_web_arg_u64(struct MHD_Connection *c, const char *k, uint64_t *out, bool *bad);
/* api_incidents.c: one incident summary as a JSON object. */
void fr_web_summary_json(struct fr_buf *b, const struct fr_incident_summary *s);

#endif /* FR_WEB_INT_H */
