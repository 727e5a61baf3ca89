// SPDX-License-Identifier: MIT
/*
 * fleet_bench.c - the fleet's own cost at scale: a registry of N simulated
 * nodes (default 100, each a real fr_fleet with its own NATS connection,
 * registry entry, watch and responders, in this one process) on a real
 * nats-server with JetStream, at R incidents per second across the fleet
 * (default 10), each asking one other node and naming one address on no
 * node (the broadcast fallback, rate limited per node). Prints the CPU
 * this process spent per node (user + system, all threads) and NATS
 * messages per node per second, from the server's own counters, beside an
 * idle fleet measured the same way first.
 *
 * usage: fleet_bench [NODES] [RATE] [SECONDS]
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fr_clock.h"
#include "fr_fleet.h"
#include "fr_log.h"

#define MAX_NODES 256

static struct fr_fleet *fleet[MAX_NODES];
static int nodes = 100;
static volatile int running = 1;
static double rate = 10;
static uint64_t asked, answered;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

/* Node i holds the traces whose first byte is i modulo the nodes (it
 * answers their broadcasts). */
static void on_capture(void *ctx, const struct fr_capture_req *req, struct fr_fleet_reply *r)
{
	int i = (int)(intptr_t)ctx;
	struct fr_capture_answer a = { .state = FR_REMOTE_ANSWERED, .incident_id = 1 };

	if (req->broadcast && req->trace_id[0] % nodes != i) {
		fr_fleet__answer(fleet[i], r, NULL);
		return;
	}
	snprintf(a.service, sizeof(a.service), "sim-%03d (pid 1)", i);
	snprintf(a.verdict, sizeof(a.verdict), "100%% of 10 ms blocked in fsync(/data/sim-%03d)", i);
	fr_fleet__answer(fleet[i], r, &a);
}

static void sim_addr(int i, struct sockaddr_storage *a)
{
	char s[64];

	snprintf(s, sizeof(s), "10.200.%d.%d:9000", i / 250, i % 250 + 1);
	fr_sockaddr__parse(s, a);
}

static void *driver(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	double per_thread = rate / 4;

	while (running) {
		int i = (int)(rand_r(&seed) % (unsigned)nodes), j = (i + 1 + (int)(rand_r(&seed) % (unsigned)(nodes - 1))) % nodes;
		struct fr_crumb c[2] = { { .source = FR_CRUMB_KERNEL }, { .source = FR_CRUMB_KERNEL } };
		struct fr_fleet_ask a = { .incident_id = 1, .crumbs = c, .nr_crumbs = 2 };
		struct fr_remote_part parts[FR_MAX_REMOTE];
		size_t n;

		sim_addr(j, &c[0].remote);
		fr_sockaddr__parse("10.250.0.1:5432", &c[1].remote);
		for (int k = 0; k < 16; k++)
			a.trace_id[k] = (uint8_t)rand_r(&seed);
		a.start_unix_ns = fr_wall_ns() - 300000000ull;
		a.end_unix_ns = fr_wall_ns();
		n = fr_fleet__ask(fleet[i], &a, parts, FR_MAX_REMOTE);
		pthread_mutex_lock(&mu);
		asked++;
		for (size_t k = 0; k < n; k++)
			answered += parts[k].state == FR_REMOTE_ANSWERED;
		pthread_mutex_unlock(&mu);
		usleep((useconds_t)(1e6 / per_thread));
	}
	return NULL;
}

static size_t collect(char *p, size_t sz, size_t n, void *ud)
{
	struct fr_buf *b = ud;

	fr_buf__put(b, p, sz * n);
	return sz * n;
}

/* The server's message counters (its /varz). */
static int varz(int mon, uint64_t *in_msgs, uint64_t *out_msgs, uint64_t *in_bytes)
{
	CURL *c = curl_easy_init();
	struct fr_buf b = { 0 };
	char url[64];
	const char *p;
	int rc = -1;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/varz", mon);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	if (curl_easy_perform(c) == CURLE_OK) {
		fr_buf__putc(&b, '\0');
		if ((p = strstr((char *)b.p, "\"in_msgs\":")))
			*in_msgs = strtoull(p + 10, NULL, 10);
		if ((p = strstr((char *)b.p, "\"out_msgs\":")))
			*out_msgs = strtoull(p + 11, NULL, 10);
		if ((p = strstr((char *)b.p, "\"in_bytes\":")))
			*in_bytes = strtoull(p + 11, NULL, 10);
		rc = 0;
	}
	fr_buf__free(&b);
	curl_easy_cleanup(c);
	return rc;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

struct window {
	double cpu;
	uint64_t in, out, bytes;
};

static void measure(int mon, struct window *w)
{
	w->cpu = cpu_s();
	varz(mon, &w->in, &w->out, &w->bytes);
}

int main(int argc, char **argv)
{
	int secs = argc > 3 ? atoi(argv[3]) : 30, port = 24222 + getpid() % 1000, mon = port + 1000;
	char dir[] = "/tmp/fr-fleet-bench-XXXXXX", url[64], ports[16], mons[16];
	struct window i0, i1, l0, l1;
	pthread_t th[4];
	pid_t srv;

	nodes = argc > 1 ? atoi(argv[1]) : 100;
	rate = argc > 2 ? atof(argv[2]) : 10;
	if (nodes < 2 || nodes > MAX_NODES || rate <= 0 || secs < 5) {
		fprintf(stderr, "usage: fleet_bench [NODES 2..%d] [RATE] [SECONDS >= 5]\n", MAX_NODES);
		return 2;
	}
	fr_log_level = FR_LOG_WARN;
	if (!mkdtemp(dir))
		return 1;
	snprintf(ports, sizeof(ports), "%d", port);
	snprintf(mons, sizeof(mons), "%d", mon);
	srv = fork();
	if (srv == 0) {
		if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
			_exit(127);
		execlp("nats-server", "nats-server", "-js", "-a", "127.0.0.1", "-p", ports, "-m", mons,
		       "-sd", dir, (char *)NULL);
		_exit(127);
	}
	sleep(1);
	snprintf(url, sizeof(url), "nats://127.0.0.1:%d", port);
	for (int i = 0; i < nodes; i++) {
		const char *servers[] = { url };
		struct sockaddr_storage addr;
		char name[32];
		struct fr_fleet_opts o = {
			.sz = sizeof(o), .servers = servers, .nr_servers = 1, .node = name,
			.netns_only = true, .extra_addrs = &addr, .nr_extra_addrs = 1,
			.on_capture = on_capture, .ctx = (void *)(intptr_t)i, .version = "bench",
		};

		snprintf(name, sizeof(name), "sim-%03d", i);
		sim_addr(i, &addr);
		fleet[i] = fr_fleet__open(&o);
		if (!fleet[i]) {
			fprintf(stderr, "node %d did not start\n", i);
			return 1;
		}
	}
	/* every node sees the whole registry */
	for (int t = 0; t < 300; t++) {
		struct fr_fleet_stats st;
		int ready = 0;

		for (int i = 0; i < nodes; i++) {
			fr_fleet__stats(fleet[i], &st);
			ready += st.nodes >= (uint64_t)nodes;
		}
		if (ready == nodes)
			break;
		usleep(100000);
	}
	/* idle: heartbeats and watches only */
	measure(mon, &i0);
	sleep((unsigned)secs);
	measure(mon, &i1);
	/* loaded */
	for (int k = 0; k < 4; k++)
		pthread_create(&th[k], NULL, driver, (void *)(uintptr_t)(k + 1));
	measure(mon, &l0);
	sleep((unsigned)secs);
	measure(mon, &l1);
	running = 0;
	for (int k = 0; k < 4; k++)
		pthread_join(th[k], NULL);
	{
		double idle_cpu = (i1.cpu - i0.cpu) / nodes, load_cpu = (l1.cpu - l0.cpu) / nodes;
		double idle_msgs = (double)(i1.in - i0.in) / nodes / secs;
		double load_msgs = (double)(l1.in - l0.in) / nodes / secs;
		double load_out = (double)(l1.out - l0.out) / nodes / secs;
		struct fr_fleet_stats st, sum = { 0 };

		for (int i = 0; i < nodes; i++) {
			fr_fleet__stats(fleet[i], &st);
			sum.broadcasts += st.broadcasts;
			sum.broadcasts_limited += st.broadcasts_limited;
			sum.requests_sent += st.requests_sent;
			sum.answers += st.answers;
			sum.no_answer += st.no_answer;
		}
		printf("nodes %d, %.1f incidents/s across the fleet, %d s each phase\n", nodes, rate, secs);
		printf("phase    cpu s/node/hour  msgs in/node/s  msgs out/node/s\n");
		printf("idle     %15.2f  %14.2f  %15.2f\n", idle_cpu * 3600 / secs, idle_msgs,
		       (double)(i1.out - i0.out) / nodes / secs);
		printf("loaded   %15.2f  %14.2f  %15.2f\n", load_cpu * 3600 / secs, load_msgs, load_out);
		printf("asked %" PRIu64 " incidents: %" PRIu64 " requests, %" PRIu64 " answered, %" PRIu64
		       " not in time; %" PRIu64 " broadcasts, %" PRIu64 " held back by the rate limit\n",
		       asked, sum.requests_sent, sum.answers, sum.no_answer, sum.broadcasts,
		       sum.broadcasts_limited);
		printf("fleet.cpu_s_per_node_hour=%.2f\n", load_cpu * 3600 / secs);
		printf("fleet.idle_cpu_s_per_node_hour=%.2f\n", idle_cpu * 3600 / secs);
		printf("fleet.msgs_per_node_s=%.2f\n", load_msgs);
		printf("fleet.msgs_out_per_node_s=%.2f\n", load_out);
	}
	for (int i = 0; i < nodes; i++)
		fr_fleet__close(fleet[i]);
	kill(srv, SIGTERM);
	waitpid(srv, NULL, 0);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd))
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return 0;
}
