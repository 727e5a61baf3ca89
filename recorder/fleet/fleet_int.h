/* SPDX-License-Identifier: MIT */
/*
 * fleet_int.h - private to recorder/fleet: the client's state, shared by
 * the connection and its thread (client.c), the registry (registry.c),
 * the trace index (traces.c) and the requests (request.c).
 */
#ifndef FR_FLEET_INT_H
#define FR_FLEET_INT_H

#include <pthread.h>
#include <nats/nats.h>

#include "fr_fleet.h"

#define FLEET_MAX_NODES 1024
#define FLEET_MAX_ADDRS 32
#define FLEET_MAX_CALLS 64
#define FLEET_RATE_SLOTS 64

/* A node of the registry, as this node last saw its entry. */
struct fleet_node {
	char name[FR_NODE_NAME];
	char ui[128];
	char version[32];
	struct sockaddr_storage addrs[FLEET_MAX_ADDRS]; /* ports unused */
	uint32_t nr_addrs;
	uint64_t seen;                  /* CLOCK_MONOTONIC ns of its last entry */
};

/* A request this node sent and the answers it waits for. */
struct fleet_call {
	uint64_t id;                    /* 0: free */
	uint64_t incident_id;
	struct fr_remote_part parts[FR_MAX_REMOTE];
	uint32_t nr_parts;
	uint32_t outstanding;           /* parts asked and not answered yet */
	int broadcast_part;             /* the part a broadcast answer fills; -1 none */
	bool waiting;                   /* the asker still waits: answers go into parts */
	uint64_t expires;               /* CLOCK_MONOTONIC ns: late answers until then */
	uint32_t wait_ms;
	uint64_t asked;                 /* CLOCK_MONOTONIC ns when the requests went out */
};

struct fleet_rate {
	char node[FR_NODE_NAME];
	double tokens;
	uint64_t last;                  /* CLOCK_MONOTONIC ns */
};

struct fleet_traces;

struct fr_fleet {
	struct fr_fleet_opts o;
	char node[FR_NODE_NAME];
	char *servers[FR_FLEET_MAX_SERVERS];
	char *creds, *ui_url, *version;
	natsConnection *nc;
	natsSubscription *sub_capture, *sub_broadcast, *sub_replies, *sub_snapshot, *sub_stream;
	char inbox[96];                 /* this node's reply subjects: inbox.<call>.<part> */
	jsCtx *js;
	kvStore *kv;
	kvWatcher *watch;
	bool stream_ready;
	unsigned beat_failures;         /* heartbeats failed in a row */
	/* registry */
	pthread_mutex_t mu;             /* nodes, calls, rates, stats */
	struct fleet_node *nodes;       /* FLEET_MAX_NODES */
	size_t nr_nodes;
	struct sockaddr_storage extra[FLEET_MAX_ADDRS]; /* opts' extra_addrs, copied */
	struct sockaddr_storage own[FLEET_MAX_ADDRS];
	uint32_t nr_own;
	uint64_t own_at;                /* when own was gathered */
	/* requests */
	struct fleet_call calls[FLEET_MAX_CALLS];
	uint64_t next_call;
	pthread_cond_t answered;
	struct fleet_rate rates[FLEET_RATE_SLOTS];
	uint64_t last_broadcast;
	/* traces */
	struct fleet_traces *traces;
	/* the thread: registry heartbeat, watch, expiry */
	pthread_t thread;
	bool thread_started, stop;
	bool closed;                    /* the connection's closed callback ran */
	pthread_mutex_t stop_mu;
	pthread_cond_t stop_cv;
	struct fr_fleet_stats st;
};

#define FLEET_COUNT(f, field)                 \
	do {                                  \
		pthread_mutex_lock(&(f)->mu); \
		(f)->st.field++;              \
		pthread_mutex_unlock(&(f)->mu); \
	} while (0)

/* registry.c */
int fr_fleet_registry_start(struct fr_fleet *f);     /* bucket, watcher; 0 or -errno */
void fr_fleet_registry_heartbeat(struct fr_fleet *f);
void fr_fleet_registry_watch(struct fr_fleet *f, int64_t timeout_ms);
void fr_fleet_registry_leave(struct fr_fleet *f);
void fr_fleet_own_addrs(struct fr_fleet *f);
bool fr_fleet_is_own(struct fr_fleet *f, const struct sockaddr_storage *a);

/* traces.c */
struct fleet_traces *fr_fleet_traces_new(size_t cap);
void fr_fleet_traces_free(struct fleet_traces *t);

/* request.c */
int fr_fleet_requests_start(struct fr_fleet *f);    /* subscriptions; 0 or -errno */
void fr_fleet_requests_expire(struct fr_fleet *f, uint64_t now);

/* viewer.c: the fleet view reads the incident stream; 0 or -errno */
int fr_fleet_viewer_start(struct fr_fleet *f);

/* publish.c: the incident stream (made when missing); 0 or -errno */
int fr_fleet_stream_start(struct fr_fleet *f);

/* client.c: a publish that counts its failure */
int fr_fleet_publish(struct fr_fleet *f, const char *subj, const void *data, size_t len);
const char *fr_fleet_status_text(natsStatus s);

#endif /* FR_FLEET_INT_H */
