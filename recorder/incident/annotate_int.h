/* SPDX-License-Identifier: MIT */
/*
 * annotate_int.h - private to recorder/incident: what annotation and the
 * wake-up chain share.
 */
#ifndef FR_ANNOTATE_INT_H
#define FR_ANNOTATE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fr_annotate.h"

/* When a syscall record's call began (its exit minus its duration). */
uint64_t fr_an_sys_begin(const struct fr_rec *r);
/* The first of w's events (in time order) at or after t; nr_events if none. */
size_t fr_an_first_event_from(const struct fr_window *w, uint64_t t);
/* The length of [a0, a1] within [b0, b1]. */
uint64_t fr_an_overlap(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1);
/* Per event of w, the name an unnamed call on an fd takes from its
 * thread's neighbouring calls on it (annotate_syscalls.c): *out, malloc'd,
 * NULL when w has no call on an fd. 0 or -ENOMEM. */
int fr_an_inherited_names(const struct fr_window *w, const struct fr_fdname ***out);
/* "fsync(/var/lib/app/wal)", "futex (lock or condition wait)", ...; r points
 * into w's events (its fd's name comes from the window, or from c->inherited) */
void fr_an_describe_syscall(const struct fr_annotate_ctx *c, const struct fr_window *w,
			    const struct fr_rec *r, char *buf, size_t len);
/* The syscall a blocked thread is in, read off the kernel stack of its
 * switch-out event; false when there is none. */
bool fr_an_syscall_from_stack(const struct fr_annotate_ctx *c, const struct fr_window *w,
			      const struct fr_event *out, char *buf, size_t len);

/* A syscall record of a wait for a file lock: flock, or fcntl's F_SETLKW
 * and F_OFD_SETLKW (the task that ended it held the lock). */
bool fr_an_is_lock_wait(const struct fr_rec *r);

/* The block that switch-out out began was inside a page fault (causes/
 * faults.c): "major page faults on /x", "swap-ins (...)" into buf. */
bool fr_an_fault_at(const struct fr_annotate_ctx *c, const struct fr_window *w,
		    const struct fr_event *out, char *buf, size_t len);
/* Is a blocked cause's text one of those. */
bool fr_an_is_fault_cause(const char *what);

/* Does a blocked cause's text name a call, resource or fault ("fsync(/x)",
 * "epoll_pwait", "major page faults on /x"), which reads after "in",
 * rather than a state ("sleeping outside a recorded syscall", "blocked
 * outside ...", "uninterruptible wait ..."), which reads alone. */
static inline bool fr_an_names_call(const char *what)
{
	return strncmp(what, "sleeping outside", 16) && strncmp(what, "blocked outside", 15) &&
	       strncmp(what, "uninterruptible wait", 20);
}

#endif /* FR_ANNOTATE_INT_H */
