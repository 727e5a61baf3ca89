/* SPDX-License-Identifier: MIT */
/*
 * fr_web.h - the web UI and JSON API (libmicrohttpd), 127.0.0.1:8080 by
 * default.
 *
 *   GET    /api/incidents?service=&name=&from=&to=&min_ms=&cursor=&limit=
 *   GET    /api/incidents/ID              summary + the whole snapshot
 *   GET    /api/incidents/ID/snapshot     the .frsnap (download)
 *   GET    /api/incidents/ID/perfetto     Chrome/Perfetto trace events (download)
 *   DELETE /api/incidents/ID
 *   GET    /api/rules                     rules with their captures
 *   POST   /api/rules  {"rule":"p99,name=POST /checkout"}
 *   DELETE /api/rules/ID
 *   GET    /api/operations                live count, p50, p99 per operation
 *   GET    /api/status                    rings, events, drops, store, exporter, uptime
 *   GET    /metrics                       Prometheus text
 *   GET    /, /incidents/ID, /triggers, /status   the pages (assets compiled in)
 *
 * A token, when set, is needed for every request (Authorization: Bearer,
 * or the cookie set by visiting /?token=...), compared in constant time;
 * binding beyond loopback requires one. Every request's Host must name
 * this UI (DNS rebinding). Changes (POST, PUT, DELETE) from a page of
 * another origin are refused, and their bodies must be JSON.
 */
#ifndef FR_WEB_H
#define FR_WEB_H

#include <stddef.h>
#include <stdint.h>

#include "fr_status.h"
#include "fr_store.h"
#include "fr_trigger.h"

#define FR_WEB_DEFAULT_LISTEN "127.0.0.1:8080"

struct fr_web_opts {
	size_t sz;
	const char *listen;           /* ADDR:PORT; port 0 = any */
	const char *token;            /* NULL = none (loopback only) */
	struct fr_store *store;       /* required */
	struct fr_trigger *trig;      /* may be NULL */
	struct fr_baselines *baselines; /* /api/baselines; may be NULL */
	struct fr_series *series;     /* /api/operations/chart; may be NULL */
	struct fr_status_history *history; /* /api/status/history; may be NULL */
	/* the figures of /api/status and /metrics (fr_status.h); NULL: only
	 * those of the store and the triggers */
	void (*status)(void *ctx, struct fr_status *out);
	/* after a rule change through the API (the daemon saves the rules) */
	void (*rules_changed)(void *ctx);
	void *ctx;                    /* for status and rules_changed */
	const char *allowed_hosts;    /* more names for the Host header, comma-separated
				       * (localhost, 127.0.0.1, [::1] and the listen
				       * address always) */
	size_t max_body;              /* POST bodies; default 64 KiB */
	unsigned max_connections;     /* default 1024 (no per-address limit on loopback) */
	const char *tls_cert;         /* PEM: serve HTTPS (both or neither); NULL: HTTP */
	const char *tls_key;
	/* the fleet: /api/fleet lists its nodes (may be NULL) */
	struct fr_fleet *fleet;
	const char *fleet_url;        /* the fleet view, linked from the pages; NULL none */
	bool fleet_view;              /* this is the fleet view (`flightrec fleet`) */
	/* an incident's .frsnap; NULL: from the store. 0, or -errno with why
	 * (the fleet view fetches it from its node) */
	int (*snapshot)(void *ctx, const struct fr_incident_summary *s, struct fr_buf *out,
			char *why, size_t why_len);
};

struct fr_web;

/* NULL with errno and a logged reason (EINVAL: a non-loopback address without a token). */
struct fr_web *fr_web__start(const struct fr_web_opts *opts);
uint16_t fr_web__port(const struct fr_web *w);
void fr_web__stop(struct fr_web *w);

#endif /* FR_WEB_H */
