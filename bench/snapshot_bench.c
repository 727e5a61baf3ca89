// SPDX-License-Identifier: MIT
/*
 * snapshot_bench.c - the cost of an incident, and of the trigger's sketch.
 *
 * 1. Span -> incident committed (window read, annotation, symbolization,
 *    protobuf, zstd, LMDB commit) for windows of 10k, 100k and 1M records,
 *    read from an in-memory ring filled with a realistic mix of records.
 * 2. Bytes per record and compression ratio of the stored snapshot.
 * 3. The sketch: its worst relative error against exact quantiles on four
 *    distributions, and the cost of an update and of a trigger decision.
 * 4. As root: a followed workload's own latency (a getppid loop on one CPU)
 *    while snapshots of it run on the other CPU, against the same workload
 *    with capture attached but no snapshots, measured side by side.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fr_baseline.h"
#include "fr_capture.h"
#include "fr_clock.h"
#include "fr_log.h"
#include "fr_sketch.h"
#include "fr_snapshot.h"
#include "bench_store.h"
#include "fr_store.h"
#include "fr_trigger.h"

#define MS 1000000ull
#define NCPU 2

/* ---------------- an in-memory ring ---------------- */

struct sim {
	struct fr_ring_view v;
	struct fr_rec *recs;
	struct fr_stack_slot *stacks;
	struct fr_cpu_state cpus[NCPU];
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void put(struct sim *s, uint32_t cpu, const struct fr_rec *r)
{
	uint64_t pos = s->cpus[cpu].head++;
	struct fr_rec *slot = &s->recs[(size_t)cpu * s->v.slots + pos % s->v.slots];

	*slot = *r;
	slot->seq = FR_SEQ(pos);
}

/* n records of process pid (4 threads) evenly over [t0, t1]. */
static void fill(struct sim *s, uint32_t pid, uint64_t t0, uint64_t t1, size_t n)
{
	static const uint16_t nrs[] = { 0, 1, 7, 232, 202, 44, 45, 74 };

	memset(s->cpus, 0, sizeof(s->cpus));
	for (size_t i = 0; i < n; i++) {
		uint64_t ts = t0 + (t1 - t0) * i / n;
		uint32_t tid = pid + (uint32_t)(i % 4), kind = (uint32_t)(rnd() % 10);
		struct fr_rec r = { .ts = ts, .tid = tid, .pid = pid };

		if (kind < 7) {
			uint64_t dur = 500 + rnd() % 20000;

			r.type = FR_REC_SYSCALL;
			r.aux = nrs[rnd() % 8];
			r.sys.dur = (uint32_t)dur;
			r.sys.ret = (int32_t)(rnd() % 4096);
			r.sys.arg0 = rnd() % 16;
		} else if (kind < 9) {
			r.type = FR_REC_SWITCH;
			r.flags = (rnd() & 1) ? FR_SW_PREEMPT : 0;
			r.aux = r.flags ? 0 : 1;
			r.sw.next_tid = pid + (uint32_t)((i + 1) % 4);
			r.sw.next_pid = pid;
		} else {
			r.type = FR_REC_WAKEUP;
			r.wk.waker_tid = pid + (uint32_t)((i + 2) % 4);
			r.wk.waker_pid = pid;
		}
		put(s, (uint32_t)(i % NCPU), &r);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double q)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[(int)(q * (n - 1) + 0.5)];
}

struct done {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int pending;
};

static void on_done(void *ctx, uint64_t id, int err)
{
	struct done *d = ctx;

	(void)id;
	(void)err;
	pthread_mutex_lock(&d->mu);
	d->pending--;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

static struct fr_resource res = { .service_name = { "bench", 5 } };
static struct fr_scope scope = { .resource = &res, .name = { "", 0 }, .version = { "", 0 },
				 .schema_url = { "", 0 } };

/* read, annotate, export + encode, store (LMDB commit) */
#define NSTAGES 4

struct size_result {
	double p50, p99, bytes_per_rec, ratio;
	double cold; /* the first snapshot's ms */
	double stage_p50[NSTAGES];
};

/*
 * fr_snapshotter__take, stage by stage (the window's end has passed in
 * the bench: no wait), with each stage's ms in ms[0..2]: read, annotate,
 * export + encode (protobuf, zstd).
 */
static int take_timed(struct fr_snapshotter *snap, const struct fr_incident_in *in,
		      struct fr_incident_out *out, double *ms)
{
	struct fr_incident_work wk = { 0 };
	uint64_t t0 = fr_mono_ns(), t1, t2;
	int err;

	memset(out, 0, sizeof(*out));
	fr_snapshotter__plan(snap, in, &wk);
	err = fr_snapshotter__read(snap, in, &wk);
	t1 = fr_mono_ns();
	if (!err)
		err = fr_snapshotter__annotate(snap, in, &wk);
	t2 = fr_mono_ns();
	if (!err) {
		out->export = fr_snapshotter__build_export(snap, in, &wk);
		err = out->export ? 0 : -ENOMEM;
	}
	if (!err)
		err = fr_snapshotter__encode(snap, in, &wk, out);
	ms[0] = (t1 - t0) / 1e6;
	ms[1] = (t2 - t1) / 1e6;
	ms[2] = (fr_mono_ns() - t2) / 1e6;
	if (err)
		fr_incident_out__free(out);
	fr_incident_work__free(&wk);
	return err;
}

/* Span -> committed for windows of n records, reps times. */
static struct size_result commit_latency(size_t n, int reps, struct fr_store *store)
{
	struct sim *s = calloc(1, sizeof(*s));
	struct fr_clock clk;
	struct done dn = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };
	/* the first run is the cold one (the heap not grown yet, as after the
	 * daemon starts): reported on its own, not in the percentiles */
	double *lat = calloc(reps + 1, sizeof(double));
	double *st = calloc((size_t)(reps + 1) * NSTAGES, sizeof(double));
	struct size_result out = { 0 };
	struct fr_batch *b = fr_batch__new(4096);
	struct fr_span *sp = fr_arena__zalloc(b->arena, sizeof(*sp));
	uint64_t bytes = 0, raw = 0;

	s->v.nr_cpus = NCPU;
	s->v.slots = (uint32_t)(n / NCPU + 1024);
	s->v.stack_slots = 16;
	s->recs = calloc((size_t)NCPU * s->v.slots, sizeof(struct fr_rec));
	s->stacks = calloc((size_t)NCPU * s->v.stack_slots, sizeof(struct fr_stack_slot));
	s->v.recs = s->recs;
	s->v.stacks = s->stacks;
	s->v.cpus = s->cpus;
	s->v.start_ts = 1;
	b->spans = sp;
	b->nr_spans = 1;
	sp->name = (struct fr_str){ "GET /bench", 10 };
	sp->kind = FR_KIND_SERVER;
	sp->scope = &scope;
	sp->trace_id[15] = 1;
	sp->span_id[7] = 1;
	sp->trace_state = sp->status_message = (struct fr_str){ "", 0 };
	for (int r = 0; r <= reps; r++) {
		struct fr_snapshot_opts so = { .sz = sizeof(so), .view = &s->v };
		struct fr_snapshotter *snap = fr_snapshotter__new(&so, NULL, NULL);
		struct fr_incident_in in = { .batch = b, .span = sp, .host_pid = 4000, .followed = true };
		struct fr_incident_out o;
		uint64_t now, t0;

		/* a 200 ms span that ended just now, the window full of records */
		fr_clock__sample(&clk, 8);
		now = fr_mono_ns();
		fill(s, 4000, now - 300 * MS, now - 10 * MS, n);
		sp->start_ns = fr_clock__to_wall(&clk, now - 250 * MS);
		sp->end_ns = fr_clock__to_wall(&clk, now - 50 * MS);
		in.id = fr_store__new_id(store);
		snprintf(in.decision.reason, sizeof(in.decision.reason), "bench");
		t0 = fr_mono_ns();
		if (take_timed(snap, &in, &o, &st[r * NSTAGES])) {
			fprintf(stderr, "snapshot_bench: snapshot failed\n");
			exit(1);
		}
		pthread_mutex_lock(&dn.mu);
		dn.pending++;
		pthread_mutex_unlock(&dn.mu);
		if (r) {
			bytes += o.frsnap_len;
			raw += o.raw_bytes;
		}
		if (fr_store__put(store, &o.summary, o.frsnap, o.frsnap_len, on_done, &dn)) {
			fprintf(stderr, "snapshot_bench: store put failed\n");
			exit(1);
		}
		pthread_mutex_lock(&dn.mu);
		while (dn.pending)
			pthread_cond_wait(&dn.cv, &dn.mu);
		pthread_mutex_unlock(&dn.mu);
		lat[r] = (fr_mono_ns() - t0) / 1e6;
		st[r * NSTAGES + NSTAGES - 1] = lat[r] - (st[r * NSTAGES] + st[r * NSTAGES + 1] +
							 st[r * NSTAGES + 2]);
		if (o.summary.records < n * 9 / 10) {
			fprintf(stderr, "snapshot_bench: window had %u records, expected ~%zu\n",
				o.summary.records, n);
			exit(1);
		}
		fr_batch__put(o.export);
		fr_snapshotter__free(snap);
	}
	out.cold = lat[0];
	out.p50 = pct(lat + 1, reps, 0.5);
	out.p99 = pct(lat + 1, reps, 0.99);
	for (int k = 0; k < NSTAGES; k++) {
		double *col = calloc(reps, sizeof(double));

		for (int r = 0; r < reps; r++)
			col[r] = st[(r + 1) * NSTAGES + k];
		out.stage_p50[k] = pct(col, reps, 0.5);
		free(col);
	}
	free(st);
	out.bytes_per_rec = (double)bytes / reps / n;
	out.ratio = (double)raw / bytes;
	free(lat);
	free(s->recs);
	free(s->stacks);
	free(s);
	fr_batch__put(b);
	return out;
}

/* ---------------- the sketch ---------------- */

static double normal(void)
{
	double u1 = ((rnd() >> 11) + 0.5) / 9007199254740992.0;
	double u2 = ((rnd() >> 11) + 0.5) / 9007199254740992.0;

	return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double sketch_max_err(void)
{
	const size_t n = 500000;
	uint64_t *v = malloc(n * sizeof(*v));
	struct fr_sketch *s = malloc(sizeof(*s));
	const double qs[] = { 0.5, 0.9, 0.99, 0.999 };
	double worst = 0;

	for (int d = 0; d < 4; d++) {
		fr_sketch__clear(s);
		for (size_t i = 0; i < n; i++) {
			double u = ((rnd() >> 11) + 0.5) / 9007199254740992.0, x;

			switch (d) {
			case 0: x = 1e6 + u * 99e6; break;
			case 1: x = exp(log(5e6) + normal()); break;
			case 2: x = u < 0.9 ? 2e6 + 2e5 * normal() : 200e6 + 20e6 * normal(); break;
			default: x = 1e6 / pow(u, 1 / 1.2); break;
			}
			if (x < 2000)
				x = 2000;
			if (x > 9e11)
				x = 9e11;
			v[i] = (uint64_t)x;
			fr_sketch__add(s, v[i]);
		}
		qsort(v, n, sizeof(*v), cmp_u64);
		for (int k = 0; k < 4; k++) {
			uint64_t exact = v[(size_t)(qs[k] * (n - 1))];
			double e = fabs((double)fr_sketch__quantile(s, qs[k]) - exact) / exact;

			if (e > worst)
				worst = e;
		}
	}
	free(v);
	free(s);
	return worst;
}

static double sketch_update_ns(void)
{
	struct fr_sketch *s = calloc(1, sizeof(*s));
	const int n = 10000000;
	uint64_t *vals = malloc(4096 * sizeof(uint64_t)), t0;
	double best = 1e9;

	for (int i = 0; i < 4096; i++)
		vals[i] = 1000 + rnd() % 1000000000;
	for (int rep = 0; rep < 3; rep++) {
		t0 = fr_mono_ns();
		for (int i = 0; i < n; i++)
			fr_sketch__add(s, vals[i & 4095]);
		if ((double)(fr_mono_ns() - t0) / n < best)
			best = (double)(fr_mono_ns() - t0) / n;
	}
	free(vals);
	free(s);
	return best;
}

static double trigger_ns(void)
{
	struct fr_trigger_opts o = { .sz = sizeof(o) };
	struct fr_trigger *t = fr_trigger__new(&o);
	struct fr_rule r;
	struct fr_span sp = { 0 };
	struct fr_decision d;
	const int n = 2000000;
	char names[64][16];
	uint64_t t0;

	fr_rule__parse(FR_DEFAULT_RULE, &r, NULL, 0);
	fr_trigger__add_rule(t, &r, NULL);
	for (int i = 0; i < 64; i++)
		snprintf(names[i], sizeof(names[i]), "GET /op%d", i);
	sp.scope = &scope;
	sp.kind = FR_KIND_SERVER;
	t0 = fr_mono_ns();
	for (int i = 0; i < n; i++) {
		sp.name.p = names[i & 63];
		sp.name.len = (uint32_t)strlen(names[i & 63]);
		sp.start_ns = 1000;
		sp.end_ns = 1000 + 1000000 + rnd() % 5000000;
		fr_trigger__observe(t, &sp, &d);
	}
	t0 = fr_mono_ns() - t0;
	fr_trigger__free(t);
	return (double)t0 / n;
}

/* ---------------- the workload while captures run (root) ---------------- */

static volatile int stop_snaps;

struct snapper {
	struct fr_capture *cap;
	pid_t pid;
	int count;
	int interval_ms; /* between snapshots; 0: back to back */
	bool sample;     /* baseline samples of 10 ms normal spans, not incidents */
	uint64_t busy_ns; /* time spent in them */
};

static void *snapper(void *arg)
{
	struct snapper *sn = arg;
	struct fr_baselines *bl = sn->sample ? fr_baselines__new(NULL) : NULL;
	struct fr_snapshot_opts so = { .sz = sizeof(so), .baselines = bl };
	struct fr_snapshotter *snap = fr_snapshotter__new(&so, sn->cap, NULL);
	struct fr_batch *b = fr_batch__new(4096);
	struct fr_span *sp = fr_arena__zalloc(b->arena, sizeof(*sp));
	struct fr_clock clk;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
	b->spans = sp;
	b->nr_spans = 1;
	sp->name = (struct fr_str){ "GET /bench", 10 };
	sp->scope = &scope;
	sp->trace_id[15] = 1;
	sp->span_id[7] = 1;
	sp->trace_state = sp->status_message = (struct fr_str){ "", 0 };
	while (!stop_snaps) {
		struct fr_incident_in in = { .batch = b, .span = sp, .host_pid = sn->pid,
					     .followed = true, .id = 1 };
		struct fr_incident_out o;
		uint64_t now;

		fr_clock__sample(&clk, 4);
		now = fr_mono_ns();
		if (sn->sample) {
			uint64_t t0;

			sp->start_ns = fr_clock__to_wall(&clk, now - 40 * MS);
			sp->end_ns = fr_clock__to_wall(&clk, now - 30 * MS);
			t0 = fr_mono_ns();
			if (!fr_snapshotter__sample(snap, &in)) {
				sn->busy_ns += fr_mono_ns() - t0;
				sn->count++;
			}
		} else {
			sp->start_ns = fr_clock__to_wall(&clk, now - 150 * MS);
			sp->end_ns = fr_clock__to_wall(&clk, now - 30 * MS);
		}
		if (!sn->sample && !fr_snapshotter__take(snap, &in, &o)) {
			free(o.frsnap);
			fr_batch__put(o.export);
			sn->count++;
		}
		for (int waited = 0; waited < sn->interval_ms && !stop_snaps; waited += 10)
			usleep(10000);
	}
	fr_snapshotter__free(snap);
	fr_baselines__free(bl);
	fr_batch__put(b);
	return NULL;
}

static void workload(int cmd_fd, int res_fd)
{
	cpu_set_t set;
	uint64_t n;

	CPU_ZERO(&set);
	CPU_SET(NCPU - 1, &set);
	sched_setaffinity(0, sizeof(set), &set);
	while (read(cmd_fd, &n, sizeof(n)) == sizeof(n)) {
		uint64_t t0 = fr_mono_ns(), dt;

		for (uint64_t i = 0; i < n; i++)
			syscall(SYS_getppid);
		dt = fr_mono_ns() - t0;
		if (write(res_fd, &dt, sizeof(dt)) != sizeof(dt))
			_exit(1);
	}
	_exit(0);
}

static double run_workload(int cmd, int res, uint64_t n)
{
	uint64_t dt;

	if (write(cmd, &n, sizeof(n)) != sizeof(n) || read(res, &dt, sizeof(dt)) != sizeof(dt))
		exit(1);
	return (double)dt / n;
}

/*
 * The followed workload's time per call with snapshots of it being taken
 * (every interval_ms; 0: back to back) over without, in one run. Back to
 * back: best of three runs each way (the cost while a snapshot runs); at an
 * interval: the mean of runs of n calls (a snapshot now and then, as at the
 * capture budget).
 */
static double workload_slowdown(int rounds, int *snaps_done, int interval_ms, uint64_t n,
				bool sample, uint64_t *busy_ns)
{
	int c[2], r[2];
	pid_t pid;
	struct fr_capture_opts co = { .sz = sizeof(co), .ring_bytes = 64ull << 20 };
	struct fr_capture *cap;
	double with[16], without[16];

	if (pipe(c) || pipe(r))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(c[1]);
		close(r[0]);
		workload(c[0], r[1]);
	}
	close(c[0]);
	close(r[1]);
	cap = fr_capture__open(&co);
	if (!cap || fr_capture__attach(cap))
		return -1;
	fr_capture__follow_pid(cap, pid, true);
	run_workload(c[1], r[0], 200000); /* warm */
	for (int i = 0; i < rounds; i++) {
		struct snapper sn = { .cap = cap, .pid = pid, .interval_ms = interval_ms,
				      .sample = sample };
		pthread_t th;
		double best = 1e9, sum = 0;

		for (int k = 0; k < 3; k++) {
			double v = run_workload(c[1], r[0], n);

			best = v < best ? v : best;
			sum += v;
		}
		without[i] = interval_ms ? sum / 3 : best;
		stop_snaps = 0;
		pthread_create(&th, NULL, snapper, &sn);
		usleep(50000);
		best = 1e9;
		sum = 0;
		for (int k = 0; k < 3; k++) {
			double v = run_workload(c[1], r[0], n);

			best = v < best ? v : best;
			sum += v;
		}
		with[i] = interval_ms ? sum / 3 : best;
		stop_snaps = 1;
		pthread_join(th, NULL);
		*snaps_done += sn.count;
		if (busy_ns)
			*busy_ns += sn.busy_ns;
	}
	close(c[1]);
	waitpid(pid, NULL, 0);
	fr_capture__free(cap);
	return pct(with, rounds, 0.5) / pct(without, rounds, 0.5);
}

int main(void)
{
	char dir[] = "/tmp/fr-snapbench-XXXXXX";
	struct fr_store *store;
	struct size_result r10k, r100k, r1m;
	double err, upd, trig, slow = -1, slow_budget = -1;
	int snaps_budget = 0, samples = 0;
	int snaps = 0;
	double base_slow = -1;
	uint64_t sample_ns = 0;

	fr_log_level = FR_LOG_WARN;
	fr_snapshot__tune_malloc(); /* as the daemon does */
	store = bench_store_open(dir, 4ull << 30);
	if (!store)
		return 1;
	r10k = commit_latency(10000, 40, store);
	r100k = commit_latency(100000, 20, store);
	r1m = commit_latency(1000000, 5, store);
	bench_store_remove(store, dir);
	err = sketch_max_err();
	upd = sketch_update_ns();
	trig = trigger_ns();
	if (geteuid() == 0 && !getenv("SNAPSHOT_BENCH_NO_WORKLOAD")) {
		slow = workload_slowdown(5, &snaps, 0, 300000, false, NULL);
		/* at the default budget, 60 captures a minute: one a second */
		slow_budget = workload_slowdown(3, &snaps_budget, 1000, 1000000, false, NULL);
		/* baselines: a sample every 100 ms (fifty operations at the default
		 * one per operation every 5 s), against none, side by side */
		base_slow = workload_slowdown(3, &samples, 100, 1000000, true, &sample_ns);
	}

	printf("span received -> incident committed (read window, annotate, protobuf, zstd, LMDB)\n\n");
	printf("%-12s %10s %10s %10s %16s %12s\n", "window", "p50 ms", "p99 ms", "first ms",
	       "bytes/record", "compression");
	printf("%-12s %10.2f %10.2f %10.2f %16.2f %11.1fx\n", "10k records", r10k.p50, r10k.p99,
	       r10k.cold, r10k.bytes_per_rec, r10k.ratio);
	printf("%-12s %10.2f %10.2f %10.2f %16.2f %11.1fx\n", "100k records", r100k.p50, r100k.p99,
	       r100k.cold, r100k.bytes_per_rec, r100k.ratio);
	printf("%-12s %10.2f %10.2f %10.2f %16.2f %11.1fx\n", "1M records", r1m.p50, r1m.p99,
	       r1m.cold, r1m.bytes_per_rec, r1m.ratio);
	printf("(first: the first snapshot of each size, before the heap has grown to it; "
	       "not in the percentiles)\n");
	printf("\nby stage, median ms: %-10s %10s %10s %10s %10s\n", "window", "read", "annotate",
	       "encode", "store");
	{
		const struct size_result *rs[3] = { &r10k, &r100k, &r1m };
		const char *names[3] = { "10k", "100k", "1M" };

		for (int i = 0; i < 3; i++)
			printf("                     %-10s %10.2f %10.2f %10.2f %10.2f\n", names[i],
			       rs[i]->stage_p50[0], rs[i]->stage_p50[1], rs[i]->stage_p50[2],
			       rs[i]->stage_p50[3]);
	}
	printf("\nsketch: worst relative error %.4f over 4 distributions x 4 quantiles (bound %.2f); "
	       "update %.1f ns; a trigger decision (64 operations, p99 rule) %.1f ns\n",
	       err, FR_SKETCH_ALPHA, upd, trig);
	if (slow > 0)
		printf("followed workload (getppid loop) while snapshots of it ran on the other CPU "
		       "(%d snapshots): %.3fx its latency without (median of 5 rounds)\n", snaps, slow);
	else
		printf("workload slowdown: not measured (needs root for kernel capture)\n");
	if (slow_budget > 0)
		printf("the same at the default capture budget, a snapshot a second (%d snapshots): "
		       "%.3fx (mean of runs of 1M calls, median of 3 rounds)\n", snaps_budget,
		       slow_budget);
	if (base_slow > 0)
		printf("baselines: a sample of a 10 ms normal span of the followed workload every "
		       "100 ms (%d samples, %.0f us each: its window holds the loop's records, the "
		       "worst case): %.3fx the workload's latency without (median of 3 rounds)\n",
		       samples, samples ? sample_ns / 1e3 / samples : 0, base_slow);
	printf("\nsnapshot.commit_p50_ms_100k=%.2f\n", r100k.p50);
	printf("snapshot.compression_ratio=%.1f\n", r100k.ratio);
	printf("snapshot.workload_slowdown=%.3f\n", slow);
	printf("snapshot.workload_slowdown_budget=%.3f\n", slow_budget);
	printf("baseline.sample_cost_us=%.0f\n", samples ? sample_ns / 1e3 / samples : -1);
	printf("baseline.workload_slowdown=%.3f\n", base_slow);
	printf("snapshot.commit_p99_ms_10k=%.2f\n", r10k.p99);
	printf("snapshot.commit_p99_ms_100k=%.2f\n", r100k.p99);
	printf("snapshot.commit_first_ms_100k=%.2f\n", r100k.cold);
	printf("snapshot.commit_p99_ms_1m=%.2f\n", r1m.p99);
	printf("snapshot.bytes_per_record=%.2f\n", r100k.bytes_per_rec);
	printf("sketch.max_rel_err=%.4f\n", err);
	printf("sketch.update_ns=%.1f\n", upd);
	return 0;
}
