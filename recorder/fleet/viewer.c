// SPDX-License-Identifier: MIT
/*
 * viewer.c - what the fleet view reads (fr_fleet.h): the incident
 * summaries of every node from the fleet's stream (an ordered consumer
 * from the stream's start), the registry's nodes, and a snapshot fetched
 * from the node that holds it.
 */
#define FR_LOG_MOD "fleet"
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet_int.h"
#include "fr_clock.h"
#include "fr_log.h"

#define FETCH_TIMEOUT_MS 3000
#define FETCH_MAX_BYTES (256u << 20)

static void on_stream(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
	struct fr_fleet *f = closure;
	struct fr_incident_summary *s = malloc(sizeof(*s));
	const char *node = strrchr(natsMsg_GetSubject(msg), '.');

	(void)nc;
	(void)sub;
	/* the subject says which node published it (its permissions let it
	 * publish under its own name only): that, not the body, is its node */
	if (s && node && fr_fleet__valid_node(node + 1) &&
	    !fr_summary__decode(natsMsg_GetData(msg), (size_t)natsMsg_GetDataLength(msg), s)) {
		snprintf(s->node, sizeof(s->node), "%s", node + 1);
		if (!s->origin_id)
			s->origin_id = s->id;
		FLEET_COUNT(f, summaries_in);
		if (f->o.on_summary)
			f->o.on_summary(f->o.ctx, s);
	}
	free(s);
	natsMsg_Destroy(msg);
}

int fr_fleet_viewer_start(struct fr_fleet *f)
{
	jsSubOptions so;
	jsErrCode jerr = 0;
	natsStatus s;

	if (f->sub_stream)
		return 0;
	if (!f->js && natsConnection_JetStream(&f->js, f->nc, NULL) != NATS_OK)
		return -EIO;
	jsSubOptions_Init(&so);
	so.Stream = FR_FLEET_STREAM;
	so.Ordered = true;
	so.Config.DeliverPolicy = js_DeliverAll;
	s = js_Subscribe(&f->sub_stream, f->js, "flightrec.incidents.>", on_stream, f, NULL, &so,
			 &jerr);
	if (s != NATS_OK) {
		pr_warn("cannot read the incident stream %s: %s (%d)", FR_FLEET_STREAM,
			fr_fleet_status_text(s), (int)jerr);
		f->sub_stream = NULL;
		return -EIO;
	}
	pr_info("reading the fleet's incidents from %s", FR_FLEET_STREAM);
	return 0;
}

size_t fr_fleet__nodes(struct fr_fleet *f, struct fr_fleet_node_info *out, size_t max)
{
	uint64_t now = fr_mono_ns();
	size_t n = 0;

	pthread_mutex_lock(&f->mu);
	for (size_t i = 0; i < f->nr_nodes && n < max; i++, n++) {
		const struct fleet_node *x = &f->nodes[i];

		memset(&out[n], 0, sizeof(out[n]));
		snprintf(out[n].name, sizeof(out[n].name), "%s", x->name);
		snprintf(out[n].ui, sizeof(out[n].ui), "%s", x->ui);
		snprintf(out[n].version, sizeof(out[n].version), "%s", x->version);
		out[n].heartbeat_age_s = now > x->seen ? (double)(now - x->seen) / 1e9 : 0;
		out[n].nr_addrs = x->nr_addrs;
	}
	pthread_mutex_unlock(&f->mu);
	return n;
}

int fr_fleet__fetch_snapshot(struct fr_fleet *f, const char *node, uint64_t id,
			     struct fr_buf *out, char *why, size_t why_len)
{
	char subj[192], req[96];
	uint64_t offset = 0, total = UINT64_MAX;

	if (!fr_fleet__valid_node(node)) {
		snprintf(why, why_len, "no node named");
		return -EINVAL;
	}
	snprintf(subj, sizeof(subj), "flightrec.snapshot.%s.%s", node, f->node);
	while (offset < total) {
		natsMsg *reply = NULL;
		const char *data, *nl;
		unsigned long long t = 0, off = 0, len = 0;
		natsStatus s;
		int dlen;

		snprintf(req, sizeof(req), "{\"id\":\"%016" PRIx64 "\",\"offset\":%" PRIu64 "}", id,
			 offset);
		s = natsConnection_RequestString(&reply, f->nc, subj, req, FETCH_TIMEOUT_MS);
		if (s != NATS_OK) {
			snprintf(why, why_len, "%s does not answer (%s): it is gone, or NATS is down",
				 node, fr_fleet_status_text(s));
			return -EHOSTUNREACH;
		}
		data = natsMsg_GetData(reply);
		dlen = natsMsg_GetDataLength(reply);
		nl = data ? memchr(data, '\n', (size_t)dlen) : NULL;
		if (!nl || sscanf(data, "{\"total\":%llu,\"offset\":%llu,\"len\":%llu}", &t, &off,
				  &len) != 3 || off != offset || len > (size_t)(data + dlen - nl - 1) ||
		    t > FETCH_MAX_BYTES || (total != UINT64_MAX && t != total) ||
		    (!len && off < t)) {
			if (data && !strncmp(data, "{\"error\":", 9))
				snprintf(why, why_len, "%s: %.*s", node,
					 (int)(nl ? nl - data : dlen), data);
			else
				snprintf(why, why_len, "%s sent a chunk that does not fit", node);
			natsMsg_Destroy(reply);
			return -EIO;
		}
		total = t;
		fr_buf__put(out, nl + 1, (size_t)len);
		offset += len;
		natsMsg_Destroy(reply);
		if (out->oom) {
			snprintf(why, why_len, "out of memory");
			return -ENOMEM;
		}
	}
	return 0;
}
