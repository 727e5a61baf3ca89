/* SPDX-License-Identifier: MIT */
/*
 * fr_series.h - every operation's latency over the last hour, for its chart:
 * per minute, the count, p50 and p99 (from a log-scale histogram, within
 * ~10%), and a few spans kept as they were (a reservoir sample, so a busy
 * minute draws no more dots than a quiet one). Memory is bounded: a fixed
 * number of operations (the least recently seen replaced), each a fixed
 * hour of minutes. Thread-safe.
 */
#ifndef FR_SERIES_H
#define FR_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FR_SERIES_MINUTES 60
#define FR_SERIES_POINTS 16 /* spans kept per operation and minute */

struct fr_series_opts {
	size_t sz;
	uint32_t max_ops; /* 0 = 128 */
};

struct fr_series;

struct fr_series *fr_series__new(const struct fr_series_opts *o);
void fr_series__free(struct fr_series *s);

/* A span of the operation, ended at end_unix_ns (wall clock), dur_ns long. */
void fr_series__add(struct fr_series *s, const char *service, const char *name,
		    uint64_t end_unix_ns, uint64_t dur_ns);

struct fr_series_point {
	uint64_t t_unix_ns, dur_ns;
};

struct fr_series_minute {
	uint64_t t_unix_ns;       /* the minute's start */
	uint64_t count;
	uint64_t p50_ns, p99_ns;
};

/*
 * The operation's minutes from from_unix_ns on (oldest first, at most
 * FR_SERIES_MINUTES) and their kept spans; false when it was never seen.
 */
bool fr_series__get(struct fr_series *s, const char *service, const char *name,
		   uint64_t from_unix_ns, struct fr_series_minute *mins, size_t *nmins,
		   struct fr_series_point *pts, size_t max_pts, size_t *npts);

/* Memory held, in bytes. */
size_t fr_series__bytes(struct fr_series *s);

#endif /* FR_SERIES_H */
