/* SPDX-License-Identifier: MIT */
/*
 * fr_config.h - what the daemon (fr_daemon.h) is built from: the options
 * of `flightrec run` in one struct. The command line and the config file
 * fill it (fr_options.h); nothing here starts anything.
 */
#ifndef FR_CONFIG_H
#define FR_CONFIG_H

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "fr_capture.h"
#include "fr_otlp_server.h"
#include "fr_snapshot.h"
#include "fr_store.h"
#include "fr_trigger.h"
#include "fr_web.h"

#define FR_CONFIG_DEFAULT "/etc/flightrec/flightrec.conf"
#define FR_CONFIG_MAX_FILE_ARGS 512

struct fr_config {
	const char *config_path;         /* the config file read, or NULL */
	char *file_args[FR_CONFIG_MAX_FILE_ARGS]; /* its options as arguments (malloc'd) */
	int nr_file_args;
	char **argv;                     /* the file's arguments, then the command line's */
	/* kernel capture */
	struct fr_capture_opts capture;  /* follow_all, ring_bytes, flags, names, links */
	uint64_t link_ttl_ns;            /* 0: FR_CAPTURE_DEFAULT_LINK_TTL_NS */
	char **pids, **comms, **cgroups; /* to follow; point into argv */
	int nr_pids, nr_comms, nr_cgroups;
	bool no_kernel;
	/* OTLP in and out */
	struct fr_otlp_server_opts otlp; /* listen, max_body (sink set by the daemon) */
	char *export_endpoint;           /* malloc'd; NULL: from OTEL_* variables */
	double export_flush_s;
	const char *dump_path;
	/* triggers and incidents */
	char **rules;                    /* --rule texts; point into argv */
	int nr_rules;
	const char *rules_file;
	struct fr_trigger_opts trigger;  /* window_ns, budget_per_min */
	struct fr_snapshot_opts snapshot; /* pre_ns, post_ns, ui_base */
	struct fr_store_opts store;      /* dir, max_bytes */
	/* web */
	struct fr_web_opts web;          /* listen, token, allowed_hosts */
	bool no_web;
	bool no_auth;                    /* no token: the daemon makes none */
	char token[256];                 /* given; else made by the daemon */
	char allowed_hosts[512];
	char ui_base[128];
	/* senders that may bring any process under capture (forwarders such as
	 * a Collector): by user on this host, or by address */
	uid_t trusted_uids[8];
	int nr_trusted_uids;
	struct sockaddr_storage trusted_addrs[8];
	int trusted_prefix[8];           /* bits of trusted_addrs[i] that must match */
	int nr_trusted_addrs;
	/* spans without process.pid: the sender's process, unless the sender
	 * is a forwarder (by command name); then the service map says */
	char forwarders[8][16];
	int nr_forwarders;
	struct fr_service_map {
		char service[128];
		char kind[12];   /* comm, cgroup, container */
		char value[256];
	} service_map[16];
	int nr_service_map;
	/* baselines: normal spans sampled to compare incidents with */
	bool no_baselines;
	uint64_t baseline_interval_ns;   /* per operation; 0 = 5 s */
	/* TLS for the OTLP receiver and the UI, and the receiver's bearer token */
	const char *tls_cert, *tls_key;  /* PEM files; both or neither */
	char otlp_token[256];            /* "" none */
	/* the fleet (recorder/fleet): none of these given, no NATS code runs */
	char *nats[8];                   /* --nats URLs; point into argv */
	int nr_nats;
	const char *nats_creds;
	const char *node;                /* NULL: the host name */
	uint32_t fleet_wait_ms;          /* 0: FR_FLEET_DEFAULT_WAIT_MS */
	uint32_t fleet_max_hops;         /* 0: FR_FLEET_DEFAULT_MAX_HOPS */
	const char *fleet_url;           /* the fleet view, linked from this UI */
	struct sockaddr_storage fleet_addrs[8]; /* --fleet-address: announced too */
	int nr_fleet_addrs;
	bool scope_netns;                /* --follow-scope netns: this network namespace's
					  * processes only */
	/* the rest */
	bool demo;
	double status_interval_s;
};

#endif /* FR_CONFIG_H */
