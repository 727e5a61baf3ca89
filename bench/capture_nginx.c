// SPDX-License-Identifier: MIT
/*
 * capture_nginx.c - the capture benchmark on a real server: Debian's nginx
 * (one process, pinned) serving a 1 KiB file on loopback, loaded by wrk
 * (one thread, 16 connections, pinned to another CPU), in every
 * configuration of capture_bench side by side, rounds rotated: requests/s
 * and p99 latency.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture_bench.h"
#include "fr_clock.h"

#define NGINX_SECONDS 3

/* nginx serving a 1 KiB file on 127.0.0.1:port as one process (no master),
 * pinned to the work CPU; its pid, or -1. */
static pid_t nginx_start(const char *dir, int port)
{
	char conf[512], www[512], path[600];
	char *argv[] = { "nginx", "-p", (char *)dir, "-c", conf, "-e", "stderr", NULL };
	FILE *f;
	pid_t pid;

	snprintf(conf, sizeof(conf), "%s/nginx.conf", dir);
	snprintf(www, sizeof(www), "%s/www", dir);
	mkdir(dir, 0755);
	mkdir(www, 0755);
	snprintf(path, sizeof(path), "%s/index.html", www);
	f = fopen(path, "w");
	if (!f)
		return -1;
	for (int i = 0; i < 1024; i++)
		fputc('a' + i % 26, f);
	fclose(f);
	f = fopen(conf, "w");
	if (!f)
		return -1;
	fprintf(f, "daemon off; master_process off; worker_processes 1;\n"
		   "error_log stderr crit; pid %s/nginx.pid;\n"
		   "events { worker_connections 256; }\n"
		   "http { access_log off; sendfile on; keepalive_requests 1000000;\n"
		   "  server { listen 127.0.0.1:%d; root %s; } }\n", dir, port, www);
	fclose(f);
	pid = fork();
	if (pid == 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu_work, &set);
		sched_setaffinity(0, sizeof(set), &set);
		setpgid(0, 0);
		execvp(argv[0], argv);
		_exit(127);
	}
	for (int i = 0; i < 100; i++) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		int ok = fd >= 0 && !connect(fd, (struct sockaddr *)&a, sizeof(a));

		if (fd >= 0)
			close(fd);
		if (ok)
			return pid;
		usleep(50000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

/* wrk, one thread and 16 connections, pinned off the work CPU: requests/s
 * and the p99 latency in ms; false when it did not run. */
static bool wrk_run(int port, double *rps, double *p99_ms)
{
	char cmd[256], line[256];
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "taskset -c %d wrk -t1 -c16 -d%ds --latency http://127.0.0.1:%d/index.html 2>&1",
		 cpu_work == 0 ? 1 : 0, NGINX_SECONDS, port);
	p = popen(cmd, "r");
	if (!p)
		return false;
	*rps = *p99_ms = 0;
	while (fgets(line, sizeof(line), p)) {
		double v;
		char unit[8];

		if (sscanf(line, " Requests/sec: %lf", &v) == 1)
			*rps = v;
		else if (sscanf(line, " 99%% %lf%7s", &v, unit) == 2)
			*p99_ms = !strcmp(unit, "us") ? v / 1000 : !strcmp(unit, "s") ? v * 1000 : v;
	}
	pclose(p);
	return *rps > 0;
}

/* The nginx phase: every configuration side by side, rounds rotated;
 * prints its table and key=value lines. */
void nginx_phase(int rounds, FILE *table, FILE *keys)
{
	char dir[256];
	int port = 18080 + getpid() % 1000;
	double rps[8][NR_C] = { 0 }, p99[8][NR_C] = { 0 }, mr[NR_C], mp[NR_C], pr[NR_C];
	double ms[NR_C] = { 0 }, mnr[NR_C] = { 0 }, recreq[8][NR_C] = { 0 }, mrr[NR_C];
	bool ok[NR_C];
	pid_t ng;

	if (access("/usr/sbin/nginx", X_OK) || system("command -v wrk >/dev/null 2>&1")) {
		fprintf(table, "nginx phase: nginx-light or wrk missing (tests/install-deps installs them)\n");
		return;
	}
	snprintf(dir, sizeof(dir), "%s/fr-bench-nginx", tmpdir);
	ng = nginx_start(dir, port);
	if (ng < 0) {
		fprintf(table, "nginx phase: nginx did not start\n");
		return;
	}
	if (rounds > 8)
		rounds = 8;
	for (int c = 0; c < NR_C; c++)
		ok[c] = true;
	/* throughput and latency without the run-time statistics' clock reads */
	bench_stats(false);
	wrk_run(port, &mr[0], &mp[0]); /* warm up */
	for (int r = 0; r < rounds; r++) {
		for (int k = 0; k < NR_C; k++) {
			int c = (k + r) % NR_C;
			struct tracer t;
			uint64_t w0;

			if (!ok[c])
				continue;
			if (tracer_start(&t, c, ng)) {
				ok[c] = false;
				tracer_stop(&t);
				continue;
			}
			usleep(300000);
			w0 = bench_records_written(c);
			if (!wrk_run(port, &rps[r][c], &p99[r][c]))
				ok[c] = false;
			/* records per request: how fast each mode fills the rings */
			if (rps[r][c] > 0)
				recreq[r][c] = (double)(bench_records_written(c) - w0) /
					       (rps[r][c] * NGINX_SECONDS);
			tracer_stop(&t);
		}
	}
	/* the programs' own time, in a run of each configuration with the
	 * statistics on: a share of the wall time (nginx keeps its one CPU
	 * busy), and per request */
	bench_stats(true);
	for (int c = 0; c < NR_C; c++) {
		struct tracer t;
		double x, y;
		uint64_t b0, t0;

		if (!ok[c] || !(c == C_FLOOR || (bench_is_flightrec(c) && c != C_FR_UNFOLLOWED &&
						 c != C_FR_SCHED_UNF)))
			continue;
		if (tracer_start(&t, c, ng)) {
			tracer_stop(&t);
			continue;
		}
		usleep(300000);
		b0 = bench_prog_ns_all(c);
		t0 = fr_mono_ns();
		if (wrk_run(port, &x, &y)) {
			double d = (double)(bench_prog_ns_all(c) - b0);

			ms[c] = d / (double)(fr_mono_ns() - t0);
			mnr[c] = d / (x * NGINX_SECONDS);
		}
		tracer_stop(&t);
	}
	kill(ng, SIGQUIT);
	waitpid(ng, NULL, 0);
	for (int c = 0; c < NR_C; c++) {
		double v[8], w[8], q[8], z[8];

		for (int r = 0; r < rounds; r++) {
			v[r] = rps[r][c];
			w[r] = p99[r][c];
			/* paired with the untraced run of the same round: the shared
			 * machine's slow drifts cancel */
			q[r] = rps[r][C_BASE] > 0 ? rps[r][c] / rps[r][C_BASE] : 0;
			z[r] = recreq[r][c];
		}
		mrr[c] = median(z, rounds);
		mr[c] = ok[c] ? median(v, rounds) : 0;
		mp[c] = ok[c] ? median(w, rounds) : 0;
		pr[c] = ok[c] ? median(q, rounds) : -1;
	}
	fprintf(table, "\nnginx, 1 KiB file on loopback, nginx on CPU %d, wrk -t1 -c16 -d%ds on the other; "
	       "%d rounds, medians\n", cpu_work, NGINX_SECONDS, rounds);
	fprintf(table, "%-36s %12s %12s %12s %12s %12s %12s\n", "configuration", "requests/s",
		"vs untraced", "p99 ms", "BPF % CPU", "BPF ns/req", "records/req");
	for (int c = 0; c < NR_C; c++)
		fprintf(table, "%-36s %12.0f %12.3f %12.3f %12.2f %12.0f %12.2f\n", cname[c], mr[c],
			pr[c], mp[c], 100 * ms[c], mnr[c], mrr[c]);
	fprintf(table, "(vs untraced: the median over rounds of each run over the untraced run of "
		       "its round, with kernel.bpf_stats_enabled off; BPF: the programs' own run time "
		       "in one more run with it on)\n");
	/* History in the default 256 MiB at 100k syscalls/s of such a server:
	 * its syscalls per request are what the all mode writes beyond the
	 * scheduler-centred one (nearly every call is a record there) */
	{
		double sc_per_req = mrr[C_FR_STACKS] - mrr[C_FR_SCHED];
		const int mode_c[3] = { C_FR_SCHED, C_FR_SLOW, C_FR_STACKS };
		const char *const mode_key[3] = { "", "_slow", "_all" };

		fprintf(table, "history in the default rings at 100k syscalls/s of this server "
			       "(%.1f syscalls per request):", sc_per_req);
		for (int m = 0; m < 3; m++) {
			double recs_per_s = sc_per_req > 0 ? 100000.0 / sc_per_req * mrr[mode_c[m]] : 0;
			double hist = recs_per_s > 0 ? bench_slots_per_cpu / recs_per_s : -1;

			fprintf(table, " %s %.0f s%s", m == 0 ? "sched" : m == 1 ? "slow" : "all", hist,
				m < 2 ? "," : "\n");
			fprintf(keys, "capture.history_s_at_100k%s=%.1f\n", mode_key[m], hist);
		}
	}
	fprintf(keys, "capture.nginx_throughput_ratio=%.3f\n", pr[C_FR_SCHED]);
	fprintf(keys, "capture.nginx_slow_ratio=%.3f\n", pr[C_FR_SLOW]);
	fprintf(keys, "capture.nginx_all_ratio=%.3f\n", pr[C_FR_STACKS]);
	fprintf(keys, "capture.nginx_unfollowed_ratio=%.3f\n", pr[C_FR_SCHED_UNF]);
	fprintf(keys, "capture.nginx_nostack_ratio=%.3f\n", pr[C_FR_NOSTACK]);
	fprintf(keys, "capture.nginx_floor_ratio=%.3f\n", pr[C_FLOOR]);
	fprintf(keys, "capture.nginx_bpftrace_ratio=%.3f\n", pr[C_BPFTRACE]);
	fprintf(keys, "capture.nginx_perf_ratio=%.3f\n", pr[C_PERF]);
	fprintf(keys, "capture.nginx_prog_cpu_share=%.4f\n", ms[C_FR_SCHED]);
	fprintf(keys, "capture.nginx_all_prog_cpu_share=%.4f\n", ms[C_FR_STACKS]);
	fprintf(keys, "capture.nginx_floor_prog_cpu_share=%.4f\n", ms[C_FLOOR]);
	fprintf(keys, "capture.nginx_prog_ns_per_request=%.0f\n", mnr[C_FR_SCHED]);
	fprintf(keys, "capture.nginx_all_prog_ns_per_request=%.0f\n", mnr[C_FR_STACKS]);
	fprintf(keys, "capture.nginx_p99_ms_untraced=%.3f\n", mp[C_BASE]);
	fprintf(keys, "capture.nginx_p99_ms_followed=%.3f\n", mp[C_FR_SCHED]);
	fprintf(keys, "capture.nginx_p99_ratio=%.3f\n", mp[C_BASE] > 0 ? mp[C_FR_SCHED] / mp[C_BASE] : -1);
}

