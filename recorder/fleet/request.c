// SPDX-License-Identifier: MIT
/*
 * request.c - capture requests between nodes (fr_fleet.h): asking the
 * nodes behind an incident's breadcrumbs and waiting a bounded time for
 * their answers (later ones update the stored incident), and answering
 * other nodes' requests after checking them, rate limited per asking node.
 *
 * Subjects: flightrec.capture.<node>.<from> (a request to one node),
 * flightrec.broadcast.<from> (a trace's endpoints on no known node),
 * flightrec.snapshot.<node>.<from> (a snapshot fetched in chunks); the
 * answers go to the asker's inbox, <inbox>.<call>.<part> (or .b for a
 * broadcast's).
 */
#define FR_LOG_MOD "fleet"
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>

#include "fleet_int.h"
#include "fr_clock.h"
#include "fr_log.h"

#define LATE_KEEP_NS (30ull * 1000000000ull)   /* late answers accepted this long */
#define BROADCAST_EVERY_NS 1000000000ull      /* at most one broadcast a second */
#define DEADLINE_MARGIN_NS 150000000ull       /* an answer on another's behalf leaves
					       * the asker this much of its deadline */

struct fr_fleet_reply {
	char subject[256];
	char from[FR_NODE_NAME];
};

/* The last token of a subject: the sending node (its permissions let it
 * publish only under its own name). */
static const char *sender_of(const char *subject)
{
	const char *dot = strrchr(subject, '.');

	return dot ? dot + 1 : subject;
}

/* A token bucket per asking node: false when it asks too often. */
static bool rate_ok(struct fr_fleet *f, const char *from)
{
	uint64_t now = fr_mono_ns();
	struct fleet_rate *r = NULL, *oldest = &f->rates[0];
	double burst = 2.0 * f->o.requests_per_s;
	bool ok;

	pthread_mutex_lock(&f->mu);
	for (int i = 0; i < FLEET_RATE_SLOTS; i++) {
		if (!strcmp(f->rates[i].node, from)) {
			r = &f->rates[i];
			break;
		}
		if (f->rates[i].last < oldest->last)
			oldest = &f->rates[i];
	}
	if (!r) {
		r = oldest;
		snprintf(r->node, sizeof(r->node), "%s", from);
		r->tokens = burst;
		r->last = now;
	}
	r->tokens += (double)(now - r->last) / 1e9 * f->o.requests_per_s;
	if (r->tokens > burst)
		r->tokens = burst;
	r->last = now;
	ok = r->tokens >= 1.0;
	if (ok)
		r->tokens -= 1.0;
	else
		f->st.refused_rate++;
	pthread_mutex_unlock(&f->mu);
	return ok;
}

static void refuse(struct fr_fleet *f, const char *reply, const char *why)
{
	struct fr_capture_answer a = { .state = FR_REMOTE_REFUSED };
	struct fr_buf b = { 0 };

	if (!reply || !*reply)
		return;
	snprintf(a.node, sizeof(a.node), "%s", f->node);
	snprintf(a.note, sizeof(a.note), "%s refused the request: %s", f->node, why);
	if (!fr_capture_answer__encode(&a, &b))
		fr_fleet_publish(f, reply, b.p, b.len);
	fr_buf__free(&b);
}

static void on_request(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
	struct fr_fleet *f = closure;
	const char *subject = natsMsg_GetSubject(msg), *reply = natsMsg_GetReply(msg);
	const char *from = sender_of(subject);
	bool broadcast = !strncmp(subject, "flightrec.broadcast.", 20);
	struct fr_capture_req req;
	struct fr_fleet_reply *r;
	char why[160];

	(void)nc;
	(void)sub;
	if (broadcast && !strcmp(from, f->node))
		goto out; /* our own broadcast */
	FLEET_COUNT(f, requests_in);
	if (!fr_fleet__valid_node(from) || !reply || !*reply) {
		FLEET_COUNT(f, refused_invalid);
		goto out;
	}
	if (fr_capture_req__decode(natsMsg_GetData(msg), (size_t)natsMsg_GetDataLength(msg),
				   fr_wall_ns(), f->o.max_hops, &req, why, sizeof(why))) {
		FLEET_COUNT(f, refused_invalid);
		pr_debug("request from %s refused: %s", from, why);
		if (!broadcast)
			refuse(f, reply, why);
		goto out;
	}
	if (req.broadcast != broadcast) {
		FLEET_COUNT(f, refused_invalid);
		goto out;
	}
	if (!rate_ok(f, from)) {
		if (!broadcast)
			refuse(f, reply, "too many requests from that node");
		goto out;
	}
	snprintf(req.from, sizeof(req.from), "%s", from);
	r = calloc(1, sizeof(*r));
	if (!r)
		goto out;
	snprintf(r->subject, sizeof(r->subject), "%s", reply);
	snprintf(r->from, sizeof(r->from), "%s", from);
	if (f->o.on_capture)
		f->o.on_capture(f->o.ctx, &req, r);
	else
		fr_fleet__answer(f, r, NULL);
out:
	natsMsg_Destroy(msg);
}

void fr_fleet__answer(struct fr_fleet *f, struct fr_fleet_reply *r,
		      const struct fr_capture_answer *a)
{
	struct fr_capture_answer copy;
	struct fr_buf b = { 0 };

	if (!r)
		return;
	if (a) {
		copy = *a;
		snprintf(copy.node, sizeof(copy.node), "%s", f->node);
		if (!fr_capture_answer__encode(&copy, &b) &&
		    !fr_fleet_publish(f, r->subject, b.p, b.len))
			FLEET_COUNT(f, answers_sent);
		fr_buf__free(&b);
	}
	free(r);
}

/* ---- asking ---- */

static struct fleet_call *find_call(struct fr_fleet *f, uint64_t id)
{
	for (int i = 0; i < FLEET_MAX_CALLS; i++)
		if (f->calls[i].id == id)
			return &f->calls[i];
	return NULL;
}

/* What an answer makes of a part. */
static void fill_part(struct fr_remote_part *p, const struct fr_capture_answer *a)
{
	if (a->node[0])
		snprintf(p->node, sizeof(p->node), "%s", a->node);
	p->state = a->state;
	p->incident_id = a->incident_id;
	snprintf(p->service, sizeof(p->service), "%s", a->service);
	snprintf(p->verdict, sizeof(p->verdict), "%s", a->verdict);
	snprintf(p->note, sizeof(p->note), "%s", a->note);
}

static void on_reply(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
	struct fr_fleet *f = closure;
	const char *rest = natsMsg_GetSubject(msg) + strlen(f->inbox);
	struct fr_remote_part late[1 + FR_MAX_REMOTE];
	struct fr_capture_answer a;
	uint64_t id, incident = 0;
	struct fleet_call *c;
	size_t nlate = 0;
	char *end;
	int idx = -1;

	(void)nc;
	(void)sub;
	if (*rest != '.')
		goto out;
	id = strtoull(rest + 1, &end, 10);
	if (*end != '.')
		goto out;
	if (strcmp(end + 1, "b"))
		idx = atoi(end + 1);
	if (fr_capture_answer__decode(natsMsg_GetData(msg), (size_t)natsMsg_GetDataLength(msg), &a))
		goto out;
	pthread_mutex_lock(&f->mu);
	c = find_call(f, id);
	if (c && idx < 0) { /* a broadcast's answer: the part it asked for, or a new one */
		if (!a.node[0] || !fr_fleet__valid_node(a.node) || !strcmp(a.node, f->node)) {
			c = NULL;
		} else if (c->broadcast_part >= 0) {
			idx = c->broadcast_part;
			c->broadcast_part = -1;
		} else if (c->nr_parts < FR_MAX_REMOTE) {
			idx = (int)c->nr_parts++;
			memset(&c->parts[idx], 0, sizeof(c->parts[idx]));
			c->parts[idx].state = FR_REMOTE_NO_ANSWER;
		}
	}
	if (c && idx >= 0 && (uint32_t)idx < c->nr_parts &&
	    (c->parts[idx].state == FR_REMOTE_NO_ANSWER || c->parts[idx].state == FR_REMOTE_NO_NODE)) {
		struct fr_remote_part *p = &c->parts[idx];
		bool was_asked = p->state == FR_REMOTE_NO_ANSWER;

		fill_part(p, &a);
		p->answer_ns = fr_mono_ns() - c->asked;
		if (c->waiting) {
			f->st.answers++;
			if (was_asked && c->outstanding)
				c->outstanding--;
			/* the parts it found further on, reached through it */
			for (uint32_t i = 0; i < a.nr_parts && c->nr_parts < FR_MAX_REMOTE; i++) {
				struct fr_remote_part *q = &c->parts[c->nr_parts++];

				*q = a.parts[i];
				if (!q->via[0]) /* both FR_NODE_NAME, NUL-ended */
					memcpy(q->via, p->node, sizeof(q->via));
			}
			pthread_cond_broadcast(&f->answered);
		} else {
			f->st.late++;
			if (p->state == FR_REMOTE_ANSWERED)
				p->state = FR_REMOTE_LATE;
			incident = c->incident_id;
			late[nlate++] = *p;
			for (uint32_t i = 0; i < a.nr_parts && nlate < 1 + FR_MAX_REMOTE; i++) {
				late[nlate] = a.parts[i];
				if (!late[nlate].via[0])
					memcpy(late[nlate].via, p->node, sizeof(late[nlate].via));
				nlate++;
			}
		}
	}
	pthread_mutex_unlock(&f->mu);
	for (size_t i = 0; i < nlate && f->o.on_late; i++)
		f->o.on_late(f->o.ctx, incident, &late[i]);
out:
	natsMsg_Destroy(msg);
}

static bool visited(const struct fr_capture_req *rq, const char *node)
{
	if (!rq)
		return false;
	if (!strcmp(rq->from, node))
		return true;
	for (uint32_t i = 0; i < rq->nr_visited; i++)
		if (!strcmp(rq->visited[i], node))
			return true;
	return false;
}

/* The request to node for crumb i of a. */
static void make_request(struct fr_fleet *f, const struct fr_fleet_ask *a, size_t i,
			 uint64_t deadline_unix, struct fr_capture_req *rq)
{
	const struct fr_capture_req *ob = a->on_behalf;

	memset(rq, 0, sizeof(*rq));
	memcpy(rq->trace_id, a->trace_id, 16);
	memcpy(rq->parent_span_id, a->parent_span_id, 8);
	rq->from_incident = a->incident_id;
	if (i < a->nr_crumbs) {
		rq->local = a->crumbs[i].remote;
		rq->remote = a->crumbs[i].local;
		rq->caller = a->inbound && a->inbound[i];
	}
	rq->start_unix_ns = a->start_unix_ns;
	rq->end_unix_ns = a->end_unix_ns;
	rq->hops = ob ? ob->hops + 1 : 1;
	rq->max_hops = ob && ob->max_hops < f->o.max_hops ? ob->max_hops : f->o.max_hops;
	for (uint32_t k = 0; ob && k < ob->nr_visited && rq->nr_visited < FR_FLEET_MAX_VISITED - 2;
	     k++)
		snprintf(rq->visited[rq->nr_visited++], FR_NODE_NAME, "%s", ob->visited[k]);
	if (ob && !visited(rq, ob->from))
		snprintf(rq->visited[rq->nr_visited++], FR_NODE_NAME, "%s", ob->from);
	snprintf(rq->visited[rq->nr_visited++], FR_NODE_NAME, "%s", f->node);
	rq->deadline_unix_ns = deadline_unix;
}

static int send_request(struct fr_fleet *f, const char *subject, const char *reply,
			const struct fr_capture_req *rq)
{
	struct fr_buf b = { 0 };
	natsStatus s = NATS_NO_MEMORY;

	if (!fr_capture_req__encode(rq, &b))
		s = natsConnection_PublishRequest(f->nc, subject, reply, b.p, (int)b.len);
	fr_buf__free(&b);
	if (s != NATS_OK) {
		FLEET_COUNT(f, send_failed);
		return -EIO;
	}
	return 0;
}

/* A free call slot (f->mu held): an unused or expired one. */
static struct fleet_call *new_call(struct fr_fleet *f)
{
	uint64_t now = fr_mono_ns();

	for (int i = 0; i < FLEET_MAX_CALLS; i++) {
		struct fleet_call *c = &f->calls[i];

		if (!c->id || (!c->waiting && now > c->expires)) {
			memset(c, 0, sizeof(*c));
			c->id = ++f->next_call;
			c->broadcast_part = -1;
			c->waiting = true;
			return c;
		}
	}
	return NULL;
}

/* "node-b did not answer within 1.0 s" (or "within 50 ms"). */
static void no_answer_note(struct fr_remote_part *p, const char *node, uint64_t wait_ns)
{
	if (wait_ns >= 1000000000ull)
		snprintf(p->note, sizeof(p->note), "%s did not answer within %.1f s", node,
			 (double)wait_ns / 1e9);
	else
		snprintf(p->note, sizeof(p->note), "%s did not answer within %.0f ms", node,
			 (double)wait_ns / 1e6);
}

size_t fr_fleet__ask(struct fr_fleet *f, const struct fr_fleet_ask *a,
		     struct fr_remote_part *parts, size_t max)
{
	const struct fr_capture_req *ob = a->on_behalf;
	uint64_t now_unix = fr_wall_ns(), wait_ns = (uint64_t)f->o.wait_ms * 1000000ull;
	uint64_t deadline_unix = now_unix + wait_ns, until;
	struct sockaddr_storage unresolved[2];
	size_t nunres = 0, n;
	struct fleet_call *c;
	struct timespec ts;
	char subj[192], reply[160];

	if (ob) {
		if (ob->deadline_unix_ns < now_unix + DEADLINE_MARGIN_NS)
			return 0; /* no time left to ask anyone */
		if (ob->deadline_unix_ns - DEADLINE_MARGIN_NS < deadline_unix)
			deadline_unix = ob->deadline_unix_ns - DEADLINE_MARGIN_NS;
	}
	pthread_mutex_lock(&f->mu);
	c = new_call(f);
	if (!c) {
		pthread_mutex_unlock(&f->mu);
		pr_warn("too many requests in flight: incident %016" PRIx64 " asks nobody",
			a->incident_id);
		return 0;
	}
	c->incident_id = a->incident_id;
	c->wait_ms = f->o.wait_ms;
	c->asked = fr_mono_ns();
	pthread_mutex_unlock(&f->mu);
	for (size_t i = 0; i < a->nr_crumbs; i++) {
		const struct fr_crumb *cr = &a->crumbs[i];
		char node[FR_NODE_NAME], ui[128] = "", ep[64];
		struct fr_capture_req rq;
		struct fr_remote_part *p;
		bool dup = false;

		if (fr_fleet_is_own(f, &cr->remote))
			continue; /* this host's own */
		fr_sockaddr__format(&cr->remote, ep, sizeof(ep));
		if (fr_fleet__resolve(f, &cr->remote, node, ui, sizeof(ui))) {
			/* a caller on no known node is no flightrec node's: not
			 * worth a broadcast (what it waited on is not ours) */
			if (nunres < 2 && !(a->inbound && a->inbound[i]))
				unresolved[nunres++] = cr->remote;
			continue;
		}
		if (!strcmp(node, f->node) || visited(ob, node))
			continue;
		pthread_mutex_lock(&f->mu);
		for (uint32_t k = 0; k < c->nr_parts; k++)
			dup |= !strcmp(c->parts[k].node, node);
		if (dup || c->nr_parts == FR_MAX_REMOTE) {
			pthread_mutex_unlock(&f->mu);
			continue;
		}
		p = &c->parts[c->nr_parts];
		memset(p, 0, sizeof(*p));
		snprintf(p->node, sizeof(p->node), "%s", node);
		snprintf(p->endpoint, sizeof(p->endpoint), "%s", ep);
		snprintf(p->ui, sizeof(p->ui), "%s", ui);
		p->ns = cr->ns;
		p->state = FR_REMOTE_NO_ANSWER;
		no_answer_note(p, node, deadline_unix - now_unix);
		make_request(f, a, i, deadline_unix, &rq);
		if (rq.hops > rq.max_hops) {
			p->state = FR_REMOTE_REFUSED;
			snprintf(p->note, sizeof(p->note), "not asked: the hop limit (%u) is reached",
				 rq.max_hops);
			c->nr_parts++;
			pthread_mutex_unlock(&f->mu);
			continue;
		}
		if (natsConnection_Status(f->nc) != NATS_CONN_STATUS_CONNECTED) {
			/* nothing could answer in time: do not hold the incident up */
			p->state = FR_REMOTE_ERROR;
			snprintf(p->note, sizeof(p->note), "%s was not asked: NATS is unreachable",
				 node);
			c->nr_parts++;
			f->st.send_failed++;
			pthread_mutex_unlock(&f->mu);
			continue;
		}
		snprintf(reply, sizeof(reply), "%s.%" PRIu64 ".%u", f->inbox, c->id, c->nr_parts);
		c->nr_parts++;
		c->outstanding++;
		f->st.requests_sent++;
		pthread_mutex_unlock(&f->mu);
		snprintf(subj, sizeof(subj), "flightrec.capture.%s.%s", node, f->node);
		if (send_request(f, subj, reply, &rq)) {
			pthread_mutex_lock(&f->mu);
			snprintf(p->note, sizeof(p->note), "the request to %s could not be sent "
				 "(NATS unreachable)", node);
			p->state = FR_REMOTE_ERROR;
			c->outstanding--;
			pthread_mutex_unlock(&f->mu);
		}
	}
	/* endpoints on no known node: one part says so; a broadcast may find
	 * the node that holds the trace after all (behind NAT, say) */
	if (nunres) {
		struct fr_capture_req rq;
		char ep[64];
		bool send = false;

		fr_sockaddr__format(&unresolved[0], ep, sizeof(ep));
		pthread_mutex_lock(&f->mu);
		f->st.no_node++;
		if (c->nr_parts < FR_MAX_REMOTE) {
			struct fr_remote_part *p = &c->parts[c->nr_parts];

			memset(p, 0, sizeof(*p));
			snprintf(p->endpoint, sizeof(p->endpoint), "%s", ep);
			p->state = FR_REMOTE_NO_NODE;
			p->ns = 0;
			snprintf(p->note, sizeof(p->note), "%.*s is on no flightrec node",
				 (int)strcspn(ep[0] == '[' ? ep + 1 : ep, ep[0] == '[' ? "]" : ":"),
				 ep[0] == '[' ? ep + 1 : ep);
			c->broadcast_part = (int)c->nr_parts++;
		}
		if (fr_mono_ns() - f->last_broadcast >= BROADCAST_EVERY_NS || !f->last_broadcast) {
			f->last_broadcast = fr_mono_ns();
			f->st.broadcasts++;
			send = true;
		} else {
			f->st.broadcasts_limited++;
		}
		pthread_mutex_unlock(&f->mu);
		if (send) {
			make_request(f, a, a->nr_crumbs, deadline_unix, &rq);
			rq.broadcast = true;
			snprintf(subj, sizeof(subj), "flightrec.broadcast.%s", f->node);
			snprintf(reply, sizeof(reply), "%s.%" PRIu64 ".b", f->inbox, c->id);
			if (rq.hops <= rq.max_hops)
				send_request(f, subj, reply, &rq);
		}
	}
	/* wait for the answers, up to the deadline */
	until = fr_mono_ns() + (deadline_unix > fr_wall_ns() ? deadline_unix - fr_wall_ns() : 0);
	pthread_mutex_lock(&f->mu);
	/* a broadcast's answer is not waited for (most addresses on no node are
	 * nobody's: a database, an outside API); when a node does hold the
	 * trace, its answer comes as a late one and updates the incident */
	while (c->outstanding && fr_mono_ns() < until) {
		uint64_t left = until - fr_mono_ns();

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += (time_t)(left / 1000000000ull);
		ts.tv_nsec += (long)(left % 1000000000ull);
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&f->answered, &f->mu, &ts);
	}
	for (uint32_t i = 0; i < c->nr_parts; i++)
		f->st.no_answer += c->parts[i].state == FR_REMOTE_NO_ANSWER;
	n = c->nr_parts < max ? c->nr_parts : max;
	memcpy(parts, c->parts, n * sizeof(*parts));
	c->waiting = false;
	c->expires = fr_mono_ns() + LATE_KEEP_NS;
	pthread_mutex_unlock(&f->mu);
	return n;
}

void fr_fleet_requests_expire(struct fr_fleet *f, uint64_t now)
{
	pthread_mutex_lock(&f->mu);
	for (int i = 0; i < FLEET_MAX_CALLS; i++)
		if (f->calls[i].id && !f->calls[i].waiting && now > f->calls[i].expires)
			f->calls[i].id = 0;
	pthread_mutex_unlock(&f->mu);
}

/* ---- snapshots, fetched in chunks under the payload limit ---- */

/*
 * Request {"id":"<16 hex>","offset":N}; answer one line of JSON
 * {"total":N,"offset":N,"len":N} (or {"error":"..."}), a newline, then
 * len bytes of the .frsnap from offset.
 */
static void on_snapshot(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
	struct fr_fleet *f = closure;
	const char *reply = natsMsg_GetReply(msg), *from = sender_of(natsMsg_GetSubject(msg));
	struct json_tokener *tok = json_tokener_new_ex(4);
	json_object *o = NULL, *v;
	struct fr_buf snap = { 0 }, out = { 0 };
	uint64_t id = 0, offset = 0;
	size_t chunk = (size_t)natsConnection_GetMaxPayload(nc);
	const char *err = NULL;

	(void)sub;
	if (!reply || !*reply || !fr_fleet__valid_node(from) || !tok)
		goto out;
	chunk = chunk > 4096 ? chunk - 1024 : 1024;
	o = json_tokener_parse_ex(tok, natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
	if (!o || !json_object_object_get_ex(o, "id", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strlen(json_object_get_string(v)) != 16) {
		err = "bad request";
	} else {
		id = strtoull(json_object_get_string(v), NULL, 16);
		if (json_object_object_get_ex(o, "offset", &v) && json_object_is_type(v, json_type_int))
			offset = json_object_get_uint64(v);
		if (!rate_ok(f, from))
			err = "too many requests";
		else if (!f->o.read_snapshot || f->o.read_snapshot(f->o.ctx, id, &snap))
			err = "no such incident";
		else if (offset > snap.len)
			err = "offset past the end";
	}
	if (err) {
		fr_buf__printf(&out, "{\"error\":\"%s\"}\n", err);
	} else {
		size_t len = snap.len - offset < chunk ? snap.len - offset : chunk;

		fr_buf__printf(&out, "{\"total\":%zu,\"offset\":%" PRIu64 ",\"len\":%zu}\n", snap.len,
			       offset, len);
		fr_buf__put(&out, (const char *)snap.p + offset, len);
	}
	if (!out.oom)
		fr_fleet_publish(f, reply, out.p, out.len);
out:
	json_object_put(o);
	if (tok)
		json_tokener_free(tok);
	fr_buf__free(&snap);
	fr_buf__free(&out);
	natsMsg_Destroy(msg);
}

int fr_fleet_requests_start(struct fr_fleet *f)
{
	natsInbox *inbox = NULL;
	char subj[192];
	natsStatus s = natsInbox_Create(&inbox);

	if (s == NATS_OK) {
		snprintf(f->inbox, sizeof(f->inbox), "%s", (const char *)inbox);
		natsInbox_Destroy(inbox);
		snprintf(subj, sizeof(subj), "%s.>", f->inbox);
		s = natsConnection_Subscribe(&f->sub_replies, f->nc, subj, on_reply, f);
	}
	if (s == NATS_OK) {
		snprintf(subj, sizeof(subj), "flightrec.capture.%s.*", f->node);
		s = natsConnection_Subscribe(&f->sub_capture, f->nc, subj, on_request, f);
	}
	if (s == NATS_OK)
		s = natsConnection_Subscribe(&f->sub_broadcast, f->nc, "flightrec.broadcast.*",
					     on_request, f);
	if (s == NATS_OK) {
		snprintf(subj, sizeof(subj), "flightrec.snapshot.%s.*", f->node);
		s = natsConnection_Subscribe(&f->sub_snapshot, f->nc, subj, on_snapshot, f);
	}
	if (s != NATS_OK) {
		pr_err("cannot subscribe: %s", fr_fleet_status_text(s));
		return -EIO;
	}
	return 0;
}
