/* SPDX-License-Identifier: MIT */
/*
 * fr_status.h - the recorder's status figures, gathered in one place and
 * rendered three ways: JSON (/api/status), Prometheus text (/metrics) and
 * the log lines of `flightrec run`.
 *
 * fr_status__gather reads whichever sources it is given (NULL ones are
 * left out); the events/s rate is kept in an fr_status_rate that all
 * gatherers of one recorder share, so it is computed once, over the time
 * since the previous gather. Thread-safe given a shared rate.
 */
#ifndef FR_STATUS_H
#define FR_STATUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "fr_buf.h"
#include "fr_capture.h"
#include "fr_clock.h"
#include "fr_export.h"
#include "fr_fleet.h"
#include "fr_otlp_server.h"
#include "fr_store.h"
#include "fr_trigger.h"

/* What the daemon counts about incidents, around the components. */
struct fr_incident_counts {
	uint64_t stored;   /* committed */
	uint64_t failed;   /* snapshot or store failed */
	uint64_t dropped;  /* capture queue full */
	uint64_t forward_failed; /* forwards the exporter refused (closing, out of memory) */
};

/* Events/s between gathers; initialise with FR_STATUS_RATE_INIT. */
struct fr_status_rate {
	pthread_mutex_t mu;
	uint64_t last_written, last_ts;
	double per_s;
};
#define FR_STATUS_RATE_INIT { .mu = PTHREAD_MUTEX_INITIALIZER }

struct fr_status_sources {
	uint64_t started;                    /* CLOCK_MONOTONIC ns */
	struct fr_capture *cap;              /* each may be NULL */
	struct fr_otlp_server *otlp;
	struct fr_exporter *exp;
	struct fr_trigger *trig;
	struct fr_store *store;
	const struct fr_incident_counts *incidents;
	const struct fr_clock *clock;        /* the offset the recorder uses */
	struct fr_status_rate *rate;         /* NULL: events/s left at 0 */
	struct fr_fleet *fleet;              /* NULL: not in a fleet */
};

struct fr_status {
	double uptime_s;
	bool kernel_capture;
	struct fr_capture_counters cap;
	struct fr_capture_info cap_info;
	double events_per_s;
	double coverage_s[FR_MAX_CPUS];      /* per CPU, [0, cap_info.nr_cpus) */
	double min_coverage_s;               /* the least-covered CPU */
	bool has_clock;
	int64_t clock_offset_ns;
	uint64_t clock_uncertainty_ns;
	bool has_store;
	struct fr_store_stats store;
	bool has_exporter;
	struct fr_export_stats exp;
	bool has_otlp;
	struct fr_otlp_server_stats otlp;
	bool has_triggers;
	struct fr_trigger_stats trig;
	bool has_incidents;
	struct fr_incident_counts incidents;
	bool has_fleet;
	char node[FR_NODE_NAME];
	struct fr_fleet_stats fleet;
};

void fr_status__gather(const struct fr_status_sources *src, struct fr_status *out);

/*
 * The last hour of the headline figures, a point every time the daemon
 * adds one (every 10 s): events/s into the rings, spans/s received,
 * incidents stored since the point before, the least-covered CPU's ring
 * history. Initialise with FR_STATUS_HISTORY_INIT. Thread-safe.
 */
#define FR_STATUS_HISTORY 360

struct fr_status_point {
	uint64_t t_unix_ms;
	double events_per_s, spans_per_s;
	uint64_t incidents;     /* stored since the point before */
	double coverage_s;
};

struct fr_status_history {
	pthread_mutex_t mu;
	struct fr_status_point p[FR_STATUS_HISTORY];
	size_t head, n;
	uint64_t last_spans, last_incidents, last_mono;
};
#define FR_STATUS_HISTORY_INIT { .mu = PTHREAD_MUTEX_INITIALIZER }

void fr_status_history__add(struct fr_status_history *h, const struct fr_status *st,
			    uint64_t now_mono_ns, uint64_t now_unix_ns);

/* Up to max points, oldest first; how many. */
size_t fr_status_history__get(struct fr_status_history *h, struct fr_status_point *out, size_t max);

/* The /api/status object. */
void fr_status__json(const struct fr_status *s, struct fr_buf *out);
/* Prometheus text exposition format 0.0.4. */
void fr_status__prometheus(const struct fr_status *s, struct fr_buf *out);
/* A few human lines, one per component, through fr_log at info level. */
void fr_status__log(const struct fr_status *s);

#endif /* FR_STATUS_H */
