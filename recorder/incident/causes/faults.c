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
#include "fr_ring.h"

bool fr_an_is_fault_cause(const char *what)
{
	return !strncmp(what, "major page faults", 17) || !strncmp(what, "swap-ins", 8) ||
	       !strncmp(what, "page faults", 11);
}

bool fr_an_fault_at(const struct fr_window *w, const struct fr_event *out, char *buf, size_t len)
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
