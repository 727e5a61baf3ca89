/* SPDX-License-Identifier: MIT */
/*
 * fr_store.h - the incident store (LMDB).
 *
 * Databases: incidents (id -> summary), snapshots (id -> .frsnap bytes,
 * opaque to the store),
 * by_trace (trace id + id), by_op (service \0 span name \0 id), rules
 * (rule id -> text), meta. Ids are time-ordered (newest = largest).
 *
 * All changes go through one writer thread, which batches queued changes
 * into transactions; a crash at any moment leaves every committed incident
 * whole (LMDB is ACID; commits are durable). Retention: by total bytes and
 * by age, oldest evicted first; the bytes kept are also bounded by what the
 * filesystem can hold, and a full map or a full filesystem is handled by
 * evicting and retrying. Reads may run from any thread concurrently with the writer.
 */
#ifndef FR_STORE_H
#define FR_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fr_buf.h"

/* A part of the same trace on another node (flightrec fleet; the
 * RemotePart of store/proto). */
enum fr_remote_state {
	FR_REMOTE_ANSWERED = 1,
	FR_REMOTE_LATE = 2,       /* answered after the incident was stored */
	FR_REMOTE_NO_ANSWER = 3,
	FR_REMOTE_OUT_OF_RINGS = 4,
	FR_REMOTE_NO_NODE = 5,    /* the address is on no flightrec node */
	FR_REMOTE_MERGED = 6,     /* that node had captured the trace already */
	FR_REMOTE_REFUSED = 7,
	FR_REMOTE_NOTHING = 8,    /* that node holds nothing of it */
	FR_REMOTE_ERROR = 9,
};

#define FR_NODE_NAME 64
#define FR_MAX_REMOTE 6

struct fr_remote_part {
	char node[FR_NODE_NAME];
	uint64_t incident_id;
	uint8_t state;            /* enum fr_remote_state */
	char endpoint[64];
	char service[96];
	char verdict[512];
	char note[192];
	char via[FR_NODE_NAME];
	uint64_t ns;
	char ui[128];
	uint64_t answer_ns;       /* from asking to its answer; 0 none */
};

/* "answered", "late", "no answer", ... */
const char *fr_remote_state__name(uint8_t state);

struct fr_incident_summary {
	uint64_t id;
	uint64_t time_unix_nano; /* span end */
	char service[128];
	char span_name[256];
	uint8_t trace_id[16];
	uint8_t span_id[8];
	uint64_t duration_ns;
	uint64_t threshold_ns;
	char rule[256];
	char verdict[1024];
	bool kernel_context;
	bool complete;
	uint64_t snapshot_bytes;
	uint32_t records;
	uint32_t kind;
	uint32_t pid;
	uint64_t signature;      /* cause signature (fr_signature.h); 0 none */
	char cause[200];         /* the cause, normalised: what the signature groups */
	/* across hosts */
	char node[FR_NODE_NAME]; /* the node that took it; "" alone */
	struct fr_remote_part remote[FR_MAX_REMOTE];
	uint32_t nr_remote;
	char part_of_node[FR_NODE_NAME]; /* taken on that node's request; "" none */
	uint64_t part_of_id;
	bool part_of_merged;     /* captured here already when asked */
	uint64_t origin_id;      /* its id on node (a copy in the fleet view); 0: id */
};

struct fr_store_opts {
	size_t sz;
	const char *dir;          /* created if missing */
	uint64_t max_bytes;       /* summaries + snapshots; default 1 GiB */
	uint64_t max_age_s;       /* default 7 days; 0 = default */
	bool read_only;           /* no writer thread; for inspection and tests */
	uint64_t (*now_wall)(void); /* Unix ns; default fr_wall_ns */
};

struct fr_store;

/* NULL with errno and a logged reason (the LMDB error text). */
struct fr_store *fr_store__open(const struct fr_store_opts *opts);
/* Commits what is queued, stops the writer, closes. NULL is a no-op. */
void fr_store__close(struct fr_store *s);

/* A new time-ordered id, unique in this store. Thread-safe. */
uint64_t fr_store__new_id(struct fr_store *s);

typedef void (*fr_store_done_fn)(void *ctx, uint64_t id, int err);

/*
 * Queues an incident for the writer. The store takes ownership of frsnap
 * (malloc'd, freed by the store) and copies the summary. done (may be NULL)
 * runs on the writer thread after the commit with 0 or -errno.
 * Returns 0, or -EAGAIN when the queue is full, -EROFS when read-only.
 */
int fr_store__put(struct fr_store *s, const struct fr_incident_summary *sum, void *frsnap,
		  size_t frsnap_len, fr_store_done_fn done, void *ctx);

/*
 * Changes a stored incident's summary (late remote answers, a merge):
 * fn(ctx, sum) runs on the writer thread inside the transaction with the
 * stored summary, and what it leaves is stored. Waits for the commit.
 * 0, -ENOENT (evicted, or never stored), -EROFS, or -errno.
 */
int fr_store__update(struct fr_store *s, uint64_t id,
		     void (*fn)(void *ctx, struct fr_incident_summary *sum), void *ctx);

/* Waits until everything queued so far is committed. */
void fr_store__sync(struct fr_store *s);

/* Deletes an incident (through the writer; waits). 0 or -ENOENT. */
int fr_store__delete(struct fr_store *s, uint64_t id);

/* Reads. 0, -ENOENT, or -EIO for a record that does not decode. */
int fr_store__summary(struct fr_store *s, uint64_t id, struct fr_incident_summary *out);
int fr_store__snapshot(struct fr_store *s, uint64_t id, struct fr_buf *out);

struct fr_store_query {
	const char *service;      /* exact; NULL = any */
	const char *span_name;    /* exact; NULL = any */
	uint64_t from_unix_nano;  /* 0 = no bound */
	uint64_t to_unix_nano;    /* 0 = no bound */
	uint64_t min_duration_ns;
	const char *node;         /* the node that took it (fleet view); NULL = any */
	uint64_t before_id;       /* cursor: only ids below (0 = from the newest) */
	uint32_t limit;           /* default 50 */
};

/*
 * Newest first. Fills out[0..n) (n <= limit) and returns n, or -errno;
 * *next_cursor gets the before_id for the next page (0 when no more).
 */
int fr_store__list(struct fr_store *s, const struct fr_store_query *q,
		   struct fr_incident_summary *out, uint64_t *next_cursor);

/* Ids of incidents of a trace (at most max); returns how many were found. */
int fr_store__by_trace(struct fr_store *s, const uint8_t trace_id[16], uint64_t *ids,
		       size_t max);

/* Rules: the whole set is replaced on save (through the writer; waits). */
int fr_store__save_rules(struct fr_store *s, const uint32_t *ids, const char *const *texts,
			 size_t n);
/* Calls fn for each stored rule, in id order; returns how many. */
int fr_store__load_rules(struct fr_store *s, void (*fn)(void *ctx, uint32_t id, const char *text),
			 void *ctx);

/* A recurring cause: the incidents of one signature (fr_signature.h). */
struct fr_problem {
	uint64_t signature;
	char service[128];
	char span_name[256];
	char cause[200];
	uint64_t count;           /* incidents ever stored with it */
	uint64_t first_unix_nano, last_unix_nano;
	uint64_t total_ns;        /* their spans' time, summed */
	bool muted, known;
};

/* The problems, up to max into out (any order); how many exist, or -errno. */
int fr_store__problems(struct fr_store *s, struct fr_problem *out, size_t max);

/* One problem: 0, -ENOENT, or -errno. */
int fr_store__problem(struct fr_store *s, uint64_t signature, struct fr_problem *out);

/* The ids of its incidents still stored, newest first, up to max (before
 * id before_id when not 0); how many were written, or -errno. */
int fr_store__problem_incidents(struct fr_store *s, uint64_t signature, uint64_t before_id,
				uint64_t *ids, size_t max);

/* Marks a problem muted and/or known (-1: leave as is); waits for the
 * commit. 0, -ENOENT, -EROFS, or -errno. */
int fr_store__mark_problem(struct fr_store *s, uint64_t signature, int muted, int known);

struct fr_store_stats {
	uint64_t incidents;
	uint64_t bytes;
	uint64_t map_bytes;       /* the LMDB map size */
	uint64_t puts;
	uint64_t put_errors;
	uint64_t evicted_size;
	uint64_t evicted_age;
	uint64_t map_full;        /* times the map filled (evicted and retried) */
	uint64_t disk_full;       /* times the filesystem filled (evicted and retried) */
	uint64_t queued;
};

void fr_store__stats(struct fr_store *s, struct fr_store_stats *out);

/* A remote part to and from its protobuf form (RemotePart; pb is a
 * Flightrec__Snapshot__V1__RemotePart; to_pb points into r). */
void fr_remote_part__to_pb(const struct fr_remote_part *r, void *pb);
void fr_remote_part__from_pb(const void *pb, struct fr_remote_part *r);

/* Summary to and from its protobuf form (IncidentSummary). */
int fr_summary__encode(const struct fr_incident_summary *sum, struct fr_buf *out);
int fr_summary__decode(const void *p, size_t len, struct fr_incident_summary *out);

#endif /* FR_STORE_H */
