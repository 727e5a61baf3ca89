// SPDX-License-Identifier: MIT
/*
 * otlp_bench.c - OTLP ingest throughput of the recorder on one core.
 *
 * The recorder (flightrec run --no-kernel) runs pinned to one CPU, receiving
 * and forwarding to a sink here; a load generator on the other CPU posts
 * pre-encoded batches (protobuf, then JSON) over keep-alive connections.
 * Reports spans/s accepted and forwarded, and the recorder's CPU time per
 * 100k spans (from /proc/PID/stat). Baseline in the same run: the same load
 * straight at the sink (what the load generator and loopback HTTP can do).
 *
 * usage: otlp_bench FLIGHTREC_BIN [seconds]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <microhttpd.h>

#include "fr_clock.h"
#include "fr_otlp.h"
#include "fr_test_http.h"

#define SPANS_PER_REQ 500
#define CONNS 4

/* ---- the sink the recorder forwards to ---- */

static uint64_t sink_requests, sink_bytes;

/* Counts what the recorder forwards; always answers 200. */
static unsigned sink_count(void *ctx, struct MHD_Connection *c, const struct fr_buf *body,
			   size_t bytes)
{
	(void)ctx;
	(void)c;
	(void)body;
	__atomic_add_fetch(&sink_bytes, bytes, __ATOMIC_RELAXED);
	__atomic_add_fetch(&sink_requests, 1, __ATOMIC_RELAXED);
	return 200;
}

/* ---- a minimal keep-alive HTTP client ---- */

static int connect_to(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* POSTs body; returns the HTTP status, or -1 when the connection failed. */
static int post(int fd, const char *ctype, const void *body, size_t len)
{
	char hdr[256], resp[4096];
	struct iovec iov[2];
	size_t got = 0, need = 0;
	int n, status = -1;
	char *end;

	n = snprintf(hdr, sizeof(hdr),
		     "POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: %s\r\n"
		     "Content-Length: %zu\r\n\r\n", ctype, len);
	iov[0] = (struct iovec){ hdr, (size_t)n };
	iov[1] = (struct iovec){ (void *)body, len };
	{
		size_t total = (size_t)n + len, sent = 0;

		while (sent < total) {
			ssize_t w = writev(fd, iov, 2);

			if (w <= 0)
				return -1;
			sent += (size_t)w;
			/* advance the iovecs */
			for (int i = 0; i < 2 && w > 0; i++) {
				size_t take = (size_t)w < iov[i].iov_len ? (size_t)w : iov[i].iov_len;

				iov[i].iov_base = (char *)iov[i].iov_base + take;
				iov[i].iov_len -= take;
				w -= (ssize_t)take;
			}
		}
	}
	for (;;) {
		ssize_t r = read(fd, resp + got, sizeof(resp) - 1 - got);

		if (r <= 0)
			return -1;
		got += (size_t)r;
		resp[got] = '\0';
		end = strstr(resp, "\r\n\r\n");
		if (end) {
			char *cl = strcasestr(resp, "Content-Length:");

			status = atoi(resp + 9);
			need = (size_t)(end + 4 - resp) + (cl ? strtoul(cl + 15, NULL, 10) : 0);
			break;
		}
		if (got >= sizeof(resp) - 1)
			return -1;
	}
	while (got < need) {
		ssize_t r = read(fd, resp, sizeof(resp));

		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return status;
}

struct load {
	uint16_t port;
	const char *ctype;
	const struct fr_buf *body;
	uint64_t deadline;
	uint64_t ok, failed;
};

static void *load_thread(void *arg)
{
	struct load *l = arg;
	int fd = connect_to(l->port);

	while (fd >= 0 && fr_mono_ns() < l->deadline) {
		int st = post(fd, l->ctype, l->body->p, l->body->len);

		if (st == 200) {
			l->ok++;
		} else {
			l->failed++;
			if (st < 0) {
				close(fd);
				fd = connect_to(l->port);
			}
		}
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* Runs CONNS connections for `secs`; returns requests answered 200 per
 * second, and their exact count in *ok_out. */
static double run_load(uint16_t port, const char *ctype, const struct fr_buf *body, double secs,
		       uint64_t *failed, uint64_t *ok_out)
{
	struct load l[CONNS];
	pthread_t th[CONNS];
	uint64_t t0 = fr_mono_ns(), ok = 0;

	*failed = 0;
	for (int i = 0; i < CONNS; i++) {
		l[i] = (struct load){ .port = port, .ctype = ctype, .body = body,
				      .deadline = t0 + (uint64_t)(secs * 1e9) };
		pthread_create(&th[i], NULL, load_thread, &l[i]);
	}
	for (int i = 0; i < CONNS; i++) {
		pthread_join(th[i], NULL);
		ok += l[i].ok;
		*failed += l[i].failed;
	}
	*ok_out = ok;
	return (double)ok / ((double)(fr_mono_ns() - t0) / 1e9);
}

/* utime + stime of a process, seconds. */
static double cpu_seconds(pid_t pid)
{
	char path[64], buf[2048], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return 0;
	}
	fclose(f);
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* A request of SPANS_PER_REQ spans that look like a web service's. */
static struct fr_batch *make_batch(void)
{
	struct fr_buf json = { 0 };
	struct fr_batch *b = NULL;

	fr_buf__printf(&json,
		       "{\"resourceSpans\":[{\"resource\":{\"attributes\":["
		       "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"checkout\"}},"
		       "{\"key\":\"process.pid\",\"value\":{\"intValue\":\"1\"}},"
		       "{\"key\":\"host.name\",\"value\":{\"stringValue\":\"web-17\"}},"
		       "{\"key\":\"telemetry.sdk.language\",\"value\":{\"stringValue\":\"nodejs\"}}]},"
		       "\"scopeSpans\":[{\"scope\":{\"name\":\"@opentelemetry/instrumentation-http\","
		       "\"version\":\"0.57.0\"},\"spans\":[");
	for (int i = 0; i < SPANS_PER_REQ; i++)
		fr_buf__printf(&json,
			       "%s{\"traceId\":\"%032x\",\"spanId\":\"%016x\",\"parentSpanId\":\"%016x\","
			       "\"name\":\"GET /api/orders/:id\",\"kind\":2,"
			       "\"startTimeUnixNano\":\"%llu\",\"endTimeUnixNano\":\"%llu\","
			       "\"attributes\":["
			       "{\"key\":\"http.request.method\",\"value\":{\"stringValue\":\"GET\"}},"
			       "{\"key\":\"url.path\",\"value\":{\"stringValue\":\"/api/orders/%d\"}},"
			       "{\"key\":\"http.response.status_code\",\"value\":{\"intValue\":\"200\"}},"
			       "{\"key\":\"server.address\",\"value\":{\"stringValue\":\"shop.example\"}},"
			       "{\"key\":\"user_agent.original\",\"value\":{\"stringValue\":\"curl/7.88\"}},"
			       "{\"key\":\"net.peer.port\",\"value\":{\"intValue\":\"51234\"}}],"
			       "\"status\":{\"code\":1}}",
			       i ? "," : "", i + 1, i + 1, i + 100000,
			       1700000000000000000ull + (unsigned long long)i * 1000,
			       1700000000004000000ull + (unsigned long long)i * 1000, i);
	fr_buf__printf(&json, "]}]}]}");
	if (fr_otlp__decode_json((char *)json.p, json.len, &b, NULL, 0) || b->nr_spans != SPANS_PER_REQ) {
		fprintf(stderr, "otlp_bench: cannot build the batch\n");
		exit(1);
	}
	fr_buf__free(&json);
	return b;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

int main(int argc, char **argv)
{
	double secs = argc > 2 ? atof(argv[2]) : 3;
	int ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN), rec_cpu = ncpu - 1;
	struct fr_buf pb = { 0 }, js = { 0 };
	struct fr_batch *b = make_batch();
	struct fr_test_sink sink = { .fn = sink_count };
	uint16_t sink_port, port;
	char listen[64], endpoint[64], cpu_arg[16], logpath[64];
	unsigned long long sent = 0, dropped = 0, lost = 0;
	double base_rps, rps[2], fwd[2], cpu100k[2], accepted = 0;
	uint64_t failed[2], base_failed, ok;
	pid_t rec;

	if (argc < 2) {
		fprintf(stderr, "usage: otlp_bench FLIGHTREC_BIN [seconds]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	pin(0); /* load generator and sink off the recorder's CPU */
	fr_otlp__encode_proto(b->spans, b->nr_spans, &pb);
	fr_otlp__encode_json(b->spans, b->nr_spans, &js);
	if (fr_test_sink__start(&sink, 64)) {
		fprintf(stderr, "otlp_bench: cannot start the sink\n");
		return 1;
	}
	sink_port = sink.port;

	/* Baseline: the same load against the sink itself. */
	base_rps = run_load(sink_port, "application/x-protobuf", &pb, secs / 2, &base_failed, &ok);

	/* The recorder, on its own CPU. */
	port = (uint16_t)(20000 + getpid() % 20000);
	snprintf(listen, sizeof(listen), "127.0.0.1:%u", port);
	snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%u/v1/traces", sink_port);
	snprintf(cpu_arg, sizeof(cpu_arg), "%d", rec_cpu);
	snprintf(logpath, sizeof(logpath), "/tmp/fr-otlp-bench-%d.log", getpid());
	rec = fork();
	if (rec == 0) {
		int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd >= 0)
			dup2(fd, 2);
		pin(rec_cpu);
		char data[64];

		snprintf(data, sizeof(data), "/tmp/fr-otlp-bench-data-%d", getppid());
		execl(argv[1], argv[1], "run", "--no-kernel", "--otlp-listen", listen,
		      "--export-endpoint", endpoint, "--data-dir", data, "-i", "0", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100; i++) {
		int fd = connect_to(port);

		if (fd >= 0) {
			close(fd);
			break;
		}
		usleep(50000);
	}
	for (int k = 0; k < 2; k++) {
		const char *ctype = k ? "application/json" : "application/x-protobuf";
		const struct fr_buf *body = k ? &js : &pb;
		uint64_t sink0 = __atomic_load_n(&sink_bytes, __ATOMIC_RELAXED);
		double c0 = cpu_seconds(rec), c1;

		rps[k] = run_load(port, ctype, body, secs, &failed[k], &ok);
		accepted += (double)ok * SPANS_PER_REQ;
		usleep(500000); /* let the exporter drain its linger */
		c1 = cpu_seconds(rec);
		cpu100k[k] = (c1 - c0) / ((double)ok * SPANS_PER_REQ / 100000.0);
		/* forwarded bytes are gzip'd: report the share of requests' worth */
		fwd[k] = (double)(__atomic_load_n(&sink_bytes, __ATOMIC_RELAXED) - sink0);
	}
	kill(rec, SIGTERM);
	waitpid(rec, NULL, 0);
	fr_test_sink__stop(&sink);
	{
		/* the recorder's final exporter figures */
		FILE *f = fopen(logpath, "r");
		char line[512];

		while (f && fgets(line, sizeof(line), f)) {
			char *p = strstr(line, "export: ");

			if (p)
				sscanf(p, "export: %llu spans sent, %*u queued bytes, %*u retries, "
					  "%llu spans dropped (queue full), %llu lost",
				       &sent, &dropped, &lost);
		}
		if (f)
			fclose(f);
		unlink(logpath);
	}
	{
		char cmd[96];

		snprintf(cmd, sizeof(cmd), "rm -rf /tmp/fr-otlp-bench-data-%d", getpid());
		if (system(cmd))
			fprintf(stderr, "otlp_bench: could not remove its data directory\n");
	}

	printf("otlp ingest: recorder pinned to CPU %d, load generator and sink on CPU 0, "
	       "%d connections, %d spans per request (%zu bytes protobuf, %zu bytes JSON)\n\n",
	       rec_cpu, CONNS, SPANS_PER_REQ, pb.len, js.len);
	printf("%-28s %10s %12s %10s %16s %14s\n", "target", "req/s", "spans/s", "failed",
	       "recorder CPU %", "CPU s/100k");
	printf("%-28s %10.0f %12.0f %10llu %16s %14s\n", "sink directly (baseline)", base_rps,
	       base_rps * SPANS_PER_REQ, (unsigned long long)base_failed, "-", "-");
	for (int k = 0; k < 2; k++)
		printf("%-28s %10.0f %12.0f %10llu %16.0f %14.3f\n",
		       k ? "flightrec, JSON" : "flightrec, protobuf", rps[k], rps[k] * SPANS_PER_REQ,
		       (unsigned long long)failed[k],
		       100.0 * cpu100k[k] * rps[k] * SPANS_PER_REQ / 100000.0, cpu100k[k]);
	printf("\nforwarded to the sink (gzip'd protobuf): %.1f MB during protobuf, %.1f MB during JSON\n",
	       fwd[0] / 1e6, fwd[1] / 1e6);
	printf("exporter: %llu spans forwarded, %llu dropped (queue full), %llu lost, of %.0f accepted\n",
	       sent, dropped, lost, accepted);
	printf("recorder vs baseline (protobuf): %.2f of the load generator's ceiling\n\n",
	       rps[0] / base_rps);
	printf("otlp.ingest_spans_per_s_proto=%.0f\n", rps[0] * SPANS_PER_REQ);
	printf("otlp.ingest_spans_per_s_json=%.0f\n", rps[1] * SPANS_PER_REQ);
	printf("otlp.forwarded_share=%.3f\n", accepted > 0 ? (double)sent / accepted : 0);
	printf("otlp.cpu_s_per_100k_spans=%.3f\n", cpu100k[0]);
	fr_buf__free(&pb);
	fr_buf__free(&js);
	fr_batch__put(b);
	return 0;
}
