/* SPDX-License-Identifier: MIT */
/*
 * fr_snapshot.h - from a fired span to an incident, in stages:
 *
 *   plan      the window around the span, and whether there can be kernel
 *             context at all (fr_snapshotter__plan)
 *   wait      until the window's end has passed (fr_snapshot__wait)
 *   read      the window of the span's process out of the rings, with the
 *             processes it waited for (fr_snapshotter__read)
 *   annotate  the evidence and verdict (fr_annotate.h; fr_snapshotter__annotate)
 *   export    the annotated span and its child spans for the exporter
 *             (fr_snapshotter__build_export)
 *   encode    the .frsnap (fr_frsnap.h) and the incident summary
 *             (fr_snapshotter__encode)
 *
 * and the daemon stores what encode made. fr_snapshotter__take runs them
 * all. The stages hand each other an fr_incident_work.
 *
 * One fr_snapshotter per worker thread (it caches symbols); not thread-safe.
 */
#ifndef FR_SNAPSHOT_H
#define FR_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "fr_annotate.h"
#include "fr_cgroup.h"
#include "fr_baseline.h"
#include "fr_capture.h"
#include "fr_clock.h"
#include "fr_ksyms.h"
#include "fr_names.h"
#include "fr_span.h"
#include "fr_store.h"
#include "fr_trigger.h"

struct fr_snapshot_opts {
	size_t sz;
	uint64_t pre_ns;         /* window before the span; default 50 ms */
	uint64_t post_ns;        /* after it; default 20 ms */
	int zstd_level;          /* default 3 */
	const char *ui_base;     /* incident links; default http://127.0.0.1:8080 */
	uint32_t max_children;   /* child spans; default 10 (at most FR_MAX_SLOW) */
	uint64_t min_child_ns;   /* shorter syscalls are summarised; default 50 us */
	const struct fr_ring_view *view; /* read windows here instead of the capture
					  * (tests and benchmarks); NULL = the capture */
	struct fr_baselines *baselines; /* normal spans' samples to compare incidents
					 * with (fr_baseline.h); NULL = none */
};

struct fr_snapshotter;

/* How many processes deep the read stage follows waits into others. */
#define FR_CHAIN_PROCESS_LEVELS 3

/*
 * Makes malloc keep the blocks a snapshot allocates and frees (tens of MiB
 * for a large window) on the heap, and up to 64 MiB of freed heap, for the
 * next snapshot: glibc serves blocks that large by fresh mappings, and the
 * page faults of touching them again at every snapshot were 80% of reading
 * a 100k-record window on a VM (52 ms of 106). For whatever runs
 * snapshots, once, at its start.
 */
void fr_snapshot__tune_malloc(void);

/* cap and ksyms may be NULL (no kernel context / no kernel symbols). */
struct fr_snapshotter *fr_snapshotter__new(const struct fr_snapshot_opts *o,
					   struct fr_capture *cap, const struct fr_ksyms *ksyms);
void fr_snapshotter__free(struct fr_snapshotter *s);

struct fr_incident_work;
struct fr_incident_in;

/* Runs after annotate (fr_snapshotter__take): what crosses hosts fills
 * wk->remote and may extend wk->ev.verdict. */
typedef void fr_incident_hook_fn(void *ctx, const struct fr_incident_in *in,
				 struct fr_incident_work *wk);

struct fr_incident_in {
	struct fr_batch *batch;   /* holds span (a reference is taken for export) */
	const struct fr_span *span;
	struct fr_decision decision;
	char rule[256];
	uint64_t id;              /* from fr_store__new_id */
	pid_t host_pid;           /* the span's process outside PID namespaces; 0 unknown */
	bool followed;            /* was the process followed before this span came */
	const char *denied;       /* why its sender may not bring it under capture, or NULL */
	const char *pid_source;   /* how host_pid was found, or why there is none; may be NULL */
	/* across hosts (flightrec fleet) */
	const char *node;         /* this node's name; NULL alone */
	const char *part_of_node; /* taken on this node's request; NULL: a local trigger */
	uint64_t part_of_id;      /* its incident there */
	fr_incident_hook_fn *across; /* after annotate; NULL: none */
	void *across_ctx;
};

struct fr_incident_out {
	struct fr_incident_summary summary;
	void *frsnap;             /* malloc'd: magic + zstd(Snapshot) */
	size_t frsnap_len;
	struct fr_batch *export;  /* the annotated span, then its child spans */
	size_t raw_bytes;         /* the Snapshot before compression */
};

/* What the stages hand each other; zero it before plan, free with
 * fr_incident_work__free. */
struct fr_incident_work {
	struct fr_clock clk;      /* sampled once, used by every stage */
	uint64_t span_start;      /* the span, CLOCK_MONOTONIC ns */
	uint64_t span_end;
	uint64_t t0, t1;          /* the window, CLOCK_MONOTONIC ns */
	const char *no_context;   /* why there is no kernel context; NULL when there is */
	struct fr_window *window; /* read: NULL without kernel context */
	uint64_t missing_ns;      /* of the window, not covered by the rings */
	struct fr_names *names;   /* annotate: thread names */
	struct fr_evidence ev;    /* annotate: the evidence and verdict */
	char cgroup[256];         /* the process's cgroup path, read at capture */
	struct fr_cpu_limit cpu_limit; /* the CPU limit binding it, read at capture */
	bool has_cpu_limit;
	struct fr_mem_limit mem_limit; /* its memory cgroup's limit, read at capture */
	bool has_mem_limit;
	uint64_t mem_available_kb;   /* the host's MemAvailable at capture */
	struct fr_comparison cmp;  /* against the operation's normal spans */
	/* the parts of the trace other nodes captured (the across hook) */
	struct fr_remote_part remote[FR_MAX_REMOTE];
	uint32_t nr_remote;
	char chain_continues[160]; /* "10.1.0.2:8080 (svc-b on node-b)"; "" */
};

void fr_incident_work__free(struct fr_incident_work *wk);

/* plan: the window and the reason there is no kernel context, if any. */
void fr_snapshotter__plan(const struct fr_snapshotter *s, const struct fr_incident_in *in,
			  struct fr_incident_work *wk);

/* wait: until CLOCK_MONOTONIC t1 has passed; at most 2 s (spans come late
 * anyway: a window that ends further ahead is read as it is). */
void fr_snapshot__wait(uint64_t t1);

/* read: the window of in's process. 0 (also with no context: nothing to
 * read) or -errno from the ring reader. */
int fr_snapshotter__read(struct fr_snapshotter *s, const struct fr_incident_in *in,
			 struct fr_incident_work *wk);

/* annotate: the evidence, or the no-context verdict. 0 or -ENOMEM. */
int fr_snapshotter__annotate(struct fr_snapshotter *s, const struct fr_incident_in *in,
			     struct fr_incident_work *wk);

/*
 * export: a new batch (holding in->batch) with the annotated copy of the
 * span (its attributes plus flightrec.*) and child spans for the slowest
 * syscalls, inside the span's time range. NULL when out of memory.
 */
struct fr_batch *fr_snapshotter__build_export(struct fr_snapshotter *s,
					      const struct fr_incident_in *in,
					      struct fr_incident_work *wk);

/*
 * encode: out->frsnap, out->raw_bytes and out->summary from the work and
 * out->export (which must be built). 0 or -errno; on error out->frsnap is NULL.
 */
int fr_snapshotter__encode(struct fr_snapshotter *s, const struct fr_incident_in *in,
			   struct fr_incident_work *wk, struct fr_incident_out *out);

/*
 * A normal span's sample for its operation's baseline (o.baselines): the
 * plan, wait, read and annotate stages, then its causes added. 0, or
 * -errno (nothing added; also without kernel context).
 */
int fr_snapshotter__sample(struct fr_snapshotter *s, const struct fr_incident_in *in);

/*
 * Loads what a snapshot of process pid will need (its modules for
 * unwinding, its files' symbols) before its first incident, so that the
 * first one is as quick as the others. 0 or -ENOENT.
 */
int fr_snapshotter__prepare(struct fr_snapshotter *s, pid_t pid);

/*
 * All stages. 0 or -errno; on error nothing is allocated in *out.
 */
int fr_snapshotter__take(struct fr_snapshotter *s, const struct fr_incident_in *in,
			 struct fr_incident_out *out);

/* Frees what take allocated in out (NULL members are fine). */
void fr_incident_out__free(struct fr_incident_out *out);

#endif /* FR_SNAPSHOT_H */
