/* SPDX-License-Identifier: MIT */
/*
 * causes.h - private to recorder/incident: the causes a wake-up chain
 * cannot see (the hot function of on-CPU time, CPU limits, page faults,
 * memory stalls, a busy disk, TCP retransmissions), each in a file of its
 * own behind one
 * interface. annotate runs every finder after the chain and the verdict's
 * first clause: a finder reads the window, fills its part of the evidence
 * and may add to the verdict.
 */
#ifndef FR_CAUSES_H
#define FR_CAUSES_H

#include "fr_annotate.h"

struct fr_cause_finder {
	const char *name;
	/* Before the verdict: may split or add causes of the span's thread
	 * (annotate sorts them again after); NULL when it adds none. */
	int (*adjust)(const struct fr_window *w, const struct fr_annotate_ctx *c,
		      struct fr_evidence *ev);
	/* After the verdict's first clause and the chain's: may add words.
	 * 0 or -ENOMEM; finding nothing is 0. NULL when it adds none. */
	int (*find)(const struct fr_window *w, const struct fr_annotate_ctx *c,
		    struct fr_evidence *ev);
};

extern const struct fr_cause_finder fr_cause_hot_function;
extern const struct fr_cause_finder fr_cause_cpu_limit;
extern const struct fr_cause_finder fr_cause_memory_stall;
extern const struct fr_cause_finder fr_cause_disk_neighbour;
extern const struct fr_cause_finder fr_cause_retransmits;

/* Every finder, in the order annotate runs them; NULL-ended. */
extern const struct fr_cause_finder *const fr_cause_finders[];

/* Runs every finder's adjust, then (fr_causes__find) every finder's find,
 * over w for ev. 0 or -ENOMEM. */
int fr_causes__adjust(const struct fr_window *w, const struct fr_annotate_ctx *c,
		      struct fr_evidence *ev);
int fr_causes__find(const struct fr_window *w, const struct fr_annotate_ctx *c,
		    struct fr_evidence *ev);

/* Takes ns off ev's causes of kind from (in their order), as far as they
 * have it, and adds it to the cause of kind to and text what (made when
 * new): what the finder found inside them. The time moved. */
uint64_t fr_causes__move(struct fr_evidence *ev, uint8_t from, uint8_t to, const char *what,
			 uint64_t ns);

/* Appends ", ..." (fmt) to ev's verdict, as far as it fits. */
void fr_causes__append(struct fr_evidence *ev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* FR_CAUSES_H */
