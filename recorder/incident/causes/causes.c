// SPDX-License-Identifier: MIT
/*
 * causes.c - the finders of causes the chain cannot see, and what they
 * share (causes.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "causes.h"

const struct fr_cause_finder *const fr_cause_finders[] = {
	&fr_cause_cpu_limit,
	/* the hot function speaks of the on-CPU clause: right after it */
	&fr_cause_hot_function,
	&fr_cause_memory_stall,
	&fr_cause_disk_neighbour,
	&fr_cause_retransmits,
	NULL,
};

void fr_causes__append(struct fr_evidence *ev, const char *fmt, ...)
{
	size_t used = strlen(ev->verdict);
	va_list ap;

	if (used + 1 >= sizeof(ev->verdict))
		return;
	va_start(ap, fmt);
	vsnprintf(ev->verdict + used, sizeof(ev->verdict) - used, fmt, ap);
	va_end(ap);
}

int fr_causes__adjust(const struct fr_window *w, const struct fr_annotate_ctx *c,
		      struct fr_evidence *ev)
{
	for (size_t i = 0; fr_cause_finders[i]; i++) {
		int err = fr_cause_finders[i]->adjust ? fr_cause_finders[i]->adjust(w, c, ev) : 0;

		if (err)
			return err;
	}
	return 0;
}

int fr_causes__find(const struct fr_window *w, const struct fr_annotate_ctx *c,
		    struct fr_evidence *ev)
{
	for (size_t i = 0; fr_cause_finders[i]; i++) {
		int err = fr_cause_finders[i]->find ? fr_cause_finders[i]->find(w, c, ev) : 0;

		if (err)
			return err;
	}
	return 0;
}

uint64_t fr_causes__move(struct fr_evidence *ev, uint8_t from, uint8_t to, const char *what,
			 uint64_t ns)
{
	uint64_t moved = 0;

	for (size_t i = 0; i < ev->nr_causes && moved < ns; i++) {
		struct fr_cause *k = &ev->causes[i];
		uint64_t take;

		if (k->kind != from)
			continue;
		take = k->ns < ns - moved ? k->ns : ns - moved;
		k->ns -= take;
		moved += take;
	}
	if (!moved)
		return 0;
	/* drop the emptied ones; the new cause in the room that leaves */
	for (size_t i = 0; i < ev->nr_causes;) {
		if (ev->causes[i].kind == from && !ev->causes[i].ns) {
			memmove(&ev->causes[i], &ev->causes[i + 1],
				(ev->nr_causes - i - 1) * sizeof(ev->causes[0]));
			ev->nr_causes--;
		} else {
			i++;
		}
	}
	for (size_t i = 0; i < ev->nr_causes; i++)
		if (ev->causes[i].kind == to && !strcmp(ev->causes[i].what, what)) {
			ev->causes[i].ns += moved;
			return moved;
		}
	if (ev->nr_causes == FR_MAX_CAUSES)
		ev->nr_causes--; /* the smallest (they are sorted) makes room */
	{
		struct fr_cause *k = &ev->causes[ev->nr_causes++];

		memset(k, 0, sizeof(*k));
		k->kind = to;
		snprintf(k->what, sizeof(k->what), "%s", what);
		k->ns = moved;
		k->count = 1;
		k->nr = UINT32_MAX;
	}
	return moved;
}
