// SPDX-License-Identifier: MIT
/*
 * run_cmd.c - `flightrec run`: the long-running recorder. Keeps the kernel
 * rings filled for the followed processes and reports their coverage.
 */
#define FR_LOG_MOD "run"
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fr_capture.h"
#include "fr_clock.h"
#include "fr_commands.h"
#include "fr_log.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: flightrec run [options]\n"
		"  -p, --pid PID          follow a process (repeatable)\n"
		"  -c, --comm NAME        follow processes with this command name (repeatable)\n"
		"  -g, --cgroup DIR       follow processes of a cgroup v2 directory (repeatable)\n"
		"  -a, --all              follow every process\n"
		"  -m, --ring-mb MIB      ring memory for all CPUs (default 256)\n"
		"      --no-stacks        do not take stacks when a followed task blocks\n"
		"      --no-kernel        run without kernel capture\n"
		"  -i, --status-interval S  print a status line every S seconds (default 10; 0 = never)\n");
}

static void print_status(struct fr_capture *cap, struct fr_clock *clk, uint64_t *last_written,
			 uint64_t *last_ts)
{
	const struct fr_ring_view *v = fr_capture__view(cap);
	struct fr_capture_counters c;
	uint64_t now = fr_mono_ns();
	double min_cov = -1;

	fr_clock__refresh(clk, 0);
	fr_capture__counters(cap, &c);
	for (uint32_t cpu = 0; cpu < v->nr_cpus; cpu++) {
		uint64_t oldest = fr_ring__cpu_oldest(v, cpu);
		double cov = oldest && oldest <= now ? (double)(now - oldest) / 1e9 : 0;

		if (min_cov < 0 || cov < min_cov)
			min_cov = cov;
	}
	pr_info("coverage %.1f s (least-covered CPU), %.0f events/s, %" PRIu64 " written, %" PRIu64
		" overwritten, %" PRIu64 " skipped, %" PRIu64 " stacks (%" PRIu64 " failed); "
		"clock offset %" PRId64 " ns +/- %" PRIu64 " ns",
		min_cov, (double)(c.written - *last_written) * 1e9 / (double)(now - *last_ts),
		c.written, c.overwritten, c.skipped, c.stacks, c.stack_fail, clk->offset_ns,
		clk->uncertainty_ns);
	*last_written = c.written;
	*last_ts = now;
}

int fr_cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "comm", required_argument, NULL, 'c' },
		{ "cgroup", required_argument, NULL, 'g' },
		{ "all", no_argument, NULL, 'a' },
		{ "ring-mb", required_argument, NULL, 'm' },
		{ "no-stacks", no_argument, NULL, 'S' },
		{ "no-kernel", no_argument, NULL, 'K' },
		{ "status-interval", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct fr_capture_opts opts = { .sz = sizeof(opts), .flags = FR_CAP_DEFAULT };
	char **pids = calloc(argc + 1, sizeof(char *)), **comms = calloc(argc + 1, sizeof(char *));
	char **cgroups = calloc(argc + 1, sizeof(char *));
	int npids = 0, ncomms = 0, ncgroups = 0, opt, ret = 1;
	bool no_kernel = false;
	double interval = 10;
	struct fr_capture *cap = NULL;

	if (!pids || !comms || !cgroups) {
		pr_err("out of memory");
		goto out;
	}
	optind = 1;
	while ((opt = getopt_long(argc, argv, "p:c:g:am:i:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			pids[npids++] = optarg;
			break;
		case 'c':
			comms[ncomms++] = optarg;
			break;
		case 'g':
			cgroups[ncgroups++] = optarg;
			break;
		case 'a':
			opts.follow_all = true;
			break;
		case 'm':
			opts.ring_bytes = strtoull(optarg, NULL, 10) << 20;
			if (!opts.ring_bytes) {
				pr_err("bad ring size '%s'", optarg);
				ret = 2;
				goto out;
			}
			break;
		case 'S':
			opts.flags &= ~FR_CAP_STACKS;
			break;
		case 'K':
			no_kernel = true;
			break;
		case 'i':
			interval = atof(optarg);
			break;
		case 'h':
			usage(stdout);
			ret = 0;
			goto out;
		default:
			usage(stderr);
			ret = 2;
			goto out;
		}
	}
	if (!no_kernel) {
		cap = fr_capture__open(&opts);
		if (!cap) {
			pr_err("kernel capture is off; run as root, or pass --no-kernel to run "
			       "without kernel context");
			goto out;
		}
		for (int i = 0; i < npids; i++)
			if (fr_capture__follow_pid(cap, atoi(pids[i]), true))
				pr_warn("ignoring bad pid '%s'", pids[i]);
		for (int i = 0; i < ncomms; i++)
			if (fr_capture__follow_comm(cap, comms[i]))
				pr_warn("cannot follow command name '%s'", comms[i]);
		for (int i = 0; i < ncgroups; i++)
			if (fr_capture__follow_cgroup(cap, cgroups[i]))
				pr_warn("cannot follow cgroup '%s'", cgroups[i]);
		if (fr_capture__attach(cap))
			goto out;
		pr_info("kernel capture on");
	} else {
		pr_warn("running without kernel context (--no-kernel)");
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	{
		uint64_t last_written = 0, last_ts = fr_mono_ns(), next = last_ts;
		struct fr_clock clk = { 0 };

		while (!stop_flag) {
			usleep(200 * 1000);
			if (cap && interval > 0 && fr_mono_ns() >= next + (uint64_t)(interval * 1e9)) {
				next = fr_mono_ns();
				print_status(cap, &clk, &last_written, &last_ts);
			}
		}
	}
	pr_info("stopping");
	ret = 0;
out:
	fr_capture__free(cap);
	free(pids);
	free(comms);
	free(cgroups);
	return ret;
}
