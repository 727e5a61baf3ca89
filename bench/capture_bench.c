// SPDX-License-Identifier: MIT
/*
 * capture_bench.c - what kernel capture costs a workload, side by side in one
 * run, as ratios of added cost against the floor (empty BPF programs on the
 * same tracepoints).
 *
 * Workloads (one process pinned to one CPU, the same process throughout):
 *   loop      a tight loop of getppid()
 *   pingpong  two threads bouncing a byte over two pipes (4 syscalls, 2
 *             wake-ups and 2 blocking switches per round trip)
 * Configurations, interleaved round by round so drift hits all alike:
 *   base, floor, flightrec followed (no stacks / stacks), flightrec
 *   unfollowed, bpftrace (per-syscall latency histogram), perf record.
 * Each figure: per round the fastest of 4 short runs, then the median over
 * rounds. Prints a table, then key=value headline lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include "floor.skel.h"
#include "fr_capture.h"
#include "fr_clock.h"
#include "fr_log.h"
#include "capture_bench.h"

enum { W_LOOP, W_PINGPONG, NR_W };
static const int syscalls_per_op[NR_W] = { 1, 4 };

const char *const cname[NR_C] = {
	"untraced", "floor (empty BPF)", "flightrec followed (sched)",
	"flightrec unfollowed (sched)", "flightrec followed (slow)",
	"flightrec followed (all), no stacks", "flightrec followed (all)",
	"flightrec unfollowed (all)", "bpftrace latency hist", "perf record",
};

/* Short names for CAPTURE_CONFIGS (comma-separated) to run a subset. */
static const char *const ckey[NR_C] = {
	"base", "floor", "sched", "schedunf", "slow", "nostack", "stacks", "unfollowed",
	"bpftrace", "perf",
};

int cpu_work; /* the CPU the workload is pinned to */

/* ---------------- the workload process ---------------- */

struct cmd {
	int op;
	uint64_t n;
};

static int pp_a[2], pp_b[2];

static void *pong(void *arg)
{
	char c;

	(void)arg;
	for (;;) {
		if (read(pp_a[0], &c, 1) != 1)
			return NULL;
		if (write(pp_b[1], &c, 1) != 1)
			return NULL;
	}
}

static void workload_main(int cmd_fd, int res_fd)
{
	struct cmd cmd;
	pthread_t th;

	if (pipe(pp_a) || pipe(pp_b))
		_exit(2);
	pthread_create(&th, NULL, pong, NULL);
	while (read(cmd_fd, &cmd, sizeof(cmd)) == sizeof(cmd)) {
		uint64_t t0 = fr_mono_ns(), dt;
		char c = 'x';

		if (cmd.op == W_LOOP) {
			for (uint64_t i = 0; i < cmd.n; i++)
				syscall(SYS_getppid);
		} else {
			for (uint64_t i = 0; i < cmd.n; i++) {
				if (write(pp_a[1], &c, 1) != 1 || read(pp_b[0], &c, 1) != 1)
					_exit(3);
			}
		}
		dt = fr_mono_ns() - t0;
		if (write(res_fd, &dt, sizeof(dt)) != sizeof(dt))
			_exit(4);
	}
	_exit(0);
}

struct workload {
	pid_t pid;
	int cmd_fd, res_fd;
};

static struct workload workload_start(void)
{
	int c[2], r[2];
	struct workload w;
	cpu_set_t set;

	if (pipe(c) || pipe(r)) {
		perror("pipe");
		exit(1);
	}
	w.pid = fork();
	if (w.pid == 0) {
		CPU_ZERO(&set);
		CPU_SET(cpu_work, &set);
		sched_setaffinity(0, sizeof(set), &set);
		close(c[1]);
		close(r[0]);
		workload_main(c[0], r[1]);
	}
	close(c[0]);
	close(r[1]);
	w.cmd_fd = c[1];
	w.res_fd = r[0];
	return w;
}

static double workload_run_once(struct workload *w, int op, uint64_t n)
{
	struct cmd cmd = { op, n };
	uint64_t dt;

	if (write(w->cmd_fd, &cmd, sizeof(cmd)) != sizeof(cmd) ||
	    read(w->res_fd, &dt, sizeof(dt)) != sizeof(dt)) {
		fprintf(stderr, "capture_bench: workload died\n");
		exit(1);
	}
	return (double)dt / (double)n;
}

/* Interference from the shared machine only ever adds time: the fastest of
 * a few short runs is the cost. */
static double workload_run(struct workload *w, int op, uint64_t n)
{
	double best = workload_run_once(w, op, n / 4);

	for (int i = 1; i < 4; i++) {
		double v = workload_run_once(w, op, n / 4);

		if (v < best)
			best = v;
	}
	return best;
}

/* ---------------- tracers ---------------- */

static pid_t spawn(char *const argv[], const char *log)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu_work == 0 ? 1 : 0, &set);
		sched_setaffinity(0, sizeof(set), &set);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		setpgid(0, 0);
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static bool file_has(const char *path, const char *needle)
{
	char buf[4096];
	size_t n;
	FILE *f = fopen(path, "r");

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return strstr(buf, needle) != NULL;
}

static void stop_tool(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(-pid, SIGINT);
	for (int i = 0; i < 100; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		usleep(50000);
	}
	kill(-pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Loaded once and attached per measurement, so that no ring memory is
 * allocated or freed between measurements (its deferred freeing would land
 * on the next configuration). */
static struct fr_capture *caps[4]; /* by FR_SYSCALLS_*: one per mode, as each loads
				    * other programs */
static struct floor *floor_skel;
unsigned bench_slots_per_cpu;

/* The capture of configuration c, NULL for the others. */
static struct fr_capture *cap_of(int c)
{
	switch (c) {
	case C_FR_SCHED:
	case C_FR_SCHED_UNF:
		return caps[FR_SYSCALLS_SCHED];
	case C_FR_SLOW:
		return caps[FR_SYSCALLS_SLOW];
	case C_FR_NOSTACK:
	case C_FR_STACKS:
	case C_FR_UNFOLLOWED:
		return caps[FR_SYSCALLS_ALL];
	default:
		return NULL;
	}
}

bool bench_is_flightrec(int c)
{
	return cap_of(c) != NULL;
}

uint64_t bench_records_written(int c)
{
	struct fr_capture_counters cnt;

	if (!cap_of(c))
		return 0;
	fr_capture__counters(cap_of(c), &cnt);
	return cnt.written;
}

const char *tmpdir = "/tmp";

int tracer_start(struct tracer *t, int c, pid_t wpid)
{
	char pidstr[16], script[512], log[256], out[256];

	memset(t, 0, sizeof(*t));
	snprintf(pidstr, sizeof(pidstr), "%d", wpid);
	switch (c) {
	case C_BASE:
		return 0;
	case C_FLOOR:
		if (floor__attach(floor_skel))
			return -1;
		t->floor_attached = true;
		return 0;
	case C_FR_SCHED:
	case C_FR_SCHED_UNF:
	case C_FR_SLOW:
	case C_FR_NOSTACK:
	case C_FR_STACKS:
	case C_FR_UNFOLLOWED: {
		struct fr_capture *cap = cap_of(c);
		bool unf = c == C_FR_UNFOLLOWED || c == C_FR_SCHED_UNF;

		fr_capture__set_flags(cap, c == C_FR_NOSTACK ? (FR_CAP_SYSCALLS | FR_CAP_SCHED)
							     : FR_CAP_DEFAULT);
		/* Unfollowed: another process (init) is followed, the filter is live. */
		fr_capture__follow_pid(cap, 1, unf);
		fr_capture__follow_pid(cap, wpid, !unf);
		if (fr_capture__attach(cap))
			return -1;
		t->cap = cap;
		return 0;
	}
	case C_BPFTRACE: {
		char *argv[] = { "bpftrace", "-B", "none", "-e", script, NULL };

		snprintf(script, sizeof(script),
			 "tracepoint:raw_syscalls:sys_enter /pid == %d/ { @s[tid] = nsecs; } "
			 "tracepoint:raw_syscalls:sys_exit /pid == %d && @s[tid]/ "
			 "{ @lat = hist(nsecs - @s[tid]); delete(@s[tid]); }",
			 wpid, wpid);
		snprintf(log, sizeof(log), "%s/fr-bench-bpftrace.log", tmpdir);
		t->tool = spawn(argv, log);
		for (int i = 0; i < 600 && !file_has(log, "Attaching"); i++)
			usleep(50000);
		if (!file_has(log, "Attaching"))
			return -1;
		return 0;
	}
	case C_PERF: {
		char *argv[] = { "perf", "record", "-q", "-e", "raw_syscalls:sys_enter",
				 "-e", "raw_syscalls:sys_exit", "-e", "sched:sched_switch",
				 "-e", "sched:sched_waking", "-p", pidstr, "-o", out, NULL };

		snprintf(out, sizeof(out), "%s/fr-bench-perf.data", tmpdir);
		snprintf(log, sizeof(log), "%s/fr-bench-perf.log", tmpdir);
		t->tool = spawn(argv, log);
		/* perf says nothing when ready: wait for its output file to grow. */
		for (int i = 0; i < 100; i++) {
			struct stat st;

			usleep(50000);
			if (!stat(out, &st) && st.st_size > 0 && i >= 20)
				break;
		}
		if (waitpid(t->tool, NULL, WNOHANG) == t->tool)
			return -1;
		return 0;
	}
	}
	return -1;
}

void tracer_stop(struct tracer *t)
{
	if (t->cap)
		fr_capture__detach(t->cap);
	if (t->floor_attached)
		floor__detach(floor_skel);
	stop_tool(t->tool);
	memset(t, 0, sizeof(*t));
}

/*
 * The BPF programs' own run time per syscall of the loop (sys_enter and
 * sys_exit together), from the kernel's statistics: for flightrec followed
 * with stacks and for the floor, per round.
 */
static double prog_ns[2]; /* [0 flightrec, 1 floor]: one run each, statistics on */
static double pp_stats_on[NR_C]; /* ping-pong ns per round trip, statistics on */
static uint64_t prog_t0;

static uint64_t floor_prog_ns(void)
{
	struct bpf_program *progs[] = { floor_skel->progs.floor_sys_enter,
					 floor_skel->progs.floor_sys_exit };
	uint64_t sum = 0;

	for (int i = 0; i < 2; i++) {
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);

		if (!bpf_obj_get_info_by_fd(bpf_program__fd(progs[i]), &info, &len))
			sum += info.run_time_ns;
	}
	return sum;
}

static uint64_t fr_prog_ns(void)
{
	uint64_t a, b, n;

	fr_capture__prog_runtime(caps[FR_SYSCALLS_ALL], "fr_sys_enter", &a, &n);
	fr_capture__prog_runtime(caps[FR_SYSCALLS_ALL], "fr_sys_exit", &b, &n);
	return a + b;
}

uint64_t bench_prog_ns_all(int c)
{
	uint64_t ns = 0, n;

	if (c == C_FLOOR)
		return floor_prog_ns();
	if (!cap_of(c))
		return 0;
	fr_capture__prog_runtime(cap_of(c), NULL, &ns, &n);
	return ns;
}

static void prog_ns_before(int c)
{
	prog_t0 = c == C_FR_STACKS ? fr_prog_ns() : c == C_FLOOR ? floor_prog_ns() : 0;
}

static void prog_ns_after(int c, uint64_t n)
{
	if (c != C_FR_STACKS && c != C_FLOOR)
		return;
	prog_ns[c == C_FLOOR] =
		(double)((c == C_FR_STACKS ? fr_prog_ns() : floor_prog_ns()) - prog_t0) / n;
}

static int stats_fd = -1;

/* The kernel's per-program run-time statistics cost two clock reads per
 * program run: on while the fd is open, so that throughput is measured
 * with them off and the programs' own time in a pass of its own. */
void bench_stats(bool on)
{
	if (on && stats_fd < 0)
		stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	else if (!on && stats_fd >= 0) {
		close(stats_fd);
		stats_fd = -1;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 5;
	uint64_t n_loop = 2000000, n_pp = 40000;
	double (*ns)[NR_C][NR_W];
	double med[NR_C][NR_W], recs_per_syscall = 0;
	bool ok[NR_C];
	struct workload w;
	uint32_t slots_per_cpu = 0, nr_cpus = 0;
	char *ngx_table_buf = NULL, *ngx_keys_buf = NULL;
	size_t ngx_table_len = 0, ngx_keys_len = 0;
	FILE *ngx_table, *ngx_keys;
	struct fr_capture_counters sc;
	uint64_t smp_ns0 = 0, smp_runs0 = 0, smp_ns1 = 0, smp_runs1 = 0, smp0, smp1;

	if (geteuid() != 0) {
		fprintf(stderr, "capture_bench: run as root (it loads BPF programs)\n");
		return 1;
	}
	if (rounds < 1)
		rounds = 1;
	if (getenv("TMPDIR"))
		tmpdir = getenv("TMPDIR");
	fr_log_level = FR_LOG_WARN;
	fr_capture__route_libbpf_log();
	if (access("/sys/kernel/tracing/events", F_OK))
		mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL);
	cpu_work = (int)sysconf(_SC_NPROCESSORS_ONLN) - 1;
	{
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(0, &set);
		sched_setaffinity(0, sizeof(set), &set); /* the driver off the work CPU */
	}
	ns = calloc(rounds, sizeof(*ns));
	for (int c = 0; c < NR_C; c++) {
		const char *only = getenv("CAPTURE_CONFIGS");

		ok[c] = !only || c == C_BASE || c == C_FLOOR || strstr(only, ckey[c]);
	}
	for (uint32_t m = FR_SYSCALLS_SCHED; m <= FR_SYSCALLS_ALL; m++) {
		struct fr_capture_opts o = { .sz = sizeof(o), .syscalls = m };

		caps[m] = fr_capture__open(&o);
		if (!caps[m]) {
			fprintf(stderr, "capture_bench: cannot load the BPF programs (%s)\n",
				fr_capture__syscalls_name(m));
			return 1;
		}
	}
	floor_skel = floor__open_and_load();
	if (!floor_skel) {
		fprintf(stderr, "capture_bench: cannot load the floor's BPF programs\n");
		return 1;
	}
	{
		struct fr_capture_info info;

		fr_capture__info(caps[FR_SYSCALLS_ALL], &info);
		bench_slots_per_cpu = info.slots_per_cpu;
	}
	w = workload_start();
	/* Warm up caches, frequency and the pipes. */
	workload_run(&w, W_LOOP, n_loop / 4);
	workload_run(&w, W_PINGPONG, n_pp / 4);

	/* timing rounds without the run-time statistics' clock reads */
	bench_stats(false);
	for (int r = 0; r < rounds; r++) {
		for (int k = 0; k < NR_C; k++) {
			int c = (k + r) % NR_C; /* rotate the order each round */
			struct fr_capture_counters c0, c1;
			struct tracer t;

			if (!ok[c])
				continue;
			if (cap_of(c))
				fr_capture__counters(cap_of(c), &c0);
			if (tracer_start(&t, c, w.pid)) {
				fprintf(stderr, "capture_bench: cannot start '%s'; left out\n",
					cname[c]);
				ok[c] = false;
				tracer_stop(&t);
				continue;
			}
			usleep(300000); /* let attach-time work settle */
			ns[r][c][W_LOOP] = workload_run(&w, W_LOOP, n_loop);
			if (c == C_FR_STACKS) {
				struct fr_capture_info info;

				fr_capture__counters(cap_of(c), &c1);
				fr_capture__info(cap_of(c), &info);
				recs_per_syscall = (double)(c1.written - c0.written) / (double)n_loop;
				slots_per_cpu = info.slots_per_cpu;
				nr_cpus = info.nr_cpus;
			}
			ns[r][c][W_PINGPONG] = workload_run(&w, W_PINGPONG, n_pp);
			tracer_stop(&t);
		}
	}
	/* the programs' own time, statistics on, in one more loop of the
	 * configuration that records every call and of the floor; and the
	 * sampling program's cost: its run time over the samples it took (its
	 * runs that found no followed thread running, early returns, counted
	 * in the time too) */
	bench_stats(true);
	fr_capture__prog_runtime(caps[FR_SYSCALLS_ALL], "fr_sample", &smp_ns0, &smp_runs0);
	fr_capture__counters(caps[FR_SYSCALLS_ALL], &sc);
	smp0 = sc.samples;
	for (int c = 0; c < NR_C; c++) {
		struct tracer t;

		if (!ok[c] || (c != C_BASE && c != C_FR_SCHED && c != C_FR_STACKS && c != C_FLOOR))
			continue;
		if (tracer_start(&t, c, w.pid)) {
			tracer_stop(&t);
			continue;
		}
		usleep(300000);
		prog_ns_before(c);
		workload_run(&w, W_LOOP, n_loop);
		prog_ns_after(c, n_loop);
		/* the ping-pong as it was measured before the statistics went
		 * off in the timing rounds (they made the floor dearer) */
		pp_stats_on[c] = workload_run(&w, W_PINGPONG, n_pp);
		tracer_stop(&t);
	}
	close(w.cmd_fd);
	waitpid(w.pid, NULL, 0);
	fr_capture__prog_runtime(caps[FR_SYSCALLS_ALL], "fr_sample", &smp_ns1, &smp_runs1);
	fr_capture__counters(caps[FR_SYSCALLS_ALL], &sc);
	smp1 = sc.samples;
	ngx_table = open_memstream(&ngx_table_buf, &ngx_table_len);
	ngx_keys = open_memstream(&ngx_keys_buf, &ngx_keys_len);
	if (!getenv("CAPTURE_NO_NGINX") && ngx_table && ngx_keys)
		nginx_phase(getenv("NGINX_ROUNDS") ? atoi(getenv("NGINX_ROUNDS")) : 5, ngx_table,
			    ngx_keys);
	if (ngx_table)
		fclose(ngx_table);
	if (ngx_keys)
		fclose(ngx_keys);
	for (uint32_t m = FR_SYSCALLS_SCHED; m <= FR_SYSCALLS_ALL; m++)
		fr_capture__free(caps[m]);
	floor__destroy(floor_skel);

	for (int c = 0; c < NR_C; c++) {
		for (int wl = 0; wl < NR_W; wl++) {
			double v[64];
			int n = rounds < 64 ? rounds : 64;

			for (int r = 0; r < n; r++)
				v[r] = ns[r][c][wl];
			med[c][wl] = ok[c] ? median(v, n) : 0;
		}
	}

	printf("capture overhead: %d rounds, loop %llu getppid, pingpong %llu round trips, "
	       "workload pinned to CPU %d\n\n",
	       rounds, (unsigned long long)n_loop, (unsigned long long)n_pp, cpu_work);
	printf("%-36s %12s %12s %10s %14s %12s %10s\n", "configuration", "loop ns/op",
	       "added ns/sc", "vs floor", "pingpong ns/rt", "added ns/sc", "vs floor");
	for (int c = 0; c < NR_C; c++) {
		double add[NR_W], fl[NR_W];

		if (!ok[c]) {
			printf("%-36s %12s\n", cname[c], "unavailable");
			continue;
		}
		for (int wl = 0; wl < NR_W; wl++) {
			add[wl] = (med[c][wl] - med[C_BASE][wl]) / syscalls_per_op[wl];
			fl[wl] = (med[C_FLOOR][wl] - med[C_BASE][wl]) / syscalls_per_op[wl];
		}
		printf("%-36s %12.1f %12.1f %10.2f %14.1f %12.1f %10.2f\n", cname[c],
		       med[c][W_LOOP], add[W_LOOP], c == C_BASE ? 0 : add[W_LOOP] / fl[W_LOOP],
		       med[c][W_PINGPONG], add[W_PINGPONG],
		       c == C_BASE ? 0 : add[W_PINGPONG] / fl[W_PINGPONG]);
	}
	{
		double fl_loop = med[C_FLOOR][W_LOOP] - med[C_BASE][W_LOOP];
		double fl_pp = med[C_FLOOR][W_PINGPONG] - med[C_BASE][W_PINGPONG];
#define RATIO(c, wl) (ok[c] ? (med[c][wl] - med[C_BASE][wl]) / ((wl) == W_LOOP ? fl_loop : fl_pp) : -1)
		double rate = 100000.0 * (recs_per_syscall > 0 ? recs_per_syscall : 1);
		double hist_one_cpu = slots_per_cpu / rate;
		double hist_spread = (double)slots_per_cpu * nr_cpus / rate;

		printf("\nrecords per followed getppid (--syscalls all): %.3f; default rings: %u CPUs x %u records\n",
		       recs_per_syscall, nr_cpus, slots_per_cpu);
		printf("history at 100k syscalls/s (--syscalls all, every call a record): %.1f s on one CPU (worst case), %.1f s spread "
		       "over all CPUs\n", hist_one_cpu, hist_spread);
		printf("history at the loop's own rate (%.0f syscalls/s): %.2f s\n\n",
		       1e9 / med[C_FR_STACKS][W_LOOP],
		       slots_per_cpu / (1e9 / med[C_FR_STACKS][W_LOOP] * recs_per_syscall));
		printf("on-CPU sampling (%u Hz per CPU, a loop and a ping-pong followed with every call recorded): %llu "
		       "samples, %llu program runs, %.0f ns per sample\n\n",
		       FR_CAPTURE_DEFAULT_SAMPLE_HZ, (unsigned long long)(smp1 - smp0),
		       (unsigned long long)(smp_runs1 - smp_runs0),
		       smp1 > smp0 ? (double)(smp_ns1 - smp_ns0) / (double)(smp1 - smp0) : 0);
		printf("ping-pong with the BPF statistics on (one run each, ns per round trip): "
		       "untraced %.0f, floor %.0f, sched followed %.0f, all followed %.0f\n\n",
		       pp_stats_on[C_BASE], pp_stats_on[C_FLOOR], pp_stats_on[C_FR_SCHED],
		       pp_stats_on[C_FR_STACKS]);
		if (ngx_table_buf)
			printf("%s\n", ngx_table_buf);
		/* the default (scheduler-centred) mode: no syscall program, so
		 * a syscall of anyone costs what the scheduler's programs add */
		printf("capture.sched_vs_floor=%.2f\n", RATIO(C_FR_SCHED, W_LOOP));
		printf("capture.unfollowed_ns_per_syscall=%.1f\n",
		       ok[C_FR_SCHED_UNF] ? med[C_FR_SCHED_UNF][W_LOOP] - med[C_BASE][W_LOOP] : -1);
		printf("capture.followed_ns_per_syscall=%.1f\n",
		       ok[C_FR_SCHED] ? med[C_FR_SCHED][W_LOOP] - med[C_BASE][W_LOOP] : -1);
		printf("capture.pingpong_sched_vs_floor=%.2f\n", RATIO(C_FR_SCHED, W_PINGPONG));
		printf("capture.pingpong_sched_vs_floor_stats_on=%.2f\n",
		       pp_stats_on[C_FLOOR] > pp_stats_on[C_BASE] && pp_stats_on[C_FR_SCHED] > 0
			       ? (pp_stats_on[C_FR_SCHED] - pp_stats_on[C_BASE]) /
					 (pp_stats_on[C_FLOOR] - pp_stats_on[C_BASE])
			       : -1);
		printf("capture.pingpong_sched_unfollowed_vs_floor=%.2f\n",
		       RATIO(C_FR_SCHED_UNF, W_PINGPONG));
		printf("capture.slow_vs_floor=%.2f\n", RATIO(C_FR_SLOW, W_LOOP));
		printf("capture.pingpong_slow_vs_floor=%.2f\n", RATIO(C_FR_SLOW, W_PINGPONG));
		/* --syscalls all (every call a record) */
		printf("capture.followed_nostack_vs_floor=%.2f\n", RATIO(C_FR_NOSTACK, W_LOOP));
		printf("capture.pingpong_followed_vs_floor=%.2f\n", RATIO(C_FR_STACKS, W_PINGPONG));
		printf("capture.pingpong_unfollowed_vs_floor=%.2f\n",
		       RATIO(C_FR_UNFOLLOWED, W_PINGPONG));
		printf("capture.floor_added_ns_per_syscall=%.1f\n", fl_loop);
		printf("capture.followed_vs_floor=%.2f\n", RATIO(C_FR_STACKS, W_LOOP));
		printf("capture.unfollowed_vs_floor=%.2f\n", RATIO(C_FR_UNFOLLOWED, W_LOOP));
		printf("capture.bpftrace_vs_floor=%.2f\n", RATIO(C_BPFTRACE, W_LOOP));
		printf("capture.perf_vs_floor=%.2f\n", RATIO(C_PERF, W_LOOP));
		if (!ngx_keys_buf || !strstr(ngx_keys_buf, "history_s_at_100k"))
			printf("capture.history_s_at_100k_all=%.1f\n", hist_one_cpu);
		printf("capture.pingpong_stacks_vs_floor=%.2f\n", RATIO(C_FR_STACKS, W_PINGPONG));
		printf("capture.sample_ns_per_sample=%.0f\n",
		       smp1 > smp0 ? (double)(smp_ns1 - smp_ns0) / (double)(smp1 - smp0) : -1);
		printf("capture.samples=%llu\n", (unsigned long long)(smp1 - smp0));
		printf("capture.prog_ns_per_syscall=%.1f\n", prog_ns[0]);
		printf("capture.floor_prog_ns_per_syscall=%.1f\n", prog_ns[1]);
		if (ngx_keys_buf)
			fputs(ngx_keys_buf, stdout);
	}
	free(ns);
	free(ngx_table_buf);
	free(ngx_keys_buf);
	return 0;
}
