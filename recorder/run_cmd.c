// SPDX-License-Identifier: MIT
/*
 * run_cmd.c - `flightrec run`: the long-running recorder. Keeps the kernel
 * rings filled for the followed processes, receives OTLP spans, follows the
 * processes that send them, and forwards every span to the exporter.
 */
#define FR_LOG_MOD "run"
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fr_capture.h"
#include "fr_clock.h"
#include "fr_commands.h"
#include "fr_export.h"
#include "fr_log.h"
#include "fr_otlp.h"
#include "fr_otlp_server.h"

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
		"kernel capture:\n"
		"  -p, --pid PID            follow a process (repeatable)\n"
		"  -c, --comm NAME          follow processes with this command name (repeatable)\n"
		"  -g, --cgroup DIR         follow processes of a cgroup v2 directory (repeatable)\n"
		"  -a, --all                follow every process\n"
		"  -m, --ring-mb MIB        ring memory for all CPUs (default 256)\n"
		"      --no-stacks          do not take stacks when a followed task blocks\n"
		"      --no-kernel          run without kernel capture (no root needed)\n"
		"OTLP:\n"
		"      --otlp-listen A:P    receive OTLP/HTTP here (default 127.0.0.1:4318)\n"
		"      --max-body-mb MIB    request body limit, also after gzip (default 20)\n"
		"      --export-endpoint URL  forward spans here (default: OTEL_EXPORTER_OTLP_*\n"
		"                           variables; off when none is set)\n"
		"      --export-flush-s S   at exit, flush the exporter for at most S seconds (default 5)\n"
		"      --dump-spans FILE    append every decoded span to FILE as a JSON line\n"
		"  -i, --status-interval S  print a status line every S seconds (default 10; 0 = never)\n");
}

struct daemon {
	struct fr_capture *cap;
	struct fr_exporter *exp;
	FILE *dump;
	pthread_mutex_t dump_mu;
};

/* Every decoded request: follow its processes, dump, forward. */
static int on_batch(void *ctx, struct fr_batch *b)
{
	struct daemon *d = ctx;

	if (d->cap) {
		for (size_t i = 0; i < b->nr_resources; i++) {
			int64_t pid = b->resources[i].pid;

			if (pid > 0 && pid < FR_PID_LIMIT && !fr_capture__is_followed(d->cap, (pid_t)pid))
				fr_capture__follow_pid(d->cap, (pid_t)pid, true);
		}
	}
	if (d->dump) {
		struct fr_buf line = { 0 };

		for (size_t i = 0; i < b->nr_spans; i++) {
			fr_otlp__span_json(&b->spans[i], &line);
			fr_buf__putc(&line, '\n');
		}
		pthread_mutex_lock(&d->dump_mu);
		if (!line.oom)
			fwrite(line.p, 1, line.len, d->dump);
		fflush(d->dump);
		pthread_mutex_unlock(&d->dump_mu);
		fr_buf__free(&line);
	}
	if (d->exp && fr_exporter__submit(d->exp, b->spans, b->nr_spans))
		return -EAGAIN;
	return 0;
}

static void print_status(struct daemon *d, struct fr_otlp_server *srv, struct fr_clock *clk,
			 uint64_t *last_written, uint64_t *last_ts)
{
	uint64_t now = fr_mono_ns();

	if (d->cap) {
		const struct fr_ring_view *v = fr_capture__view(d->cap);
		struct fr_capture_counters c;
		double min_cov = -1;

		fr_clock__refresh(clk, 0);
		fr_capture__counters(d->cap, &c);
		for (uint32_t cpu = 0; cpu < v->nr_cpus; cpu++) {
			uint64_t oldest = fr_ring__cpu_oldest(v, cpu);
			double cov = oldest && oldest <= now ? (double)(now - oldest) / 1e9 : 0;

			if (min_cov < 0 || cov < min_cov)
				min_cov = cov;
		}
		pr_info("kernel: coverage %.1f s (least-covered CPU), %.0f events/s, %" PRIu64
			" written, %" PRIu64 " overwritten, %" PRIu64 " skipped, %" PRIu64
			" stacks (%" PRIu64 " failed); clock offset %" PRId64 " ns +/- %" PRIu64 " ns",
			min_cov, (double)(c.written - *last_written) * 1e9 / (double)(now - *last_ts),
			c.written, c.overwritten, c.skipped, c.stacks, c.stack_fail, clk->offset_ns,
			clk->uncertainty_ns);
		*last_written = c.written;
	}
	if (srv) {
		struct fr_otlp_server_stats s;

		fr_otlp_server__stats(srv, &s);
		pr_info("otlp: %" PRIu64 " requests, %" PRIu64 " spans accepted, %" PRIu64
			" rejected, %" PRIu64 " bad, %" PRIu64 " too large, %" PRIu64 " busy",
			s.requests, s.spans_accepted, s.spans_rejected, s.bad_request, s.too_large,
			s.busy);
	}
	if (d->exp) {
		struct fr_export_stats e;

		fr_exporter__stats(d->exp, &e);
		pr_info("export: %" PRIu64 " spans sent, %" PRIu64 " queued bytes, %" PRIu64
			" retries, %" PRIu64 " spans dropped (queue full), %" PRIu64
			" lost; last answer %d",
			e.spans_sent, e.queue_bytes, e.retries, e.spans_dropped_full, e.spans_lost,
			e.last_http_status);
	}
	*last_ts = now;
}

enum {
	OPT_NO_STACKS = 256,
	OPT_NO_KERNEL,
	OPT_OTLP_LISTEN,
	OPT_MAX_BODY,
	OPT_EXPORT,
	OPT_EXPORT_FLUSH,
	OPT_DUMP,
};

int fr_cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "comm", required_argument, NULL, 'c' },
		{ "cgroup", required_argument, NULL, 'g' },
		{ "all", no_argument, NULL, 'a' },
		{ "ring-mb", required_argument, NULL, 'm' },
		{ "no-stacks", no_argument, NULL, OPT_NO_STACKS },
		{ "no-kernel", no_argument, NULL, OPT_NO_KERNEL },
		{ "otlp-listen", required_argument, NULL, OPT_OTLP_LISTEN },
		{ "max-body-mb", required_argument, NULL, OPT_MAX_BODY },
		{ "export-endpoint", required_argument, NULL, OPT_EXPORT },
		{ "export-flush-s", required_argument, NULL, OPT_EXPORT_FLUSH },
		{ "dump-spans", required_argument, NULL, OPT_DUMP },
		{ "status-interval", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct fr_capture_opts opts = { .sz = sizeof(opts), .flags = FR_CAP_DEFAULT };
	struct fr_otlp_server_opts sopts = { .sz = sizeof(sopts) };
	char **pids = calloc(argc + 1, sizeof(char *)), **comms = calloc(argc + 1, sizeof(char *));
	char **cgroups = calloc(argc + 1, sizeof(char *));
	char *endpoint = NULL, *headers = NULL;
	const char *dump_path = NULL;
	int npids = 0, ncomms = 0, ncgroups = 0, opt, ret = 1;
	bool no_kernel = false;
	double interval = 10, flush_s = 5;
	struct daemon d = { .dump_mu = PTHREAD_MUTEX_INITIALIZER };
	struct fr_otlp_server *srv = NULL;

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
		case OPT_NO_STACKS:
			opts.flags &= ~FR_CAP_STACKS;
			break;
		case OPT_NO_KERNEL:
			no_kernel = true;
			break;
		case OPT_OTLP_LISTEN:
			sopts.listen = optarg;
			break;
		case OPT_MAX_BODY:
			sopts.max_body = (size_t)strtoull(optarg, NULL, 10) << 20;
			if (!sopts.max_body) {
				pr_err("bad body limit '%s'", optarg);
				ret = 2;
				goto out;
			}
			break;
		case OPT_EXPORT:
			free(endpoint);
			endpoint = fr_export_normalize_endpoint(optarg);
			break;
		case OPT_EXPORT_FLUSH:
			flush_s = atof(optarg);
			break;
		case OPT_DUMP:
			dump_path = optarg;
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
	if (optind < argc) {
		pr_err("unexpected argument '%s'", argv[optind]);
		usage(stderr);
		ret = 2;
		goto out;
	}
	if (!no_kernel) {
		d.cap = fr_capture__open(&opts);
		if (!d.cap) {
			pr_err("kernel capture is off; run as root, or pass --no-kernel to run "
			       "without kernel context");
			goto out;
		}
		for (int i = 0; i < npids; i++)
			if (fr_capture__follow_pid(d.cap, atoi(pids[i]), true))
				pr_warn("ignoring bad pid '%s'", pids[i]);
		for (int i = 0; i < ncomms; i++)
			if (fr_capture__follow_comm(d.cap, comms[i]))
				pr_warn("cannot follow command name '%s'", comms[i]);
		for (int i = 0; i < ncgroups; i++)
			if (fr_capture__follow_cgroup(d.cap, cgroups[i]))
				pr_warn("cannot follow cgroup '%s'", cgroups[i]);
		if (fr_capture__attach(d.cap))
			goto out;
		pr_info("kernel capture on");
	} else {
		pr_warn("running without kernel context (--no-kernel)");
	}
	if (dump_path) {
		d.dump = fopen(dump_path, "a");
		if (!d.dump) {
			pr_err("cannot write %s: %s", dump_path, strerror(errno));
			goto out;
		}
	}
	if (!endpoint)
		endpoint = fr_export_endpoint_from_env();
	if (endpoint) {
		struct fr_export_opts eo = { .sz = sizeof(eo), .endpoint = endpoint };

		headers = fr_export_headers_from_env();
		eo.headers = headers;
		d.exp = fr_exporter__new(&eo);
		if (!d.exp) {
			pr_err("cannot start the exporter to %s", endpoint);
			goto out;
		}
		pr_info("forwarding spans to %s", endpoint);
	}
	sopts.sink = on_batch;
	sopts.sink_ctx = &d;
	srv = fr_otlp_server__start(&sopts);
	if (!srv)
		goto out;
	pr_info("receiving OTLP/HTTP on %s (port %u)", sopts.listen ? sopts.listen
								   : FR_OTLP_DEFAULT_LISTEN,
		fr_otlp_server__port(srv));
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	{
		uint64_t last_written = 0, last_ts = fr_mono_ns(), next = last_ts;
		struct fr_clock clk = { 0 };

		while (!stop_flag) {
			usleep(100 * 1000);
			if (interval > 0 && fr_mono_ns() >= next + (uint64_t)(interval * 1e9)) {
				next = fr_mono_ns();
				print_status(&d, srv, &clk, &last_written, &last_ts);
			}
		}
	}
	pr_info("stopping");
	{
		uint64_t lw = 0, lt = fr_mono_ns() - 1;
		struct fr_clock clk = { 0 };
		struct daemon nod = { 0 };

		print_status(&nod, srv, &clk, &lw, &lt); /* final receiver figures */
	}
	fr_otlp_server__stop(srv);
	srv = NULL;
	if (d.exp && fr_exporter__flush(d.exp, (unsigned)(flush_s * 1000)))
		pr_warn("the exporter did not finish within %.1f s", flush_s);
	{
		uint64_t lw = 0, lt = fr_mono_ns() - 1;
		struct fr_clock clk = { 0 };

		print_status(&d, NULL, &clk, &lw, &lt); /* final figures */
	}
	ret = 0;
out:
	fr_otlp_server__stop(srv);
	fr_exporter__free(d.exp);
	fr_capture__free(d.cap);
	if (d.dump)
		fclose(d.dump);
	free(endpoint);
	free(headers);
	free(pids);
	free(comms);
	free(cgroups);
	return ret;
}
