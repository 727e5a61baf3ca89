// SPDX-License-Identifier: MIT
/*
 * faults.c - page faults that block: a thread that touches a page of a
 * memory-mapped file no longer in the page cache (an LMDB or RocksDB
 * database, a model, a jar) waits for the disk inside the fault, outside
 * any syscall or inside one copying to user memory. The kernel programs
 * write a fault record with the block's switch-out and name the mapped
 * file at the fault (bpf_find_vma); here that block is given its cause:
 * "major page faults on /var/lib/app/catalog.idx", or swap-ins.
 */
#include <stdio.h>
#include <string.h>

#include "../annotate_int.h"
#include "fr_ksyms.h"
#include "fr_ring.h"

bool fr_an_is_fault_cause(const char *what)
{
	return !strncmp(what, "major page faults", 17) || !strncmp(what, "swap-ins", 8) ||
	       !strncmp(what, "page faults", 11);
}

/*
 * Does the block's kernel stack, where the window has it, show it waiting
 * inside a page fault? A fault on user memory shortly before a block is
 * taken by the kernel programs for the block's cause; a minor fault (a
 * syscall touching its user buffer, then waiting for data) did not wait,
 * and its stack says so: -1 unknown, else 0 or 1.
 */
static int stack_in_fault(const struct fr_annotate_ctx *c, const struct fr_window *w,
			  const struct fr_event *out)
{
	static const char *const frames[] = { "handle_mm_fault", "do_user_addr_fault",
					      "exc_page_fault", "do_page_fault", "filemap_fault",
					      "do_swap_page" };
	const struct fr_stack *s;

	if (!c || !c->ksyms || out->stack < 0 || (size_t)out->stack >= w->nr_stacks)
		return -1;
	s = &w->stacks[out->stack];
	if (!s->nr_kern)
		return -1;
	for (unsigned i = 0; i < s->nr_kern && i < FR_STACK_KERN_MAX; i++) {
		const char *sym = fr_ksyms__lookup(c->ksyms, s->ips[i], NULL);

		for (size_t f = 0; sym && f < sizeof(frames) / sizeof(frames[0]); f++) {
			size_t n = strlen(frames[f]);

			/* compiler clones too: handle_mm_fault.cold */
			if (!strncmp(sym, frames[f], n) && (!sym[n] || sym[n] == '.'))
				return 1;
		}
	}
	return 0;
}

/*
 * Did a timer end the block that switch-out i began? A fault's I/O ends in
 * the block layer (an interrupt, a kernel thread) or with whoever held the
 * page; a timer ends a sleep, whatever minor fault came just before it
 * (clock_nanosleep reading its timespec from user memory).
 */
static bool ended_by_timer(const struct fr_window *w, size_t i)
{
	const struct fr_rec *out = &w->events[i].rec;

	for (size_t k = i + 1; k < w->nr_events; k++) {
		const struct fr_rec *r = &w->events[k].rec;

		if (r->type == FR_REC_WAKEUP && r->tid == out->tid && r->pid == out->pid)
			return (r->flags & FR_WK_TIMER) != 0;
		if (r->type == FR_REC_SWITCH && r->sw.next_tid == out->tid)
			return false; /* back on CPU with no wake-up seen */
	}
	return false;
}

bool fr_an_fault_at(const struct fr_annotate_ctx *c, const struct fr_window *w,
		    const struct fr_event *out, char *buf, size_t len)
{
	size_t i = (size_t)(out - w->events), lo = i > 8 ? i - 8 : 0;

	if (out < w->events || i >= w->nr_events)
		return false;
	/* written just before its switch-out, on the same CPU: close by */
	for (size_t k = lo; k < w->nr_events && k <= i + 8; k++) {
		const struct fr_event *e = &w->events[k];
		const struct fr_fdname *n;
		char path[FR_NAME_DATA + 8];

		if (e->rec.type != FR_REC_FAULT || e->rec.tid != out->rec.tid ||
		    e->rec.ts != out->rec.ts)
			continue;
		/* the stack and the wake-up are looked at only for a block
		 * with a fault record, not for every block */
		if (stack_in_fault(c, w, out) == 0 || ended_by_timer(w, i))
			return false;
		n = (e->rec.flags & FR_FLT_NAMED) ? fr_window__name(w, &e->rec) : NULL;
		if (n) {
			fr_fdname__format(n, path, sizeof(path));
			snprintf(buf, len, "major page faults on %s", path);
		} else if (e->rec.flags & FR_FLT_ANON) {
			snprintf(buf, len, "swap-ins (page faults on anonymous memory)");
		} else {
			snprintf(buf, len, "page faults");
		}
		return true;
	}
	return false;
}
