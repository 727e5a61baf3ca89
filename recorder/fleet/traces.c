// SPDX-License-Identifier: MIT
/*
 * traces.c - the spans this node saw, by trace id (fr_fleet.h): a ring of
 * compact copies, the oldest replaced, with hash chains by trace id. A
 * node asked for its part of a trace finds its spans here: which process,
 * which thread's times, which peer.
 */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "fleet_int.h"
#include "fr_clock.h"

#define NO_ENTRY UINT32_MAX

struct fleet_traces {
	pthread_mutex_t mu;
	struct fr_trace_span *spans; /* cap, a ring */
	uint32_t *next;              /* per entry: the next of its chain */
	uint32_t *heads;             /* per bucket: the newest of its chain */
	size_t cap, nbuckets, pos;   /* pos: the next entry to write */
	bool full;
};

struct fleet_traces *fr_fleet_traces_new(size_t cap)
{
	struct fleet_traces *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->cap = cap;
	t->nbuckets = 1;
	while (t->nbuckets < cap / 2)
		t->nbuckets <<= 1;
	t->spans = calloc(cap, sizeof(*t->spans));
	t->next = malloc(cap * sizeof(*t->next));
	t->heads = malloc(t->nbuckets * sizeof(*t->heads));
	if (!t->spans || !t->next || !t->heads) {
		fr_fleet_traces_free(t);
		return NULL;
	}
	memset(t->heads, 0xff, t->nbuckets * sizeof(*t->heads));
	pthread_mutex_init(&t->mu, NULL);
	return t;
}

void fr_fleet_traces_free(struct fleet_traces *t)
{
	if (!t)
		return;
	free(t->spans);
	free(t->next);
	free(t->heads);
	free(t);
}

static size_t bucket(const struct fleet_traces *t, const uint8_t id[16])
{
	uint64_t h;

	memcpy(&h, id + 8, 8); /* trace ids are random: their low half hashes well */
	return (size_t)(h ^ (h >> 29)) & (t->nbuckets - 1);
}

/* Takes entry i out of its chain (it is about to be replaced). */
static void unlink_entry(struct fleet_traces *t, uint32_t i)
{
	uint32_t *p = &t->heads[bucket(t, t->spans[i].trace_id)];

	while (*p != NO_ENTRY && *p != i)
		p = &t->next[*p];
	if (*p == i)
		*p = t->next[i];
}

static const char *attr_str(const struct fr_attrs *a, const char *key)
{
	for (uint32_t i = 0; i < a->n; i++)
		if (!strcmp(a->kv[i].key.p, key) && a->kv[i].value.type == FR_VAL_STRING)
			return a->kv[i].value.s.p;
	return NULL;
}

static int64_t attr_int(const struct fr_attrs *a, const char *key)
{
	for (uint32_t i = 0; i < a->n; i++) {
		if (strcmp(a->kv[i].key.p, key))
			continue;
		if (a->kv[i].value.type == FR_VAL_INT)
			return a->kv[i].value.i;
		if (a->kv[i].value.type == FR_VAL_STRING)
			return atoll(a->kv[i].value.s.p);
	}
	return 0;
}

/* A numeric address and a port (1..65535) as a socket address. */
static int numeric(const char *host, int64_t port, struct sockaddr_storage *out)
{
	if (port <= 0) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return fr_sockaddr__from(host, port, out);
}

int fr_span__peer(const struct fr_span *sp, struct sockaddr_storage *out)
{
	/* the semantic conventions' names, current first, then the older ones */
	static const char *const client_side[][2] = {
		{ "network.peer.address", "network.peer.port" },
		{ "server.address", "server.port" },
		{ "net.peer.ip", "net.peer.port" },
		{ "net.sock.peer.addr", "net.sock.peer.port" },
		{ "net.peer.name", "net.peer.port" },
	};
	static const char *const server_side[][2] = {
		{ "network.peer.address", "network.peer.port" },
		{ "client.address", "client.port" },
		{ "net.sock.peer.addr", "net.sock.peer.port" },
		{ "net.peer.ip", "net.peer.port" },
	};
	const char *const(*keys)[2] = sp->kind == FR_KIND_SERVER ? server_side : client_side;
	size_t n = sp->kind == FR_KIND_SERVER ? sizeof(server_side) / sizeof(server_side[0])
					       : sizeof(client_side) / sizeof(client_side[0]);

	if (sp->kind != FR_KIND_SERVER && sp->kind != FR_KIND_CLIENT &&
	    sp->kind != FR_KIND_PRODUCER && sp->kind != FR_KIND_CONSUMER)
		return -ENOENT;
	for (size_t i = 0; i < n; i++)
		if (!numeric(attr_str(&sp->attrs, keys[i][0]), attr_int(&sp->attrs, keys[i][1]), out))
			return 0;
	memset(out, 0, sizeof(*out));
	return -ENOENT;
}

void fr_fleet__note_spans(struct fr_fleet *f, const struct fr_batch *b, const pid_t *host_pid,
			  size_t nr)
{
	struct fleet_traces *t = f ? f->traces : NULL;
	uint64_t now = fr_mono_ns();

	if (!t)
		return;
	pthread_mutex_lock(&t->mu);
	for (size_t i = 0; i < b->nr_spans; i++) {
		const struct fr_span *sp = &b->spans[i];
		const struct fr_resource *res = sp->scope ? sp->scope->resource : NULL;
		size_t ri = res ? (size_t)(res - b->resources) : 0;
		uint32_t e = (uint32_t)t->pos;
		struct fr_trace_span *ts = &t->spans[e];
		size_t h;

		if (t->full)
			unlink_entry(t, e);
		memset(ts, 0, sizeof(*ts));
		memcpy(ts->trace_id, sp->trace_id, 16);
		memcpy(ts->span_id, sp->span_id, 8);
		memcpy(ts->parent_span_id, sp->parent_span_id, 8);
		ts->kind = sp->kind;
		ts->start_ns = sp->start_ns;
		ts->end_ns = sp->end_ns;
		snprintf(ts->name, sizeof(ts->name), "%s", sp->name.p);
		snprintf(ts->service, sizeof(ts->service), "%s", res ? res->service_name.p : "");
		ts->pid = res && ri < nr && host_pid ? host_pid[ri] : 0;
		fr_span__peer(sp, &ts->peer);
		ts->noted = now;
		h = bucket(t, ts->trace_id);
		t->next[e] = t->heads[h];
		t->heads[h] = e;
		t->pos = (t->pos + 1) % t->cap;
		t->full |= t->pos == 0;
	}
	pthread_mutex_unlock(&t->mu);
}

size_t fr_fleet__trace_spans(struct fr_fleet *f, const uint8_t trace_id[16], uint64_t keep_ns,
			     struct fr_trace_span *out, size_t max)
{
	struct fleet_traces *t = f ? f->traces : NULL;
	uint64_t now;
	size_t n = 0;

	if (!t)
		return 0;
	pthread_mutex_lock(&t->mu);
	now = fr_mono_ns(); /* after the lock: no span noted later than now */
	for (uint32_t e = t->heads[bucket(t, trace_id)]; e != NO_ENTRY && n < max; e = t->next[e]) {
		const struct fr_trace_span *ts = &t->spans[e];

		if (memcmp(ts->trace_id, trace_id, 16) || now - ts->noted > keep_ns)
			continue;
		out[n++] = *ts;
	}
	pthread_mutex_unlock(&t->mu);
	return n;
}

int fr_fleet__service_of(struct fr_fleet *f, pid_t pid, char *out, size_t len)
{
	struct fleet_traces *t = f ? f->traces : NULL;
	size_t n;
	int rc = -ENOENT;

	if (!t || pid <= 0)
		return -ENOENT;
	pthread_mutex_lock(&t->mu);
	n = t->full ? t->cap : t->pos;
	for (size_t k = 1; k <= n && rc; k++) { /* newest first */
		const struct fr_trace_span *ts = &t->spans[(t->pos + t->cap - k) % t->cap];

		if (ts->pid == pid && ts->service[0]) {
			snprintf(out, len, "%s", ts->service);
			rc = 0;
		}
	}
	pthread_mutex_unlock(&t->mu);
	return rc;
}
