// SPDX-License-Identifier: MIT
/*
 * disk.c - who else used the disk: when the span (or the task its chain
 * ends in) waited on block I/O (an fsync, a read, a page fault), the block
 * requests of everyone else on that device in the span, by process. A
 * writeback thread's requests count for the process that dirtied the
 * pages, as the kernel programs name it (the inode's last dirtier).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../annotate_int.h"
#include "causes.h"
#include "fr_buf.h"

#define MAX_USERS 64

struct user {
	uint32_t pid;       /* 0: writeback whose owner is unknown */
	uint64_t rd, wr;    /* bytes */
	uint32_t requests;
};

/* Did the span, or its chain's root, wait on the disk. */
static bool waited_on_disk(const struct fr_evidence *ev)
{
	static const char *const signs[] = { "the disk completed the I/O", "fsync(", "fdatasync(",
					     "sync_file_range(", "major page faults", "swap-ins",
					     "syncfs(", "sync (" };
	const char *top = ev->nr_causes && ev->causes[0].kind == FR_CAUSE_BLOCKED
			  ? ev->causes[0].what : "";

	for (size_t i = 0; i < sizeof(signs) / sizeof(signs[0]); i++)
		if (strstr(ev->verdict, signs[i]) || strstr(top, signs[i]) ||
		    strstr(ev->chain_root, signs[i]))
			return true;
	return false;
}

static bool is_ours(const struct fr_annotate_ctx *c, const struct fr_evidence *ev, uint32_t pid)
{
	return pid == c->pid || (ev->chain_root_pid && pid == ev->chain_root_pid);
}

/* The one who is credited with request r: the dirtier of written-back
 * pages, else the task that issued it; 0 for a kernel thread acting for
 * nobody known (the block layer dispatching others' requests, writeback of
 * pages nobody was seen dirty). */
static uint32_t owner_of(const struct fr_rec *r)
{
	if (r->bio.for_pid)
		return r->bio.for_pid;
	return (r->flags & FR_BIO_KTHREAD) ? 0 : r->pid;
}

static void dev_name(uint32_t dev, char *buf, size_t len)
{
	char path[96], line[128];
	FILE *f;

	snprintf(buf, len, "the disk %u:%u", dev >> 20, dev & 0xfffff);
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/uevent", dev >> 20, dev & 0xfffff);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "DEVNAME=", 8)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(buf, len, "%.60s", line + 8);
			break;
		}
	fclose(f);
}

static int cmp_user(const void *a, const void *b)
{
	const struct user *x = a, *y = b;
	uint64_t bx = x->rd + x->wr, by = y->rd + y->wr;

	return bx < by ? 1 : bx > by ? -1 : 0;
}

static int find(const struct fr_window *w, const struct fr_annotate_ctx *c,
		struct fr_evidence *ev)
{
	struct user users[MAX_USERS];
	size_t nu = 0;
	uint32_t dev = 0;
	char words[600], dname[80];
	size_t used = 0;

	if (!ev->focus_tid || !waited_on_disk(ev))
		return 0;
	/* the device the span's side used (itself, its chain's root, or
	 * writeback of their pages); else the busiest one */
	for (size_t i = 0; i < w->nr_events && !dev; i++) {
		const struct fr_rec *r = &w->events[i].rec;

		if (r->type == FR_REC_BIO && r->ts >= c->span_start && r->ts <= c->span_end &&
		    is_ours(c, ev, owner_of(r)))
			dev = r->bio.dev;
	}
	for (size_t i = 0; i < w->nr_events; i++) {
		const struct fr_rec *r = &w->events[i].rec;
		uint32_t who;
		size_t k;

		/* flushes and discards move no data: an fsync's own flush is
		 * issued by a kernel thread */
		if (r->type != FR_REC_BIO || r->aux == FR_BIO_OTHER || r->ts < c->span_start ||
		    r->ts > c->span_end || (dev && r->bio.dev != dev))
			continue;
		who = owner_of(r);
		if (is_ours(c, ev, who))
			continue;
		if (!dev)
			dev = r->bio.dev;
		if (r->bio.dev != dev)
			continue;
		for (k = 0; k < nu && users[k].pid != who; k++)
			;
		if (k == nu) {
			if (nu == MAX_USERS)
				continue;
			memset(&users[nu++], 0, sizeof(users[0]));
			users[k].pid = who;
		}
		if (r->aux == FR_BIO_READ)
			users[k].rd += r->bio.bytes;
		else if (r->aux == FR_BIO_WRITE)
			users[k].wr += r->bio.bytes;
		users[k].requests++;
	}
	if (!nu)
		return 0;
	qsort(users, nu, sizeof(users[0]), cmp_user);
	/* a neighbour worth naming: a megabyte, or many requests */
	if (users[0].rd + users[0].wr < (1u << 20) && users[0].requests < 32)
		return 0;
	dev_name(dev, dname, sizeof(dname));
	for (size_t k = 0; k < nu && k < 3; k++) {
		const struct user *u = &users[k];
		char who[96], name[32] = "?", rb[32], wb[32];

		if (u->rd + u->wr < (1u << 20) && u->requests < 32)
			break;
		if (u->pid && c->thread_name)
			c->thread_name(c->ctx, u->pid, u->pid, name, sizeof(name));
		if (u->pid)
			snprintf(who, sizeof(who), "%s (pid %u)", name, u->pid);
		else
			snprintf(who, sizeof(who), "kernel threads, for no process seen");
		fr_fmt_bytes(u->wr, wb, sizeof(wb));
		fr_fmt_bytes(u->rd, rb, sizeof(rb));
		used += (size_t)snprintf(words + used, sizeof(words) - used,
					 "%s%s%s%s%s in %u request%s by %s", k ? ", " : "",
					 u->wr ? wb : "", u->wr ? " written" : "",
					 u->wr && u->rd ? " and " : "",
					 u->rd ? strcat(rb, " read") : "", u->requests,
					 u->requests == 1 ? "" : "s", who);
		{
			struct fr_disk_user *d = &ev->disk.users[ev->disk.nr_users++];

			snprintf(ev->disk.dev, sizeof(ev->disk.dev), "%.63s", dname);
			snprintf(d->who, sizeof(d->who), "%.63s", who);
			d->pid = u->pid;
			d->read = u->rd;
			d->written = u->wr;
			d->requests = u->requests;
		}
		if (used >= sizeof(words))
			break;
	}
	if (used)
		fr_causes__append(ev, "; %s was busy meanwhile: %s", dname, words);
	return 0;
}

const struct fr_cause_finder fr_cause_disk_neighbour = { "disk neighbour", NULL, find };
