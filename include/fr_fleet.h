/* SPDX-License-Identifier: MIT */
/*
 * fr_fleet.h - recorders on many hosts as one fleet, over NATS (nats.c):
 *
 *   registry   each node's entry (name, the addresses its services answer
 *              on, UI URL, version) in a JetStream key-value bucket, kept by
 *              a heartbeat and gone a few heartbeats after the node; every
 *              node watches the bucket to resolve an address to a node
 *   traces     a bounded index of the spans this node saw, by trace id,
 *              kept about as long as the rings hold records
 *   requests   capture requests by request/reply on the owning node's
 *              subject (flightrec.capture.<node>.<from>), a rate-limited
 *              broadcast for addresses on no known node, answers, late
 *              answers; no coordinator: each node walks on along its own
 *              breadcrumbs, with a hop limit, the nodes visited and a
 *              deadline (after Hindsight, NSDI'23)
 *   summaries  incident summaries published to a JetStream stream for the
 *              fleet view; snapshots fetched from their node in chunks
 *
 * Subjects carry the sending node's name last, and the example server
 * configuration (README, "Many hosts") lets each node's user publish only
 * under its own name: a node cannot speak as another.
 *
 * NATS down, slow or unreachable never blocks the caller for longer than
 * its wait, and never affects local capture: the client reconnects in the
 * background, and what could not be sent is counted.
 *
 * Thread-safety: every function may be called from any thread. The
 * callbacks run on nats.c's threads.
 */
#ifndef FR_FLEET_H
#define FR_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "fr_breadcrumbs.h"
#include "fr_buf.h"
#include "fr_span.h"
#include "fr_store.h"

#define FR_FLEET_MAX_SERVERS 8
#define FR_FLEET_MAX_VISITED 16
#define FR_FLEET_DEFAULT_MAX_HOPS 4
#define FR_FLEET_DEFAULT_WAIT_MS 1000
#define FR_FLEET_BUCKET "flightrec_nodes"
#define FR_FLEET_STREAM "FLIGHTREC_INCIDENTS"
#define FR_FLEET_MAX_WINDOW_NS (60ull * 1000000000ull)   /* a request's window, at most */
#define FR_FLEET_MAX_DEADLINE_NS (30ull * 1000000000ull) /* how far ahead a deadline may be */
#define FR_FLEET_LATE_NS (30ull * 1000000000ull)     /* how long past its deadline a request
						      * is still taken (answered late) */

/* A capture request, as the node asked reads it. */
struct fr_capture_req {
	uint8_t trace_id[16];
	uint8_t parent_span_id[8];
	char from[FR_NODE_NAME];         /* the asking node: the subject's last token */
	uint64_t from_incident;          /* its incident */
	struct sockaddr_storage local;   /* this node's end of the connection; AF_UNSPEC
					  * in a broadcast */
	struct sockaddr_storage remote;  /* the asking node's end */
	bool caller;                     /* this node called the asking node (a backward
					  * breadcrumb: it served our request) */
	uint64_t start_unix_ns, end_unix_ns; /* the window the asking node waited in */
	uint32_t hops, max_hops;
	char visited[FR_FLEET_MAX_VISITED][FR_NODE_NAME];
	uint32_t nr_visited;
	uint64_t deadline_unix_ns;
	bool broadcast;                  /* answer only when holding spans of the trace */
};

/* What the node asked answers. */
struct fr_capture_answer {
	char node[FR_NODE_NAME];         /* the node answering (set by fr_fleet__answer) */
	uint8_t state;                   /* enum fr_remote_state */
	uint64_t incident_id;            /* its incident; 0 none */
	char service[96];                /* "svc-b (pid 812)" */
	char verdict[512];
	char note[192];                  /* the state in words when not answered */
	struct fr_remote_part parts[FR_MAX_REMOTE]; /* its own remote parts */
	uint32_t nr_parts;
};

/* A request being answered: hand it to fr_fleet__answer exactly once. */
struct fr_fleet_reply;

struct fr_fleet_opts {
	size_t sz;
	const char *const *servers;      /* nats://, tls:// URLs */
	int nr_servers;
	const char *creds;               /* a NATS user's credentials file; NULL none */
	const char *node;                /* NULL: the host name */
	const char *ui_url;              /* this node's UI, for links */
	const char *version;
	const struct sockaddr_storage *extra_addrs; /* announced besides the interfaces'
						     * (a NAT's or a load balancer's
						     * address); ports unused */
	size_t nr_extra_addrs;
	bool netns_only;                 /* the addresses of this network namespace only
					  * (--follow-scope netns); else of every one
					  * on the host (containers', pods') */
	uint32_t heartbeat_s;            /* default 5; an entry lives three heartbeats */
	uint32_t wait_ms;                /* for answers; default 1000 */
	uint32_t max_hops;               /* default 4 */
	uint32_t requests_per_s;         /* from one asking node; default 20 */
	/* a capture request that passed the checks (NATS thread) */
	void (*on_capture)(void *ctx, const struct fr_capture_req *req,
			   struct fr_fleet_reply *reply);
	/* an answer after the incident was stored (NATS thread) */
	void (*on_late)(void *ctx, uint64_t incident_id, const struct fr_remote_part *part);
	/* an incident's .frsnap for a fetch: 0 or -errno */
	int (*read_snapshot)(void *ctx, uint64_t id, struct fr_buf *out);
	/* the fleet view (`flightrec fleet`): no capture, no entry in the
	 * registry, nothing answered; every summary the fleet's stream holds,
	 * then each new one, goes to on_summary (NATS thread) */
	bool viewer;
	void (*on_summary)(void *ctx, const struct fr_incident_summary *s);
	void *ctx;
};

struct fr_fleet;

/*
 * Starts the client: connects (or goes on trying in the background), then
 * registers, watches the registry and answers requests. NULL with errno
 * (EINVAL: a bad option, logged) only for what retrying cannot mend.
 */
struct fr_fleet *fr_fleet__open(const struct fr_fleet_opts *o);

/* Takes the node's entry out, drains, closes. NULL is a no-op. */
void fr_fleet__close(struct fr_fleet *f);

const char *fr_fleet__node(const struct fr_fleet *f);

/* ---- traces this node saw ---- */

struct fr_trace_span {
	uint8_t trace_id[16], span_id[8], parent_span_id[8];
	uint8_t kind;                    /* enum fr_span_kind */
	uint64_t start_ns, end_ns;       /* Unix ns */
	char name[96];
	char service[64];
	pid_t pid;                       /* host pid; 0 unknown */
	struct sockaddr_storage peer;    /* the other end its attributes name (client:
					  * server.address, server: client.address);
					  * AF_UNSPEC none */
	uint64_t noted;                  /* CLOCK_MONOTONIC ns */
};

/* Notes b's spans; host_pid[i] is resource i's process (0 unknown; nr
 * entries). */
void fr_fleet__note_spans(struct fr_fleet *f, const struct fr_batch *b, const pid_t *host_pid,
			  size_t nr);

/* The spans of a trace noted within the last keep_ns, at most max; how many. */
size_t fr_fleet__trace_spans(struct fr_fleet *f, const uint8_t trace_id[16], uint64_t keep_ns,
			     struct fr_trace_span *out, size_t max);

/* The service name of the newest span noted for process pid (of any
 * trace): 0, or -ENOENT. */
int fr_fleet__service_of(struct fr_fleet *f, pid_t pid, char *out, size_t len);

/* The peer an OTLP span names (server.address/port on a client span;
 * client.address, network.peer.address... on a server span): 0 or -ENOENT. */
int fr_span__peer(const struct fr_span *sp, struct sockaddr_storage *out);

/* ---- asking ---- */

struct fr_fleet_ask {
	uint8_t trace_id[16], parent_span_id[8];
	uint64_t incident_id;
	uint64_t start_unix_ns, end_unix_ns;
	const struct fr_crumb *crumbs;   /* the longest waited on first */
	const bool *inbound;             /* per crumb: the remote end called us */
	size_t nr_crumbs;
	const struct fr_capture_req *on_behalf; /* answering this request: its hops,
						 * visited and deadline; NULL:
						 * a local incident */
};

/*
 * Asks the nodes behind a's breadcrumbs (resolved through the registry;
 * those on no node by one rate-limited broadcast) and waits for their
 * answers up to the wait (or the request's deadline). One part per asked
 * node into parts (at most max), each answered or saying why not; answers
 * coming later go to on_late with a's incident id. How many parts.
 */
size_t fr_fleet__ask(struct fr_fleet *f, const struct fr_fleet_ask *a,
		     struct fr_remote_part *parts, size_t max);

/* Answers a request (a NULL: no answer, for a broadcast of a trace this
 * node does not hold) and frees r. */
void fr_fleet__answer(struct fr_fleet *f, struct fr_fleet_reply *r,
		      const struct fr_capture_answer *a);

/* The node whose registry entry holds addr (the port is ignored), its UI
 * into ui (may be NULL). 0 or -ENOENT. */
int fr_fleet__resolve(struct fr_fleet *f, const struct sockaddr_storage *addr,
		      char node[FR_NODE_NAME], char *ui, size_t ui_len);

/* ---- summaries ---- */

/* Publishes an incident summary to the fleet's stream (counted when lost). */
void fr_fleet__publish(struct fr_fleet *f, const struct fr_incident_summary *s);

/* ---- the fleet view ---- */

struct fr_fleet_node_info {
	char name[FR_NODE_NAME];
	char ui[128];
	char version[32];
	double heartbeat_age_s;          /* since its entry was last renewed */
	uint32_t nr_addrs;
};

/* The registry's nodes now, at most max; how many. */
size_t fr_fleet__nodes(struct fr_fleet *f, struct fr_fleet_node_info *out, size_t max);

/*
 * Incident id's .frsnap from the node that holds it, in chunks under the
 * NATS payload limit, into out. 0, or -errno with why in words ("node-c
 * does not answer: it is gone, or NATS is down").
 */
int fr_fleet__fetch_snapshot(struct fr_fleet *f, const char *node, uint64_t id,
			     struct fr_buf *out, char *why, size_t why_len);

struct fr_fleet_stats {
	bool connected;
	char server[128];                /* the URL connected to */
	uint64_t reconnects, disconnects;
	uint64_t nodes;                  /* in the registry now */
	uint64_t requests_sent, answers, late, no_answer, no_node;
	uint64_t broadcasts, broadcasts_limited;
	uint64_t requests_in, answers_sent;
	uint64_t refused_invalid, refused_rate, refused_other;
	uint64_t send_failed;            /* requests, answers, summaries not sent */
	uint64_t published;              /* summaries */
	uint64_t heartbeats, heartbeat_failed;
	uint64_t summaries_in;           /* the fleet view: summaries read from the stream */
};

void fr_fleet__stats(struct fr_fleet *f, struct fr_fleet_stats *out);

/* A refusal decided above the fleet (the capture budget), for the counts. */
void fr_fleet__count_refused(struct fr_fleet *f);

/* ---- the request's words ---- */

/* Encodes/decodes a request or an answer as JSON (the wire form). Decode
 * checks every bound (window, hops, deadline, visited) against now_unix
 * and max_hops: 0, or -EINVAL with why in err. */
int fr_capture_req__encode(const struct fr_capture_req *r, struct fr_buf *out);
int fr_capture_req__decode(const char *json, size_t len, uint64_t now_unix, uint32_t max_hops,
			   struct fr_capture_req *r, char *err, size_t err_len);
int fr_capture_answer__encode(const struct fr_capture_answer *a, struct fr_buf *out);
int fr_capture_answer__decode(const char *json, size_t len, struct fr_capture_answer *a);

/* A node name fit for a subject token: [A-Za-z0-9_-], 1..63. */
bool fr_fleet__valid_node(const char *name);

#endif /* FR_FLEET_H */
