// SPDX-License-Identifier: MIT
/*
 * api_fleet.c - the fleet: GET /api/fleet, what this UI knows of it (this
 * node's name, the fleet view's address, whether this is the fleet view)
 * and the registry's nodes, each with its last heartbeat, version and
 * incidents over the last hour.
 */
#define FR_LOG_MOD "web"
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fr_clock.h"
#include "fr_fleet.h"
#include "web_int.h"

#define MAX_NODES 1024
#define HOUR_NS (3600ull * 1000000000ull)

/* Incidents the store holds from node over the last hour (at most 500). */
static int last_hour(struct fr_web *w, const char *node, struct fr_incident_summary *buf)
{
	struct fr_store_query q = { .node = node, .from_unix_nano = fr_wall_ns() - HOUR_NS,
				    .limit = 500 };
	uint64_t next = 0;
	int n = fr_store__list(w->o.store, &q, buf, &next);

	return n < 0 ? 0 : n;
}

static enum MHD_Result fleet(struct fr_web *w, struct MHD_Connection *c)
{
	struct fr_fleet_node_info *nodes = NULL;
	struct fr_incident_summary *buf = NULL;
	struct fr_buf b = { 0 };
	size_t n = 0;

	fr_buf__printf(&b, "{\"view\":%s", w->o.fleet_view ? "true" : "false");
	fr_web_kv_str(&b, "url", w->o.fleet_url ? w->o.fleet_url : "", true);
	fr_web_kv_str(&b, "node", w->o.fleet ? fr_fleet__node(w->o.fleet) : "", true);
	fr_buf__put(&b, ",\"nodes\":[", 10);
	if (w->o.fleet) {
		nodes = calloc(MAX_NODES, sizeof(*nodes));
		buf = calloc(500, sizeof(*buf));
		if (!nodes || !buf) {
			free(nodes);
			free(buf);
			fr_buf__free(&b);
			return fr_web_error(c, 503, "out of memory");
		}
		n = fr_fleet__nodes(w->o.fleet, nodes, MAX_NODES);
	}
	for (size_t i = 0; i < n; i++) {
		fr_buf__printf(&b, "%s{\"heartbeat_age_s\":%.1f,\"addresses\":%u,"
				   "\"incidents_last_hour\":%d",
			       i ? "," : "", nodes[i].heartbeat_age_s, nodes[i].nr_addrs,
			       last_hour(w, nodes[i].name, buf));
		fr_web_kv_str(&b, "name", nodes[i].name, true);
		fr_web_kv_str(&b, "ui", nodes[i].ui, true);
		fr_web_kv_str(&b, "version", nodes[i].version, true);
		fr_buf__putc(&b, '}');
	}
	fr_buf__put(&b, "]}", 2);
	free(nodes);
	free(buf);
	return fr_web_json(c, 200, &b);
}

enum MHD_Result fr_web_api_fleet(struct fr_web *w, struct MHD_Connection *c, const char *rest,
				 const char *method, struct fr_web_req *r)
{
	(void)r;
	if (*rest)
		return fr_web_error(c, 404, "no such API");
	return strcmp(method, "GET") ? fr_web_error(c, 405, "use GET") : fleet(w, c);
}
