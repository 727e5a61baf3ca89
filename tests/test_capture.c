// SPDX-License-Identifier: MIT
/*
 * test_capture.c - kernel capture against the real kernel (root).
 *
 * Children of this test do known work; the window read afterwards must show
 * it with the right threads, counts, durations, blocking, stacks and
 * wake-ups, and nothing of processes that are not followed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "fr_capture.h"
#include "fr_clock.h"
#include "fr_ksyms.h"
#include "fr_names.h"
#include "fr_test_util.h"
#include "fr_unwind.h"

#define MS 1000000ull

static struct fr_capture *open_capture(uint64_t ring_bytes)
{
	/* every syscall recorded: these tests check that machinery */
	struct fr_capture_opts o = { .sz = sizeof(o), .ring_bytes = ring_bytes,
				     .syscalls = FR_SYSCALLS_ALL };
	struct fr_capture *cap = fr_capture__open(&o);

	assert_non_null(cap);
	assert_int_equal(fr_capture__attach(cap), 0);
	return cap;
}

/* In a child: waits for the parent's go (a byte on go_fd); exits if none comes. */
static void await_go(int go_fd)
{
	char c;

	if (read(go_fd, &c, 1) != 1)
		_exit(2);
}

/* ---- a child that does known work once told to go ---- */

struct report {
	pid_t pid, tid_main, tid_reader;
	int pipe_rd, pipe_wr, fsync_fd;
};

static volatile pid_t reader_tid;
static int wake_pipe[2];

static void *reader_thread(void *arg)
{
	char c;

	(void)arg;
	reader_tid = (pid_t)syscall(SYS_gettid);
	if (read(wake_pipe[0], &c, 1) != 1)
		_exit(3);
	return NULL;
}

static void known_work(int go_fd, int rep_fd)
{
	struct timespec sleep50 = { 0, 50 * MS }, nap = { 0, 20 * MS };
	char c, path[] = "/tmp/frtest-fsync-XXXXXX", *buf;
	struct report rep = { 0 };
	pthread_t th;

	if (read(go_fd, &c, 1) != 1 || pipe(wake_pipe))
		_exit(2);
	pthread_create(&th, NULL, reader_thread, NULL);
	while (!reader_tid)
		sched_yield();
	nanosleep(&nap, NULL); /* let the reader block in read() */

	for (int i = 0; i < 1000; i++)
		syscall(SYS_getppid);
	syscall(SYS_nanosleep, &sleep50, NULL);
	if (write(wake_pipe[1], "x", 1) != 1)
		_exit(4);
	pthread_join(th, NULL);

	rep.fsync_fd = mkstemp(path);
	buf = calloc(1, 1 << 20);
	if (rep.fsync_fd < 0 || !buf || write(rep.fsync_fd, buf, 1 << 20) != 1 << 20)
		_exit(5);
	fsync(rep.fsync_fd);
	unlink(path);

	rep.pid = getpid();
	rep.tid_main = (pid_t)syscall(SYS_gettid);
	rep.tid_reader = reader_tid;
	rep.pipe_rd = wake_pipe[0];
	rep.pipe_wr = wake_pipe[1];
	if (write(rep_fd, &rep, sizeof(rep)) != sizeof(rep))
		_exit(6);
	_exit(0);
}

static void cheap_work(int go_fd)
{
	await_go(go_fd);
	for (int i = 0; i < 1000; i++)
		syscall(SYS_getppid);
	_exit(0);
}

struct child {
	pid_t pid;
	int go_wr;
	int rep_rd;
};

static struct child spawn(void (*fn)(int, int))
{
	int go[2], rep[2];
	struct child c;

	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(rep), 0);
	c.pid = fork();
	assert_true(c.pid >= 0);
	if (c.pid == 0) {
		close(go[1]);
		close(rep[0]);
		fn(go[0], rep[1]);
		_exit(0);
	}
	close(go[0]);
	close(rep[1]);
	c.go_wr = go[1];
	c.rep_rd = rep[0];
	return c;
}

static void go(struct child *c)
{
	assert_int_equal(write(c->go_wr, "g", 1), 1);
}

static int wait_child(struct child *c)
{
	int status = -1;

	assert_int_equal(waitpid(c->pid, &status, 0), c->pid);
	close(c->go_wr);
	close(c->rep_rd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void cheap_work2(int go_fd, int rep_fd)
{
	(void)rep_fd;
	cheap_work(go_fd);
}

static uint64_t sys_dur(const struct fr_rec *r)
{
	return (uint64_t)r->sys.dur * ((r->flags & FR_SYS_DUR_US) ? 1000 : 1);
}

/* The user frames of w's raw user stacks (the process may be gone: then
 * the call site only). */
static void unwind(struct fr_window *w)
{
	struct fr_unwinder *uw = fr_unwinder__new();

	assert_non_null(uw);
	fr_window__unwind_user_stacks(w, uw);
	fr_unwinder__free(uw);
}

static bool stack_has(const struct fr_ksyms *ks, const struct fr_stack *s, const char *needle)
{
	for (unsigned i = 0; i < s->nr_kern; i++) {
		const char *sym = fr_ksyms__lookup(ks, s->ips[i], NULL);

		if (sym && strstr(sym, needle))
			return true;
	}
	return false;
}

static void test_known_work(void **state)
{
	struct fr_capture *cap = open_capture(32ull << 20);
	struct child work = spawn(known_work), other = spawn(cheap_work2);
	struct fr_capture_counters cnt;
	struct fr_window_req req = { 0 };
	struct fr_window *w;
	struct report rep;
	struct fr_ksyms *ks = fr_ksyms__load(NULL);
	const struct fr_event *sleep_rec = NULL, *write_rec = NULL, *wake = NULL;
	const struct fr_event *sw_out = NULL, *sw_in = NULL, *read_rec = NULL, *fsync_rec = NULL;
	int getppid_count = 0;

	(void)state;
	assert_non_null(ks);
	assert_int_equal(fr_capture__follow_pid(cap, work.pid, true), 0);
	assert_true(fr_capture__is_followed(cap, work.pid));
	assert_false(fr_capture__is_followed(cap, other.pid));
	req.t0 = fr_mono_ns();
	go(&work);
	go(&other);
	assert_int_equal(read(work.rep_rd, &rep, sizeof(rep)), sizeof(rep));
	assert_int_equal(wait_child(&work), 0);
	assert_int_equal(wait_child(&other), 0);
	req.t1 = fr_mono_ns();
	req.pid = work.pid;
	assert_int_equal(rep.pid, work.pid);

	assert_int_equal(fr_capture__read_window(cap, &req, &w), 0);
	fr_window__scan_kernel_stacks(w, ks);
	unwind(w);
	assert_true(w->complete_from <= req.t0); /* a 32 MiB ring holds all of it */
	for (size_t i = 0; i < w->nr_events; i++) {
		const struct fr_event *e = &w->events[i];
		const struct fr_rec *r = &e->rec;

		if (r->type == FR_REC_SYSCALL) {
			assert_int_equal(r->pid, work.pid);
			if (r->aux == SYS_getppid && r->tid == (uint32_t)rep.tid_main) {
				assert_int_equal(r->sys.ret, getpid());
				getppid_count++;
			}
			if (r->aux == SYS_nanosleep && r->tid == (uint32_t)rep.tid_main)
				sleep_rec = e;
			if (r->aux == SYS_write && r->sys.arg0 == (uint64_t)rep.pipe_wr)
				write_rec = e;
			if (r->aux == SYS_read && r->tid == (uint32_t)rep.tid_reader &&
			    r->sys.arg0 == (uint64_t)rep.pipe_rd)
				read_rec = e;
			if (r->aux == SYS_fsync && r->tid == (uint32_t)rep.tid_main)
				fsync_rec = e;
		}
	}
	assert_int_equal(getppid_count, 1000);

	/* The 50 ms sleep: a syscall of the right length... */
	assert_non_null(sleep_rec);
	assert_false(sleep_rec->rec.flags & FR_SYS_NO_ENTRY);
	assert_true(sys_dur(&sleep_rec->rec) >= 50 * MS);
	assert_true(sys_dur(&sleep_rec->rec) < 2000 * MS);
	/* ...inside which the thread blocked (S) with a stack, then came back. */
	for (size_t i = 0; i < w->nr_events; i++) {
		const struct fr_event *e = &w->events[i];
		uint64_t begin = sleep_rec->rec.ts - sys_dur(&sleep_rec->rec);

		if (e->rec.type != FR_REC_SWITCH || e->rec.ts < begin || e->rec.ts > sleep_rec->rec.ts)
			continue;
		if (!sw_out && e->rec.tid == (uint32_t)rep.tid_main && !(e->rec.flags & FR_SW_PREEMPT))
			sw_out = e;
		else if (sw_out && !sw_in && e->rec.sw.next_tid == (uint32_t)rep.tid_main)
			sw_in = e;
	}
	assert_non_null(sw_out);
	assert_true(sw_out->rec.aux & 0x1); /* TASK_INTERRUPTIBLE */
	assert_true(sw_out->stack >= 0);
	assert_true(w->stacks[sw_out->stack].nr_kern > 0);
	assert_true(stack_has(ks, &w->stacks[sw_out->stack], "nanosleep"));
	assert_true(w->stacks[sw_out->stack].nr_user > 0);
	assert_non_null(sw_in);
	assert_true(sw_in->rec.ts - sw_out->rec.ts >= 45 * MS);

	/* The pipe write woke the reader thread, and the waker is known. */
	assert_non_null(write_rec);
	assert_int_equal(write_rec->rec.tid, rep.tid_main);
	assert_int_equal(write_rec->rec.sys.ret, 1);
	for (size_t i = 0; i < w->nr_events; i++) {
		const struct fr_rec *r = &w->events[i].rec;

		if (r->type == FR_REC_WAKEUP && r->tid == (uint32_t)rep.tid_reader &&
		    r->wk.waker_tid == (uint32_t)rep.tid_main &&
		    r->ts >= write_rec->rec.ts - sys_dur(&write_rec->rec))
			wake = &w->events[i];
	}
	assert_non_null(wake);
	assert_int_equal(wake->rec.wk.waker_pid, work.pid);
	assert_non_null(read_rec);
	assert_int_equal(read_rec->rec.sys.ret, 1);
	assert_true(read_rec->rec.ts >= wake->rec.ts);
	assert_true(sys_dur(&read_rec->rec) >= 50 * MS); /* blocked through the sleep */

	/* fsync of the right fd. */
	assert_non_null(fsync_rec);
	assert_int_equal(fsync_rec->rec.sys.arg0, rep.fsync_fd);
	assert_int_equal(fsync_rec->rec.sys.ret, 0);
	fr_window__free(w);

	/* The unfollowed process has nothing of its own: at most it shows as
	 * the other side of a followed thread's switch or wake-up. */
	req.pid = other.pid;
	assert_int_equal(fr_capture__read_window(cap, &req, &w), 0);
	for (size_t i = 0; i < w->nr_events; i++) {
		const struct fr_rec *r = &w->events[i].rec;

		if (r->type == FR_REC_EXIT) {
			/* windows carry any followed process's exit (for names) */
			assert_int_not_equal(r->pid, other.pid);
			continue;
		}
		if (r->type == FR_REC_COMM) {
			/* and the name of a task that preempted a followed one:
			 * a name, no activity of the unfollowed process */
			assert_true(r->ex.comm[0] != '\0');
			continue;
		}
		if (r->type == FR_REC_BIO) {
			/* block requests are the device's, kept for every
			 * task: they name the disk's other users */
			assert_true(r->aux >= FR_BIO_READ && r->aux <= FR_BIO_OTHER);
			continue;
		}
		assert_true(r->type == FR_REC_SWITCH || r->type == FR_REC_WAKEUP);
		if (r->type == FR_REC_SWITCH)
			assert_true(r->pid == (uint32_t)work.pid ||
				    r->sw.next_pid == (uint32_t)work.pid);
		else
			assert_true(r->pid == (uint32_t)work.pid ||
				    r->wk.waker_pid == (uint32_t)work.pid);
	}
	fr_window__free(w);
	fr_capture__counters(cap, &cnt);
	assert_true(cnt.skipped >= 1000); /* one per unfollowed syscall */
	assert_true(cnt.written > 1000);
	assert_true(cnt.stacks > 0);
	fr_ksyms__free(ks);
	fr_capture__free(cap);
}

/* ---- overflow: far more than the ring holds ---- */

#define UMASK_CALLS 400000

static void umask_work(int go_fd, int rep_fd)
{
	(void)rep_fd;
	await_go(go_fd);
	for (unsigned i = 0; i < UMASK_CALLS; i++)
		syscall(SYS_umask, i);
	_exit(0);
}

static void test_overflow_keeps_newest(void **state)
{
	struct fr_capture *cap = open_capture(4ull << 20);
	struct child c = spawn(umask_work);
	const struct fr_ring_view *v = fr_capture__view(cap);
	struct fr_window_req req = { .pid = c.pid };
	struct fr_window *w;
	uint64_t prev = 0, kept = 0;
	bool first = true;

	(void)state;
	fr_capture__follow_pid(cap, c.pid, true);
	req.t0 = fr_mono_ns();
	go(&c);
	assert_int_equal(wait_child(&c), 0);
	req.t1 = fr_mono_ns();
	assert_int_equal(fr_capture__read_window(cap, &req, &w), 0);
	/* The ring wrapped: the window is not whole, and says from when. */
	assert_true(w->complete_from > req.t0);
	assert_true(w->complete_from < req.t1);
	for (size_t i = 0; i < w->nr_events; i++) {
		const struct fr_rec *r = &w->events[i].rec;

		if (r->type != FR_REC_SYSCALL || r->aux != SYS_umask || r->ts < w->complete_from)
			continue;
		if (!first)
			assert_int_equal(r->sys.arg0, prev + 1); /* contiguous */
		if (r->sys.arg0 > 0)
			assert_int_equal(r->sys.ret, (int)((r->sys.arg0 - 1) & 0777));
		prev = r->sys.arg0;
		first = false;
		kept++;
	}
	assert_int_equal(prev, UMASK_CALLS - 1); /* the newest is there */
	assert_true(kept >= v->slots / 2);
	assert_true(kept < UMASK_CALLS);
	print_message("kept the newest %llu of %d calls (%u slots per CPU)\n",
		      (unsigned long long)kept, UMASK_CALLS, v->slots);
	fr_window__free(w);
	fr_capture__free(cap);
}

/* ---- a reader during heavy writing never returns a torn record ---- */

static volatile int heavy_stop;
/* Above any fd, below 2^32 (dup takes an unsigned int): always EBADF. */
#define DUP_BASE 0xf0000000ull

static void *dup_thread(void *arg)
{
	(void)arg;
	for (uint64_t j = 0; !heavy_stop; j++)
		syscall(SYS_dup, DUP_BASE + j);
	return NULL;
}

static void heavy_work(int go_fd, int rep_fd)
{
	struct timespec start, now;
	pthread_t th;

	(void)rep_fd;
	await_go(go_fd);
	pthread_create(&th, NULL, dup_thread, NULL);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (unsigned i = 0;; i++) {
		syscall(SYS_umask, i);
		if ((i & 1023) == 0) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec - start.tv_sec >= 2)
				break;
		}
	}
	heavy_stop = 1;
	pthread_join(th, NULL);
	_exit(0);
}

static void test_reader_during_writes(void **state)
{
	struct fr_capture *cap = open_capture(2ull << 20);
	struct child c = spawn(heavy_work);
	uint64_t checked = 0, dropped = 0, reads = 0;
	int status;

	(void)state;
	fr_capture__follow_pid(cap, c.pid, true);
	go(&c);
	while (waitpid(c.pid, &status, WNOHANG) == 0) {
		struct fr_window_req req = { .pid = c.pid, .t0 = 0, .t1 = fr_mono_ns() + 1000 * MS };
		uint64_t last_umask = 0, last_dup = 0;
		uint32_t tid_umask = 0, tid_dup = 0;
		struct fr_window *w;

		assert_int_equal(fr_capture__read_window(cap, &req, &w), 0);
		for (size_t i = 0; i < w->nr_events; i++) {
			const struct fr_rec *r = &w->events[i].rec;

			if (i)
				assert_true(w->events[i - 1].rec.ts <= r->ts);
			if (r->type != FR_REC_SYSCALL || r->pid != (uint32_t)c.pid)
				continue;
			if (r->aux == SYS_umask) {
				/* One thread only, its own argument sequence. */
				assert_true(r->sys.arg0 < DUP_BASE);
				if (r->sys.arg0 > 0)
					assert_int_equal(r->sys.ret,
							 (int)((r->sys.arg0 - 1) & 0777));
				if (tid_umask)
					assert_int_equal(r->tid, tid_umask);
				if (last_umask)
					assert_true(r->sys.arg0 > last_umask);
				tid_umask = r->tid;
				last_umask = r->sys.arg0;
				checked++;
			} else if (r->aux == SYS_dup) {
				assert_true(r->sys.arg0 >= DUP_BASE);
				assert_int_equal(r->sys.ret, -EBADF);
				if (tid_dup)
					assert_int_equal(r->tid, tid_dup);
				if (last_dup)
					assert_true(r->sys.arg0 > last_dup);
				tid_dup = r->tid;
				last_dup = r->sys.arg0;
				checked++;
			}
		}
		if (tid_umask && tid_dup)
			assert_int_not_equal(tid_umask, tid_dup);
		dropped += w->dropped;
		reads++;
		fr_window__free(w);
	}
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(c.go_wr);
	close(c.rep_rd);
	print_message("%llu window reads, %llu records checked, %llu torn/overwritten dropped\n",
		      (unsigned long long)reads, (unsigned long long)checked,
		      (unsigned long long)dropped);
	assert_true(reads >= 5);
	assert_true(checked > 10000);
	fr_capture__free(cap);
}

/* ---- the follow filter changes at run time ---- */

static void phases_work(int go_fd, int rep_fd)
{
	(void)rep_fd;
	await_go(go_fd);
	for (int i = 0; i < 100; i++)
		syscall(SYS_getppid);
	await_go(go_fd);
	for (int i = 0; i < 100; i++)
		syscall(SYS_getuid);
	_exit(0);
}

static void test_follow_at_runtime(void **state)
{
	struct fr_capture *cap = open_capture(16ull << 20);
	struct child c = spawn(phases_work);
	struct fr_window_req req = { .pid = c.pid };
	struct fr_window *w;
	int getppid_n = 0, getuid_n = 0;
	struct timespec nap = { 0, 100 * MS };

	(void)state;
	assert_int_equal(fr_capture__follow_pid(cap, -1, true), -EINVAL);
	fr_capture__follow_pid(cap, c.pid, true);
	req.t0 = fr_mono_ns();
	go(&c);
	nanosleep(&nap, NULL);
	fr_capture__follow_pid(cap, c.pid, false);
	assert_false(fr_capture__is_followed(cap, c.pid));
	go(&c);
	assert_int_equal(wait_child(&c), 0);
	req.t1 = fr_mono_ns();
	assert_int_equal(fr_capture__read_window(cap, &req, &w), 0);
	for (size_t i = 0; i < w->nr_events; i++) {
		const struct fr_rec *r = &w->events[i].rec;

		getppid_n += r->type == FR_REC_SYSCALL && r->aux == SYS_getppid;
		getuid_n += r->type == FR_REC_SYSCALL && r->aux == SYS_getuid;
	}
	assert_int_equal(getppid_n, 100);
	assert_int_equal(getuid_n, 0);
	fr_window__free(w);
	fr_capture__free(cap);
}

/* Following by command name catches a process at exec. */
static void test_follow_comm(void **state)
{
	struct fr_capture *cap = open_capture(16ull << 20);
	struct fr_window_req req = { 0 };
	struct fr_window *w;
	int nanosleeps = 0;
	pid_t pid;

	(void)state;
	assert_int_equal(fr_capture__follow_comm(cap, "a-name-too-long-for-comm"), -EINVAL);
	assert_int_equal(fr_capture__follow_comm(cap, "sleep"), 0);
	req.t0 = fr_mono_ns();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execlp("sleep", "sleep", "0.05", (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	req.t1 = fr_mono_ns();
	req.pid = pid;
	assert_int_equal(fr_capture__read_window(cap, &req, &w), 0);
	for (size_t i = 0; i < w->nr_events; i++) {
		const struct fr_rec *r = &w->events[i].rec;

		if (r->type == FR_REC_SYSCALL &&
		    (r->aux == SYS_clock_nanosleep || r->aux == SYS_nanosleep))
			nanosleeps++;
	}
	assert_true(nanosleeps >= 1);
	fr_window__free(w);
	fr_capture__free(cap);
}

/* The cgroup v2 mount point, from /proc/mounts; false when there is none. */
static bool cgroup2_root(char *out, size_t len)
{
	char dev[256], dir[256], type[64];
	bool found = false;
	FILE *f = fopen("/proc/mounts", "r");

	assert_non_null(f);
	while (!found && fscanf(f, "%255s %255s %63s %*[^\n]", dev, dir, type) == 3) {
		if (!strcmp(type, "cgroup2")) {
			snprintf(out, len, "%s", dir);
			found = true;
		}
	}
	fclose(f);
	return found;
}

static void cgroup_work(int go_fd, int rep_fd)
{
	pid_t grandchild;

	await_go(go_fd);
	/* A new process in the cgroup: followed through the cgroup match
	 * alone, since following children is off in this test. */
	grandchild = fork();
	if (grandchild == 0) {
		for (int i = 0; i < 100; i++)
			syscall(SYS_getppid);
		_exit(0);
	}
	if (write(rep_fd, &grandchild, sizeof(grandchild)) != sizeof(grandchild))
		_exit(3);
	waitpid(grandchild, NULL, 0);
	_exit(0);
}

/* Following a cgroup: its processes now, and new processes created in it. */
static void test_follow_cgroup(void **state)
{
	struct fr_capture_opts o = { .sz = sizeof(o), .ring_bytes = 16ull << 20,
				     .no_children = true, .syscalls = FR_SYSCALLS_ALL };
	struct fr_capture *cap = fr_capture__open(&o);
	char root[256], dir[512], procs[600];
	struct fr_window_req req = { 0 };
	struct fr_window *w;
	struct child c;
	pid_t grandchild;
	int n = 0;
	FILE *f;

	(void)state;
	assert_non_null(cap);
	assert_int_equal(fr_capture__attach(cap), 0);
	assert_true(cgroup2_root(root, sizeof(root)));
	snprintf(dir, sizeof(dir), "%s/frtest-%d", root, getpid());
	assert_int_equal(mkdir(dir, 0755), 0);
	c = spawn(cgroup_work);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	f = fopen(procs, "w");
	assert_non_null(f);
	fprintf(f, "%d\n", c.pid);
	assert_int_equal(fclose(f), 0);

	assert_int_equal(fr_capture__follow_cgroup(cap, "/no/such/cgroup"), -ENOENT);
	assert_int_equal(fr_capture__follow_cgroup(cap, dir), 0);
	assert_true(fr_capture__is_followed(cap, c.pid)); /* seeded from cgroup.procs */
	req.t0 = fr_mono_ns();
	go(&c);
	assert_int_equal(read(c.rep_rd, &grandchild, sizeof(grandchild)), sizeof(grandchild));
	assert_int_equal(wait_child(&c), 0);
	req.t1 = fr_mono_ns();
	req.pid = grandchild;
	assert_int_equal(fr_capture__read_window(cap, &req, &w), 0);
	for (size_t i = 0; i < w->nr_events; i++)
		n += w->events[i].rec.type == FR_REC_SYSCALL && w->events[i].rec.aux == SYS_getppid;
	assert_int_equal(n, 100);
	fr_window__free(w);
	fr_capture__free(cap);
	assert_int_equal(rmdir(dir), 0);
}

/* ---- every syscall of a followed task, while others crowd its CPUs ---- */

#define CROWDED_CALLS 300000

static void getppid_work(int go_fd, int rep_fd)
{
	(void)rep_fd;
	await_go(go_fd);
	for (unsigned i = 0; i < CROWDED_CALLS; i++)
		syscall(SYS_getppid);
	_exit(0);
}

/*
 * Busy unfollowed processes on both CPUs make the scheduler move the
 * followed one between them and preempt it often; none of its syscalls may
 * be taken for another task's (the per-CPU cache of the current task once
 * lost a few thousand per run this way).
 */
static void test_crowded_cpus_lose_nothing(void **state)
{
	struct fr_capture *cap = open_capture(256ull << 20);
	struct child c = spawn(getppid_work);
	struct fr_window_req req = { .pid = c.pid };
	pid_t busy[3];
	struct fr_window *w;
	size_t calls = 0;

	(void)state;
	for (int i = 0; i < 3; i++) {
		busy[i] = fork();
		assert_true(busy[i] >= 0);
		if (busy[i] == 0)
			for (;;)
				__asm__ volatile("" ::: "memory");
	}
	fr_capture__follow_pid(cap, c.pid, true);
	req.t0 = fr_mono_ns();
	go(&c);
	assert_int_equal(wait_child(&c), 0);
	req.t1 = fr_mono_ns();
	for (int i = 0; i < 3; i++) {
		kill(busy[i], SIGKILL);
		waitpid(busy[i], NULL, 0);
	}
	assert_int_equal(fr_capture__read_window(cap, &req, &w), 0);
	assert_true(w->complete_from <= req.t0); /* the rings held it all */
	for (size_t i = 0; i < w->nr_events; i++)
		calls += w->events[i].rec.type == FR_REC_SYSCALL && w->events[i].rec.aux == SYS_getppid;
	assert_int_equal(calls, CROWDED_CALLS);
	fr_window__free(w);
	fr_capture__free(cap);
}

/* ---- a short-lived process that preempts a followed one is named ---- */

static void pin_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void spin_work(int go_fd, int rep_fd)
{
	uint64_t until;

	(void)rep_fd;
	pin_cpu0();
	await_go(go_fd);
	until = fr_mono_ns() + 300 * MS;
	while (fr_mono_ns() < until)
		syscall(SYS_getppid);
	_exit(0);
}

static void hog_work(int go_fd, int rep_fd)
{
	uint64_t until;

	(void)rep_fd;
	pin_cpu0();
	prctl(PR_SET_NAME, "fr-short-hog");
	await_go(go_fd);
	until = fr_mono_ns() + 250 * MS;
	while (fr_mono_ns() < until)
		__asm__ volatile("" ::: "memory");
	_exit(0);
}

static void test_preemptor_named(void **state)
{
	struct fr_capture *cap = open_capture(64ull << 20);
	struct child a = spawn(spin_work), hog = spawn(hog_work);
	struct fr_window_req req = { .pid = a.pid };
	struct fr_window *w;
	struct fr_names *names;
	bool seen = false;

	(void)state;
	fr_capture__follow_pid(cap, a.pid, true);
	req.t0 = fr_mono_ns();
	go(&a);
	go(&hog);
	assert_int_equal(wait_child(&a), 0);
	assert_int_equal(wait_child(&hog), 0); /* gone before the window is read */
	req.t1 = fr_mono_ns();
	assert_int_equal(fr_capture__read_window(cap, &req, &w), 0);
	for (size_t i = 0; i < w->nr_events; i++)
		seen |= w->events[i].rec.type == FR_REC_COMM &&
			w->events[i].rec.pid == (uint32_t)hog.pid;
	assert_true(seen);
	names = fr_names__new(w);
	assert_non_null(names);
	assert_string_equal(fr_names__get(names, hog.pid, (uint32_t)hog.pid), "fr-short-hog");
	fr_names__free(names);
	fr_window__free(w);
	fr_capture__free(cap);
}

/* A process that names itself after it started, as node's process.title
 * and many servers do. */
static void rename_work(int go_fd, int rep_fd)
{
	(void)rep_fd;
	await_go(go_fd);
	prctl(PR_SET_NAME, "fr-renamed");
	_exit(0);
}

/* Renames are recorded for any task, followed or not: a contender or
 * waker is named as it was called then, not by the name first seen. */
static void test_rename_recorded(void **state)
{
	struct fr_capture *cap = open_capture(64ull << 20);
	struct child r = spawn(rename_work);
	struct fr_window_req req = { .pid = (uint32_t)r.pid };
	struct fr_window *w;
	struct fr_names *names;
	bool seen = false;

	(void)state;
	req.t0 = fr_mono_ns();
	go(&r);
	assert_int_equal(wait_child(&r), 0);
	req.t1 = fr_mono_ns();
	assert_int_equal(fr_capture__read_window(cap, &req, &w), 0);
	for (size_t i = 0; i < w->nr_events; i++)
		seen |= w->events[i].rec.type == FR_REC_COMM &&
			w->events[i].rec.tid == (uint32_t)r.pid &&
			!strcmp(w->events[i].rec.ex.comm, "fr-renamed");
	assert_true(seen);
	names = fr_names__new(w);
	assert_non_null(names);
	assert_string_equal(fr_names__get(names, r.pid, (uint32_t)r.pid), "fr-renamed");
	fr_names__free(names);
	fr_window__free(w);
	fr_capture__free(cap);
}

/* ---- page faults that wait for the disk ---- */

static char fault_file[64];
static char fault_procs[256]; /* a throttled blkio cgroup's cgroup.procs, or "" */

/*
 * A cgroup v1 blkio group whose reads of the disk holding FILE are limited
 * to IOPS per second, its cgroup.procs in fault_procs; "" where there is
 * none. This VM's disk can answer a read from the host's cache before the
 * reader goes to sleep on the page, so that a fault need not block at all;
 * a throttled read always waits.
 */
static void slow_disk_cgroup(const char *file, int iops)
{
	char dev[64], path[160], line[64];
	struct stat st;
	FILE *f;

	fault_procs[0] = 0;
	if (stat(file, &st))
		return;
	snprintf(dev, sizeof(dev), "%u:%u", major(st.st_dev), minor(st.st_dev));
	/* throttling takes the whole disk, not a partition */
	snprintf(path, sizeof(path), "/sys/dev/block/%s/partition", dev);
	if (!access(path, F_OK)) {
		snprintf(path, sizeof(path), "/sys/dev/block/%s/../dev", dev);
		f = fopen(path, "r");
		if (!f || !fgets(line, sizeof(line), f)) {
			if (f)
				fclose(f);
			return;
		}
		fclose(f);
		line[strcspn(line, "\n")] = 0;
		snprintf(dev, sizeof(dev), "%s", line);
	}
	snprintf(path, sizeof(path), "/sys/fs/cgroup/blkio/fr-test-io-%d", getpid());
	if (mkdir(path, 0755) && errno != EEXIST)
		return;
	snprintf(fault_procs, sizeof(fault_procs), "%s/blkio.throttle.read_iops_device", path);
	f = fopen(fault_procs, "w");
	if (!f || fprintf(f, "%s %d\n", dev, iops) < 0 || fclose(f)) {
		if (f)
			fclose(f);
		print_message("  no read throttle (%s): faults may not block\n", strerror(errno));
		fault_procs[0] = 0;
		rmdir(path);
		return;
	}
	snprintf(fault_procs, sizeof(fault_procs), "%s/cgroup.procs", path);
	print_message("  the faulter's reads of %s limited to %d a second\n", dev, iops);
}

static void faulter_work(int go_fd, int rep_fd)
{
	const char *bin = getenv("FAULTER_BIN");
	int null = open("/dev/null", O_WRONLY);

	(void)rep_fd;
	await_go(go_fd);
	if (null >= 0)
		dup2(null, 1);
	execl(bin, "faulter", fault_file, "16", fault_procs, (char *)NULL);
	_exit(127);
}

/*
 * A process reading a memory-mapped file the page cache does not hold:
 * its blocks inside faults have fault records, named with the file by the
 * kernel at the fault.
 */
static void test_fault_blocks_named(void **state)
{
	struct fr_capture *cap = open_capture(64ull << 20);
	struct fr_window_req req = { 0 };
	struct fr_window *w;
	struct child f;
	size_t faults = 0, named = 0, busy = 0, no_vma = 0, flagged = 0;
	char block[1 << 16];
	int fd;

	(void)state;
	assert_non_null(getenv("FAULTER_BIN"));
	/* on a disk, not tmpfs: its pages must leave the page cache */
	snprintf(fault_file, sizeof(fault_file), "/var/tmp/fr-fault-%d.dat", getpid());
	fd = open(fault_file, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	assert_true(fd >= 0);
	memset(block, 7, sizeof(block));
	for (int i = 0; i < 512; i++) /* 32 MiB */
		assert_int_equal(write(fd, block, sizeof(block)), (ssize_t)sizeof(block));
	assert_int_equal(fsync(fd), 0);
	close(fd);
	/* out of the page cache before the faulter maps it (it asks too); a
	 * page can linger, in writeback or another CPU's batch, for a moment */
	{
		size_t resident = 0, pages = 512 * sizeof(block) / (size_t)sysconf(_SC_PAGESIZE);
		unsigned char *vec = malloc(pages);
		void *m;

		assert_non_null(vec);
		fd = open(fault_file, O_RDONLY);
		assert_true(fd >= 0);
		for (int attempt = 0; attempt < 40; attempt++) {
			posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
			m = mmap(NULL, 512 * sizeof(block), PROT_READ, MAP_SHARED, fd, 0);
			assert_true(m != MAP_FAILED);
			assert_int_equal(mincore(m, 512 * sizeof(block), vec), 0);
			munmap(m, 512 * sizeof(block));
			resident = 0;
			for (size_t i = 0; i < pages; i++)
				resident += vec[i] & 1;
			if (resident * 20 < pages)
				break;
			usleep(50000);
		}
		print_message("  %zu of %zu pages still cached before the faulter\n", resident, pages);
		close(fd);
		free(vec);
	}
	/* 512 reads at 2000 a second: a quarter of a second, each waited for */
	slow_disk_cgroup(fault_file, 2000);
	f = spawn(faulter_work);
	fr_capture__follow_pid(cap, f.pid, true);
	req.pid = (uint32_t)f.pid;
	req.t0 = fr_mono_ns();
	go(&f);
	assert_int_equal(wait_child(&f), 0);
	req.t1 = fr_mono_ns();
	assert_int_equal(fr_capture__read_window(cap, &req, &w), 0);
	for (size_t i = 0; i < w->nr_events; i++) {
		const struct fr_rec *r = &w->events[i].rec;
		const struct fr_fdname *n;
		char path[256];

		if (r->type != FR_REC_FAULT || r->pid != (uint32_t)f.pid)
			continue;
		faults++;
		busy += !!(r->flags & FR_FLT_VMA_BUSY);
		no_vma += !!(r->flags & FR_FLT_NO_VMA);
		flagged += !!(r->flags & FR_FLT_NAMED);
		n = fr_window__name(w, r);
		if (n && n->role == FR_NAME_ROLE_FAULT &&
		    strstr(fr_fdname__format(n, path, sizeof(path)), fault_file))
			named++;
	}
	/* what a miss was, should there be one: the mapping's lock busy, no
	 * mapping, or a name written but not found */
	print_message("  %zu blocking faults, %zu named with the file (%zu flagged named, %zu "
		      "mapping busy, %zu no mapping)\n", faults, named, flagged, busy, no_vma);
	/* 512 pages touched (every 16th of 8192), most from the disk */
	assert_true(faults >= 100);
	assert_true(named * 10 >= faults * 9);
	fr_window__free(w);
	fr_capture__free(cap);
	unlink(fault_file);
	if (fault_procs[0]) {
		*strrchr(fault_procs, '/') = 0;
		rmdir(fault_procs);
	}
}

/* ---- stacks only for blocks that matter ---- */

static int pp_a[2], pp_b[2];

static void *pong_thread(void *arg)
{
	char c;

	(void)arg;
	while (read(pp_a[0], &c, 1) == 1 && c != 'q')
		if (write(pp_b[1], &c, 1) != 1)
			break;
	return NULL;
}

/* 300 ping-pongs with a thread (blocks of microseconds), then a 50 ms sleep. */
static void short_blocks_work(int go_fd, int rep_fd)
{
	struct timespec nap = { 0, 50 * MS };
	pthread_t th;
	char c;

	(void)rep_fd;
	if (pipe(pp_a) || pipe(pp_b))
		_exit(2);
	pthread_create(&th, NULL, pong_thread, NULL);
	await_go(go_fd);
	for (int i = 0; i < 300; i++)
		if (write(pp_a[1], "p", 1) != 1 || read(pp_b[0], &c, 1) != 1)
			_exit(3);
	if (write(pp_a[1], "q", 1) != 1)
		_exit(4);
	pthread_join(th, NULL);
	nanosleep(&nap, NULL);
	_exit(0);
}

/* Attaches cap, runs known_work followed and returns its window (*rep:
 * what it reported). */
static struct fr_window *known_work_window(struct fr_capture *cap, struct report *rep)
{
	struct fr_window_req req = { 0 };
	struct fr_window *w;
	struct child work;

	assert_int_equal(fr_capture__attach(cap), 0);
	work = spawn(known_work);
	assert_int_equal(fr_capture__follow_pid(cap, work.pid, true), 0);
	req.t0 = fr_mono_ns();
	go(&work);
	assert_int_equal(read(work.rep_rd, rep, sizeof(*rep)), sizeof(*rep));
	assert_int_equal(wait_child(&work), 0);
	req.t1 = fr_mono_ns();
	req.pid = work.pid;
	assert_int_equal(fr_capture__read_window(cap, &req, &w), 0);
	return w;
}

/*
 * Scheduler-centred capture (--syscalls sched): no syscall program is
 * loaded; a followed thread's syscalls that block are recorded from their
 * first block to their return (rseq), with their result, fd names and
 * stacks; fast ones leave no record; switch-outs say the syscall.
 */
static void test_sched_mode(void **state)
{
	struct fr_capture_opts o = { .sz = sizeof(o), .ring_bytes = 32ull << 20,
				     .syscalls = FR_SYSCALLS_SCHED };
	struct fr_capture *cap = fr_capture__open(&o);
	struct fr_window *w;
	struct report rep;
	const struct fr_event *sleep_rec = NULL, *read_rec = NULL, *fsync_rec = NULL;
	const char *progs[64];
	struct fr_ksyms *ks = fr_ksyms__load(NULL);
	size_t np;
	int other_syscalls = 0, sleep_switches = 0;

	(void)state;
	assert_non_null(cap);
	assert_int_equal(fr_capture__syscalls(cap), FR_SYSCALLS_SCHED);
	np = fr_capture__programs(cap, progs, 64);
	assert_true(np > 5);
	for (size_t i = 0; i < np; i++) {
		assert_string_not_equal(progs[i], "fr_sys_enter");
		assert_string_not_equal(progs[i], "fr_sys_exit");
	}
	w = known_work_window(cap, &rep);
	assert_non_null(ks);
	fr_window__scan_kernel_stacks(w, ks);
	unwind(w);
	for (size_t i = 0; i < w->nr_events; i++) {
		const struct fr_event *e = &w->events[i];
		const struct fr_rec *r = &e->rec;

		if (r->type == FR_REC_SWITCH && r->tid == (uint32_t)rep.tid_main &&
		    !(r->flags & FR_SW_PREEMPT) && (r->flags & FR_SW_SYSCALL) &&
		    r->sw.sys_nr == SYS_nanosleep)
			sleep_switches++;
		if (r->type != FR_REC_SYSCALL)
			continue;
		print_message("  tid %u syscall %u(%llu) = %d, %.3f ms, flags %#x\n", r->tid, r->aux,
			      (unsigned long long)r->sys.arg0, r->sys.ret, sys_dur(r) / 1e6,
			      r->flags);
		assert_true(r->flags & (FR_SYS_FROM_BLOCK | FR_SYS_SAMPLED));
		if (r->flags & FR_SYS_SAMPLED)
			continue; /* time on CPU in a call, from samples */
		if (r->aux == SYS_nanosleep && r->tid == (uint32_t)rep.tid_main &&
		    sys_dur(r) >= 45 * MS)
			sleep_rec = e;
		else if (r->aux == SYS_read && r->tid == (uint32_t)rep.tid_reader)
			read_rec = e;
		else if (r->aux == SYS_fsync && r->tid == (uint32_t)rep.tid_main)
			fsync_rec = e;
		else
			other_syscalls++;
	}
	print_message("sched mode: %zu programs, %d other blocking syscalls, %zu records\n", np,
		      other_syscalls, w->nr_events);
	/* the 50 ms sleep: from its block to its return, with its result */
	assert_non_null(sleep_rec);
	assert_int_equal(sleep_rec->rec.sys.ret, 0);
	assert_true(sys_dur(&sleep_rec->rec) < 2000 * MS);
	assert_true(sleep_switches >= 1);
	/* its block's stacks: the kernel's at the wake-up, the user's at the return */
	{
		const struct fr_event *out = NULL;

		for (size_t i = 0; i < w->nr_events; i++)
			if (w->events[i].rec.type == FR_REC_SWITCH &&
			    w->events[i].rec.tid == (uint32_t)rep.tid_main &&
			    w->events[i].rec.ts >= sleep_rec->rec.ts - fr_rec__sys_dur(&sleep_rec->rec) &&
			    w->events[i].rec.ts < sleep_rec->rec.ts && w->events[i].stack >= 0)
				out = &w->events[i];
		assert_non_null(out);
		assert_true(w->stacks[out->stack].nr_kern > 0);
		assert_true(w->stacks[out->stack].nr_user > 0);
	}
	/* the reader's read, blocked until the pipe write, its fd named */
	assert_non_null(read_rec);
	assert_int_equal(read_rec->rec.sys.ret, 1);
	assert_int_equal(read_rec->rec.sys.arg0, rep.pipe_rd);
	assert_true(sys_dur(&read_rec->rec) >= 50 * MS);
	assert_true(read_rec->rec.flags & FR_SYS_NAMED);
	assert_non_null(fr_window__name(w, &read_rec->rec));
	assert_int_equal(fr_window__name(w, &read_rec->rec)->kind, FR_NAME_PIPE);
	/* the fsync waited for the disk */
	assert_non_null(fsync_rec);
	assert_int_equal(fsync_rec->rec.sys.arg0, rep.fsync_fd);
	/* the thousand getppid calls left nothing: no record is fast */
	assert_true(other_syscalls < 50);
	fr_window__free(w);
	fr_ksyms__free(ks);
	fr_capture__free(cap);
}

/*
 * --syscalls slow: calls over the threshold are records; the thousand
 * getppid calls are sums (FR_REC_SYSSUM), written when their slot is
 * wanted or the thread exits, adding up to all of them.
 */
static void test_slow_mode(void **state)
{
	struct fr_capture_opts o = { .sz = sizeof(o), .ring_bytes = 32ull << 20,
				     .syscalls = FR_SYSCALLS_SLOW, .slow_after_ns = 1000000 };
	struct fr_capture *cap = fr_capture__open(&o);
	struct fr_window *w;
	struct report rep;
	uint64_t getppid_sum = 0, sums = 0;
	bool sleep_rec = false;
	int fast_records = 0;

	(void)state;
	assert_non_null(cap);
	w = known_work_window(cap, &rep);
	for (size_t i = 0; i < w->nr_events; i++) {
		const struct fr_rec *r = &w->events[i].rec;

		if (r->type == FR_REC_SYSSUM) {
			sums++;
			if (r->aux == SYS_getppid && r->tid == (uint32_t)rep.tid_main)
				getppid_sum += r->sys.arg0;
		} else if (r->type == FR_REC_SYSCALL) {
			if (!(r->flags & FR_SYS_NO_ENTRY) && sys_dur(r) < 1000000)
				fast_records++;
			if (r->aux == SYS_nanosleep && r->tid == (uint32_t)rep.tid_main &&
			    sys_dur(r) >= 45 * MS)
				sleep_rec = true;
		}
	}
	print_message("slow mode: %llu sum records, getppid %llu, %d fast records\n",
		      (unsigned long long)sums, (unsigned long long)getppid_sum, fast_records);
	assert_int_equal(getppid_sum, 1000);
	assert_true(sleep_rec);
	/* a fast call is a record only when its block's stack is taken */
	assert_true(fast_records < 10);
	fr_window__free(w);
	fr_capture__free(cap);
}

static void test_short_blocks_no_stack(void **state)
{
	struct fr_capture *cap = open_capture(32ull << 20);
	struct child c = spawn(short_blocks_work);
	struct fr_capture_counters before, after;
	struct fr_window_req req = { .pid = c.pid };
	struct fr_ksyms *ks = fr_ksyms__load(NULL);
	struct fr_window *w;
	size_t short_blocks = 0, short_with_stack = 0, long_with_stack = 0;

	(void)state;
	assert_non_null(ks);
	fr_capture__follow_pid(cap, c.pid, true);
	fr_capture__counters(cap, &before);
	req.t0 = fr_mono_ns();
	go(&c);
	assert_int_equal(wait_child(&c), 0);
	req.t1 = fr_mono_ns();
	fr_capture__counters(cap, &after);
	assert_int_equal(fr_capture__read_window(cap, &req, &w), 0);
	fr_window__scan_kernel_stacks(w, ks);
	unwind(w);
	/* each blocked switch-out: how long until its task ran again */
	for (size_t i = 0; i < w->nr_events; i++) {
		const struct fr_event *e = &w->events[i];
		uint64_t back = 0;

		if (e->rec.type != FR_REC_SWITCH || (e->rec.flags & FR_SW_PREEMPT) ||
		    e->rec.pid != (uint32_t)c.pid)
			continue;
		for (size_t j = i + 1; j < w->nr_events && !back; j++)
			if (w->events[j].rec.type == FR_REC_SWITCH &&
			    w->events[j].rec.sw.next_tid == e->rec.tid)
				back = w->events[j].rec.ts;
		if (!back)
			continue;
		if (back - e->rec.ts < 500000) { /* well under the 1 ms threshold */
			short_blocks++;
			short_with_stack += e->stack >= 0;
		} else if (back - e->rec.ts >= 40 * MS && e->stack >= 0) {
			long_with_stack++;
			assert_true(stack_has(ks, &w->stacks[e->stack], "nanosleep"));
			assert_true(w->stacks[e->stack].nr_user > 0);
		}
	}
	print_message("%zu short blocks (%zu with a stack), %zu long with a stack; counters: "
		      "%" PRIu64 " stacks, %" PRIu64 " skipped\n", short_blocks, short_with_stack,
		      long_with_stack, after.stacks - before.stacks,
		      after.stacks_skipped - before.stacks_skipped);
	assert_true(short_blocks >= 200);
	assert_int_equal(short_with_stack, 0);
	assert_int_equal(long_with_stack, 1);
	assert_true(after.stacks_skipped - before.stacks_skipped >= short_blocks);
	assert_true(after.stacks - before.stacks < 10);
	fr_window__free(w);
	fr_ksyms__free(ks);
	fr_capture__free(cap);
}

/* In a child: a TCP connection over loopback, its two ends in *client and
 * *server; exits the child if it cannot be made. */
static void loopback_pair(int *client, int *server)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int lfd = socket(AF_INET, SOCK_STREAM, 0);

	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 1) ||
	    getsockname(lfd, (struct sockaddr *)&a, &alen))
		_exit(2);
	*client = socket(AF_INET, SOCK_STREAM, 0);
	if (*client < 0 || connect(*client, (struct sockaddr *)&a, sizeof(a)))
		_exit(2);
	*server = accept(lfd, NULL, NULL);
	if (*server < 0)
		_exit(2);
	close(lfd);
}

/* ---- where a wake-up came from ---- */

struct ctx_report {
	pid_t tid_main, tid_sender;
};

static int ctx_sock = -1, ctx_pipe[2];
static volatile pid_t ctx_sender_tid;

/* Sends one byte over loopback TCP, then one into a pipe, 20 ms apart. */
static void *ctx_sender(void *arg)
{
	struct timespec nap = { 0, 20 * MS };

	(void)arg;
	ctx_sender_tid = (pid_t)syscall(SYS_gettid);
	nanosleep(&nap, NULL);
	if (write(ctx_sock, "n", 1) != 1)
		_exit(3);
	nanosleep(&nap, NULL);
	if (write(ctx_pipe[1], "p", 1) != 1)
		_exit(3);
	return NULL;
}

/* Blocks three times: in nanosleep (a timer ends it), in read on a TCP
 * socket (the packet's softirq, run by the sender's write), in read on a
 * pipe (the writer itself). */
static void ctx_work(int go_fd, int rep_fd)
{
	struct timespec sleep30 = { 0, 30 * MS };
	struct ctx_report rep;
	int cfd;
	pthread_t th;
	char c;

	if (pipe(ctx_pipe))
		_exit(2);
	loopback_pair(&ctx_sock, &cfd);
	await_go(go_fd);
	syscall(SYS_nanosleep, &sleep30, NULL);
	pthread_create(&th, NULL, ctx_sender, NULL);
	if (read(cfd, &c, 1) != 1 || read(ctx_pipe[0], &c, 1) != 1)
		_exit(4);
	pthread_join(th, NULL);
	rep.tid_main = (pid_t)syscall(SYS_gettid);
	rep.tid_sender = ctx_sender_tid;
	if (write(rep_fd, &rep, sizeof(rep)) != sizeof(rep))
		_exit(6);
	_exit(0);
}

/* Sets lo's receive packet steering (CPU mask val, "0": none), the old
 * mask into old. A test killed before it put the mask back leaves lo
 * steered, and loopback packets then wake from the other CPU: each test
 * sets what it needs. */
#define LO_RPS "/sys/class/net/lo/queues/rx-0/rps_cpus"
static void set_lo_rps(const char *val, char *old, size_t len)
{
	FILE *f = fopen(LO_RPS, "r");

	snprintf(old, len, "0\n");
	if (f) {
		if (!fgets(old, (int)len, f))
			snprintf(old, len, "0\n");
		fclose(f);
	}
	f = fopen(LO_RPS, "w");
	assert_non_null(f);
	fputs(val, f);
	assert_int_equal(fclose(f), 0);
}

/*
 * A wake-up says the context it came from: a timer's interrupt, a network
 * softirq (its vector, and the syscall of the task that ran it: loopback
 * delivers in the sender's write), or a task outside any interrupt. The
 * softirq has no exit program: this checks that being in one is told
 * right both ways.
 */
static void test_wake_contexts(void **state)
{
	struct fr_capture *cap = open_capture(64ull << 20);
	struct child ch = spawn(ctx_work);
	struct fr_window_req req = { .pid = ch.pid };
	struct ctx_report rep;
	struct fr_window *w;
	int timer = 0, net = 0, pipe_wk = 0, other = 0;
	char old[64], ignored[64];

	(void)state;
	/* loopback delivery in the sender's write: no steering */
	set_lo_rps("0\n", old, sizeof(old));
	fr_capture__follow_pid(cap, ch.pid, true);
	req.t0 = fr_mono_ns();
	go(&ch);
	assert_int_equal(read(ch.rep_rd, &rep, sizeof(rep)), (ssize_t)sizeof(rep));
	assert_int_equal(wait_child(&ch), 0);
	req.t1 = fr_mono_ns();
	set_lo_rps(old, ignored, sizeof(ignored));
	assert_int_equal(fr_capture__read_window(cap, &req, &w), 0);
	for (size_t i = 0; i < w->nr_events; i++) {
		const struct fr_rec *r = &w->events[i].rec;

		if (r->type != FR_REC_WAKEUP || r->tid != (uint32_t)rep.tid_main)
			continue;
		print_message("  wake-up by %u flags 0x%x ctx %u sys %u\n", r->wk.waker_tid, r->flags,
			      r->wk.ctx, r->wk.waker_sys);
		if (r->flags & FR_WK_TIMER)
			timer++;
		else if ((r->flags & FR_WK_SOFTIRQ) && r->wk.ctx == FR_SOFTIRQ_NET_RX &&
			 r->wk.waker_tid == (uint32_t)rep.tid_sender && r->wk.waker_sys == SYS_write)
			net++;
		else if (!(r->flags & (FR_WK_SOFTIRQ | FR_WK_HARDIRQ | FR_WK_TIMER)) &&
			 r->wk.waker_tid == (uint32_t)rep.tid_sender && r->wk.waker_sys == SYS_write)
			pipe_wk++;
		else if (r->wk.waker_tid == (uint32_t)rep.tid_sender && r->wk.waker_sys == SYS_write)
			other++; /* the sender's writes' wake-ups said wrong (its exit
				  * may wake the main thread in pthread_join too) */
	}
	assert_true(timer >= 1);
	assert_int_equal(net, 1);
	assert_int_equal(pipe_wk, 1);
	assert_int_equal(other, 0);
	fr_window__free(w);
	fr_capture__free(cap);
}

/* ---- a slow poll's fds ---- */

struct poll_report {
	int udp, pipe_b;
	uint16_t udp_port;
};

static int poll_pipe_b[2];

static void *poll_writer(void *arg)
{
	struct timespec nap = { 0, 80 * MS };

	(void)arg;
	nanosleep(&nap, NULL);
	if (write(poll_pipe_b[1], "b", 1) != 1)
		_exit(5);
	return NULL;
}

/* A poll on one UDP socket that nobody answers (a resolver's wait), 120 ms
 * until it times out; then a poll on two pipes, the second written 80 ms
 * in by another thread. */
static void poll_work(int go_fd, int rep_fd)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in me;
	socklen_t len = sizeof(me);
	struct poll_report rep;
	int pipe_a[2];
	pthread_t th;
	struct pollfd one, two[2];

	rep.udp = socket(AF_INET, SOCK_DGRAM, 0);
	if (rep.udp < 0 || connect(rep.udp, (struct sockaddr *)&to, sizeof(to)) ||
	    getsockname(rep.udp, (struct sockaddr *)&me, &len) || pipe(pipe_a) ||
	    pipe(poll_pipe_b))
		_exit(3);
	rep.udp_port = ntohs(me.sin_port);
	rep.pipe_b = poll_pipe_b[0];
	await_go(go_fd);
	one = (struct pollfd){ .fd = rep.udp, .events = POLLIN };
	if (poll(&one, 1, 120) != 0)
		_exit(4);
	pthread_create(&th, NULL, poll_writer, NULL);
	two[0] = (struct pollfd){ .fd = pipe_a[0], .events = POLLIN };
	two[1] = (struct pollfd){ .fd = poll_pipe_b[0], .events = POLLIN };
	if (poll(two, 2, 5000) != 1)
		_exit(6);
	pthread_join(th, NULL);
	if (write(rep_fd, &rep, sizeof(rep)) != sizeof(rep))
		_exit(7);
	_exit(0);
}

/*
 * A slow poll names what it waited for, in the default mode: the one fd
 * of a poll that timed out (the socket and its peer), the ready fd of one
 * that returned.
 */
static void test_poll_fds_named(void **state)
{
	struct fr_capture_opts o = { .sz = sizeof(o), .ring_bytes = 32ull << 20,
				     .syscalls = FR_SYSCALLS_SCHED };
	struct fr_capture *cap = fr_capture__open(&o);
	struct fr_window_req req = { 0 };
	struct poll_report rep;
	struct fr_window *w;
	struct child ch;
	int timed_out = 0, ready = 0;

	(void)state;
	assert_non_null(cap);
	assert_int_equal(fr_capture__attach(cap), 0);
	ch = spawn(poll_work);
	assert_int_equal(fr_capture__follow_pid(cap, ch.pid, true), 0);
	req.t0 = fr_mono_ns();
	go(&ch);
	assert_int_equal(read(ch.rep_rd, &rep, sizeof(rep)), (ssize_t)sizeof(rep));
	assert_int_equal(wait_child(&ch), 0);
	req.t1 = fr_mono_ns();
	req.pid = ch.pid;
	assert_int_equal(fr_capture__read_window(cap, &req, &w), 0);
	for (size_t i = 0; i < w->nr_events; i++) {
		const struct fr_rec *r = &w->events[i].rec;
		const struct fr_fdname *n;

		if (r->type != FR_REC_SYSCALL || r->aux != SYS_poll)
			continue;
		n = fr_window__name(w, r);
		print_message("  poll = %d after %.1f ms, named %s\n", r->sys.ret, sys_dur(r) / 1e6,
			      n ? (n->role == FR_NAME_ROLE_FD ? "its fd" : "a ready fd") : "nothing");
		if (!n)
			continue;
		if (r->sys.ret == 0) {
			assert_int_equal(n->role, FR_NAME_ROLE_FD);
			assert_int_equal(n->fd, rep.udp);
			assert_int_equal(n->kind, FR_NAME_INET);
			assert_int_equal(n->proto, IPPROTO_UDP);
			assert_int_equal(n->sport, rep.udp_port);
			assert_int_equal(n->dport, 9);
			timed_out++;
		} else {
			assert_int_equal(n->role, FR_NAME_ROLE_READY);
			assert_int_equal(n->fd, rep.pipe_b);
			assert_int_equal(n->kind, FR_NAME_PIPE);
			ready++;
		}
	}
	assert_int_equal(timed_out, 1);
	assert_int_equal(ready, 1);
	fr_window__free(w);
	fr_capture__free(cap);
}

/* ---- a SYN sent again ---- */

/*
 * A listener with a backlog of 0 that one connection fills: a second
 * connection's SYN is dropped, and the kernel sends it again a second
 * later, in a timer's context: recorded for no process, with the
 * connection's addresses and its state (SYN sent).
 */
static void test_syn_retransmit_recorded(void **state)
{
	struct fr_capture *cap = open_capture(16ull << 20);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in me;
	socklen_t len = sizeof(a);
	struct fr_window_req req = { 0 };
	struct fr_window *w;
	struct timespec nap = { 1, 300 * MS };
	int l, filler, c, found = 0;

	(void)state;
	l = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(l >= 0);
	assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(l, 0), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&a, &len), 0);
	filler = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(filler, (struct sockaddr *)&a, sizeof(a)), 0);
	req.t0 = fr_mono_ns();
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(connect(c, (struct sockaddr *)&a, sizeof(a)) == 0 || errno == EINPROGRESS);
	len = sizeof(me);
	assert_int_equal(getsockname(c, (struct sockaddr *)&me, &len), 0);
	nanosleep(&nap, NULL);
	req.t1 = fr_mono_ns();
	req.pid = (uint32_t)getpid();
	assert_int_equal(fr_capture__read_window(cap, &req, &w), 0);
	for (size_t i = 0; i < w->nr_events; i++) {
		const struct fr_rec *r = &w->events[i].rec;

		if (r->type != FR_REC_RETRANS)
			continue;
		print_message("  retransmission %u.%u.%u.%u:%u -> :%u, state %u\n", r->tcp.saddr[0],
			      r->tcp.saddr[1], r->tcp.saddr[2], r->tcp.saddr[3], r->tcp.sport,
			      r->tcp.dport, r->aux);
		if (r->tcp.sport == ntohs(me.sin_port) && r->tcp.dport == ntohs(a.sin_port) &&
		    r->tcp.saddr[0] == 127 && r->tcp.daddr[0] == 127 && r->aux == FR_TCP_SYN_SENT &&
		    !(r->flags & FR_RT_V6) && r->pid == 0)
			found++;
	}
	assert_true(found >= 1);
	fr_window__free(w);
	close(c);
	close(filler);
	close(l);
	fr_capture__free(cap);
}

/* ---- a softirq that interrupted user space ---- */

static volatile int rps_stop;
static int rps_sock = -1;
static volatile pid_t rps_spinner_tid, rps_receiver_tid;

static void pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* Computes in user space on CPU 1 until told to stop. */
static void *rps_spinner(void *arg)
{
	(void)arg;
	pin_cpu(1);
	rps_spinner_tid = (pid_t)syscall(SYS_gettid);
	while (!rps_stop)
		__asm__ volatile("" ::: "memory");
	return NULL;
}

/* Reads on CPU 1: woken by the packets' softirq there. */
static void *rps_receiver(void *arg)
{
	char c;

	(void)arg;
	pin_cpu(1);
	rps_receiver_tid = (pid_t)syscall(SYS_gettid);
	for (int i = 0; i < 20; i++)
		if (read(rps_sock, &c, 1) != 1)
			_exit(4);
	return NULL;
}

struct rps_report {
	pid_t receiver, spinner;
};

/* Sends 20 bytes over loopback TCP from CPU 0, 5 ms apart, to a reader on
 * CPU 1; with lo's receive packet steering set to CPU 1, each packet's
 * NET_RX softirq runs there, at the exit of the IPI that interrupted the
 * spinner in user space: on the spinner's own stack. */
static void rps_work(int go_fd, int rep_fd)
{
	struct timespec nap = { 0, 5 * MS };
	pthread_t sp, rd;
	struct rps_report rep;
	int cfd;

	loopback_pair(&cfd, &rps_sock);
	await_go(go_fd);
	pthread_create(&sp, NULL, rps_spinner, NULL);
	pthread_create(&rd, NULL, rps_receiver, NULL);
	pin_cpu(0);
	nanosleep(&nap, NULL);
	for (int i = 0; i < 20; i++) {
		if (write(cfd, "r", 1) != 1)
			_exit(3);
		nanosleep(&nap, NULL);
	}
	pthread_join(rd, NULL);
	rps_stop = 1;
	pthread_join(sp, NULL);
	rep.receiver = rps_receiver_tid;
	rep.spinner = rps_spinner_tid;
	if (write(rep_fd, &rep, sizeof(rep)) != sizeof(rep))
		_exit(6);
	_exit(0);
}

/*
 * An interrupt from user space runs on the interrupted task's own stack
 * (x86-64 switches to the interrupt stack only from the kernel), and so
 * does the softirq at its exit: a wake-up there is the softirq's, not the
 * interrupted task's.
 */
static void test_softirq_over_user_space(void **state)
{
	struct fr_capture *cap;
	struct child ch;
	struct fr_window_req req = { 0 };
	struct rps_report rep;
	struct fr_window *w;
	char old[64], ignored[64];
	int net = 0, by_spinner = 0;

	(void)state;
	/* root on two CPUs or more, as in CI: it runs, never skips */
	assert_true(sysconf(_SC_NPROCESSORS_ONLN) >= 2);
	assert_int_equal(access(LO_RPS, W_OK), 0);
	set_lo_rps("2\n", old, sizeof(old)); /* CPU 1 */
	cap = open_capture(64ull << 20);
	ch = spawn(rps_work);
	req.pid = ch.pid;
	fr_capture__follow_pid(cap, ch.pid, true);
	req.t0 = fr_mono_ns();
	go(&ch);
	assert_int_equal(read(ch.rep_rd, &rep, sizeof(rep)), (ssize_t)sizeof(rep));
	assert_int_equal(wait_child(&ch), 0);
	req.t1 = fr_mono_ns();
	/* "0" if the mask found was a killed run's leftover */
	set_lo_rps(strcmp(old, "2\n") ? old : "0\n", ignored, sizeof(ignored));
	assert_int_equal(fr_capture__read_window(cap, &req, &w), 0);
	for (size_t i = 0; i < w->nr_events; i++) {
		const struct fr_rec *r = &w->events[i].rec;

		if (r->type != FR_REC_WAKEUP || r->tid != (uint32_t)rep.receiver)
			continue;
		if ((r->flags & FR_WK_SOFTIRQ) && r->wk.ctx == FR_SOFTIRQ_NET_RX) {
			net++;
		} else if (r->wk.waker_tid == (uint32_t)rep.spinner &&
			   !(r->flags & (FR_WK_HARDIRQ | FR_WK_SOFTIRQ | FR_WK_TIMER))) {
			/* the interrupted task taken for the waker: a wake-up
			 * said to be its own outside any syscall (spinning in
			 * user space, it wakes no one; in a syscall of its
			 * start, such as glibc's futex, it may) */
			by_spinner += r->wk.waker_sys == FR_NO_SYSCALL;
			print_message("  wake-up in the spinner's name: flags 0x%x sys %u, cpu %u, "
				      "%.3f ms in\n",
				      r->flags, r->wk.waker_sys, w->events[i].cpu,
				      (double)(r->ts - req.t0) / 1e6);
		}
	}
	print_message("  %d wake-ups in NET_RX, %d taken for the spinner's\n", net, by_spinner);
	/* a byte that arrives before the reader is back needs no wake-up */
	assert_true(net >= 5);
	/* Before the softirq's own stack was told apart, 16 of 20 were
	 * the spinner's. One CI run (the sanitizer build) saw one of 21 in
	 * the spinner's name, once in some hundreds of runs, and it has not
	 * been seen again here, loaded or not: at most one in ten. */
	assert_true(by_spinner * 10 <= net);
	fr_window__free(w);
	fr_capture__free(cap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_work),
		cmocka_unit_test(test_sched_mode),
		cmocka_unit_test(test_slow_mode),
		cmocka_unit_test(test_short_blocks_no_stack),
		cmocka_unit_test(test_overflow_keeps_newest),
		cmocka_unit_test(test_crowded_cpus_lose_nothing),
		cmocka_unit_test(test_preemptor_named),
		cmocka_unit_test(test_wake_contexts),
		cmocka_unit_test(test_softirq_over_user_space),
		cmocka_unit_test(test_poll_fds_named),
		cmocka_unit_test(test_syn_retransmit_recorded),
		cmocka_unit_test(test_rename_recorded),
		cmocka_unit_test(test_fault_blocks_named),
		cmocka_unit_test(test_reader_during_writes),
		cmocka_unit_test(test_follow_at_runtime),
		cmocka_unit_test(test_follow_comm),
		cmocka_unit_test(test_follow_cgroup),
	};

	return fr_test_run_as_root(tests, "test_capture loads BPF programs", NULL, NULL);
}
