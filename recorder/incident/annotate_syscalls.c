// SPDX-License-Identifier: MIT
/*
 * annotate_syscalls.c - naming what a thread was doing from its records:
 * the syscall and its fd, or its kernel stack (annotate_int.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "annotate_int.h"
#include "fr_syscalls.h"

uint64_t fr_an_sys_begin(const struct fr_rec *r)
{
	uint64_t d = fr_rec__sys_dur(r);

	return d < r->ts ? r->ts - d : 0;
}

size_t fr_an_first_event_from(const struct fr_window *w, uint64_t t)
{
	size_t lo = 0, hi = w->nr_events;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (w->events[mid].rec.ts < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

uint64_t fr_an_overlap(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
	uint64_t lo = a0 > b0 ? a0 : b0, hi = a1 < b1 ? a1 : b1;

	return hi > lo ? hi - lo : 0;
}

/* The last wake-up of r's thread inside syscall r that a task did. */
static const struct fr_rec *task_wake_in(const struct fr_window *w, const struct fr_rec *r)
{
	const struct fr_rec *best = NULL;

	for (size_t i = fr_an_first_event_from(w, fr_an_sys_begin(r));
	     i < w->nr_events && w->events[i].rec.ts <= r->ts; i++) {
		const struct fr_rec *k = &w->events[i].rec;

		if (k->type == FR_REC_WAKEUP && k->tid == r->tid && k->wk.waker_tid &&
		    !(k->flags & (FR_WK_HARDIRQ | FR_WK_TIMER)))
			best = k;
	}
	return best;
}

/* Is m the other end of inet connection n (the same connection, seen from
 * the other side)? */
static bool mirrors(const struct fr_fdname *n, const struct fr_fdname *m)
{
	size_t alen = n->kind == FR_NAME_INET ? 4 : 16;

	return m->kind == n->kind && m->sport == n->dport && m->dport == n->sport &&
	       !memcmp(m->saddr, n->daddr, alen) && !memcmp(m->daddr, n->saddr, alen);
}

/*
 * Of the fds an epoll wait returned ready, the one the task that woke it
 * made ready: a connection whose other end the window saw too (a process
 * it keeps waited on it), a unix socket whose peer is the waker, a pipe
 * the waker used; else the first.
 */
static const struct fr_fdname *ready_fd_that_woke(const struct fr_window *w,
						  const struct fr_rec *r)
{
	const struct fr_fdname *first = fr_window__name(w, r), *n;
	const struct fr_rec *wake = NULL;

	if (!first || !fr_window__name_at(w, r, 1))
		return first; /* one or none: nothing to choose */
	wake = task_wake_in(w, r);
	for (size_t i = 0; (n = fr_window__name_at(w, r, i)); i++) {
		if (wake && n->kind == FR_NAME_UNIX && n->peer_pid == wake->wk.waker_pid)
			return n;
		for (size_t k = 0; k < w->nr_names; k++) {
			const struct fr_fdname *m = &w->names[k];

			if (m == n || m->tid == n->tid)
				continue;
			if ((n->kind == FR_NAME_INET || n->kind == FR_NAME_INET6) && mirrors(n, m))
				return n;
			if (wake && n->kind == FR_NAME_PIPE && m->kind == FR_NAME_PIPE &&
			    m->ino == n->ino && m->tid == wake->wk.waker_tid)
				return n;
		}
	}
	return first;
}

/* How far from an unnamed call its thread's named calls on that fd are
 * looked for, in window events. */
#define INHERIT_SCAN 4096

/* The last call of a thread on an fd that the kernel named, by (tid, fd). */
struct named_at {
	uint64_t key; /* tid << 32 | fd, + 1: 0 is an empty slot */
	const struct fr_fdname *name;
	size_t at;
};

static struct named_at *slot_of(struct named_at *map, size_t mask, uint64_t key)
{
	size_t i = (size_t)((key * 0x9e3779b97f4a7c15ull) >> 20) & mask;

	while (map[i].key && map[i].key != key)
		i = (i + 1) & mask;
	return &map[i];
}

/* A syscall record on an fd: its key, else 0. takes_fd: per syscall
 * number below 512, whether it takes an fd first (-1 not looked up yet). */
static uint64_t fd_call_key(const struct fr_rec *r, int8_t takes_fd[512])
{
	const char *name;

	if (r->type != FR_REC_SYSCALL || r->sys.arg0 >= (1u << 24))
		return 0;
	if (r->aux >= 512)
		return 0; /* no such syscall (fr_syscall_name knows none there) */
	if (takes_fd[r->aux] < 0)
		takes_fd[r->aux] = (name = fr_syscall_name(r->aux)) && fr_syscall_takes_fd(name);
	if (!takes_fd[r->aux])
		return 0;
	return ((uint64_t)r->tid << 32 | r->sys.arg0) + 1;
}

/* What the kernel named r's own fd at r, or NULL. */
static const struct fr_fdname *fd_named(const struct fr_window *w, const struct fr_rec *r)
{
	const struct fr_fdname *n = (r->flags & FR_SYS_NAMED) ? fr_window__name(w, r) : NULL;

	return n && n->role == FR_NAME_ROLE_FD && n->fd == (int32_t)r->sys.arg0 ? n : NULL;
}

/*
 * Per event of w, the name a call on an fd too fast for the kernel to name
 * (the naming threshold) takes from its neighbours: when the nearest calls
 * of its thread on that fd before and after it that the kernel named (each
 * within INHERIT_SCAN events) named the same file or socket, that one.
 * Only between: the fd may have been closed and reused after the last named
 * call (unseen without syscall hooks). One pass each way over the window;
 * NULL when out of memory (annotate then fails), *out NULL when w has no
 * call on an fd.
 */
int fr_an_inherited_names(const struct fr_window *w, const struct fr_fdname ***out)
{
	const struct fr_fdname **before = NULL, **res = NULL;
	struct named_at *map = NULL;
	uint64_t *keys;
	size_t calls = 0, cap = 16;
	int8_t takes_fd[512];

	*out = NULL;
	memset(takes_fd, -1, sizeof(takes_fd));
	keys = malloc((w->nr_events + 1) * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	for (size_t i = 0; i < w->nr_events; i++)
		calls += (keys[i] = fd_call_key(&w->events[i].rec, takes_fd)) != 0;
	if (!calls) {
		free(keys);
		return 0;
	}
	while (cap < 2 * calls)
		cap *= 2;
	map = calloc(cap, sizeof(*map));
	before = calloc(w->nr_events, sizeof(*before));
	res = calloc(w->nr_events, sizeof(*res));
	if (!map || !before || !res)
		goto oom;
	for (int pass = 0; pass < 2; pass++) {
		memset(map, 0, cap * sizeof(*map));
		for (size_t k = 0; k < w->nr_events; k++) {
			size_t i = pass ? w->nr_events - 1 - k : k;
			const struct fr_rec *r = &w->events[i].rec;
			const struct fr_fdname *n;
			uint64_t key = keys[i];
			struct named_at *m;

			if (!key)
				continue;
			m = slot_of(map, cap - 1, key);
			if ((n = fd_named(w, r))) {
				*m = (struct named_at){ key, n, i };
				continue;
			}
			if ((n = fr_window__name(w, r)) && n->role == FR_NAME_ROLE_FD)
				continue; /* its own name, of another fd: it keeps that */
			if (!m->key || (pass ? m->at - i : i - m->at) > INHERIT_SCAN)
				continue;
			if (!pass)
				before[i] = m->name;
			else if (before[i] && m->name->kind == before[i]->kind &&
				 m->name->ino == before[i]->ino)
				res[i] = before[i];
		}
	}
	free(keys);
	free(map);
	free(before);
	*out = res;
	return 0;
oom:
	free(keys);
	free(map);
	free(before);
	free(res);
	return -ENOMEM;
}

/*
 * "fsync(/var/lib/app/wal)", "read(tcp 127.0.0.1:41234 → 127.0.0.1:8081)",
 * "epoll_pwait until fd 23 (tcp ...) was ready", "futex (lock or condition
 * wait)", "clock_nanosleep (sleep)"; "read(fd 5)" when the fd was not named
 * by the kernel at the call (a call faster than the naming threshold) nor
 * can be told from its neighbours (fr_an_inherited_names, c->inherited).
 */
void fr_an_describe_syscall(const struct fr_annotate_ctx *c, const struct fr_window *w,
			    const struct fr_rec *r, char *buf, size_t len)
{
	const char *name = fr_syscall_name(r->aux);
	const struct fr_fdname *n = fr_window__name(w, r);
	char res[200];

	if (!name) {
		snprintf(buf, len, "syscall %u", r->aux);
		return;
	}
	if (!strcmp(name, "futex")) {
		snprintf(buf, len, "futex (lock or condition wait)");
		return;
	}
	if (!strcmp(name, "nanosleep") || !strcmp(name, "clock_nanosleep")) {
		snprintf(buf, len, "%s (sleep)", name);
		return;
	}
	if ((!strncmp(name, "epoll_", 6) && strcmp(name, "epoll_ctl")) || !strcmp(name, "poll") ||
	    !strcmp(name, "ppoll")) {
		bool timed_out = !(r->flags & FR_SYS_NO_ENTRY) && r->sys.ret == 0;

		n = ready_fd_that_woke(w, r);
		if (n && n->role == FR_NAME_ROLE_READY)
			snprintf(buf, len, "%s until fd %d (%s) was ready", name, n->fd,
				 fr_fdname__format(n, res, sizeof(res)));
		else if (n && n->role == FR_NAME_ROLE_FD) /* a poll on one fd */
			snprintf(buf, len, "%s(%s)%s", name, fr_fdname__format(n, res, sizeof(res)),
				 timed_out ? " (timed out)" : "");
		else if (timed_out)
			snprintf(buf, len, "%s (timed out, no fd ready)", name);
		else
			snprintf(buf, len, "%s", name);
		return;
	}
	if (!(n && n->role == FR_NAME_ROLE_FD) && c && c->inherited && w && w->nr_events &&
	    (const struct fr_event *)r >= w->events &&
	    (const struct fr_event *)r < w->events + w->nr_events)
		n = c->inherited[(const struct fr_event *)r - w->events]; /* rec: first member */
	if (n && n->role == FR_NAME_ROLE_FD) {
		snprintf(buf, len, "%s(%s)", name, fr_fdname__format(n, res, sizeof(res)));
		return;
	}
	if (fr_syscall_takes_fd(name) && r->sys.arg0 < (1u << 24)) {
		snprintf(buf, len, "%s(fd %" PRIu64 ")", name, (uint64_t)r->sys.arg0);
		return;
	}
	snprintf(buf, len, "%s", name);
}

/* Records keep only a call's first argument, so fcntl's command is not
 * known: an fcntl that blocks is waiting for a record lock (F_SETLKW,
 * F_OFD_SETLKW), as no other command sleeps until another task acts. */
bool fr_an_is_lock_wait(const struct fr_rec *r)
{
	const char *name = fr_syscall_name(r->aux);

	return name && (!strcmp(name, "flock") || !strcmp(name, "fcntl"));
}

/* The syscall a blocked thread is in: the one its switch-out recorded from
 * its saved registers (a thread whose return is not seen: no record of the
 * call), else read off its kernel stack. */
bool fr_an_syscall_from_stack(const struct fr_annotate_ctx *c, const struct fr_window *w,
			       const struct fr_event *out, char *buf, size_t len)
{
	const struct fr_stack *s;

	if (out->rec.type == FR_REC_SWITCH && (out->rec.flags & FR_SW_SYSCALL) &&
	    fr_syscall_name(out->rec.sw.sys_nr)) {
		struct fr_rec r = { .type = FR_REC_SYSCALL, .flags = FR_SYS_NO_ENTRY,
				    .aux = (uint16_t)out->rec.sw.sys_nr, .ts = out->rec.ts,
				    .tid = out->rec.tid, .pid = out->rec.pid,
				    .sys = { .arg0 = out->rec.sw.sys_arg0 } };

		fr_an_describe_syscall(c, w, &r, buf, len);
		return true;
	}
	if (!c->ksyms || out->stack < 0)
		return false;
	s = &w->stacks[out->stack];
	for (unsigned i = 0; i < s->nr_kern && i < FR_STACK_KERN_MAX; i++) {
		const char *sym = fr_ksyms__lookup(c->ksyms, s->ips[i], NULL);
		const char *p;

		if (!sym)
			continue;
		if ((p = strstr(sym, "__x64_sys_")) || (p = strstr(sym, "__arm64_sys_"))) {
			p = strstr(p, "_sys_") + 5;
			snprintf(buf, len, "%s (in progress)", p);
			return true;
		}
	}
	return false;
}
