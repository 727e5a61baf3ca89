// SPDX-License-Identifier: MIT
/*
 * annotate_syscalls.c - naming what a thread was doing from its records:
 * the syscall and its fd, or its kernel stack (annotate_int.h).
 */
#include <inttypes.h>
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

/* The name of the nearest call of r's thread on r's fd in direction dir
 * (-1, +1) that the kernel named, or NULL. */
static const struct fr_fdname *named_call_near(const struct fr_window *w, size_t at, int dir)
{
	const struct fr_rec *r = &w->events[at].rec;

	for (size_t step = 1; step <= INHERIT_SCAN; step++) {
		const struct fr_rec *k;
		const struct fr_fdname *n;

		if (dir < 0 ? step > at : at + step >= w->nr_events)
			break;
		k = &w->events[dir < 0 ? at - step : at + step].rec;
		if (k->type != FR_REC_SYSCALL || k->tid != r->tid || k->sys.arg0 != r->sys.arg0 ||
		    !(k->flags & FR_SYS_NAMED))
			continue;
		n = fr_window__name(w, k);
		if (n && n->role == FR_NAME_ROLE_FD && n->fd == (int32_t)r->sys.arg0)
			return n;
	}
	return NULL;
}

/*
 * A call too fast for the kernel to name its fd (the naming threshold),
 * between two calls of its thread on that fd that named the same file or
 * socket: that one. Only between: the fd may have been closed and reused
 * after the last named call (unseen without syscall hooks).
 */
static const struct fr_fdname *inherited_name(const struct fr_window *w, const struct fr_rec *r)
{
	const struct fr_event *e = (const struct fr_event *)r; /* rec is the first member */
	const struct fr_fdname *before, *after;
	size_t at;

	if (!w || !w->nr_events || e < w->events || e >= w->events + w->nr_events)
		return NULL;
	at = (size_t)(e - w->events);
	before = named_call_near(w, at, -1);
	after = before ? named_call_near(w, at, 1) : NULL;
	return after && after->kind == before->kind && after->ino == before->ino ? before : NULL;
}

/*
 * "fsync(/var/lib/app/wal)", "read(tcp 127.0.0.1:41234 → 127.0.0.1:8081)",
 * "epoll_pwait until fd 23 (tcp ...) was ready", "futex (lock or condition
 * wait)", "clock_nanosleep (sleep)"; "read(fd 5)" when the fd was not named
 * by the kernel at the call (a call faster than the naming threshold) nor
 * can be told from its neighbours (inherited_name).
 */
void fr_an_describe_syscall(const struct fr_annotate_ctx *c, const struct fr_window *w,
			    const struct fr_rec *r, char *buf, size_t len)
{
	const char *name = fr_syscall_name(r->aux);
	const struct fr_fdname *n = fr_window__name(w, r);
	char res[200];

	(void)c;
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
	if (!(n && n->role == FR_NAME_ROLE_FD) && fr_syscall_takes_fd(name) &&
	    r->sys.arg0 < (1u << 24))
		n = inherited_name(w, r);
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
