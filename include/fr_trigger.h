/* SPDX-License-Identifier: MIT */
/*
 * fr_trigger.h - decides which spans are slow enough to capture.
 *
 * A rule matches spans by service name, span name (glob) and span kind, and
 * fires on a duration above an absolute threshold, above the live pNN of the
 * span's (service, span name) over the trailing window once enough samples
 * were seen, or on error status. Each rule has a cooldown per operation; a
 * global budget caps captures per minute. Quantiles come from windowed
 * fr_sketch histograms, one per operation, at most max_ops operations
 * (least recently seen evicted, counted).
 *
 * Rule text: the trigger, then key=value items, comma separated:
 *   threshold=250ms,service=checkout,name=POST /checkout,kind=server
 *   p99.9,name=GET *,min=200,cooldown=30s
 *   error,service=payments
 * Keys: service, name (globs), kind (server|client|internal|producer|
 * consumer|any), min (samples, percentile rules), cooldown (duration).
 * Durations: ns, us, ms, s, m. Values may be quoted with '...'.
 *
 * All functions are thread-safe (one internal lock).
 */
#ifndef FR_TRIGGER_H
#define FR_TRIGGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fr_span.h"

#define FR_MAX_RULES 64
#define FR_DEFAULT_RULE "p99,kind=server,min=100,cooldown=60s"

enum fr_rule_type {
	FR_RULE_THRESHOLD = 1,
	FR_RULE_PERCENTILE = 2,
	FR_RULE_ERROR = 3,
};

struct fr_rule {
	uint32_t id;            /* assigned by fr_trigger__add_rule when 0 */
	uint8_t type;           /* enum fr_rule_type */
	int8_t kind;            /* enum fr_span_kind, -1 = any */
	uint64_t threshold_ns;  /* FR_RULE_THRESHOLD */
	double quantile;        /* FR_RULE_PERCENTILE, e.g. 0.99 */
	uint32_t min_samples;   /* FR_RULE_PERCENTILE; default 100 */
	uint64_t cooldown_ns;   /* per operation; default 60 s */
	char service[128];      /* glob; empty = any */
	char name[256];         /* glob; empty = any */
	/* counters, filled by fr_trigger__rules */
	uint64_t fired;
	uint64_t cooled;        /* would have fired, inside the cooldown */
};

/* Parses rule text (see above). 0, or -EINVAL with a reason in err. */
int fr_rule__parse(const char *text, struct fr_rule *out, char *err, size_t errlen);

/* The canonical text of a rule (parses back to the same rule). */
void fr_rule__format(const struct fr_rule *r, char *buf, size_t len);

struct fr_trigger_opts {
	size_t sz;
	uint64_t window_ns;       /* percentile window; default 5 min */
	uint32_t max_ops;         /* operations tracked; default 1024 */
	uint32_t budget_per_min;  /* captures per minute, all rules; default 60 */
	uint64_t (*now)(void);    /* CLOCK_MONOTONIC ns; default fr_mono_ns (tests inject) */
};

struct fr_trigger;

struct fr_trigger *fr_trigger__new(const struct fr_trigger_opts *opts);
void fr_trigger__free(struct fr_trigger *t);

/* Adds a rule (id assigned when 0; *id_out gets it). 0, -ENOSPC, -EEXIST. */
int fr_trigger__add_rule(struct fr_trigger *t, const struct fr_rule *r, uint32_t *id_out);
/* 0 or -ENOENT. */
int fr_trigger__remove_rule(struct fr_trigger *t, uint32_t id);
/* Copies up to max rules (with counters) into out; returns how many exist. */
size_t fr_trigger__rules(struct fr_trigger *t, struct fr_rule *out, size_t max);

struct fr_decision {
	bool fire;
	uint32_t rule_id;
	uint64_t threshold_ns; /* the limit the span broke (0 for error rules) */
	char reason[192];      /* "412 ms > p99 312 ms of checkout POST /checkout (rule 3)" */
};

/*
 * Evaluates a span against the rules (first firing rule wins), then adds
 * its duration to its operation's window. Fills *d.
 */
void fr_trigger__observe(struct fr_trigger *t, const struct fr_span *s, struct fr_decision *d);

/*
 * One capture out of the per-minute budget that rules share, for a capture
 * no local rule asked for (another node's request): true when taken,
 * false (counted as over budget) when this minute's is spent.
 */
bool fr_trigger__take_budget(struct fr_trigger *t);

struct fr_op_stats {
	char service[128];
	char name[256];
	uint8_t kind;
	uint64_t count;   /* in the window */
	uint64_t p50_ns, p99_ns;
	uint64_t captures;
};

/* Up to max operations, most recently seen first; returns how many exist. */
size_t fr_trigger__ops(struct fr_trigger *t, struct fr_op_stats *out, size_t max);

struct fr_trigger_stats {
	uint64_t spans;
	uint64_t fired;
	uint64_t cooled;       /* suppressed by a cooldown */
	uint64_t over_budget;  /* suppressed by the per-minute budget */
	uint64_t ops;
	uint64_t ops_evicted;
};

void fr_trigger__stats(struct fr_trigger *t, struct fr_trigger_stats *out);

#endif /* FR_TRIGGER_H */
