/* SPDX-License-Identifier: MIT */
/*
 * fr_baseline.h - what normal looks like, per operation: a small rolling
 * sample of normal spans' kernel evidence (where their time went, cause by
 * cause), taken within a budget, and the comparison of a slow span with
 * it: per cause, the slow span's time against the typical (median) normal
 * span's, ranked by the difference. Thread-safe.
 */
#ifndef FR_BASELINE_H
#define FR_BASELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FR_BASELINE_CAUSES 8 /* causes kept per sample, and compared */

struct fr_baseline_opts {
	size_t sz;
	uint64_t interval_ns;     /* at most one sample per operation this often; 0 = 5 s */
	uint32_t samples_per_op;  /* kept per operation, the oldest replaced; 0 = 8 */
	uint32_t max_ops;         /* operations sampled at once, the least recent
				   * replaced; 0 = 256 */
};

struct fr_baselines;

struct fr_baselines *fr_baselines__new(const struct fr_baseline_opts *o);
void fr_baselines__free(struct fr_baselines *b);

/*
 * Should a normal span of this operation, ending at now (CLOCK_MONOTONIC
 * ns), be sampled? True at most once per interval per operation; a true
 * answer reserves the slot (the sample may still fail: nothing is added).
 */
bool fr_baselines__want(struct fr_baselines *b, const char *service, const char *name,
			uint64_t now);

struct fr_evidence;

/* Adds a normal span's evidence (its causes, normalised) to its operation. */
void fr_baselines__add(struct fr_baselines *b, const char *service, const char *name,
		       const struct fr_evidence *ev);

struct fr_cause_delta {
	char what[200];           /* the cause, normalised ("blocked in fsync(/x/wal-#)") */
	uint64_t slow_ns;         /* in the slow span */
	uint64_t normal_ns;       /* in the typical normal span (median over samples) */
};

struct fr_comparison {
	uint32_t samples;         /* normal spans compared with; 0: no baseline */
	uint64_t normal_span_ns;  /* the typical normal span's length (median) */
	struct fr_cause_delta d[FR_BASELINE_CAUSES * 2];
	size_t n;                 /* ranked: the largest extra time first */
	char text[400];           /* "+182 ms in fsync(/x/wal-#), +21 ms waiting for
				   * CPU; on CPU as usual" */
};

/*
 * Compares a slow span's evidence with its operation's baseline into out;
 * false (out->samples 0) when the operation has no sample yet.
 */
bool fr_baselines__compare(struct fr_baselines *b, const char *service, const char *name,
			   const struct fr_evidence *ev, struct fr_comparison *out);

struct fr_baseline_stats {
	uint64_t taken;           /* samples added */
	uint64_t wanted;          /* spans that reserved a sample */
	uint32_t ops;             /* operations with a baseline */
	size_t bytes;             /* memory held (bounded by max_ops x samples_per_op) */
};

void fr_baselines__stats(struct fr_baselines *b, struct fr_baseline_stats *out);

/* One operation's samples, for the API: up to max causes into out (median
 * ns over samples, largest first); how many samples; 0 when none. */
uint32_t fr_baselines__describe(struct fr_baselines *b, const char *service, const char *name,
				struct fr_cause_delta *out, size_t max, size_t *n_out,
				uint64_t *normal_span_ns);

#endif /* FR_BASELINE_H */
