// SPDX-License-Identifier: MIT
/*
 * trace_cmd.c - `flightrec trace`: follow one process for a while, then
 * print what the rings hold for it, one event per line (a small perf trace).
 */
#define FR_LOG_MOD "trace"
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fr_capture.h"
#include "fr_clock.h"
#include "fr_commands.h"
#include "fr_ksyms.h"
#include "fr_log.h"
#include "fr_names.h"
#include "fr_syscalls.h"
#include "fr_unwind.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static const char *state_name(unsigned state)
{
	if (state & 0x0001)
		return "S";
	if (state & 0x0002)
		return "D";
	if (state & 0x0004)
		return "T";
	if (state & 0x0008)
		return "t";
	if (state & 0x0010)
		return "X";
	if (state & 0x0020)
		return "Z";
	return state ? "?" : "R";
}

static void print_stack(FILE *out, const struct fr_stack *s, const struct fr_ksyms *ks)
{
	for (unsigned i = 0; i < s->nr_kern && i < FR_STACK_KERN_MAX; i++) {
		uint64_t off = 0;
		const char *sym = fr_ksyms__lookup(ks, s->ips[i], &off);

		if (sym)
			fprintf(out, "\t\t%s+0x%" PRIx64 " [kernel]\n", sym, off);
		else
			fprintf(out, "\t\t0x%" PRIx64 " [kernel]\n", (uint64_t)s->ips[i]);
	}
	for (unsigned i = 0; i < s->nr_user && i < FR_STACK_USER_MAX; i++)
		fprintf(out, "\t\t0x%" PRIx64 " [user]\n", (uint64_t)s->ips[FR_STACK_KERN_MAX + i]);
}

void fr_trace_print_event(FILE *out, const struct fr_window *w, const struct fr_event *e,
			  uint64_t t_base, const struct fr_ksyms *ks, struct fr_names *names)
{
	const struct fr_rec *r = &e->rec;
	const char *name;

	switch (r->type) {
	case FR_REC_SYSCALL: {
		uint64_t dur = (uint64_t)r->sys.dur * ((r->flags & FR_SYS_DUR_US) ? 1000 : 1);
		const char *sc = fr_syscall_name(r->aux);
		uint64_t begin = r->ts - dur;

		name = fr_names__get(names, r->pid, r->tid);
		fprintf(out, "%12.6f [%03u] %7u %-15s %s%s(0x%" PRIx64 ") = %d%s", 
			(double)((int64_t)(begin - t_base)) / 1e9, e->cpu, r->tid, name,
			sc ? sc : "syscall_", sc ? "" : "?", (uint64_t)r->sys.arg0, r->sys.ret,
			(r->flags & FR_SYS_RET_CLAMPED) ? "(clamped)" : "");
		if (r->flags & FR_SYS_NO_ENTRY)
			fprintf(out, "  <entered before capture>\n");
		else
			fprintf(out, "  <%.3f ms>\n", (double)dur / 1e6);
		break;
	}
	case FR_REC_SWITCH:
		if (!w->req.pid || r->pid == w->req.pid) {
			name = fr_names__get(names, r->pid, r->tid);
			fprintf(out, "%12.6f [%03u] %7u %-15s off-cpu %s%s -> %u/%u\n",
				(double)((int64_t)(r->ts - t_base)) / 1e9, e->cpu, r->tid, name,
				(r->flags & FR_SW_PREEMPT) ? "preempted" : "blocked ",
				(r->flags & FR_SW_PREEMPT) ? "" : state_name(r->aux),
				r->sw.next_pid, r->sw.next_tid);
			if (e->stack >= 0)
				print_stack(out, &w->stacks[e->stack], ks);
			else if (r->flags & FR_SW_STACK_LOST)
				fprintf(out, "\t\t<stack overwritten>\n");
		}
		if (!w->req.pid || r->sw.next_pid == w->req.pid) {
			name = fr_names__get(names, r->sw.next_pid, r->sw.next_tid);
			fprintf(out, "%12.6f [%03u] %7u %-15s on-cpu (after %u/%u)\n",
				(double)((int64_t)(r->ts - t_base)) / 1e9, e->cpu, r->sw.next_tid,
				name, r->pid, r->tid);
		}
		break;
	case FR_REC_WAKEUP:
		name = fr_names__get(names, r->pid, r->tid);
		fprintf(out, "%12.6f [%03u] %7u %-15s woken by %u/%u (to cpu %u)\n",
			(double)((int64_t)(r->ts - t_base)) / 1e9, e->cpu, r->tid, name,
			r->wk.waker_pid, r->wk.waker_tid, r->aux);
		break;
	case FR_REC_EXIT:
		fprintf(out, "%12.6f [%03u] %7u %-15.16s exit\n",
			(double)((int64_t)(r->ts - t_base)) / 1e9, e->cpu, r->tid, r->ex.comm);
		break;
	case FR_REC_COMM:
		fprintf(out, "%12.6f [%03u] %7u %-15.16s named (pid %u)\n",
			(double)((int64_t)(r->ts - t_base)) / 1e9, e->cpu, r->tid, r->ex.comm, r->pid);
		break;
	case FR_REC_SAMPLE:
		name = fr_names__get(names, r->pid, r->tid);
		fprintf(out, "%12.6f [%03u] %7u %-15s on-CPU sample at 0x%" PRIx64 " (%s)\n",
			(double)((int64_t)(r->ts - t_base)) / 1e9, e->cpu, r->tid, name,
			(uint64_t)r->smp.ip, (r->flags & FR_SMP_KERNEL) ? "kernel" : "user");
		if (e->stack >= 0)
			print_stack(out, &w->stacks[e->stack], ks);
		break;
	case FR_REC_FAULT: {
		const struct fr_fdname *n = fr_window__name(w, r);
		char file[256] = "";

		if (n)
			fr_fdname__format(n, file, sizeof(file));
		name = fr_names__get(names, r->pid, r->tid);
		fprintf(out, "%12.6f [%03u] %7u %-15s page fault at 0x%" PRIx64 " waits: %s%s\n",
			(double)((int64_t)(r->ts - t_base)) / 1e9, e->cpu, r->tid, name,
			(uint64_t)r->flt.addr, n ? file : (r->flags & FR_FLT_ANON) ? "anonymous memory"
							     : "?",
			(r->flags & FR_FLT_KERNEL) ? " (in a syscall)" : "");
		break;
	}
	case FR_REC_STALL: {
		static const char *const what[] = { "?", "reclaiming memory (host)",
						    "reclaiming memory (its cgroup)",
						    "compacting memory" };

		name = fr_names__get(names, r->pid, r->tid);
		fprintf(out, "%12.6f [%03u] %7u %-15s memory stall %s <%.3f ms, %" PRIu64
			" pages reclaimed>\n",
			(double)((int64_t)(r->ts - r->stl.dur - t_base)) / 1e9, e->cpu, r->tid, name,
			what[r->aux & 3], (double)r->stl.dur / 1e6, (uint64_t)r->stl.nr_reclaimed);
		break;
	}
	case FR_REC_SYSSUM: {
		const char *sc = fr_syscall_name(r->aux);

		name = fr_names__get(names, r->pid, r->tid);
		fprintf(out, "%12.6f [%03u] %7u %-15s %s x %" PRIu64 " (fast calls, %.3f ms in all)\n",
			(double)((int64_t)(r->ts - (uint32_t)r->sys.ret - t_base)) / 1e9, e->cpu,
			r->tid, name, sc ? sc : "?", (uint64_t)r->sys.arg0, r->sys.dur / 1e6);
		break;
	}
	case FR_REC_RETRANS: {
		char sa[16], da[16];

		/* IPv6 addresses are kept folded: only the ports say which */
		if (r->flags & FR_RT_V6) {
			snprintf(sa, sizeof(sa), "[v6]");
			snprintf(da, sizeof(da), "[v6]");
		} else {
			snprintf(sa, sizeof(sa), "%u.%u.%u.%u", r->tcp.saddr[0], r->tcp.saddr[1],
				 r->tcp.saddr[2], r->tcp.saddr[3]);
			snprintf(da, sizeof(da), "%u.%u.%u.%u", r->tcp.daddr[0], r->tcp.daddr[1],
				 r->tcp.daddr[2], r->tcp.daddr[3]);
		}
		fprintf(out, "%12.6f [%03u] %7s %-15s TCP retransmission %s:%u -> %s:%u%s\n",
			(double)((int64_t)(r->ts - t_base)) / 1e9, e->cpu, "-", "(kernel)", sa,
			r->tcp.sport, da, r->tcp.dport, r->aux == FR_TCP_SYN_SENT ? " (SYN)" : "");
		break;
	}
	default:
		fprintf(out, "%12.6f [%03u] %7u unknown record type %u\n",
			(double)((int64_t)(r->ts - t_base)) / 1e9, e->cpu, r->tid, r->type);
	}
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: flightrec trace [options] (-p PID | -c COMM | -- COMMAND [ARGS...])\n"
		"Follows a process, then prints what the kernel rings hold for it.\n"
		"  -p, --pid PID         follow this running process\n"
		"  -c, --comm NAME       follow processes with this command name\n"
		"  -d, --duration SEC    how long to follow (default 5; a command: until it exits)\n"
		"  -m, --ring-mb MIB     ring memory for all CPUs (default 256)\n"
		"      --no-stacks       do not take stacks when a task blocks\n"
		"      --no-sched        syscalls only\n"
		"      --syscalls MODE   all (default: every call), slow or sched (see run)\n"
		"  -o, --output FILE     write the trace here (default stdout)\n");
}

struct trace_args {
	struct fr_capture_opts cap;
	const char *comm, *output;
	double duration;   /* seconds; -1: default */
	pid_t pid;
	char **command;    /* NULL-terminated, or NULL */
};

/* 0 to go on; otherwise the exit status (-1: help printed, status 0). */
static int parse_args(int argc, char **argv, struct trace_args *a)
{
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "comm", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'd' },
		{ "ring-mb", required_argument, NULL, 'm' },
		{ "no-stacks", no_argument, NULL, 'S' },
		{ "no-sched", no_argument, NULL, 'W' },
		{ "syscalls", required_argument, NULL, 'Y' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt;

	memset(a, 0, sizeof(*a));
	/* a trace is for reading every call: all of them by default */
	a->cap = (struct fr_capture_opts){ .sz = sizeof(a->cap), .flags = FR_CAP_DEFAULT,
					   .syscalls = FR_SYSCALLS_ALL };
	a->duration = -1;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "+p:c:d:m:o:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			a->pid = atoi(optarg);
			if (a->pid <= 0) {
				fprintf(stderr, "flightrec trace: bad pid '%s'\n", optarg);
				return 2;
			}
			break;
		case 'c':
			a->comm = optarg;
			break;
		case 'd':
			a->duration = atof(optarg);
			if (a->duration <= 0) {
				fprintf(stderr, "flightrec trace: bad duration '%s'\n", optarg);
				return 2;
			}
			break;
		case 'm':
			a->cap.ring_bytes = strtoull(optarg, NULL, 10) << 20;
			if (!a->cap.ring_bytes) {
				fprintf(stderr, "flightrec trace: bad ring size '%s'\n", optarg);
				return 2;
			}
			break;
		case 'S':
			a->cap.flags &= ~FR_CAP_STACKS;
			break;
		case 'W':
			a->cap.flags &= ~(FR_CAP_SCHED | FR_CAP_STACKS);
			break;
		case 'Y':
			a->cap.syscalls = fr_capture__syscalls_parse(optarg);
			if (!a->cap.syscalls) {
				fprintf(stderr, "flightrec trace: bad --syscalls '%s' (all, slow or sched)\n",
					optarg);
				return 2;
			}
			break;
		case 'o':
			a->output = optarg;
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc)
		a->command = &argv[optind];
	if (!a->pid && !a->comm && !a->command) {
		usage(stderr);
		return 2;
	}
	return 0;
}

/*
 * Forks the command, held until a byte arrives on *go_w (so that it is
 * followed before it runs). The child's pid, or -1.
 */
static pid_t fork_held(char **command, int *go_w)
{
	int go[2];
	pid_t child;

	if (pipe(go)) {
		pr_err("pipe: %s", strerror(errno));
		return -1;
	}
	child = fork();
	if (child < 0) {
		pr_err("fork: %s", strerror(errno));
		close(go[0]);
		close(go[1]);
		return -1;
	}
	if (child == 0) {
		char c;

		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(127);
		execvp(command[0], command);
		fprintf(stderr, "flightrec trace: cannot run %s: %s\n", command[0], strerror(errno));
		_exit(127);
	}
	close(go[0]);
	*go_w = go[1];
	return child;
}

/* Until a signal, the command's exit, the process's end or the duration. */
static void wait_done(pid_t *child, pid_t pid, double duration)
{
	struct timespec start;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct timespec now, nap = { 0, 20 * 1000 * 1000 };

		if (stop_flag)
			break;
		if (*child && waitpid(*child, NULL, WNOHANG) == *child) {
			*child = 0;
			break;
		}
		if (!*child && pid && kill(pid, 0) && errno == ESRCH)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((duration > 0 || !*child) &&
		    (now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 >=
			    (duration > 0 ? duration : 5.0))
			break;
		nanosleep(&nap, NULL);
	}
}

/* Everything the rings hold since attach, printed; 0 or 1. */
static int print_trace(struct fr_capture *cap, const struct trace_args *a, pid_t pid, FILE *out)
{
	struct fr_capture_info info;
	struct fr_capture_counters cnt;
	struct fr_window_req req = { 0 };
	struct fr_window *w = NULL;
	struct fr_ksyms *ks = NULL;
	struct fr_unwinder *uw;
	struct fr_names *names = NULL;
	struct fr_clock clk;
	int err;

	fr_clock__sample(&clk, 16);
	fr_capture__info(cap, &info);
	req.pid = a->comm && !pid ? 0 : (uint32_t)pid;
	req.t0 = info.attach_ts;
	req.t1 = UINT64_MAX / 2;
	err = fr_capture__read_window(cap, &req, &w);
	if (err) {
		pr_err("cannot read the window: %s", strerror(-err));
		return 1;
	}
	ks = fr_ksyms__load(NULL);
	fr_window__scan_kernel_stacks(w, ks);
	uw = fr_unwinder__new();
	if (uw)
		fr_window__unwind_user_stacks(w, uw);
	fr_unwinder__free(uw);
	names = fr_names__new(w);
	if (!names) {
		pr_err("out of memory");
		err = 1;
		goto out;
	}
	for (size_t i = 0; i < w->nr_events; i++)
		fr_trace_print_event(out, w, &w->events[i], info.attach_ts, ks, names);
	fr_capture__counters(cap, &cnt);
	fprintf(stderr,
		"flightrec trace: time 0 = %.9f Unix (CLOCK_MONOTONIC %" PRIu64
		" ns; wall = mono %+" PRId64 " ns, +/- %" PRIu64 " ns)\n",
		(double)fr_clock__to_wall(&clk, info.attach_ts) / 1e9, info.attach_ts, clk.offset_ns,
		clk.uncertainty_ns);
	fprintf(stderr,
		"flightrec trace: %zu events for pid %d; rings complete from %+.3f s; "
		"%" PRIu64 " written, %" PRIu64 " overwritten, %" PRIu64
		" skipped (unfollowed), %" PRIu64 " stacks, %" PRIu64 " stacks lost\n",
		w->nr_events, pid, (double)((int64_t)(w->complete_from - info.attach_ts)) / 1e9,
		cnt.written, cnt.overwritten, cnt.skipped, cnt.stacks, w->stacks_lost);
	err = 0;
out:
	fr_window__free(w);
	fr_ksyms__free(ks);
	fr_names__free(names);
	return err;
}

int fr_cmd_trace(int argc, char **argv)
{
	struct trace_args a;
	struct fr_capture *cap = NULL;
	pid_t pid, child = 0;
	int err = 1, go = -1;
	FILE *out = stdout;

	err = parse_args(argc, argv, &a);
	if (err)
		return err < 0 ? 0 : err;
	err = 1;
	pid = a.pid;
	if (a.output) {
		out = fopen(a.output, "w");
		if (!out) {
			fprintf(stderr, "flightrec trace: cannot write %s: %s\n", a.output,
				strerror(errno));
			return 1;
		}
	}
	cap = fr_capture__open(&a.cap);
	if (!cap)
		goto done;
	if (pid && fr_capture__follow_pid(cap, pid, true)) {
		pr_err("cannot follow pid %d", pid);
		goto done;
	}
	if (a.comm && fr_capture__follow_comm(cap, a.comm)) {
		pr_err("cannot follow command name '%s' (at most 15 characters)", a.comm);
		goto done;
	}
	if (a.command) {
		child = fork_held(a.command, &go);
		if (child < 0) {
			child = 0;
			goto done;
		}
		pid = child;
		fr_capture__follow_pid(cap, pid, true);
	}
	if (fr_capture__attach(cap))
		goto done;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (child) {
		if (write(go, "g", 1) != 1)
			pr_warn("could not start the command");
		close(go);
		go = -1;
	}
	wait_done(&child, pid, a.duration);
	fr_capture__detach(cap);
	err = print_trace(cap, &a, pid, out);
done:
	if (child > 0) {
		kill(child, SIGTERM);
		waitpid(child, NULL, 0);
	}
	if (go >= 0)
		close(go);
	fr_capture__free(cap);
	if (out != stdout)
		fclose(out);
	return err ? 1 : 0;
}
