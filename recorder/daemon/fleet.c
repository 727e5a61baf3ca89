// SPDX-License-Identifier: MIT
/*
 * fleet.c - the daemon's side of the fleet (daemon_int.h, fr_fleet.h):
 * after a local incident's annotation, ask the nodes behind its
 * breadcrumbs and continue the verdict into their answers; take this
 * node's part when another node asks (the process from the trace's spans
 * seen here, else from the socket), store it as an incident that belongs
 * to the asker's, and answer; late answers update the stored incident.
 */
#define FR_LOG_MOD "fleet"
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon_int.h"
#include "fr_clock.h"
#include "fr_log.h"
#include "fr_peer.h"
#include "fr_procfs.h"

#define TRACE_KEEP_NS (120ull * 1000000000ull) /* spans asked about: seen this recently */
#define MAX_TRACE_SPANS 32

/* ---- the verdict across hosts ---- */

/* "10.1.0.2:8080 is svc-b (pid 812) on node-b, where <its verdict>", or
 * what went wrong in words. Its own comparison with normal spans stays on
 * its node's page. */
static void part_clause(const struct fr_remote_part *p, char *buf, size_t len)
{
	const char *cut;
	int vlen;

	if ((p->state == FR_REMOTE_ANSWERED || p->state == FR_REMOTE_LATE ||
	     p->state == FR_REMOTE_MERGED) && p->verdict[0]) {
		cut = strstr(p->verdict, "; against normal spans");
		vlen = cut ? (int)(cut - p->verdict) : (int)strlen(p->verdict);
		snprintf(buf, len, "%s is %s on %s, where %.*s", p->endpoint[0] ? p->endpoint : "its peer",
			 p->service[0] ? p->service : "a process", p->node, vlen, p->verdict);
	} else {
		snprintf(buf, len, "%s", p->note);
	}
}

/* The clause after what this node saw, before its comparison with normal
 * spans (which stays about this node). */
static void append_clause(char *verdict, size_t len, const char *clause)
{
	char *cmp = strstr(verdict, "; against normal spans");
	char tail[1024] = "";
	size_t n;

	if (!clause[0])
		return;
	if (cmp) {
		snprintf(tail, sizeof(tail), "%s", cmp);
		*cmp = '\0';
	}
	n = strlen(verdict);
	if (n + 3 < len)
		snprintf(verdict + n, len - n, "; %s", clause);
	n = strlen(verdict);
	if (tail[0] && n + strlen(tail) < len)
		snprintf(verdict + n, len - n, "%s", tail);
}

static bool same_endpoint(const struct fr_remote_part *p, const struct fr_crumb *c)
{
	char ep[64];

	fr_sockaddr__format(&c->remote, ep, sizeof(ep));
	return !strcmp(ep, p->endpoint);
}

/*
 * Was this node's work on the trace called by a traced caller (a server
 * span with a parent)? Only then is a caller worth asking: an untraced one
 * holds nothing of the trace.
 */
static bool traced_caller(const struct fr_incident_in *in, const struct fr_trace_span *ts,
			  size_t m)
{
	if (in->span->kind == FR_KIND_SERVER || in->span->kind == FR_KIND_CONSUMER)
		return in->span->has_parent;
	for (size_t i = 0; i < m; i++)
		if ((ts[i].kind == FR_KIND_SERVER || ts[i].kind == FR_KIND_CONSUMER) &&
		    !fr_all_zero(ts[i].parent_span_id, 8))
			return true;
	return false;
}

/* The trace's spans seen here: their peers, as breadcrumbs the kernel did
 * not name (the connection was fast, or closed before a slow call). */
static size_t span_crumbs(const struct fr_trace_span *ts, size_t m, bool callers,
			  struct fr_crumb *crumbs, bool *inbound, size_t n)
{
	for (size_t i = 0; i < m && n < FR_MAX_CRUMBS; i++) {
		bool in_call = ts[i].kind == FR_KIND_SERVER || ts[i].kind == FR_KIND_CONSUMER;
		size_t k;

		if (!ts[i].peer.ss_family || (in_call && !callers))
			continue;
		for (k = 0; k < n && !fr_sockaddr__same(&crumbs[k].remote, &ts[i].peer); k++)
			;
		if (k < n)
			continue;
		memset(&crumbs[n], 0, sizeof(crumbs[n]));
		crumbs[n].remote = ts[i].peer;
		crumbs[n].ns = ts[i].end_ns > ts[i].start_ns ? ts[i].end_ns - ts[i].start_ns : 0;
		crumbs[n].source = FR_CRUMB_SPAN;
		inbound[n++] = in_call;
	}
	return n;
}

void fr_daemon__across(void *ctx, const struct fr_incident_in *in, struct fr_incident_work *wk)
{
	struct fr_across *x = ctx;
	struct fr_daemon *d = x->d;
	struct fr_crumb crumbs[FR_MAX_CRUMBS];
	bool inbound[FR_MAX_CRUMBS];
	struct fr_fleet_ask a = { 0 };
	struct fr_trace_span ts[MAX_TRACE_SPANS];
	size_t n = 0, keep = 0, m;
	bool callers;
	char clause[900];

	if (!d->fleet)
		return;
	m = fr_fleet__trace_spans(d->fleet, in->span->trace_id, TRACE_KEEP_NS, ts, MAX_TRACE_SPANS);
	callers = traced_caller(in, ts, m);
	if (wk->window)
		n = fr_breadcrumbs__from_window(wk->window, (uint32_t)in->host_pid, wk->t0,
						wk->span_end, crumbs, FR_MAX_CRUMBS);
	/* a connection that came in through a listening socket is a caller's */
	for (size_t i = 0; i < n; i++) {
		uid_t uid;
		uint64_t ino;

		inbound[i] = !fr_peer_listener(&crumbs[i].local, &uid, &ino);
		if (inbound[i] && !callers)
			continue;
		crumbs[keep] = crumbs[i];
		inbound[keep++] = inbound[i];
	}
	n = span_crumbs(ts, m, callers, crumbs, inbound, keep);
	if (!n)
		return;
	memcpy(a.trace_id, in->span->trace_id, 16);
	memcpy(a.parent_span_id, in->span->span_id, 8);
	a.incident_id = in->id;
	a.start_unix_ns = in->span->start_ns;
	a.end_unix_ns = in->span->end_ns;
	a.crumbs = crumbs;
	a.inbound = inbound;
	a.nr_crumbs = n;
	a.on_behalf = x->req;
	wk->nr_remote = (uint32_t)fr_fleet__ask(d->fleet, &a, wk->remote, FR_MAX_REMOTE);
	/* the verdict goes on into what this node waited on the longest: the
	 * first part asked directly about a peer it called */
	for (uint32_t i = 0; i < wk->nr_remote; i++) {
		const struct fr_remote_part *p = &wk->remote[i];
		bool called = true;

		if (p->via[0])
			continue;
		for (size_t k = 0; k < n; k++)
			if (same_endpoint(p, &crumbs[k]))
				called = !inbound[k];
		if (!called)
			continue;
		part_clause(p, clause, sizeof(clause));
		append_clause(wk->ev.verdict, sizeof(wk->ev.verdict), clause);
		if (p->node[0])
			snprintf(wk->chain_continues, sizeof(wk->chain_continues), "%.40s (%.60s on %.50s)",
				 p->endpoint, p->service[0] ? p->service : "?", p->node);
		break;
	}
}

/* ---- another node asks ---- */

static void answer_words(struct fr_daemon *d, struct fr_fleet_reply *r, uint8_t state,
			 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void answer_words(struct fr_daemon *d, struct fr_fleet_reply *r, uint8_t state,
			 const char *fmt, ...)
{
	struct fr_capture_answer a = { .state = state };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a.note, sizeof(a.note), fmt, ap);
	va_end(ap);
	fr_fleet__answer(d->fleet, r, &a);
}

static void answer_summary(struct fr_daemon *d, struct fr_fleet_reply *r, uint8_t state,
			   const struct fr_incident_summary *s, const char *note)
{
	struct fr_capture_answer *a = calloc(1, sizeof(*a));

	if (!a) {
		fr_fleet__answer(d->fleet, r, NULL);
		return;
	}
	a->state = state;
	a->incident_id = s->id;
	snprintf(a->service, sizeof(a->service), "%.80s (pid %u)", s->service, s->pid);
	snprintf(a->verdict, sizeof(a->verdict), "%.511s", s->verdict);
	snprintf(a->note, sizeof(a->note), "%s", note ? note : "");
	for (uint32_t i = 0; i < s->nr_remote && a->nr_parts < FR_MAX_REMOTE; i++)
		a->parts[a->nr_parts++] = s->remote[i];
	fr_fleet__answer(d->fleet, r, a);
	free(a);
}

struct merge_ctx {
	const struct fr_capture_req *req;
};

static void mark_merged(void *ctx, struct fr_incident_summary *sum)
{
	const struct fr_capture_req *req = ((struct merge_ctx *)ctx)->req;

	if (sum->part_of_node[0])
		return; /* it belongs to another incident already */
	snprintf(sum->part_of_node, sizeof(sum->part_of_node), "%s", req->from);
	sum->part_of_id = req->from_incident;
	sum->part_of_merged = true;
}

/*
 * The trace was captured here already (a local rule fired, or another node
 * asked first): the same incident answers, and both sides say so.
 */
static bool answer_merged(struct fr_daemon *d, const struct fr_capture_req *req,
			  struct fr_fleet_reply *r)
{
	uint64_t ids[16], newest = 0;
	struct fr_incident_summary *sum;
	struct merge_ctx mc = { req };
	char note[192];
	int n = fr_store__by_trace(d->store, req->trace_id, ids, 16);

	for (int i = 0; i < n; i++)
		if (ids[i] > newest)
			newest = ids[i];
	if (!newest)
		return false;
	sum = malloc(sizeof(*sum));
	if (!sum || fr_store__summary(d->store, newest, sum)) {
		free(sum);
		return false;
	}
	if (sum->part_of_node[0] && !strcmp(sum->part_of_node, req->from) &&
	    sum->part_of_id == req->from_incident) {
		snprintf(note, sizeof(note), "taken for this incident already");
	} else {
		snprintf(note, sizeof(note), "%s had captured this trace already (incident %016" PRIx64
			 "): merged", fr_fleet__node(d->fleet), newest);
		fr_store__update(d->store, newest, mark_merged, &mc);
	}
	answer_summary(d, r, FR_REMOTE_MERGED, sum, note);
	free(sum);
	return true;
}

#define TAKEN_KEEP_NS (60ull * 1000000000ull)

/*
 * The incident this node is taking (or took) for the trace on request, or
 * 0 after noting id as the one it takes now.
 */
static uint64_t taken_or_take(struct fr_daemon *d, const uint8_t trace_id[16], uint64_t id)
{
	uint64_t now = fr_mono_ns(), found = 0;
	size_t slot = 0;

	pthread_mutex_lock(&d->taken_mu);
	for (size_t i = 0; i < sizeof(d->taken) / sizeof(d->taken[0]); i++) {
		struct fr_taken_part *t = &d->taken[i];

		if (t->id && now - t->at < TAKEN_KEEP_NS && !memcmp(t->trace_id, trace_id, 16)) {
			found = t->id;
			break;
		}
		if (t->at < d->taken[slot].at)
			slot = i;
	}
	if (!found) {
		memcpy(d->taken[slot].trace_id, trace_id, 16);
		d->taken[slot].id = id;
		d->taken[slot].at = now;
	}
	pthread_mutex_unlock(&d->taken_mu);
	return found;
}

static uint64_t overlap(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
	uint64_t lo = a0 > b0 ? a0 : b0, hi = a1 < b1 ? a1 : b1;

	return hi > lo ? hi - lo : 0;
}

/*
 * Of the trace's spans seen here, the one the asker's wait was about: as
 * the callee, the server span that overlaps its window the most; as the
 * caller, the client span to the asker (else the server span we were in).
 */
static const struct fr_trace_span *choose_span(const struct fr_capture_req *req,
					       const struct fr_trace_span *ts, size_t n)
{
	const struct fr_trace_span *best = NULL;
	uint64_t best_score = 0;

	for (size_t i = 0; i < n; i++) {
		bool server = ts[i].kind == FR_KIND_SERVER || ts[i].kind == FR_KIND_CONSUMER;
		uint64_t score = overlap(ts[i].start_ns, ts[i].end_ns, req->start_unix_ns,
					 req->end_unix_ns) + 1;

		if (req->caller && !server && req->remote.ss_family &&
		    fr_sockaddr__same(&ts[i].peer, &req->remote))
			score *= 8;
		else if (server != req->caller)
			score *= 4;
		if (ts[i].pid <= 0)
			score /= 2;
		if (score > best_score) {
			best_score = score;
			best = &ts[i];
		}
	}
	return best;
}

/* The process holding this node's end of the connection: the connection
 * itself when it is still open, else the socket listening on its port. */
static pid_t socket_owner(const struct fr_capture_req *req)
{
	uid_t uid;
	uint64_t ino;

	if (!req->local.ss_family)
		return 0;
	if (req->remote.ss_family && !fr_peer_socket(&req->remote, &req->local, &uid, &ino))
		return fr_socket_pid(ino);
	if (!fr_peer_listener(&req->local, &uid, &ino))
		return fr_socket_pid(ino);
	return 0;
}

/* Is this end of named connection n the address a? */
static bool end_is(const struct fr_fdname *n, bool src, const struct sockaddr_storage *a)
{
	const uint8_t *addr = src ? n->saddr : n->daddr;
	uint16_t port = src ? n->sport : n->dport;

	if (n->kind == FR_NAME_INET && a->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)a;

		return ntohs(s->sin_port) == port && !memcmp(addr, &s->sin_addr, 4);
	}
	if (n->kind == FR_NAME_INET6 && a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)a;

		return ntohs(s->sin6_port) == port && !memcmp(addr, &s->sin6_addr, 16);
	}
	return false;
}

/*
 * The process whose records named this connection lately: the rings keep
 * what the kernel named at the calls (an epoll wait's ready fds, a slow
 * read's fd) after the connection itself is gone, as a caller's ephemeral
 * one soon is. 0 when none did.
 */
static pid_t ring_socket_owner(struct fr_daemon *d, const struct fr_capture_req *req)
{
	struct fr_window_req wr = { 0 };
	struct fr_window *w = NULL;
	struct fr_clock clk;
	pid_t pid = 0;

	if (!d->cap || !req->local.ss_family)
		return 0;
	fr_clock__sample(&clk, 4);
	wr.t0 = fr_clock__to_mono(&clk, req->start_unix_ns) - 1000000000ull;
	wr.t1 = fr_mono_ns();
	if (wr.t0 >= wr.t1 || fr_capture__read_window(d->cap, &wr, &w))
		return 0;
	for (size_t i = 0; i < w->nr_events && !pid; i++) {
		const struct fr_event *e = &w->events[i];
		const struct fr_fdname *n;

		for (size_t k = 0; (n = fr_window__name_at(w, &e->rec, k)); k++)
			if (end_is(n, true, &req->local) &&
			    (!req->remote.ss_family || end_is(n, false, &req->remote))) {
				pid = (pid_t)e->rec.pid;
				break;
			}
	}
	fr_window__free(w);
	return pid;
}

/* A batch holding one span made from what the index kept (or the request's
 * window for a process found by its socket). NULL on ENOMEM. */
static struct fr_batch *span_batch(const struct fr_trace_span *ts, pid_t pid)
{
	struct fr_batch *b = fr_batch__new(4096);
	struct fr_resource *res;
	struct fr_scope *scope;
	struct fr_span *sp;

	if (!b)
		return NULL;
	res = fr_arena__zalloc(b->arena, sizeof(*res));
	scope = fr_arena__zalloc(b->arena, sizeof(*scope));
	sp = fr_arena__zalloc(b->arena, sizeof(*sp));
	if (!res || !scope || !sp)
		goto oom;
	res->service_name.p = fr_arena__strndup(b->arena, ts->service, strlen(ts->service));
	res->service_name.len = (uint32_t)strlen(ts->service);
	res->schema_url.p = "";
	res->pid = pid;
	scope->resource = res;
	scope->name.p = "flightrec";
	scope->name.len = 9;
	scope->version.p = "";
	scope->schema_url.p = "";
	memcpy(sp->trace_id, ts->trace_id, 16);
	memcpy(sp->span_id, ts->span_id, 8);
	memcpy(sp->parent_span_id, ts->parent_span_id, 8);
	for (int i = 0; i < 8; i++)
		sp->has_parent |= ts->parent_span_id[i] != 0;
	sp->kind = ts->kind;
	sp->start_ns = ts->start_ns;
	sp->end_ns = ts->end_ns;
	sp->name.p = fr_arena__strndup(b->arena, ts->name, strlen(ts->name));
	sp->name.len = (uint32_t)strlen(ts->name);
	sp->trace_state.p = "";
	sp->status_message.p = "";
	sp->scope = scope;
	if (!res->service_name.p || !sp->name.p)
		goto oom;
	b->resources = res;
	b->nr_resources = 1;
	b->scopes = scope;
	b->nr_scopes = 1;
	b->spans = sp;
	b->nr_spans = 1;
	return b;
oom:
	fr_batch__put(b);
	return NULL;
}

static void on_capture(void *ctx, const struct fr_capture_req *req, struct fr_fleet_reply *r)
{
	struct fr_daemon *d = ctx;
	struct fr_trace_span ts[MAX_TRACE_SPANS], made = { 0 };
	const struct fr_trace_span *span = NULL;
	struct fr_remote_job *rj;
	struct fr_job job = { 0 };
	const char *me = fr_fleet__node(d->fleet);
	char ep[64] = "";
	uint64_t taken;
	size_t n;
	pid_t pid = 0;

	if (req->local.ss_family)
		fr_sockaddr__format(&req->local, ep, sizeof(ep));
	n = fr_fleet__trace_spans(d->fleet, req->trace_id, TRACE_KEEP_NS, ts, MAX_TRACE_SPANS);
	if (!n && req->broadcast) {
		fr_fleet__answer(d->fleet, r, NULL); /* not ours: only the holder answers */
		return;
	}
	if (answer_merged(d, req, r))
		return;
	if (!d->cap) {
		answer_words(d, r, FR_REMOTE_NOTHING, "%s runs without kernel capture", me);
		return;
	}
	span = n ? choose_span(req, ts, n) : NULL;
	rj = calloc(1, sizeof(*rj));
	if (!rj) {
		fr_fleet__answer(d->fleet, r, NULL);
		return;
	}
	if (span && span->pid > 0) {
		pid = span->pid;
		snprintf(rj->pid_source, sizeof(rj->pid_source),
			 "its span %.96s of the trace, as seen by this node", span->name);
	} else if ((pid = socket_owner(req)) > 0 || (pid = ring_socket_owner(d, req)) > 0) {
		char comm[16] = "?";

		fr_proc_comm(pid, comm, sizeof(comm));
		memset(&made, 0, sizeof(made));
		memcpy(made.trace_id, req->trace_id, 16);
		memcpy(made.parent_span_id, req->parent_span_id, 8);
		made.kind = req->caller ? FR_KIND_CLIENT : FR_KIND_SERVER;
		made.start_ns = span ? span->start_ns : req->start_unix_ns;
		made.end_ns = span ? span->end_ns : req->end_unix_ns;
		snprintf(made.name, sizeof(made.name), "%s", span ? span->name : "part of a remote trace");
		if (span)
			snprintf(made.service, sizeof(made.service), "%s", span->service);
		else if (fr_fleet__service_of(d->fleet, pid, made.service, sizeof(made.service)))
			snprintf(made.service, sizeof(made.service), "%s", comm);
		span = &made;
		snprintf(rj->pid_source, sizeof(rj->pid_source), "the owner of %s (%s)", ep, comm);
	}
	if (pid <= 0 || !span) {
		free(rj);
		answer_words(d, r, FR_REMOTE_NOTHING, "%s holds no spans of the trace and no process "
			     "on %s", me, ep[0] ? ep : "that address");
		return;
	}
	if (!fr_daemon__in_scope(d, pid)) {
		free(rj);
		answer_words(d, r, FR_REMOTE_REFUSED, "pid %d on %s is outside this recorder's "
			     "network namespace", (int)pid, me);
		return;
	}
	if (!fr_trigger__take_budget(d->trig)) {
		free(rj);
		fr_fleet__count_refused(d->fleet);
		answer_words(d, r, FR_REMOTE_REFUSED, "%s is over its capture budget", me);
		return;
	}
	rj->id = fr_store__new_id(d->store);
	if ((taken = taken_or_take(d, req->trace_id, rj->id))) {
		struct fr_capture_answer a = { .state = FR_REMOTE_MERGED, .incident_id = taken };

		free(rj);
		snprintf(a.note, sizeof(a.note), "%s is taking its part of this trace already "
			 "(incident %016" PRIx64 "): merged", me, taken);
		fr_fleet__answer(d->fleet, r, &a);
		return;
	}
	rj->req = *req;
	rj->reply = r;
	rj->from_spans = span != &made;
	job.batch = span_batch(span, pid);
	if (!job.batch) {
		free(rj);
		fr_fleet__answer(d->fleet, r, NULL);
		return;
	}
	job.span = &job.batch->spans[0];
	job.host_pid = pid;
	job.followed = true;
	job.remote = rj;
	if (!fr_daemon__queue_capture(d, &job)) {
		free(rj);
		answer_words(d, r, FR_REMOTE_REFUSED, "%s's capture queue is full", me);
	}
	fr_batch__put(job.batch); /* the queue holds its own reference */
}

/* "12:00:01.2" local time, for words about a window. */
static void clock_words(uint64_t unix_ns, char *buf, size_t len)
{
	time_t t = (time_t)(unix_ns / 1000000000ull);
	struct tm tm;

	localtime_r(&t, &tm);
	snprintf(buf, len, "%02d:%02d:%02d.%u", tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned)(unix_ns % 1000000000ull / 100000000ull));
}

/*
 * A node is often asked before its own spans of the trace reached it (the
 * SDK exports them in batches, after the asker's span ended): wait a
 * little for them, within the request's deadline, rather than describe a
 * process found only by its socket. A batch for the span they show, or
 * NULL.
 */
#define SPANS_WAIT_NS 400000000ull
#define SPANS_POLL_US 20000

static struct fr_batch *spans_arrived(struct fr_daemon *d, const struct fr_capture_req *req)
{
	struct fr_trace_span ts[MAX_TRACE_SPANS];
	uint64_t until = fr_wall_ns() + SPANS_WAIT_NS;
	const struct fr_trace_span *span;

	if (req->deadline_unix_ns > 300000000ull && req->deadline_unix_ns - 300000000ull < until)
		until = req->deadline_unix_ns - 300000000ull;
	for (;;) {
		size_t n = fr_fleet__trace_spans(d->fleet, req->trace_id, TRACE_KEEP_NS, ts,
						 MAX_TRACE_SPANS);

		span = n ? choose_span(req, ts, n) : NULL;
		if (span && span->pid > 0)
			return span_batch(span, span->pid);
		if (fr_wall_ns() >= until)
			return NULL;
		usleep(SPANS_POLL_US);
	}
}

void fr_daemon__remote_incident(struct fr_daemon *d, struct fr_snapshotter *snap,
				const struct fr_job *j)
{
	struct fr_remote_job *rj = j->remote;
	struct fr_across x = { .d = d, .req = &rj->req };
	struct fr_incident_in in = {
		.batch = j->batch, .span = j->span, .host_pid = j->host_pid, .followed = true,
		.pid_source = rj->pid_source, .node = fr_fleet__node(d->fleet),
		.part_of_node = rj->req.from, .part_of_id = rj->req.from_incident,
		.across = fr_daemon__across, .across_ctx = &x,
	};
	struct fr_incident_out out;
	struct fr_batch *better = rj->from_spans ? NULL : spans_arrived(d, &rj->req);
	char a[32], b[32];
	int err;

	if (better) { /* its spans came after all: the part is about them */
		in.batch = better;
		in.span = &better->spans[0];
		in.host_pid = (pid_t)better->resources[0].pid;
		snprintf(rj->pid_source, sizeof(rj->pid_source),
			 "its span %.96s of the trace, as seen by this node", in.span->name.p);
	}
	in.id = rj->id;
	in.decision.fire = true;
	snprintf(in.decision.reason, sizeof(in.decision.reason),
		 "asked by %s for its incident %016" PRIx64, rj->req.from, rj->req.from_incident);
	snprintf(in.rule, sizeof(in.rule), "asked by node %s", rj->req.from);
	err = fr_snapshotter__take(snap, &in, &out);
	if (err) {
		answer_words(d, rj->reply, FR_REMOTE_ERROR, "%s could not take its part: %s",
			     in.node, strerror(-err));
	} else if (!out.summary.kernel_context || !out.summary.records) {
		clock_words(j->span->start_ns, a, sizeof(a));
		clock_words(j->span->end_ns, b, sizeof(b));
		if (out.summary.complete) /* the rings covered it: nothing of it was recorded */
			answer_words(d, rj->reply, FR_REMOTE_OUT_OF_RINGS,
				     "%s's rings hold no records of pid %d in %s–%s (not followed "
				     "then)", in.node, (int)in.host_pid, a, b);
		else
			answer_words(d, rj->reply, FR_REMOTE_OUT_OF_RINGS,
				     "%s's rings no longer held %s–%s", in.node, a, b);
		fr_incident_out__free(&out);
	} else {
		answer_summary(d, rj->reply, FR_REMOTE_ANSWERED, &out.summary, NULL);
		fr_daemon__store_incident(d, &in, &out, false);
		fr_incident_out__free(&out);
	}
	fr_batch__put(better);
	free(rj);
}

/* ---- late answers ---- */

static void late_update(void *ctx, struct fr_incident_summary *sum)
{
	const struct fr_remote_part *p = ctx;
	struct fr_remote_part *old = NULL;
	char clause[900], *at;

	for (uint32_t i = 0; i < sum->nr_remote; i++)
		if (!strcmp(sum->remote[i].node, p->node) && !strcmp(sum->remote[i].via, p->via))
			old = &sum->remote[i];
	/* a broadcast's answer: the address on no known node was that node's */
	for (uint32_t i = 0; i < sum->nr_remote && !old; i++)
		if (sum->remote[i].state == FR_REMOTE_NO_NODE && p->endpoint[0] &&
		    !strcmp(sum->remote[i].endpoint, p->endpoint))
			old = &sum->remote[i];
	if (!old && sum->nr_remote < FR_MAX_REMOTE)
		old = &sum->remote[sum->nr_remote++];
	if (!old)
		return;
	/* the verdict said it did not answer: now it says what it found */
	if (old->note[0] && (at = strstr(sum->verdict, old->note))) {
		struct fr_remote_part merged = *p;
		size_t pre = (size_t)(at - sum->verdict), oldlen = strlen(old->note);
		char rest[1024];

		if (!merged.endpoint[0])
			snprintf(merged.endpoint, sizeof(merged.endpoint), "%s", old->endpoint);
		part_clause(&merged, clause, sizeof(clause));
		snprintf(rest, sizeof(rest), "%s", at + oldlen);
		snprintf(sum->verdict + pre, sizeof(sum->verdict) - pre, "%s%s", clause, rest);
	}
	{
		char endpoint[64], ui[128];
		uint64_t ns = old->ns;

		memcpy(endpoint, old->endpoint, sizeof(endpoint));
		memcpy(ui, old->ui, sizeof(ui));
		*old = *p;
		if (!old->endpoint[0])
			memcpy(old->endpoint, endpoint, sizeof(endpoint));
		if (!old->ui[0])
			memcpy(old->ui, ui, sizeof(ui));
		if (!old->ns)
			old->ns = ns;
	}
}

static void on_late(void *ctx, uint64_t incident_id, const struct fr_remote_part *part)
{
	struct fr_daemon *d = ctx;
	struct fr_incident_summary *sum;
	int err = fr_store__update(d->store, incident_id, late_update, (void *)part);

	/* an answer just after the wait can come before the incident is stored */
	for (int i = 0; err == -ENOENT && i < 40; i++) {
		usleep(50000);
		err = fr_store__update(d->store, incident_id, late_update, (void *)part);
	}
	if (err) {
		pr_warn("late answer from %s for incident %016" PRIx64 " not kept: %s", part->node,
			 incident_id, strerror(-err));
		return;
	}
	pr_info("incident %016" PRIx64 ": %s answered late (%s)", incident_id, part->node,
		fr_remote_state__name(part->state));
	sum = malloc(sizeof(*sum));
	if (sum && !fr_store__summary(d->store, incident_id, sum))
		fr_fleet__publish(d->fleet, sum);
	free(sum);
}

static int read_snapshot(void *ctx, uint64_t id, struct fr_buf *out)
{
	struct fr_daemon *d = ctx;

	return fr_store__snapshot(d->store, id, out);
}

int fr_daemon__start_fleet(struct fr_daemon *d)
{
	const struct fr_config *c = d->c;
	struct fr_fleet_opts o = {
		.sz = sizeof(o), .servers = (const char *const *)c->nats, .nr_servers = c->nr_nats,
		.creds = c->nats_creds, .node = c->node, .ui_url = c->snapshot.ui_base,
		.version = FR_VERSION, .netns_only = c->scope_netns, .wait_ms = c->fleet_wait_ms,
		.max_hops = c->fleet_max_hops, .on_capture = on_capture, .on_late = on_late,
		.read_snapshot = read_snapshot, .ctx = d,
		.extra_addrs = c->fleet_addrs, .nr_extra_addrs = (size_t)c->nr_fleet_addrs,
	};

	if (!c->nr_nats)
		return 0;
	d->fleet = fr_fleet__open(&o);
	return d->fleet ? 0 : -errno;
}
