/* SPDX-License-Identifier: MIT */
/*
 * fr_snapshot.h - from a fired span to an incident: the kernel window of
 * its process, thread names, fd paths, symbolized stacks, the evidence and
 * verdict (fr_annotate.h), the .frsnap bytes (schema in store/proto) and
 * the annotated span with its child spans for export.
 *
 * One fr_snapshotter per worker thread (it caches symbols); not thread-safe.
 */
#ifndef FR_SNAPSHOT_H
#define FR_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "fr_capture.h"
#include "fr_ksyms.h"
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
};

struct fr_snapshotter;

/* cap and ksyms may be NULL (no kernel context / no kernel symbols). */
struct fr_snapshotter *fr_snapshotter__new(const struct fr_snapshot_opts *o,
					   struct fr_capture *cap, const struct fr_ksyms *ksyms);
void fr_snapshotter__free(struct fr_snapshotter *s);

struct fr_incident_in {
	struct fr_batch *batch;   /* holds span (a reference is taken for export) */
	const struct fr_span *span;
	struct fr_decision decision;
	char rule[256];
	uint64_t id;              /* from fr_store__new_id */
	pid_t host_pid;           /* the span's process outside PID namespaces; 0 unknown */
	bool followed;            /* was the process followed before this span came */
};

struct fr_incident_out {
	struct fr_incident_summary summary;
	void *frsnap;             /* malloc'd: magic + zstd(Snapshot) */
	size_t frsnap_len;
	struct fr_batch *export;  /* the annotated span, then its child spans */
	size_t raw_bytes;         /* the Snapshot before compression */
};

/*
 * Builds the incident. Waits, when needed, until the window's end has
 * passed. 0 or -errno; on error nothing is allocated.
 */
int fr_snapshotter__take(struct fr_snapshotter *s, const struct fr_incident_in *in,
			 struct fr_incident_out *out);

/* The host pid of a process.pid seen inside a container (container.id), or pid. */
pid_t fr_host_pid(int64_t pid, const char *container_id);

/* Reads a .frsnap buffer: checks the magic, decompresses. 0, -EBADMSG. */
int fr_frsnap__unwrap(const void *p, size_t len, struct fr_buf *protobuf);

#endif /* FR_SNAPSHOT_H */
