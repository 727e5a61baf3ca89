// SPDX-License-Identifier: MIT
/*
 * network.c - packets the kernel had to send again on the span's
 * connections: a SYN that went unanswered (a full accept queue at the
 * server, a host that drops it) or data not acknowledged in time (a lost
 * packet). A wait "until fd 30 (tcp ...) was ready" ended by the network
 * says when; the retransmissions say why it took that long.
 *
 * The kernel records every TCP retransmission (FR_REC_RETRANS) with its
 * connection, in the context of the timer that fired, where its owner is
 * not known; here a connection is the span's when the window's processes
 * named it at a call (an fd, an epoll wait's ready fd).
 */
#include <stdio.h>
#include <string.h>

#include "causes.h"
#include "fr_buf.h"

#define MAX_CONNS 8

struct conn {
	const struct fr_fdname *name;
	uint32_t count, syn;
	uint64_t first;
};

/* Is n (a connection a process named) the one retransmission r was on? */
static bool same_connection(const struct fr_fdname *n, const struct fr_rec *r)
{
	uint8_t sa[4], da[4];

	if (n->proto != 6 /* IPPROTO_TCP */ || n->sport != r->tcp.sport ||
	    n->dport != r->tcp.dport)
		return false;
	if (n->kind == FR_NAME_INET && !(r->flags & FR_RT_V6)) {
		memcpy(sa, n->saddr, 4);
		memcpy(da, n->daddr, 4);
	} else if (n->kind == FR_NAME_INET6 && (r->flags & FR_RT_V6)) {
		fr_fold_in6(n->saddr, sa);
		fr_fold_in6(n->daddr, da);
	} else {
		return false;
	}
	return !memcmp(sa, r->tcp.saddr, 4) && !memcmp(da, r->tcp.daddr, 4);
}

static const struct fr_fdname *named_connection(const struct fr_window *w, const struct fr_rec *r)
{
	for (size_t i = 0; i < w->nr_names; i++)
		if ((w->names[i].kind == FR_NAME_INET || w->names[i].kind == FR_NAME_INET6) &&
		    same_connection(&w->names[i], r))
			return &w->names[i];
	return NULL;
}

static int find(const struct fr_window *w, const struct fr_annotate_ctx *c,
		struct fr_evidence *ev)
{
	struct conn conns[MAX_CONNS];
	size_t n = 0, best = 0;
	char res[200], at[32], times[96];
	bool named;

	for (size_t i = 0; i < w->nr_events; i++) {
		const struct fr_rec *r = &w->events[i].rec;
		const struct fr_fdname *name;
		size_t k;

		if (r->type != FR_REC_RETRANS || r->ts < c->span_start || r->ts > c->span_end ||
		    !(name = named_connection(w, r)))
			continue;
		for (k = 0; k < n && !same_connection(conns[k].name, r); k++)
			;
		if (k == n) {
			if (n == MAX_CONNS)
				continue;
			conns[n++] = (struct conn){ .name = name, .first = r->ts };
		}
		conns[k].count++;
		conns[k].syn += r->aux == FR_TCP_SYN_SENT;
	}
	if (!n)
		return 0;
	for (size_t k = 1; k < n; k++)
		if (conns[k].count > conns[best].count)
			best = k;
	fr_fdname__format(conns[best].name, res, sizeof(res));
	fr_fmt_duration(conns[best].first - c->span_start, at, sizeof(at));
	/* the connection the verdict already named is "its" */
	named = strstr(ev->verdict, res) != NULL;
	if ((conns[best].syn ? conns[best].syn : conns[best].count) == 1)
		snprintf(times, sizeof(times), "again %s into the span", at);
	else
		snprintf(times, sizeof(times), "again %u times from %s into the span",
			 conns[best].syn ? conns[best].syn : conns[best].count, at);
	if (conns[best].syn && named)
		fr_causes__append(ev,
				  "; its SYN went unanswered and the kernel sent it %s (the "
				  "server's accept queue full, or the packet lost)",
				  times);
	else if (conns[best].syn)
		fr_causes__append(ev,
				  "; the SYN of %s went unanswered and the kernel sent it %s "
				  "(the server's accept queue full, or the packet lost)",
				  res, times);
	else
		fr_causes__append(ev,
				  "; the kernel sent packets of %s %s (lost, or not acknowledged "
				  "in time)",
				  named ? "it" : res, times);
	if (n > 1)
		fr_causes__append(ev, " (and on %zu other connection%s)", n - 1, n > 2 ? "s" : "");
	return 0;
}

const struct fr_cause_finder fr_cause_retransmits = { "TCP retransmissions", NULL, find };
