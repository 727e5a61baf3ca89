// SPDX-License-Identifier: MIT
/*
 * daemon.c - the recorder's lifecycle (fr_daemon.h): components started
 * from the config in order, one status gather, one way to stop.
 * The span pipeline is in pipeline.c.
 */
#define FR_LOG_MOD "run"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon_int.h"
#include "fr_log.h"

/* ---------------- rules ---------------- */

static int add_rule_text(struct fr_daemon *d, const char *text)
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
	struct fr_daemon *d = ctx;
	struct fr_rule r;

	if (fr_rule__parse(text, &r, NULL, 0)) {
		pr_warn("ignoring an unreadable stored rule '%s'", text);
		return;
	}
	r.id = id;
	fr_trigger__add_rule(d->trig, &r, NULL);
}

/* The engine's rules into the store, replacing what it held. */
static void save_rules(struct fr_daemon *d)
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

/* The rules a config names, parsed: how many, or -EINVAL (logged). */
static int parse_config_rules(const struct fr_config *c, struct fr_rule *out, size_t max)
{
	char err[192], line[1024];
	size_t n = 0;
	FILE *f;

	for (int i = 0; i < c->nr_rules; i++) {
		if (n == max || fr_rule__parse(c->rules[i], &out[n], err, sizeof(err))) {
			pr_err("bad rule '%s': %s", c->rules[i], n == max ? "too many rules" : err);
			return -EINVAL;
		}
		n++;
	}
	if (!c->rules_file)
		return (int)n;
	f = fopen(c->rules_file, "r");
	if (!f) {
		pr_err("cannot read rules file %s: %s", c->rules_file, strerror(errno));
		return -EINVAL;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = line + strspn(line, " \t");

		p[strcspn(p, "\r\n")] = 0;
		if (!*p || *p == '#')
			continue;
		if (n == max || fr_rule__parse(p, &out[n], err, sizeof(err))) {
			pr_err("bad rule '%s' in %s: %s", p, c->rules_file,
			       n == max ? "too many rules" : err);
			fclose(f);
			return -EINVAL;
		}
		n++;
	}
	fclose(f);
	return (int)n;
}

/*
 * The rules: those given (saved, replacing the stored ones), else the
 * stored ones, else the defaults (saved).
 */
static int start_triggers(struct fr_daemon *d)
{
	const struct fr_config *c = d->c;
	struct fr_rule rules[FR_MAX_RULES];
	size_t n;

	d->trig = fr_trigger__new(&c->trigger);
	if (!d->trig)
		return -ENOMEM;
	if (c->nr_rules || c->rules_file) {
		int nr = parse_config_rules(c, rules, FR_MAX_RULES);

		if (nr < 0)
			return -EINVAL;
		for (int i = 0; i < nr; i++) {
			int rc = fr_trigger__add_rule(d->trig, &rules[i], NULL);

			if (rc) {
				pr_err("cannot add rule %d: %s", i + 1, strerror(-rc));
				return -EINVAL;
			}
		}
		save_rules(d);
	} else if (fr_store__load_rules(d->store, load_stored_rule, d) <= 0) {
		/* The demo's anomalies are far above its normal latency: a threshold
		 * catches each of them even while the p99 rule of that operation is
		 * cooling down after an ordinary tail request. */
		if (c->demo)
			add_rule_text(d, "threshold=60ms,service=shop,kind=server,cooldown=10s");
		add_rule_text(d, FR_DEFAULT_RULE);
		save_rules(d);
	}
	n = fr_trigger__rules(d->trig, rules, FR_MAX_RULES);
	for (size_t i = 0; i < n && i < FR_MAX_RULES; i++) {
		char text[512];

		fr_rule__format(&rules[i], text, sizeof(text));
		pr_info("rule %u: %s", rules[i].id, text);
	}
	return 0;
}

/* ---------------- the other components ---------------- */

static int start_capture(struct fr_daemon *d)
{
	const struct fr_config *c = d->c;

	if (c->no_kernel) {
		pr_warn("running without kernel context (--no-kernel)");
		return 0;
	}
	d->cap = fr_capture__open(&c->capture);
	if (!d->cap) {
		pr_err("kernel capture is off; run as root, or pass --no-kernel to run "
		       "without kernel context");
		return -EPERM;
	}
	fr_capture__warn_privileges();
	for (int i = 0; i < c->nr_pids; i++)
		if (fr_capture__follow_pid(d->cap, atoi(c->pids[i]), true))
			pr_warn("ignoring bad pid '%s'", c->pids[i]);
	for (int i = 0; i < c->nr_comms; i++)
		if (fr_capture__follow_comm(d->cap, c->comms[i]))
			pr_warn("cannot follow command name '%s'", c->comms[i]);
	for (int i = 0; i < c->nr_cgroups; i++)
		if (fr_capture__follow_cgroup(d->cap, c->cgroups[i]))
			pr_warn("cannot follow cgroup '%s'", c->cgroups[i]);
	if (fr_capture__attach(d->cap))
		return -EIO;
	pr_info("kernel capture on");
	d->ksyms = fr_ksyms__load(NULL);
	if (!d->ksyms)
		pr_warn("no kernel symbols (/proc/kallsyms): stacks stay numeric");
	return 0;
}

static int start_exporter(struct fr_daemon *d)
{
	const struct fr_config *c = d->c;
	char *endpoint = c->export_endpoint ? strdup(c->export_endpoint)
					    : fr_export_endpoint_from_env();
	struct fr_export_opts eo = { .sz = sizeof(eo), .endpoint = endpoint };

	if (!endpoint)
		return 0;
	d->headers = fr_export_headers_from_env();
	eo.headers = d->headers;
	d->exp = fr_exporter__new(&eo);
	if (!d->exp)
		pr_err("cannot start the exporter to %s", endpoint);
	else
		pr_info("forwarding spans to %s", endpoint);
	free(endpoint);
	return d->exp ? 0 : -EIO;
}

static int start_receiver(struct fr_daemon *d)
{
	struct fr_otlp_server_opts o = d->c->otlp;

	o.sink = fr_daemon__on_batch;
	o.sink_ctx = d;
	o.tls_cert = d->tls.cert;
	o.tls_key = d->tls.key;
	d->srv = fr_otlp_server__start(&o);
	if (!d->srv)
		return -EIO;
	pr_info("receiving OTLP/HTTP%s on %s (port %u)%s", o.tls_cert ? "S" : "",
		o.listen ? o.listen : FR_OTLP_DEFAULT_LISTEN, fr_otlp_server__port(d->srv),
		o.token ? ", senders need the bearer token" : "");
	return 0;
}

static int start_web(struct fr_daemon *d)
{
	struct fr_web_opts o = d->c->web;

	if (d->c->no_web)
		return 0;
	if (!o.token && !d->c->no_auth) {
		pr_err("the UI needs a token (or --no-auth)");
		return -EINVAL;
	}
	o.store = d->store;
	o.trig = d->trig;
	o.baselines = d->baselines;
	o.series = d->series;
	o.history = &d->history;
	o.status = fr_daemon__status;
	o.rules_changed = rules_changed;
	o.fleet = d->fleet;
	o.fleet_url = d->c->fleet_url;
	o.tls_cert = d->tls.cert;
	o.tls_key = d->tls.key;
	o.ctx = d;
	d->web = fr_web__start(&o);
	if (!d->web)
		return -EIO;
	if (o.token)
		pr_info("UI on %s://%s/?token=%s", o.tls_cert ? "https" : "http",
			o.listen ? o.listen : FR_WEB_DEFAULT_LISTEN, o.token);
	else
		pr_info("UI on %s://%s/ (no token: --no-auth)", o.tls_cert ? "https" : "http",
			o.listen ? o.listen : FR_WEB_DEFAULT_LISTEN);
	return 0;
}

/* flightrec-demo, from beside this executable, sending to our receiver. */
static void start_demo(struct fr_daemon *d)
{
	char self[512], otlp_url[128];
	ssize_t n;

	if (!d->c->demo)
		return;
	n = readlink("/proc/self/exe", self, sizeof(self) - 32);
	if (n > 0) {
		self[n] = '\0';
		snprintf(strrchr(self, '/'), 32, "/flightrec-demo");
	}
	snprintf(otlp_url, sizeof(otlp_url), "http://127.0.0.1:%u/v1/traces",
		 fr_otlp_server__port(d->srv));
	d->demo_pid = fork();
	if (d->demo_pid == 0) {
		execl(self, "flightrec-demo", otlp_url, (char *)NULL);
		fprintf(stderr, "flightrec: cannot run %s\n", self);
		_exit(127);
	}
	pr_info("demo service started (pid %d): incidents appear within a minute", d->demo_pid);
}

static void stop_demo(struct fr_daemon *d)
{
	if (d->demo_pid > 0) {
		kill(d->demo_pid, SIGTERM);
		waitpid(d->demo_pid, NULL, 0);
	}
	d->demo_pid = 0;
}

/* ---------------- lifecycle ---------------- */

/* Frees what is left, in reverse order of start. */
static void free_components(struct fr_daemon *d)
{
	stop_demo(d);
	fr_web__stop(d->web);
	fr_otlp_server__stop(d->srv);
	fr_daemon__stop_worker(d);
	fr_fleet__close(d->fleet); /* after the worker: its captures answer through it */
	d->fleet = NULL;
	/* the store before the exporter: its last commits export their spans */
	fr_store__close(d->store);
	fr_exporter__free(d->exp);
	fr_trigger__free(d->trig);
	fr_baselines__free(d->baselines);
	fr_series__free(d->series);
	fr_ksyms__free(d->ksyms);
	fr_capture__free(d->cap);
	if (d->dump)
		fclose(d->dump);
	fr_tls__free(&d->tls);
	free(d->headers);
	pthread_mutex_destroy(&d->dump_mu);
	pthread_mutex_destroy(&d->jmu);
	pthread_mutex_destroy(&d->taken_mu);
	pthread_rwlock_destroy(&d->cfg_lock);
	pthread_mutex_destroy(&d->history.mu);
	pthread_cond_destroy(&d->jcv);
	free(d);
}

/* Room for the listeners' connection limits (4096 OTLP, 1024 UI): the
 * default soft limit of 1024 descriptors would cap them first. */
static void raise_fd_limit(void)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r) || r.rlim_cur >= 8192)
		return;
	r.rlim_cur = r.rlim_max < 8192 ? r.rlim_max : 8192;
	if (setrlimit(RLIMIT_NOFILE, &r))
		pr_warn("cannot raise the descriptor limit: %s", strerror(errno));
}

struct fr_daemon *fr_daemon__start(struct fr_config *c)
{
	struct fr_daemon *d = calloc(1, sizeof(*d));
	int err;

	if (!d) {
		pr_err("out of memory");
		errno = ENOMEM;
		return NULL;
	}
	d->c = c;
	d->started = fr_mono_ns();
	raise_fd_limit();
	d->rate = (struct fr_status_rate)FR_STATUS_RATE_INIT;
	pthread_mutex_init(&d->dump_mu, NULL);
	pthread_mutex_init(&d->jmu, NULL);
	pthread_mutex_init(&d->taken_mu, NULL);
	pthread_rwlock_init(&d->cfg_lock, NULL);
	pthread_mutex_init(&d->history.mu, NULL);
	pthread_cond_init(&d->jcv, NULL);
	{
		struct stat ns;

		if (!stat("/proc/self/ns/net", &ns))
			d->netns_ino = ns.st_ino;
		if (c->scope_netns) /* the kernel follows this namespace's tasks only */
			c->capture.scope_netns = (uint32_t)d->netns_ino;
	}
	err = start_capture(d);
	if (err)
		goto fail;
	d->store = fr_store__open(&c->store);
	if (!d->store) {
		err = -EIO;
		goto fail;
	}
	err = start_triggers(d);
	if (!err) {
		d->series = fr_series__new(NULL);
		if (!d->series)
			err = -ENOMEM;
	}
	if (!err && d->cap && !c->no_baselines) {
		struct fr_baseline_opts bo = { .sz = sizeof(bo), .interval_ns = c->baseline_interval_ns };

		d->baselines = fr_baselines__new(&bo);
		if (!d->baselines)
			err = -ENOMEM;
		c->snapshot.baselines = d->baselines; /* the worker's snapshotter compares */
	}
	if (!err)
		err = fr_daemon__start_worker(d);
	if (err)
		goto fail;
	pr_info("incidents stored in %s", c->store.dir);
	if (c->dump_path) {
		d->dump = fopen(c->dump_path, "a");
		if (!d->dump) {
			err = -errno;
			pr_err("cannot write %s: %s", c->dump_path, strerror(errno));
			goto fail;
		}
	}
	if (c->tls_cert && fr_tls__load(c->tls_cert, c->tls_key, &d->tls)) {
		err = -EINVAL;
		goto fail;
	}
	err = start_exporter(d);
	if (!err)
		err = fr_daemon__start_fleet(d);
	if (!err)
		err = start_receiver(d);
	if (!err)
		err = start_web(d);
	if (err)
		goto fail;
	start_demo(d);
	return d;
fail:
	free_components(d);
	errno = -err;
	return NULL;
}

void fr_daemon__status(void *daemon, struct fr_status *out)
{
	struct fr_daemon *d = daemon;
	struct fr_status_sources src = {
		.started = d->started, .cap = d->cap, .otlp = d->srv, .exp = d->exp,
		.trig = d->trig, .store = d->store, .incidents = &d->counts,
		.clock = d->cap ? &d->clock : NULL, .rate = &d->rate, .fleet = d->fleet,
	};

	fr_status__gather(&src, out);
}

static bool str_changed(const char *a, const char *b)
{
	return (a || b) && (!a || !b || strcmp(a, b));
}

int fr_daemon__reload(struct fr_daemon *d, const struct fr_config *nc)
{
	struct fr_rule rules[FR_MAX_RULES], old[FR_MAX_RULES];
	struct fr_config *c = d->c;
	int nr = parse_config_rules(nc, rules, FR_MAX_RULES);

	if (nr < 0)
		return -EINVAL;
	if (nr > 0) {
		size_t n = fr_trigger__rules(d->trig, old, FR_MAX_RULES);

		for (size_t i = 0; i < n && i < FR_MAX_RULES; i++)
			fr_trigger__remove_rule(d->trig, old[i].id);
		for (int i = 0; i < nr; i++)
			fr_trigger__add_rule(d->trig, &rules[i], NULL);
		save_rules(d);
		pr_info("reload: %d rules", nr);
	}
	pthread_rwlock_wrlock(&d->cfg_lock);
	memcpy(c->trusted_uids, nc->trusted_uids, sizeof(c->trusted_uids));
	c->nr_trusted_uids = nc->nr_trusted_uids;
	memcpy(c->trusted_addrs, nc->trusted_addrs, sizeof(c->trusted_addrs));
	memcpy(c->trusted_prefix, nc->trusted_prefix, sizeof(c->trusted_prefix));
	c->nr_trusted_addrs = nc->nr_trusted_addrs;
	memcpy(c->forwarders, nc->forwarders, sizeof(c->forwarders));
	c->nr_forwarders = nc->nr_forwarders;
	memcpy(c->service_map, nc->service_map, sizeof(c->service_map));
	c->nr_service_map = nc->nr_service_map;
	pthread_rwlock_unlock(&d->cfg_lock);
	if (d->cap) {
		for (int i = 0; i < nc->nr_pids; i++)
			fr_capture__follow_pid(d->cap, atoi(nc->pids[i]), true);
		for (int i = 0; i < nc->nr_comms; i++)
			fr_capture__follow_comm(d->cap, nc->comms[i]);
		for (int i = 0; i < nc->nr_cgroups; i++)
			fr_capture__follow_cgroup(d->cap, nc->cgroups[i]);
	}
	if (nc->capture.ring_bytes != c->capture.ring_bytes ||
	    str_changed(nc->otlp.listen, c->otlp.listen) ||
	    str_changed(nc->web.listen, c->web.listen) || str_changed(nc->store.dir, c->store.dir) ||
	    nc->no_kernel != c->no_kernel)
		pr_warn("reload: ring size, listen addresses, data directory and --no-kernel take "
			"effect at the next start");
	pr_info("reload: applied (%s)", nc->config_path ? nc->config_path : "no config file");
	return 0;
}

void fr_daemon__run(struct fr_daemon *d, volatile sig_atomic_t *stop,
		    volatile sig_atomic_t *reload, const struct fr_daemon_reread *rr)
{
	double interval = d->c->status_interval_s;
	uint64_t next = fr_mono_ns(), next_expiry = next, next_point = next;
	uint64_t ttl = d->c->link_ttl_ns ? d->c->link_ttl_ns : FR_CAPTURE_DEFAULT_LINK_TTL_NS;

	while (!*stop) {
		usleep(100 * 1000);
		if (fr_mono_ns() >= next_point) {
			struct fr_status st;

			next_point = fr_mono_ns() + 10000000000ull;
			fr_daemon__status(d, &st);
			fr_status_history__add(&d->history, &st, fr_mono_ns(), fr_wall_ns());
		}
		if (reload && *reload) {
			struct fr_config nc;

			*reload = 0;
			pr_info("SIGHUP: reading the options again");
			if (!rr) {
				pr_warn("SIGHUP: nothing to read the options from");
				continue;
			}
			if (rr->read(rr->ctx, &nc) == 0)
				fr_daemon__reload(d, &nc);
			else
				pr_err("reload: bad options; keeping the running ones");
			rr->free(&nc);
		}
		if (d->cap && fr_mono_ns() >= next_expiry) {
			next_expiry = fr_mono_ns() + 1000000000ull;
			fr_capture__expire_links(d->cap, fr_mono_ns(), ttl);
		}
		if (interval > 0 && fr_mono_ns() >= next + (uint64_t)(interval * 1e9)) {
			struct fr_status st;

			next = fr_mono_ns();
			if (d->cap)
				fr_clock__refresh(&d->clock, 0);
			fr_daemon__status(d, &st);
			fr_status__log(&st);
		}
	}
}

void fr_daemon__stop(struct fr_daemon *d)
{
	struct fr_status at_stop, final;
	double flush_s;

	if (!d)
		return;
	pr_info("stopping");
	stop_demo(d);
	fr_web__stop(d->web);
	d->web = NULL;
	fr_daemon__status(d, &at_stop); /* the receiver's last figures */
	fr_otlp_server__stop(d->srv);
	d->srv = NULL;
	/* captures in flight finish, then the store commits */
	fr_daemon__stop_worker(d);
	fr_store__sync(d->store);
	flush_s = d->c->export_flush_s;
	if (d->exp && fr_exporter__flush(d->exp, (unsigned)(flush_s * 1000)))
		pr_warn("the exporter did not finish within %.1f s", flush_s);
	fr_daemon__status(d, &final);
	final.has_otlp = at_stop.has_otlp;
	final.otlp = at_stop.otlp;
	fr_status__log(&final);
	free_components(d);
}
