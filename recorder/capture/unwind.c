// SPDX-License-Identifier: MIT
/*
 * unwind.c - user stacks from a raw copy, with libdwfl (fr_unwind.h).
 *
 * elfutils' libdwfl rather than libunwind: it reports a live process's
 * modules from /proc/PID/maps itself, finds separate debug files by
 * build-id, reads both .eh_frame and .debug_frame, falls back to the
 * frame pointer on x86-64 where a frame has no call frame information
 * (JIT code), and lets the caller supply registers and stack memory
 * through callbacks, which is what a copy taken in the kernel needs.
 * libelf, which the symbolizer already uses, is part of the same project.
 */
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fr_unwind.h"

/* A process's mappings are looked at again after this long: its modules are
 * reported again only when they changed (a library loaded or unloaded),
 * since reporting them anew reads every module's files and call frame
 * information again (hundreds of ms for a runtime such as node). */
#define MODULES_TTL_NS (10ull * 1000000000ull)
#define CACHE_PIDS 16

/* What the callbacks read: the copy being unwound. */
struct copy {
	pid_t tid;
	const struct fr_user_regs *regs;
	const uint8_t *stack;
	size_t len;
};

struct proc {
	pid_t pid;
	uint64_t made_ns, used_ns;
	uint64_t maps_hash;     /* of /proc/PID/maps when its modules were reported */
	Dwfl *dwfl;
	struct copy cur;
};

struct fr_unwinder {
	struct proc procs[CACHE_PIDS];
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	struct copy *c = arg;

	(void)dwfl;
	if (*thread_argp)
		return 0;
	*thread_argp = c;
	return c->tid;
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	struct copy *c = arg;

	(void)dwfl;
	if (tid != c->tid)
		return false;
	*thread_argp = c;
	return true;
}

/* Only the copied stack is known: memory the copy does not hold ends the walk. */
static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct copy *c = arg;
	uint64_t sp = c->regs->sp;

	(void)dwfl;
	if (addr < sp || addr - sp > c->len || c->len - (addr - sp) < sizeof(*result))
		return false;
	memcpy(result, c->stack + (addr - sp), sizeof(*result));
	return true;
}

/* The x86-64 DWARF register numbers: rbx 3, rbp 6, rsp 7, r12-r15 12-15. */
static bool set_initial_registers(Dwfl_Thread *thread, void *thread_arg)
{
	const struct fr_user_regs *r = ((struct copy *)thread_arg)->regs;
	Dwarf_Word bx = r->bx, bpsp[2] = { r->bp, r->sp };
	Dwarf_Word hi[4] = { r->r12, r->r13, r->r14, r->r15 };

	if (!dwfl_thread_state_registers(thread, 3, 1, &bx) ||
	    !dwfl_thread_state_registers(thread, 6, 2, bpsp) ||
	    !dwfl_thread_state_registers(thread, 12, 4, hi))
		return false;
	dwfl_thread_state_register_pc(thread, r->ip);
	return true;
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = next_thread,
	.get_thread = get_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

static char *debuginfo_path;

static const Dwfl_Callbacks proc_callbacks = {
	.find_elf = dwfl_linux_proc_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

struct fr_unwinder *fr_unwinder__new(void)
{
	return calloc(1, sizeof(struct fr_unwinder));
}

static void drop(struct proc *p)
{
	if (p->dwfl)
		dwfl_end(p->dwfl);
	memset(p, 0, sizeof(*p));
}

void fr_unwinder__free(struct fr_unwinder *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < CACHE_PIDS; i++)
		drop(&u->procs[i]);
	free(u);
}

/* FNV-1a of /proc/PID/maps' executable mappings (what modules are); 0
 * when it cannot be read. */
static uint64_t maps_hash(pid_t pid)
{
	char path[64], line[512];
	uint64_t h = 1469598103934665603ull;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		const char *perm = strchr(line, ' ');

		if (!perm || perm[3] != 'x')
			continue;
		for (const char *c = line; *c; c++)
			h = (h ^ (uint8_t)*c) * 1099511628211ull;
	}
	fclose(f);
	return h ? h : 1;
}

/* The cached modules of pid, reported (again) if absent or changed; NULL
 * when the process is gone. */
static struct proc *proc_of(struct fr_unwinder *u, pid_t pid, uint64_t now)
{
	struct proc *p = NULL, *lru = &u->procs[0];

	for (size_t i = 0; i < CACHE_PIDS; i++) {
		if (u->procs[i].dwfl && u->procs[i].pid == pid)
			p = &u->procs[i];
		if (u->procs[i].used_ns < lru->used_ns)
			lru = &u->procs[i];
	}
	if (p && now - p->made_ns < MODULES_TTL_NS)
		return p;
	if (p) {
		uint64_t h = maps_hash(pid);

		if (h && h == p->maps_hash) { /* the same modules: keep them */
			p->made_ns = now;
			return p;
		}
	} else {
		p = lru;
	}
	drop(p);
	p->dwfl = dwfl_begin(&proc_callbacks);
	if (!p->dwfl)
		return NULL;
	dwfl_report_begin(p->dwfl);
	if (dwfl_linux_proc_report(p->dwfl, pid) != 0 || dwfl_report_end(p->dwfl, NULL, NULL) ||
	    !dwfl_attach_state(p->dwfl, NULL, pid, &thread_callbacks, &p->cur)) {
		drop(p);
		return NULL;
	}
	p->pid = pid;
	p->made_ns = now;
	p->maps_hash = maps_hash(pid);
	return p;
}

struct walk {
	uint64_t *ips;
	size_t n, max;
};

static int frame_cb(Dwfl_Frame *state, void *arg)
{
	struct walk *w = arg;
	Dwarf_Addr pc;
	bool activation;

	if (!dwfl_frame_pc(state, &pc, &activation) || !pc)
		return DWARF_CB_ABORT;
	/* a caller's pc is its return address: one back is inside its call */
	w->ips[w->n++] = activation ? pc : pc - 1;
	return w->n < w->max ? DWARF_CB_OK : DWARF_CB_ABORT;
}

int fr_unwinder__prepare(struct fr_unwinder *u, pid_t pid)
{
	return proc_of(u, pid, now_ns()) ? 0 : -ENOENT;
}

int fr_unwinder__unwind(struct fr_unwinder *u, pid_t pid, pid_t tid,
			const struct fr_user_regs *regs, const void *stack, size_t len,
			uint64_t *ips, size_t max)
{
	uint64_t now = now_ns();
	struct walk w = { .ips = ips, .max = max };
	struct proc *p;

	if (!max || !regs->ip)
		return 0;
	p = proc_of(u, pid, now);
	if (!p) {
		ips[0] = regs->ip; /* the process is gone: its modules with it */
		return 1;
	}
	p->used_ns = now;
	p->cur = (struct copy){ .tid = tid, .regs = regs, .stack = stack, .len = len };
	/* ends with an error where the walk stops (no CFI, memory not copied):
	 * the frames up to there are the answer */
	dwfl_getthread_frames(p->dwfl, tid, frame_cb, &w);
	if (!w.n)
		ips[w.n++] = regs->ip;
	return (int)w.n;
}
