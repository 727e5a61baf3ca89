/* SPDX-License-Identifier: MIT */
/*
 * daemon_int.h - private to recorder/daemon: the daemon's state, shared by its
 * lifecycle (daemon.c) and its span pipeline (pipeline.c).
 */
#ifndef FR_DAEMON_INT_H
#define FR_DAEMON_INT_H

#include <pthread.h>
#include <stdio.h>

#include "fr_daemon.h"
#include "fr_export.h"
#include "fr_fleet.h"
#include "fr_ksyms.h"
#include "fr_net.h"
#include "fr_otlp_server.h"
#include "fr_series.h"
#include "fr_snapshot.h"
#include "fr_web.h"

/* Another node's request, to be taken on the capture worker (fleet.c). */
struct fr_remote_job {
	struct fr_capture_req req;
	struct fr_fleet_reply *reply;  /* answered exactly once */
	uint64_t id;                   /* the incident it becomes */
	bool from_spans;               /* the process came from the trace's spans, not
				       * only from its socket */
	char pid_source[160];          /* how the process was found */
};

/* A fired span waiting for the capture worker. */
struct fr_job {
	struct fr_batch *batch; /* a reference, held until the incident is made */
	const struct fr_span *span;
	struct fr_decision decision;
	pid_t host_pid;
	bool followed;
	char denied[256];       /* why the sender may not capture host_pid; "" = may */
	char pid_source[320];   /* how host_pid was found (or why there is none) */
	bool sample;            /* a normal span to sample for its baseline */
	bool prepare;           /* a process newly followed: load what its snapshots
				 * will need (no batch) */
	struct fr_remote_job *remote; /* another node's request (malloc'd; the worker
				       * frees it), with batch its synthetic span */
};

#define FR_MAX_JOBS 64

struct fr_daemon {
	struct fr_config *c;         /* the running config; reload rewrites the parts
				      * below cfg_lock guards */
	pthread_rwlock_t cfg_lock;   /* trusted senders, forwarders, service map */
	uint64_t started;            /* CLOCK_MONOTONIC ns */
	struct fr_capture *cap;
	struct fr_store *store;
	struct fr_trigger *trig;
	struct fr_baselines *baselines; /* normal spans' samples; NULL: off */
	struct fr_series *series;    /* every operation's latency, the last hour */
	struct fr_status_history history; /* the status figures, the last hour */
	struct fr_ksyms *ksyms;
	struct fr_exporter *exp;
	struct fr_otlp_server *srv;
	struct fr_web *web;
	struct fr_fleet *fleet;      /* NULL: no --nats */
	struct fr_tls tls;           /* --tls-cert/--tls-key, read at start */
	/* parts taken on request lately, so that a second request for the
	 * same trace (two nodes asking at once) merges with the first even
	 * before it is stored */
	struct fr_taken_part {
		uint8_t trace_id[16];
		uint64_t id, at;     /* the incident; CLOCK_MONOTONIC ns */
	} taken[64];
	pthread_mutex_t taken_mu;
	uint64_t netns_ino;          /* this recorder's network namespace */
	char *headers;               /* exporter headers from the environment */
	pid_t demo_pid;
	FILE *dump;
	pthread_mutex_t dump_mu;
	/* captures waiting for the worker */
	pthread_mutex_t jmu;
	pthread_cond_t jcv;
	struct fr_job jobs[FR_MAX_JOBS];
	size_t jhead, jcount;
	bool jstop;
	pthread_t worker;
	bool worker_started;
	/* figures */
	struct fr_incident_counts counts;
	struct fr_status_rate rate;
	struct fr_clock clock;       /* refreshed for the status lines */
};

#define FOLLOW_MAX_RESOURCES 64

/* What the daemon found of the process behind one resource. */
struct resource_pid {
	pid_t host;          /* outside PID namespaces; 0 unknown */
	bool followed;       /* followed before this batch */
	char denied[256];    /* why its sender may not capture it; "" = may */
	char source[320];    /* how it was found */
};

/* process.c: may the recorder follow pid (--follow-scope netns: only the
 * processes of its own network namespace)? */
bool fr_daemon__in_scope(const struct fr_daemon *d, pid_t pid);

/* process.c: the processes behind b's resources into rp[] (at most
 * FOLLOW_MAX_RESOURCES), followed from their first span on when their
 * sender may see them. */
void fr_daemon__follow_senders(struct fr_daemon *d, const struct fr_batch *b,
			       struct resource_pid *rp);

/* pipeline.c: queues a job for the capture worker (a reference to its
 * batch taken); false when the queue is full or stopping. */
bool fr_daemon__queue_capture(struct fr_daemon *d, const struct fr_job *job);

/* pipeline.c: a newly followed process's symbols and modules loaded on
 * the worker ahead of its first incident, while the queue has room. */
void fr_daemon__prepare(struct fr_daemon *d, pid_t pid);

/* pipeline.c: hands an incident to the store (owning out->frsnap); once it
 * committed it is counted, logged, published to the fleet and, with
 * export, its annotated span exported. */
void fr_daemon__store_incident(struct fr_daemon *d, const struct fr_incident_in *in,
			       struct fr_incident_out *out, bool export);

/* fleet.c: the daemon's side of the fleet. */
struct fr_across {
	struct fr_daemon *d;
	const struct fr_capture_req *req; /* answering it; NULL: a local incident */
};

/* The snapshot's hook after annotate (ctx: a struct fr_across): asks the
 * nodes behind the incident's breadcrumbs and continues the verdict. */
void fr_daemon__across(void *ctx, const struct fr_incident_in *in, struct fr_incident_work *wk);

/* The worker's part of another node's request: snapshot, store, answer. */
void fr_daemon__remote_incident(struct fr_daemon *d, struct fr_snapshotter *snap,
				const struct fr_job *j);

/* Joins the fleet when the config names NATS servers: 0 or -errno. */
int fr_daemon__start_fleet(struct fr_daemon *d);

/* pipeline.c: the OTLP server's sink; starts and stops the capture worker. */
int fr_daemon__on_batch(void *daemon, struct fr_batch *b);
int fr_daemon__start_worker(struct fr_daemon *d);
void fr_daemon__stop_worker(struct fr_daemon *d);

#endif /* FR_DAEMON_INT_H */
