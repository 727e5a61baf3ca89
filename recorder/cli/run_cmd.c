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
#include <sys/wait.h>
#include <unistd.h>

#include "fr_capture.h"
#include "fr_clock.h"
#include "fr_commands.h"
#include "fr_export.h"
#include "fr_ksyms.h"
#include "fr_log.h"
#include "fr_otlp.h"
#include "fr_procfs.h"
#include "fr_otlp_server.h"
#include "fr_snapshot.h"
#include "fr_store.h"
#include "fr_trigger.h"
#include "fr_web.h"

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
		"triggers and incidents:\n"
		"      --rule TEXT          a trigger rule (repeatable), e.g. 'p99,kind=server' or\n"
		"                           'threshold=250ms,service=checkout,name=POST /checkout'\n"
		"      --rules FILE         rules, one per line ('#' comments)\n"
		"      --window DUR         percentile window (default 5m)\n"
		"      --budget N           captures per minute at most (default 60)\n"
		"      --pre-ms MS          kernel window before a span (default 50)\n"
		"      --post-ms MS         and after it (default 20)\n"
		"      --data-dir DIR       the incident store (default ./flightrec-data)\n"
		"      --store-max-mb MIB   store size kept (default 1024), oldest evicted first\n"
		"      --ui-base URL        base of incident links (default: the web address)\n"
		"web UI and API:\n"
		"      --web-listen A:P     serve the UI here (default 127.0.0.1:8080)\n"
		"      --auth-token T       require this token (needed beyond loopback)\n"
		"      --auth-token-file F  read the token from a file\n"
		"      --no-web             no UI\n"
		"      --demo               also run flightrec-demo, a small service with anomalies\n"
		"  -i, --status-interval S  print a status line every S seconds (default 10; 0 = never)\n");
}

struct job {
	struct fr_batch *batch;
	const struct fr_span *span;
	struct fr_decision decision;
	pid_t host_pid;
	bool followed;
};

#define MAX_JOBS 64

struct daemon {
	struct fr_capture *cap;
	struct fr_exporter *exp;
	struct fr_trigger *trig;
	struct fr_store *store;
	struct fr_ksyms *ksyms;
	struct fr_snapshot_opts sopts;
	FILE *dump;
	pthread_mutex_t dump_mu;
	/* captures waiting for the worker */
	pthread_mutex_t jmu;
	pthread_cond_t jcv;
	struct job jobs[MAX_JOBS];
	size_t jhead, jcount;
	bool jstop;
	pthread_t worker;
	bool worker_started;
	struct fr_web_counters counters; /* what the UI shows of the above */
	uint64_t incidents, incident_errors, captures_dropped;
};

/* The text of rule id, for the incident. */
static void rule_text(struct daemon *d, uint32_t id, char *buf, size_t len)
{
	struct fr_rule rules[FR_MAX_RULES];
	size_t n = fr_trigger__rules(d->trig, rules, FR_MAX_RULES);

	buf[0] = '\0';
	for (size_t i = 0; i < n && i < FR_MAX_RULES; i++)
		if (rules[i].id == id)
			fr_rule__format(&rules[i], buf, len);
}

static void *capture_worker(void *arg)
{
	struct daemon *d = arg;
	struct fr_snapshotter *snap = fr_snapshotter__new(&d->sopts, d->cap, d->ksyms);

	if (!snap) {
		pr_err("cannot start the capture worker: out of memory");
		return NULL;
	}
	pthread_mutex_lock(&d->jmu);
	for (;;) {
		struct fr_incident_in in = { 0 };
		struct fr_incident_out out;
		struct job j;
		int err;

		while (!d->jcount && !d->jstop)
			pthread_cond_wait(&d->jcv, &d->jmu);
		if (!d->jcount)
			break;
		j = d->jobs[d->jhead];
		d->jhead = (d->jhead + 1) % MAX_JOBS;
		d->jcount--;
		pthread_mutex_unlock(&d->jmu);

		in.batch = j.batch;
		in.span = j.span;
		in.decision = j.decision;
		in.host_pid = j.host_pid;
		in.followed = j.followed;
		in.id = fr_store__new_id(d->store);
		rule_text(d, j.decision.rule_id, in.rule, sizeof(in.rule));
		err = fr_snapshotter__take(snap, &in, &out);
		if (err) {
			pr_err("incident for span %s failed: %s", j.span->name.p, strerror(-err));
			__atomic_add_fetch(&d->incident_errors, 1, __ATOMIC_RELAXED);
			__atomic_add_fetch(&d->counters.incident_errors, 1, __ATOMIC_RELAXED);
			if (d->exp)
				fr_exporter__submit(d->exp, j.span, 1); /* forwarded as it came */
		} else {
			pr_info("incident %016" PRIx64 ": %s %s: %s", in.id, out.summary.service,
				out.summary.span_name, out.summary.verdict);
			err = fr_store__put(d->store, &out.summary, out.frsnap, out.frsnap_len, NULL,
					    NULL);
			if (err) {
				pr_err("incident %016" PRIx64 " not stored: %s", in.id, strerror(-err));
				__atomic_add_fetch(&d->incident_errors, 1, __ATOMIC_RELAXED);
			} else {
				__atomic_add_fetch(&d->incidents, 1, __ATOMIC_RELAXED);
				__atomic_add_fetch(&d->counters.incidents, 1, __ATOMIC_RELAXED);
			}
			if (d->exp)
				fr_exporter__submit(d->exp, out.export->spans, out.export->nr_spans);
			fr_batch__put(out.export);
		}
		fr_batch__put(j.batch);
		pthread_mutex_lock(&d->jmu);
	}
	pthread_mutex_unlock(&d->jmu);
	fr_snapshotter__free(snap);
	return NULL;
}

/* Queues a capture; false when the queue is full. */
static bool queue_capture(struct daemon *d, struct fr_batch *b, const struct fr_span *sp,
			  const struct fr_decision *dec, pid_t host_pid, bool followed)
{
	bool ok = false;

	pthread_mutex_lock(&d->jmu);
	if (d->jcount < MAX_JOBS && !d->jstop) {
		struct job *j = &d->jobs[(d->jhead + d->jcount) % MAX_JOBS];

		j->batch = fr_batch__get(b);
		j->span = sp;
		j->decision = *dec;
		j->host_pid = host_pid;
		j->followed = followed;
		d->jcount++;
		pthread_cond_signal(&d->jcv);
		ok = true;
	}
	pthread_mutex_unlock(&d->jmu);
	return ok;
}

static const char *resource_str(const struct fr_resource *r, const char *key)
{
	for (uint32_t i = 0; i < r->attrs.n; i++)
		if (!strcmp(r->attrs.kv[i].key.p, key) && r->attrs.kv[i].value.type == FR_VAL_STRING)
			return r->attrs.kv[i].value.s.p;
	return NULL;
}

/* Every decoded request: follow its processes, decide, forward or capture. */
static int on_batch(void *ctx, struct fr_batch *b)
{
	struct daemon *d = ctx;
	pid_t host[64] = { 0 };
	bool followed[64] = { 0 };
	size_t fwd_from = 0;

	/* the processes behind the spans: followed from their first span on */
	for (size_t i = 0; i < b->nr_resources && i < 64; i++) {
		const struct fr_resource *r = &b->resources[i];

		host[i] = fr_host_pid(r->pid, resource_str(r, "container.id"));
		if (d->cap && host[i] > 0 && host[i] < (pid_t)FR_PID_LIMIT) {
			followed[i] = fr_capture__is_followed(d->cap, host[i]);
			if (!followed[i])
				fr_capture__follow_pid(d->cap, host[i], true);
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
	for (size_t i = 0; i < b->nr_spans; i++) {
		const struct fr_span *sp = &b->spans[i];
		size_t ri = sp->scope ? (size_t)(sp->scope->resource - b->resources) : 0;
		struct fr_decision dec;

		fr_trigger__observe(d->trig, sp, &dec);
		if (!dec.fire)
			continue;
		/* forward what came before it; this one goes out annotated */
		if (d->exp && i > fwd_from)
			fr_exporter__submit(d->exp, b->spans + fwd_from, i - fwd_from);
		fwd_from = i + 1;
		if (!queue_capture(d, b, sp, &dec, ri < 64 ? host[ri] : 0, ri < 64 && followed[ri])) {
			__atomic_add_fetch(&d->captures_dropped, 1, __ATOMIC_RELAXED);
			__atomic_add_fetch(&d->counters.captures_dropped, 1, __ATOMIC_RELAXED);
			if (d->exp)
				fr_exporter__submit(d->exp, sp, 1);
		}
	}
	if (d->exp && b->nr_spans > fwd_from &&
	    fr_exporter__submit(d->exp, b->spans + fwd_from, b->nr_spans - fwd_from))
		return -EAGAIN;
	return 0;
}

static int add_rule_text(struct daemon *d, const char *text)
{
	struct fr_rule r;
	char err[192];
	int rc;

	if (fr_rule__parse(text, &r, err, sizeof(err))) {
		pr_err("bad rule '%s': %s", text, err);
		return -EINVAL;
	}
	rc = fr_trigger__add_rule(d->trig, &r, NULL);
	if (rc)
		pr_err("cannot add rule '%s': %s", text, strerror(-rc));
	return rc;
}

static void load_stored_rule(void *ctx, uint32_t id, const char *text)
{
	struct daemon *d = ctx;
	struct fr_rule r;

	if (fr_rule__parse(text, &r, NULL, 0)) {
		pr_warn("ignoring an unreadable stored rule '%s'", text);
		return;
	}
	r.id = id;
	fr_trigger__add_rule(d->trig, &r, NULL);
}

/* The engine's rules into the store, replacing what it held. */
static void save_rules(struct daemon *d)
{
	struct fr_rule rules[FR_MAX_RULES];
	size_t n = fr_trigger__rules(d->trig, rules, FR_MAX_RULES);
	static char texts[FR_MAX_RULES][512];
	const char *ptr[FR_MAX_RULES];
	uint32_t ids[FR_MAX_RULES];

	for (size_t i = 0; i < n; i++) {
		fr_rule__format(&rules[i], texts[i], sizeof(texts[i]));
		ptr[i] = texts[i];
		ids[i] = rules[i].id;
	}
	if (fr_store__save_rules(d->store, ids, ptr, n))
		pr_warn("could not save the rules to the store");
}

static void rules_changed(void *ctx)
{
	save_rules(ctx);
}

/* Rules from a file, one per line; 0 or -errno. */
static int load_rules_file(struct daemon *d, const char *path)
{
	char line[1024];
	FILE *f = fopen(path, "r");
	int err = 0;

	if (!f) {
		pr_err("cannot read rules from %s: %s", path, strerror(errno));
		return -errno;
	}
	while (!err && fgets(line, sizeof(line), f)) {
		char *p = line;

		line[strcspn(line, "\r\n")] = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p && *p != '#')
			err = add_rule_text(d, p);
	}
	fclose(f);
	return err;
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
			double cov = fr_ring__cpu_coverage_s(v, cpu, now);

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
	if (d->trig) {
		struct fr_trigger_stats t;

		fr_trigger__stats(d->trig, &t);
		pr_info("triggers: %" PRIu64 " spans, %" PRIu64 " fired, %" PRIu64 " in cooldown, %" PRIu64
			" over budget, %" PRIu64 " operations; %" PRIu64 " incidents stored, %" PRIu64
			" failed, %" PRIu64 " dropped (queue full)",
			t.spans, t.fired, t.cooled, t.over_budget, t.ops, d->incidents,
			d->incident_errors, d->captures_dropped);
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
	OPT_RULE,
	OPT_RULES,
	OPT_WINDOW,
	OPT_BUDGET,
	OPT_PRE,
	OPT_POST,
	OPT_DATA,
	OPT_STORE_MAX,
	OPT_UI_BASE,
	OPT_WEB,
	OPT_TOKEN,
	OPT_TOKEN_FILE,
	OPT_NO_WEB,
	OPT_DEMO,
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
		{ "rule", required_argument, NULL, OPT_RULE },
		{ "rules", required_argument, NULL, OPT_RULES },
		{ "window", required_argument, NULL, OPT_WINDOW },
		{ "budget", required_argument, NULL, OPT_BUDGET },
		{ "pre-ms", required_argument, NULL, OPT_PRE },
		{ "post-ms", required_argument, NULL, OPT_POST },
		{ "data-dir", required_argument, NULL, OPT_DATA },
		{ "store-max-mb", required_argument, NULL, OPT_STORE_MAX },
		{ "ui-base", required_argument, NULL, OPT_UI_BASE },
		{ "web-listen", required_argument, NULL, OPT_WEB },
		{ "auth-token", required_argument, NULL, OPT_TOKEN },
		{ "auth-token-file", required_argument, NULL, OPT_TOKEN_FILE },
		{ "no-web", no_argument, NULL, OPT_NO_WEB },
		{ "demo", no_argument, NULL, OPT_DEMO },
		{ "status-interval", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct fr_capture_opts opts = { .sz = sizeof(opts), .flags = FR_CAP_DEFAULT };
	struct fr_otlp_server_opts sopts = { .sz = sizeof(sopts) };
	char **pids = calloc(argc + 1, sizeof(char *)), **comms = calloc(argc + 1, sizeof(char *));
	char **cgroups = calloc(argc + 1, sizeof(char *)), **rule_args = calloc(argc + 1, sizeof(char *));
	char *endpoint = NULL, *headers = NULL;
	const char *dump_path = NULL, *rules_file = NULL, *data_dir = "flightrec-data";
	struct fr_trigger_opts topts = { .sz = sizeof(topts) };
	struct fr_store_opts stopts = { .sz = sizeof(stopts) };
	int nrules = 0;
	int npids = 0, ncomms = 0, ncgroups = 0, opt, ret = 1;
	bool no_kernel = false;
	double interval = 10, flush_s = 5;
	struct daemon d = { .dump_mu = PTHREAD_MUTEX_INITIALIZER, .jmu = PTHREAD_MUTEX_INITIALIZER,
			    .jcv = PTHREAD_COND_INITIALIZER };
	struct fr_otlp_server *srv = NULL;
	struct fr_web_opts wopts = { .sz = sizeof(wopts) };
	struct fr_web *web = NULL;
	bool no_web = false, demo = false;
	char token[256] = "", ui_base[128] = "";
	pid_t demo_pid = 0;

	d.sopts.sz = sizeof(d.sopts);
	if (!pids || !comms || !cgroups || !rule_args) {
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
		case OPT_RULE:
			rule_args[nrules++] = optarg;
			break;
		case OPT_RULES:
			rules_file = optarg;
			break;
		case OPT_WINDOW: {
			struct fr_rule tmp;
			char spec[96], err[128];

			/* reuse the rule parser's durations */
			snprintf(spec, sizeof(spec), "threshold=%s", optarg);
			if (fr_rule__parse(spec, &tmp, err, sizeof(err))) {
				pr_err("bad window '%s'", optarg);
				ret = 2;
				goto out;
			}
			topts.window_ns = tmp.threshold_ns;
			break;
		}
		case OPT_BUDGET:
			topts.budget_per_min = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case OPT_PRE:
			d.sopts.pre_ns = (uint64_t)(atof(optarg) * 1e6);
			break;
		case OPT_POST:
			d.sopts.post_ns = (uint64_t)(atof(optarg) * 1e6);
			break;
		case OPT_DATA:
			data_dir = optarg;
			break;
		case OPT_STORE_MAX:
			stopts.max_bytes = strtoull(optarg, NULL, 10) << 20;
			break;
		case OPT_UI_BASE:
			d.sopts.ui_base = optarg;
			break;
		case OPT_WEB:
			wopts.listen = optarg;
			break;
		case OPT_TOKEN:
			snprintf(token, sizeof(token), "%s", optarg);
			break;
		case OPT_TOKEN_FILE: {
			FILE *tf = fopen(optarg, "r");

			if (!tf || !fgets(token, sizeof(token), tf)) {
				pr_err("cannot read the token from %s", optarg);
				if (tf)
					fclose(tf);
				ret = 2;
				goto out;
			}
			fclose(tf);
			token[strcspn(token, "\r\n")] = '\0';
			break;
		}
		case OPT_NO_WEB:
			no_web = true;
			break;
		case OPT_DEMO:
			demo = true;
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
	if (!d.sopts.ui_base) {
		snprintf(ui_base, sizeof(ui_base), "http://%s",
			 wopts.listen ? wopts.listen : FR_WEB_DEFAULT_LISTEN);
		d.sopts.ui_base = ui_base;
	}
	stopts.dir = data_dir;
	d.store = fr_store__open(&stopts);
	if (!d.store)
		goto out;
	d.trig = fr_trigger__new(&topts);
	if (!d.trig)
		goto out;
	if (nrules || rules_file) {
		for (int i = 0; i < nrules; i++)
			if (add_rule_text(&d, rule_args[i])) {
				ret = 2;
				goto out;
			}
		if (rules_file && load_rules_file(&d, rules_file)) {
			ret = 2;
			goto out;
		}
		save_rules(&d);
	} else if (fr_store__load_rules(d.store, load_stored_rule, &d) <= 0) {
		/* The demo's anomalies are far above its normal latency: a threshold
		 * catches each of them even while the p99 rule of that operation is
		 * cooling down after an ordinary tail request. */
		if (demo)
			add_rule_text(&d, "threshold=60ms,service=shop,kind=server,cooldown=10s");
		add_rule_text(&d, FR_DEFAULT_RULE);
		save_rules(&d);
	}
	{
		struct fr_rule rules[FR_MAX_RULES];
		size_t n = fr_trigger__rules(d.trig, rules, FR_MAX_RULES);

		for (size_t i = 0; i < n && i < FR_MAX_RULES; i++) {
			char text[512];

			fr_rule__format(&rules[i], text, sizeof(text));
			pr_info("rule %u: %s", rules[i].id, text);
		}
	}
	if (d.cap) {
		d.ksyms = fr_ksyms__load(NULL);
		if (!d.ksyms)
			pr_warn("no kernel symbols (/proc/kallsyms): stacks stay numeric");
	}
	if (pthread_create(&d.worker, NULL, capture_worker, &d)) {
		pr_err("cannot start the capture worker");
		goto out;
	}
	d.worker_started = true;
	pr_info("incidents stored in %s", data_dir);
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
	if (!no_web) {
		wopts.token = token[0] ? token : NULL;
		wopts.store = d.store;
		wopts.trig = d.trig;
		wopts.cap = d.cap;
		wopts.exp = d.exp;
		wopts.otlp = srv;
		wopts.counters = &d.counters;
		wopts.rules_changed = rules_changed;
		wopts.ctx = &d;
		web = fr_web__start(&wopts);
		if (!web)
			goto out;
		pr_info("UI on http://%s/", wopts.listen ? wopts.listen : FR_WEB_DEFAULT_LISTEN);
	}
	if (demo) {
		char self[512], otlp_url[128];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 32);

		if (n > 0) {
			self[n] = '\0';
			snprintf(strrchr(self, '/'), 32, "/flightrec-demo");
		}
		snprintf(otlp_url, sizeof(otlp_url), "http://127.0.0.1:%u/v1/traces",
			 fr_otlp_server__port(srv));
		demo_pid = fork();
		if (demo_pid == 0) {
			execl(self, "flightrec-demo", otlp_url, (char *)NULL);
			fprintf(stderr, "flightrec: cannot run %s\n", self);
			_exit(127);
		}
		pr_info("demo service started (pid %d): incidents appear within a minute", demo_pid);
	}
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
	if (demo_pid > 0) {
		kill(demo_pid, SIGTERM);
		waitpid(demo_pid, NULL, 0);
		demo_pid = 0;
	}
	fr_web__stop(web);
	web = NULL;
	{
		uint64_t lw = 0, lt = fr_mono_ns() - 1;
		struct fr_clock clk = { 0 };
		struct daemon nod = { 0 };

		print_status(&nod, srv, &clk, &lw, &lt); /* final receiver figures */
	}
	fr_otlp_server__stop(srv);
	srv = NULL;
	/* captures in flight finish, then the store commits */
	pthread_mutex_lock(&d.jmu);
	d.jstop = true;
	pthread_cond_signal(&d.jcv);
	pthread_mutex_unlock(&d.jmu);
	pthread_join(d.worker, NULL);
	d.worker_started = false;
	fr_store__sync(d.store);
	if (d.exp && fr_exporter__flush(d.exp, (unsigned)(flush_s * 1000)))
		pr_warn("the exporter did not finish within %.1f s", flush_s);
	{
		uint64_t lw = 0, lt = fr_mono_ns() - 1;
		struct fr_clock clk = { 0 };

		print_status(&d, NULL, &clk, &lw, &lt); /* final figures */
	}
	ret = 0;
out:
	if (demo_pid > 0) {
		kill(demo_pid, SIGTERM);
		waitpid(demo_pid, NULL, 0);
	}
	fr_web__stop(web);
	fr_otlp_server__stop(srv);
	if (d.worker_started) {
		pthread_mutex_lock(&d.jmu);
		d.jstop = true;
		pthread_cond_signal(&d.jcv);
		pthread_mutex_unlock(&d.jmu);
		pthread_join(d.worker, NULL);
	}
	fr_exporter__free(d.exp);
	fr_store__close(d.store);
	fr_trigger__free(d.trig);
	fr_ksyms__free(d.ksyms);
	fr_capture__free(d.cap);
	if (d.dump)
		fclose(d.dump);
	free(endpoint);
	free(headers);
	free(pids);
	free(comms);
	free(cgroups);
	free(rule_args);
	return ret;
}
