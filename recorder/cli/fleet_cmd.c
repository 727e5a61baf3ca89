// SPDX-License-Identifier: MIT
/*
 * fleet_cmd.c - `flightrec fleet`: the UI of a whole fleet, without kernel
 * capture. It reads every node's incident summaries from the fleet's
 * JetStream stream into a store of its own (a cache, made afresh at each
 * start: the stream is the record), and fetches an incident's snapshot
 * from the node that holds it when a page or a download asks.
 */
#define FR_LOG_MOD "fleet"
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fr_commands.h"
#include "fr_fleet.h"
#include "fr_log.h"
#include "fr_store.h"
#include "fr_web.h"

#define MAX_MAPPED 200000

/* Which local incident holds a node's incident (node, its id there). */
struct mapped {
	char node[FR_NODE_NAME];
	uint64_t origin, local;
};

struct viewer {
	struct fr_store *store;
	struct fr_fleet *fleet;
	pthread_mutex_t mu;
	struct mapped *map;
	size_t n;
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: flightrec fleet --nats URL [options]\n"
		"The UI of a fleet of recorders, without kernel capture: every node's\n"
		"incidents, the parts of one trace together, problems across the fleet,\n"
		"the nodes; snapshots are fetched from the node that holds them.\n"
		"      --nats URL           a NATS server of the fleet (repeatable; tls:// for TLS)\n"
		"      --nats-creds FILE    the fleet view's NATS user credentials\n"
		"      --node NAME          its name on NATS (default fleet-ui)\n"
		"      --web-listen A:P     serve the UI here (default 127.0.0.1:8090)\n"
		"      --auth-token T       require this token (needed beyond loopback)\n"
		"      --no-auth            no token\n"
		"      --web-allow-host H   also answer to Host H (repeatable)\n"
		"      --data-dir DIR       where the cache of summaries goes (default /var/tmp)\n");
}

/* The summary replaces what the store held for it (a late answer, a merge). */
static void replace(void *ctx, struct fr_incident_summary *sum)
{
	const struct fr_incident_summary *s = ctx;
	uint64_t id = sum->id;

	*sum = *s;
	sum->id = id;
}

static void on_summary(void *ctx, const struct fr_incident_summary *s)
{
	struct viewer *v = ctx;
	struct fr_incident_summary *copy;
	uint64_t local = 0;

	pthread_mutex_lock(&v->mu);
	for (size_t i = v->n; i-- > 0;) /* newest first: updates follow soon */
		if (v->map[i].origin == s->origin_id && !strcmp(v->map[i].node, s->node)) {
			local = v->map[i].local;
			break;
		}
	pthread_mutex_unlock(&v->mu);
	if (local && !fr_store__update(v->store, local, replace, (void *)s))
		return;
	copy = malloc(sizeof(*copy));
	if (!copy)
		return;
	*copy = *s;
	copy->id = fr_store__new_id(v->store); /* ids of two nodes may collide */
	if (!fr_store__put(v->store, copy, NULL, 0, NULL, NULL)) {
		pthread_mutex_lock(&v->mu);
		if (v->n < MAX_MAPPED) {
			snprintf(v->map[v->n].node, FR_NODE_NAME, "%s", s->node);
			v->map[v->n].origin = s->origin_id;
			v->map[v->n].local = copy->id;
			v->n++;
		}
		pthread_mutex_unlock(&v->mu);
	}
	free(copy);
}

static int snapshot(void *ctx, const struct fr_incident_summary *s, struct fr_buf *out,
		    char *why, size_t why_len)
{
	struct viewer *v = ctx;

	if (!s->node[0]) {
		snprintf(why, why_len, "this incident names no node");
		return -ENOENT;
	}
	return fr_fleet__fetch_snapshot(v->fleet, s->node, s->origin_id ? s->origin_id : s->id, out,
					why, why_len);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

enum { OPT_NATS = 256, OPT_CREDS, OPT_NODE, OPT_WEB, OPT_TOKEN, OPT_NO_AUTH, OPT_HOST, OPT_DATA };

int fr_cmd_fleet(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "nats", required_argument, NULL, OPT_NATS },
		{ "nats-creds", required_argument, NULL, OPT_CREDS },
		{ "node", required_argument, NULL, OPT_NODE },
		{ "web-listen", required_argument, NULL, OPT_WEB },
		{ "auth-token", required_argument, NULL, OPT_TOKEN },
		{ "no-auth", no_argument, NULL, OPT_NO_AUTH },
		{ "web-allow-host", required_argument, NULL, OPT_HOST },
		{ "data-dir", required_argument, NULL, OPT_DATA },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *servers[FR_FLEET_MAX_SERVERS], *creds = NULL, *node = "fleet-ui";
	const char *listen = "127.0.0.1:8090", *token = NULL, *base = "/var/tmp";
	char hosts[512] = "", dir[4096];
	struct viewer v = { .mu = PTHREAD_MUTEX_INITIALIZER };
	struct fr_web *web = NULL;
	bool no_auth = false;
	int nr = 0, opt, rc = 1;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_NATS:
			if (nr == FR_FLEET_MAX_SERVERS) {
				fprintf(stderr, "flightrec fleet: at most %d --nats\n", FR_FLEET_MAX_SERVERS);
				return 2;
			}
			servers[nr++] = optarg;
			break;
		case OPT_CREDS: creds = optarg; break;
		case OPT_NODE: node = optarg; break;
		case OPT_WEB: listen = optarg; break;
		case OPT_TOKEN: token = optarg; break;
		case OPT_NO_AUTH: no_auth = true; break;
		case OPT_DATA: base = optarg; break;
		case OPT_HOST:
			snprintf(hosts + strlen(hosts), sizeof(hosts) - strlen(hosts), "%s%s",
				 hosts[0] ? "," : "", optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!nr || optind < argc || (!token && !no_auth)) {
		fprintf(stderr, "flightrec fleet: %s\n", !nr ? "--nats is needed"
				: optind < argc ? "unexpected argument" : "--auth-token or --no-auth is needed");
		usage(stderr);
		return 2;
	}
	if (!fr_fleet__valid_node(node)) {
		fprintf(stderr, "flightrec fleet: bad --node '%s'\n", node);
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s/flightrec-fleet-XXXXXX", base);
	v.map = calloc(MAX_MAPPED, sizeof(*v.map));
	if (!v.map || !mkdtemp(dir)) {
		pr_err("cannot make the cache in %s: %s", base, strerror(errno));
		free(v.map);
		return 1;
	}
	{
		struct fr_store_opts so = { .sz = sizeof(so), .dir = dir, .max_bytes = 512ull << 20 };
		struct fr_fleet_opts fo = {
			.sz = sizeof(fo), .servers = servers, .nr_servers = nr, .creds = creds,
			.node = node, .viewer = true, .on_summary = on_summary, .ctx = &v,
			.version = FR_VERSION,
		};
		struct fr_web_opts wo = {
			.sz = sizeof(wo), .listen = listen, .token = token, .fleet_view = true,
			.allowed_hosts = hosts[0] ? hosts : NULL, .snapshot = snapshot, .ctx = &v,
		};

		v.store = fr_store__open(&so);
		if (!v.store)
			goto out;
		v.fleet = fr_fleet__open(&fo);
		if (!v.fleet)
			goto out;
		wo.store = v.store;
		wo.fleet = v.fleet;
		web = fr_web__start(&wo);
		if (!web)
			goto out;
	}
	pr_info("fleet view on http://%s/%s%s", listen, token ? "?token=" : "", token ? token : "");
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	while (!stop_flag)
		usleep(100 * 1000);
	rc = 0;
out:
	fr_web__stop(web);
	fr_fleet__close(v.fleet);
	fr_store__close(v.store);
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(v.map);
	return rc;
}
