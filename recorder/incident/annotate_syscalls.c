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

uint64_t fr_an_overlap(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
	uint64_t lo = a0 > b0 ? a0 : b0, hi = a1 < b1 ? a1 : b1;

	return hi > lo ? hi - lo : 0;
}

/* "fsync(fd 7 = /var/lib/app/wal)", "futex (lock wait)", "clock_nanosleep (sleep)". */
void fr_an_describe_syscall(const struct fr_annotate_ctx *c, const struct fr_rec *r, char *buf,
			     size_t len)
{
	const char *name = fr_syscall_name(r->aux);
	char path[160] = "";

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
	if (fr_syscall_takes_fd(name) && r->sys.arg0 < (1u << 24)) {
		if (c->fd_path)
			c->fd_path(c->ctx, r->pid, r->sys.arg0, path, sizeof(path));
		if (path[0])
			snprintf(buf, len, "%s(fd %" PRIu64 " = %s)", name, (uint64_t)r->sys.arg0, path);
		else
			snprintf(buf, len, "%s(fd %" PRIu64 ")", name, (uint64_t)r->sys.arg0);
		return;
	}
	snprintf(buf, len, "%s", name);
}

/* The syscall a blocked thread is in, read off its kernel stack. */
bool fr_an_syscall_from_stack(const struct fr_annotate_ctx *c, const struct fr_window *w,
			       const struct fr_event *out, char *buf, size_t len)
{
	const struct fr_stack *s;

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
