/* SPDX-License-Identifier: MIT */
/*
 * fr_chain.h - the wake-up chain (critical path) of a span's thread: what
 * it was doing over the span, with every interval in which it was blocked
 * replaced by what the task that ended the wait was doing meanwhile, down
 * to a bounded depth (after Giraldeau & Dagenais' critical path over
 * kernel traces). The segments follow one another in time and cover the
 * span exactly; where the chain goes one wake-up down, a zero-length
 * hand-off segment says what the waiting task was blocked in.
 *
 * Only tasks whose records the window holds can be followed down (of any
 * process the window keeps); a wait ended by a task without records (a
 * process not followed then, a kernel thread) or by an interrupt stays a
 * blocked segment that names who or what ended it.
 * Pure: reads a window; names come through the annotate context.
 */
#ifndef FR_CHAIN_H
#define FR_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "fr_ring.h"

struct fr_annotate_ctx;

#define FR_CHAIN_MAX_DEPTH 6
#define FR_CHAIN_MAX_SEGS 1024   /* kept in an incident (fr_chain__bound) */
#define FR_CHAIN_WALK_SEGS 16384 /* a walk's, for the verdict to read whole */

/* What interrupt ended a blocked segment (fr_chain_seg.irq). */
enum fr_chain_irq {
	FR_CHAIN_IRQ_TIMER = 1,  /* a timer expired (sleep, timeout) */
	FR_CHAIN_IRQ_NET = 2,    /* network receive or transmit completion */
	FR_CHAIN_IRQ_BLOCK = 3,  /* a block device's I/O completed */
	FR_CHAIN_IRQ_DEVICE = 4, /* a device interrupt (irq_detail: low bits of its number) */
	FR_CHAIN_IRQ_OTHER = 5,
};

enum fr_seg_state {
	FR_SEG_RUNNING = 1,
	FR_SEG_RUNNABLE = 2,
	FR_SEG_BLOCKED = 3,
};

struct fr_chain_seg {
	uint32_t pid, tid;        /* the task this segment is about */
	uint8_t state;            /* enum fr_seg_state */
	uint8_t depth;            /* 0: the span's thread; n: n wake-ups down */
	uint32_t nr;              /* the syscall it was in, UINT32_MAX for none */
	uint64_t start, end;      /* CLOCK_MONOTONIC ns */
	uint32_t waker_pid, waker_tid; /* blocked: who ended the wait (0: not in the window) */
	uint8_t irq;              /* blocked: ended by an interrupt (enum fr_chain_irq), 0: by
				   * a task (waker_*) or not at all */
	uint8_t irq_detail;       /* softirq vector or irq number (low 6 bits) */
	uint8_t handoff;          /* a hand-off: zero-length, tid was blocked in `what`
				   * and the chain goes on into waker_* (one depth down) */
	uint8_t lock;             /* blocked in a file-lock wait (flock, fcntl F_SETLKW):
				   * its waker held the lock and released it */
	char what[160];           /* "fsync(fd 5 = /var/lib/app/wal)", "on CPU", ... */
};

struct fr_chain {
	struct fr_chain_seg *seg; /* malloc'd, in time order */
	size_t n;
};

/* "a timer fired", "network data arrived", ... for a segment's irq. */
const char *fr_chain__irq_words(uint8_t irq);

/*
 * The chain of thread tid (of process c->pid) over [c->span_start,
 * c->span_end], at most max_depth wake-ups deep (<= FR_CHAIN_MAX_DEPTH),
 * of at most FR_CHAIN_WALK_SEGS segments. 0 or -ENOMEM. Free with
 * fr_chain__free.
 */
int fr_chain__walk(const struct fr_window *w, const struct fr_annotate_ctx *c, uint32_t tid,
		   int max_depth, struct fr_chain *out);

/*
 * Bounds ch to max segments (a walk's chain can hold FR_CHAIN_WALK_SEGS):
 * the shortest segments join their neighbours, then the shortest waits
 * lose their explanation (the hand-off and the chain below it become one
 * blocked segment naming who ended the wait), until it fits. It still
 * covers the span.
 */
void fr_chain__bound(struct fr_chain *ch, uint64_t span_ns, size_t max);

void fr_chain__free(struct fr_chain *ch);

#endif /* FR_CHAIN_H */
