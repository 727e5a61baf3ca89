// SPDX-License-Identifier: MIT
/*
 * options.c - the options of `flightrec run` into an fr_config
 * (fr_config.h).
 */
#define FR_LOG_MOD "run"
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "fr_options.h"
#include "fr_export.h"
#include "fr_breadcrumbs.h"
#include "fr_fleet.h"
#include "fr_log.h"
#include "fr_net.h"

void fr_config__usage(FILE *out)
{
	fprintf(out,
		"usage: flightrec run [options]\n"
		"      --config FILE        options from FILE, one 'key = value' per line, the keys\n"
		"                           the long options' names (default " FR_CONFIG_DEFAULT
		" when\n"
		"                           it exists; 'none': no file); options given here win\n"
		"kernel capture:\n"
		"  -p, --pid PID            follow a process (repeatable)\n"
		"  -c, --comm NAME          follow processes with this command name (repeatable)\n"
		"  -g, --cgroup DIR         follow processes of a cgroup v2 directory (repeatable)\n"
		"  -a, --all                follow every process\n"
		"  -m, --ring-mb MIB        ring memory for all CPUs (default 256)\n"
		"      --no-stacks          do not take stacks when a followed task blocks\n"
		"      --stacks-after DUR   stacks only for blocks at least this long (default 1ms)\n"
		"      --user-stack BYTES   user stack copied at a long block's syscall exit and\n"
		"                           unwound with .eh_frame (default 8192, at most 16096);\n"
		"                           'fp': walk frame pointers instead\n"
		"      --sample-hz HZ       sample followed threads' on-CPU stacks HZ times a\n"
		"                           second (default 49, at most 10000; 0: none)\n"
		"      --syscalls MODE      which syscalls are recorded: 'sched' (none hooked: those\n"
		"                           that block, from the scheduler; fast ones only in\n"
		"                           samples), 'slow' (hooked: a record for calls over\n"
		"                           --slow-syscall, per-thread sums of the rest) or 'all'\n"
		"                           (a record for every call); default sched\n"
		"      --slow-syscall DUR   with --syscalls slow: a record for calls at least this\n"
		"                           long (default 1ms)\n"
		"      --name-fds-after DUR name the fd (file, socket, pipe) of syscalls at least\n"
		"                           this slow, in the kernel at the call (default 100us)\n"
		"      --max-links N        follow at most N processes as links: those that wake\n"
		"                           or are woken by followed ones (default 64, at most 4096)\n"
		"      --link-ttl DUR       how long a link stays followed after it was made, unless\n"
		"                           it is made again (default 60s)\n"
		"      --no-links           follow no process as a link\n"
		"      --no-kernel          run without kernel capture (no root needed)\n"
		"OTLP:\n"
		"      --otlp-listen A:P    receive OTLP/HTTP here (default 127.0.0.1:4318)\n"
		"      --max-body-mb MIB    request body limit, also after gzip (default 20)\n"
		"      --export-endpoint URL  forward spans here (default: OTEL_EXPORTER_OTLP_*\n"
		"                           variables; off when none is set)\n"
		"      --export-flush-s S   at exit, flush the exporter for at most S seconds (default 5)\n"
		"      --dump-spans FILE    append every decoded span to FILE as a JSON line\n"
		"      --otlp-token T       senders must send Authorization: Bearer T (401 otherwise)\n"
		"      --otlp-token-file F  read it from a file\n"
		"      --tls-cert FILE      serve OTLP and the UI over HTTPS with this certificate\n"
		"      --tls-key FILE       and this key (PEM)\n"
		"      --trusted-sender S   a forwarder (uid:N, an IP address or a network such as\n"
		"                           10.244.0.0/16) whose spans may\n"
		"                           bring any process under capture (repeatable); others\n"
		"                           only processes of their own user (root: all)\n"
		"      --forwarder COMM     a process that forwards other services' spans (an\n"
		"                           OpenTelemetry Collector; otelcol, otelcol-contrib and\n"
		"                           otelcol-k8s are known): its spans are not its own\n"
		"      --service-map S=K:V  the process of service S, for spans without process.pid\n"
		"                           that came through a forwarder: K is comm (command name),\n"
		"                           cgroup or container (part of the cgroup path) (repeatable)\n"
		"triggers and incidents:\n"
		"      --rule TEXT          a trigger rule (repeatable), e.g. 'p99,kind=server' or\n"
		"                           'threshold=250ms,service=checkout,name=POST /checkout'\n"
		"      --rules FILE         rules, one per line ('#' comments)\n"
		"      --window DUR         percentile window (default 5m)\n"
		"      --budget N           captures per minute at most (default 60)\n"
		"      --baseline-interval DUR  sample a normal span of each operation at most this\n"
		"                           often, to compare its incidents with (default 5s)\n"
		"      --no-baselines       do not sample normal spans\n"
		"      --pre-ms MS          kernel window before a span (default 50)\n"
		"      --post-ms MS         and after it (default 20)\n"
		"      --data-dir DIR       the incident store (default ./flightrec-data)\n"
		"      --store-max-mb MIB   store size kept (default 1024), oldest evicted first\n"
		"      --ui-base URL        base of incident links (default: the web address)\n"
		"web UI and API:\n"
		"      --web-listen A:P     serve the UI here (default 127.0.0.1:8080)\n"
		"      --auth-token T       require this token (needed beyond loopback)\n"
		"      --auth-token-file F  read the token from a file\n"
		"      --no-auth            no token (a single-user machine): by default a token is\n"
		"                           made at first start (DATA-DIR/ui-token, root only) and\n"
		"                           the UI address is printed with it\n"
		"      --web-allow-host H   also answer to Host H (repeatable; localhost, 127.0.0.1,\n"
		"                           [::1] and the listen address always)\n"
		"      --no-web             no UI\n"
		"fleet (several hosts over NATS; none of these: no NATS at all):\n"
		"      --nats URL           a NATS server of the fleet (repeatable; tls:// for TLS)\n"
		"      --nats-creds FILE    this node's NATS user credentials\n"
		"      --node NAME          this node's name in the fleet (default: the host name)\n"
		"      --fleet-wait DUR     wait this long for other nodes' answers (default 1s)\n"
		"      --fleet-max-hops N   a request goes at most N nodes deep (default 4)\n"
		"      --fleet-url URL      the fleet view, linked from this UI\n"
		"      --fleet-address A    an address this node's services answer on besides its\n"
		"                           interfaces' (a NAT's, a load balancer's; repeatable)\n"
		"      --follow-scope S     host (default): follow any process of the host; netns:\n"
		"                           only those of this network namespace (a per-pod\n"
		"                           recorder, or several recorders on one kernel)\n"
		"      --demo               also run flightrec-demo, a small service with anomalies\n"
		"  -i, --status-interval S  print a status line every S seconds (default 10; 0 = never)\n");
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
	OPT_NO_AUTH,
	OPT_ALLOW_HOST,
	OPT_TRUSTED,
	OPT_CONFIG,
	OPT_NO_BASELINES,
	OPT_BASELINE_INTERVAL,
	OPT_FORWARDER,
	OPT_SERVICE_MAP,
	OPT_NAME_AFTER,
	OPT_STACKS_AFTER,
	OPT_USER_STACK,
	OPT_SAMPLE_HZ,
	OPT_SYSCALLS,
	OPT_SLOW_AFTER,
	OPT_MAX_LINKS,
	OPT_LINK_TTL,
	OPT_NO_LINKS,
	OPT_NATS,
	OPT_NATS_CREDS,
	OPT_NODE,
	OPT_FLEET_WAIT,
	OPT_FLEET_HOPS,
	OPT_FLEET_URL,
	OPT_FOLLOW_SCOPE,
	OPT_OTLP_TOKEN,
	OPT_OTLP_TOKEN_FILE,
	OPT_TLS_CERT,
	OPT_TLS_KEY,
	OPT_FLEET_ADDRESS,
};

static const struct option longopts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "comm", required_argument, NULL, 'c' },
	{ "cgroup", required_argument, NULL, 'g' },
	{ "all", no_argument, NULL, 'a' },
	{ "ring-mb", required_argument, NULL, 'm' },
	{ "no-stacks", no_argument, NULL, OPT_NO_STACKS },
	{ "no-kernel", no_argument, NULL, OPT_NO_KERNEL },
	{ "name-fds-after", required_argument, NULL, OPT_NAME_AFTER },
	{ "stacks-after", required_argument, NULL, OPT_STACKS_AFTER },
	{ "user-stack", required_argument, NULL, OPT_USER_STACK },
	{ "sample-hz", required_argument, NULL, OPT_SAMPLE_HZ },
	{ "syscalls", required_argument, NULL, OPT_SYSCALLS },
	{ "slow-syscall", required_argument, NULL, OPT_SLOW_AFTER },
	{ "max-links", required_argument, NULL, OPT_MAX_LINKS },
	{ "link-ttl", required_argument, NULL, OPT_LINK_TTL },
	{ "no-links", no_argument, NULL, OPT_NO_LINKS },
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
	{ "no-auth", no_argument, NULL, OPT_NO_AUTH },
	{ "trusted-sender", required_argument, NULL, OPT_TRUSTED },
	{ "forwarder", required_argument, NULL, OPT_FORWARDER },
	{ "service-map", required_argument, NULL, OPT_SERVICE_MAP },
	{ "web-allow-host", required_argument, NULL, OPT_ALLOW_HOST },
	{ "demo", no_argument, NULL, OPT_DEMO },
	{ "status-interval", required_argument, NULL, 'i' },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "no-baselines", no_argument, NULL, OPT_NO_BASELINES },
	{ "baseline-interval", required_argument, NULL, OPT_BASELINE_INTERVAL },
	{ "nats", required_argument, NULL, OPT_NATS },
	{ "nats-creds", required_argument, NULL, OPT_NATS_CREDS },
	{ "node", required_argument, NULL, OPT_NODE },
	{ "fleet-wait", required_argument, NULL, OPT_FLEET_WAIT },
	{ "fleet-max-hops", required_argument, NULL, OPT_FLEET_HOPS },
	{ "fleet-url", required_argument, NULL, OPT_FLEET_URL },
	{ "follow-scope", required_argument, NULL, OPT_FOLLOW_SCOPE },
	{ "otlp-token", required_argument, NULL, OPT_OTLP_TOKEN },
	{ "otlp-token-file", required_argument, NULL, OPT_OTLP_TOKEN_FILE },
	{ "tls-cert", required_argument, NULL, OPT_TLS_CERT },
	{ "tls-key", required_argument, NULL, OPT_TLS_KEY },
	{ "fleet-address", required_argument, NULL, OPT_FLEET_ADDRESS },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static int read_token_file(struct fr_config *c, const char *path)
{
	FILE *tf = fopen(path, "r");

	if (!tf || !fgets(c->token, sizeof(c->token), tf)) {
		pr_err("cannot read the token from %s", path);
		if (tf)
			fclose(tf);
		return 2;
	}
	fclose(tf);
	c->token[strcspn(c->token, "\r\n")] = '\0';
	return 0;
}

/* --trusted-sender uid:N or ADDR; 0 or the exit status. */
static int add_trusted(struct fr_config *c, const char *arg)
{
	char with_port[80];
	socklen_t len;

	if (!strncmp(arg, "uid:", 4)) {
		char *end;
		unsigned long uid = strtoul(arg + 4, &end, 10);

		if (end == arg + 4 || *end || c->nr_trusted_uids == 8) {
			pr_err("bad or too many --trusted-sender '%s' (uid:N)", arg);
			return 2;
		}
		c->trusted_uids[c->nr_trusted_uids++] = (uid_t)uid;
		return 0;
	}
	/* an address or a network (ADDR/BITS): parsed as a listen address with
	 * a dummy port */
	{
		char addr[64];
		const char *slash = strchr(arg, '/');
		size_t alen = slash ? (size_t)(slash - arg) : strlen(arg);
		int i = c->nr_trusted_addrs, bits = -1, max;
		char *end;

		if (i == 8 || alen >= sizeof(addr))
			goto bad;
		memcpy(addr, arg, alen);
		addr[alen] = 0;
		snprintf(with_port, sizeof(with_port), strchr(addr, ':') ? "[%s]:1" : "%s:1", addr);
		if (fr_parse_listen(with_port, &c->trusted_addrs[i], &len))
			goto bad;
		max = c->trusted_addrs[i].ss_family == AF_INET6 ? 128 : 32;
		if (slash) {
			bits = (int)strtol(slash + 1, &end, 10);
			if (end == slash + 1 || *end || bits < 0 || bits > max)
				goto bad;
		}
		c->trusted_prefix[i] = bits < 0 ? max : bits;
		c->nr_trusted_addrs++;
		return 0;
	}
bad:
	pr_err("bad or too many --trusted-sender '%s' (uid:N, an IP address or a network "
	       "ADDR/BITS)", arg);
	return 2;
}

/* --forwarder COMM; 0 or the exit status. */
static int add_forwarder(struct fr_config *c, const char *arg)
{
	if (!*arg || strlen(arg) >= sizeof(c->forwarders[0]) ||
	    c->nr_forwarders == (int)(sizeof(c->forwarders) / sizeof(c->forwarders[0]))) {
		pr_err("bad or too many --forwarder '%s' (a command name, at most 15 characters)",
		       arg);
		return 2;
	}
	snprintf(c->forwarders[c->nr_forwarders++], sizeof(c->forwarders[0]), "%s", arg);
	return 0;
}

/* --service-map SERVICE=KIND:VALUE; 0 or the exit status. */
static int add_service_map(struct fr_config *c, const char *arg)
{
	const char *eq = strchr(arg, '='), *colon = eq ? strchr(eq, ':') : NULL;
	struct fr_service_map *m = &c->service_map[c->nr_service_map];
	size_t ns = eq ? (size_t)(eq - arg) : 0, nk = colon ? (size_t)(colon - eq - 1) : 0;

	if (c->nr_service_map == (int)(sizeof(c->service_map) / sizeof(c->service_map[0])) ||
	    !ns || ns >= sizeof(m->service) || !nk || nk >= sizeof(m->kind) || !colon[1] ||
	    strlen(colon + 1) >= sizeof(m->value)) {
		pr_err("bad or too many --service-map '%s' (SERVICE=comm:NAME, =cgroup:PATH "
		       "or =container:ID)", arg);
		return 2;
	}
	memcpy(m->service, arg, ns);
	m->service[ns] = 0;
	memcpy(m->kind, eq + 1, nk);
	m->kind[nk] = 0;
	snprintf(m->value, sizeof(m->value), "%s", colon + 1);
	if (strcmp(m->kind, "comm") && strcmp(m->kind, "cgroup") && strcmp(m->kind, "container")) {
		pr_err("bad --service-map '%s': '%s' is not comm, cgroup or container", arg, m->kind);
		return 2;
	}
	c->nr_service_map++;
	return 0;
}

/* One option; 0 to go on, else the exit status. */
static int apply(struct fr_config *c, int opt, char *arg)
{
	switch (opt) {
	case 'p':
		c->pids[c->nr_pids++] = arg;
		break;
	case 'c':
		c->comms[c->nr_comms++] = arg;
		break;
	case 'g':
		c->cgroups[c->nr_cgroups++] = arg;
		break;
	case 'a':
		c->capture.follow_all = true;
		break;
	case 'm':
		c->capture.ring_bytes = strtoull(arg, NULL, 10) << 20;
		if (!c->capture.ring_bytes) {
			pr_err("bad ring size '%s'", arg);
			return 2;
		}
		break;
	case OPT_NO_STACKS:
		c->capture.flags &= ~FR_CAP_STACKS;
		break;
	case OPT_NO_KERNEL:
		c->no_kernel = true;
		break;
	case OPT_NAME_AFTER:
		if (fr_parse_duration(arg, &c->capture.name_after_ns) || !c->capture.name_after_ns) {
			pr_err("bad --name-fds-after '%s' (a duration above 0, e.g. 100us)", arg);
			return 2;
		}
		break;
	case OPT_SYSCALLS:
		c->capture.syscalls = fr_capture__syscalls_parse(arg);
		if (!c->capture.syscalls) {
			pr_err("bad --syscalls '%s' (sched, slow or all)", arg);
			return 2;
		}
		break;
	case OPT_SLOW_AFTER:
		if (fr_parse_duration(arg, &c->capture.slow_after_ns) || !c->capture.slow_after_ns) {
			pr_err("bad --slow-syscall '%s' (a duration above 0, e.g. 1ms)", arg);
			return 2;
		}
		break;
	case OPT_STACKS_AFTER:
		if (fr_parse_duration(arg, &c->capture.stack_after_ns) || !c->capture.stack_after_ns) {
			pr_err("bad --stacks-after '%s' (a duration above 0, e.g. 1ms)", arg);
			return 2;
		}
		break;
	case OPT_USER_STACK: {
		char *end;
		unsigned long n = strtoul(arg, &end, 10);

		if (!strcmp(arg, "fp")) {
			c->capture.user_stack_bytes = FR_CAPTURE_USER_STACK_FP;
		} else if (!*arg || *end || !n || n > FR_USER_STACK_MAX) {
			pr_err("bad --user-stack '%s' (bytes, 1 to %zu, or 'fp')", arg,
			       (size_t)FR_USER_STACK_MAX);
			return 2;
		} else {
			c->capture.user_stack_bytes = (int32_t)n;
		}
		break;
	}
	case OPT_SAMPLE_HZ: {
		char *end;
		unsigned long n = strtoul(arg, &end, 10);

		if (!*arg || *end || n > FR_CAPTURE_MAX_SAMPLE_HZ) {
			pr_err("bad --sample-hz '%s' (samples per second, 0 to %d)", arg,
			       FR_CAPTURE_MAX_SAMPLE_HZ);
			return 2;
		}
		c->capture.sample_hz = n ? (int32_t)n : FR_CAPTURE_NO_SAMPLES;
		break;
	}
	case OPT_MAX_LINKS: {
		char *end;
		unsigned long n = strtoul(arg, &end, 10);

		if (*end || !n || n > FR_MAX_PROC_LINKS) {
			pr_err("bad --max-links '%s' (1 to %u)", arg, FR_MAX_PROC_LINKS);
			return 2;
		}
		c->capture.max_links = (uint32_t)n;
		break;
	}
	case OPT_LINK_TTL:
		if (fr_parse_duration(arg, &c->link_ttl_ns) || !c->link_ttl_ns) {
			pr_err("bad --link-ttl '%s' (a duration above 0, e.g. 60s)", arg);
			return 2;
		}
		break;
	case OPT_NO_LINKS:
		c->capture.no_links = true;
		break;
	case OPT_OTLP_LISTEN:
		c->otlp.listen = arg;
		break;
	case OPT_MAX_BODY:
		c->otlp.max_body = (size_t)strtoull(arg, NULL, 10) << 20;
		if (!c->otlp.max_body) {
			pr_err("bad body limit '%s'", arg);
			return 2;
		}
		break;
	case OPT_EXPORT:
		free(c->export_endpoint);
		c->export_endpoint = fr_export_normalize_endpoint(arg);
		break;
	case OPT_EXPORT_FLUSH:
		c->export_flush_s = atof(arg);
		break;
	case OPT_DUMP:
		c->dump_path = arg;
		break;
	case OPT_RULE:
		c->rules[c->nr_rules++] = arg;
		break;
	case OPT_RULES:
		c->rules_file = arg;
		break;
	case OPT_WINDOW:
		if (fr_parse_duration(arg, &c->trigger.window_ns) || !c->trigger.window_ns) {
			pr_err("bad window '%s'", arg);
			return 2;
		}
		break;
	case OPT_BUDGET:
		c->trigger.budget_per_min = (uint32_t)strtoul(arg, NULL, 10);
		break;
	case OPT_PRE:
		c->snapshot.pre_ns = (uint64_t)(atof(arg) * 1e6);
		break;
	case OPT_POST:
		c->snapshot.post_ns = (uint64_t)(atof(arg) * 1e6);
		break;
	case OPT_DATA:
		c->store.dir = arg;
		break;
	case OPT_STORE_MAX:
		c->store.max_bytes = strtoull(arg, NULL, 10) << 20;
		break;
	case OPT_UI_BASE:
		c->snapshot.ui_base = arg;
		break;
	case OPT_WEB:
		c->web.listen = arg;
		break;
	case OPT_TOKEN:
		snprintf(c->token, sizeof(c->token), "%s", arg);
		break;
	case OPT_TOKEN_FILE:
		return read_token_file(c, arg);
	case OPT_NO_WEB:
		c->no_web = true;
		break;
	case OPT_NO_AUTH:
		c->no_auth = true;
		break;
	case OPT_TRUSTED:
		return add_trusted(c, arg);
	case OPT_CONFIG:
		return 0; /* read before the other options */
	case OPT_NO_BASELINES:
		c->no_baselines = true;
		break;
	case OPT_BASELINE_INTERVAL:
		if (fr_parse_duration(arg, &c->baseline_interval_ns) || !c->baseline_interval_ns) {
			pr_err("bad --baseline-interval '%s' (a duration above 0, e.g. 5s)", arg);
			return 2;
		}
		break;
	case OPT_FORWARDER:
		return add_forwarder(c, arg);
	case OPT_SERVICE_MAP:
		return add_service_map(c, arg);
	case OPT_ALLOW_HOST: {
		size_t used = strlen(c->allowed_hosts);

		if (strchr(arg, ',') || used + strlen(arg) + 2 > sizeof(c->allowed_hosts)) {
			pr_err("bad or too many --web-allow-host names ('%s')", arg);
			return 2;
		}
		snprintf(c->allowed_hosts + used, sizeof(c->allowed_hosts) - used, "%s%s",
			 used ? "," : "", arg);
		break;
	}
	case OPT_DEMO:
		c->demo = true;
		break;
	case OPT_NATS:
		if (c->nr_nats == (int)(sizeof(c->nats) / sizeof(c->nats[0])) ||
		    (strncmp(arg, "nats://", 7) && strncmp(arg, "tls://", 6))) {
			pr_err("bad --nats '%s' (nats://HOST:PORT or tls://HOST:PORT, at most 8)", arg);
			return 2;
		}
		c->nats[c->nr_nats++] = arg;
		break;
	case OPT_NATS_CREDS:
		if (access(arg, R_OK)) {
			pr_err("cannot read --nats-creds %s: %s", arg, strerror(errno));
			return 2;
		}
		c->nats_creds = arg;
		break;
	case OPT_NODE:
		if (!fr_fleet__valid_node(arg)) {
			pr_err("bad --node '%s': 1 to 63 letters, digits, '-' or '_'", arg);
			return 2;
		}
		c->node = arg;
		break;
	case OPT_FLEET_WAIT: {
		uint64_t ns;

		if (fr_parse_duration(arg, &ns) || ns < 1000000ull || ns > 10000000000ull) {
			pr_err("bad --fleet-wait '%s' (1ms to 10s)", arg);
			return 2;
		}
		c->fleet_wait_ms = (uint32_t)(ns / 1000000ull);
		break;
	}
	case OPT_FLEET_HOPS: {
		char *end;
		long n = strtol(arg, &end, 10);

		if (*end || n < 1 || n > FR_FLEET_MAX_VISITED - 1) {
			pr_err("bad --fleet-max-hops '%s' (1 to %d)", arg, FR_FLEET_MAX_VISITED - 1);
			return 2;
		}
		c->fleet_max_hops = (uint32_t)n;
		break;
	}
	case OPT_FLEET_URL:
		c->fleet_url = arg;
		break;
	case OPT_OTLP_TOKEN:
		if (strlen(arg) < 16 || strlen(arg) >= sizeof(c->otlp_token)) {
			pr_err("--otlp-token: 16 to 255 characters");
			return 2;
		}
		snprintf(c->otlp_token, sizeof(c->otlp_token), "%s", arg);
		break;
	case OPT_OTLP_TOKEN_FILE: {
		FILE *f = fopen(arg, "r");

		if (!f || !fgets(c->otlp_token, sizeof(c->otlp_token), f)) {
			pr_err("cannot read --otlp-token-file %s", arg);
			if (f)
				fclose(f);
			return 2;
		}
		fclose(f);
		c->otlp_token[strcspn(c->otlp_token, "\r\n")] = '\0';
		if (strlen(c->otlp_token) < 16) {
			pr_err("the token in %s is shorter than 16 characters", arg);
			return 2;
		}
		break;
	}
	case OPT_FLEET_ADDRESS: {
		char with_port[96];

		snprintf(with_port, sizeof(with_port), strchr(arg, ':') && arg[0] != '[' ? "[%s]:0"
						       : "%s:0", arg);
		if (c->nr_fleet_addrs == 8 ||
		    fr_sockaddr__parse(with_port, &c->fleet_addrs[c->nr_fleet_addrs])) {
			pr_err("bad --fleet-address '%s' (an IPv4 or IPv6 address; at most 8)", arg);
			return 2;
		}
		c->nr_fleet_addrs++;
		break;
	}
	case OPT_TLS_CERT:
		c->tls_cert = arg;
		break;
	case OPT_TLS_KEY:
		c->tls_key = arg;
		break;
	case OPT_FOLLOW_SCOPE:
		if (strcmp(arg, "host") && strcmp(arg, "netns")) {
			pr_err("bad --follow-scope '%s' (host or netns)", arg);
			return 2;
		}
		c->scope_netns = !strcmp(arg, "netns");
		break;
	case 'i':
		c->status_interval_s = atof(arg);
		break;
	default:
		fr_config__usage(stderr);
		return 2;
	}
	return 0;
}

/* Is a config value a yes (for an option without argument). */
static int yes_no(const char *v)
{
	if (!*v || !strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1"))
		return 1;
	if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0"))
		return 0;
	return -1;
}

/*
 * The options of config file path as arguments ("--key", "value"),
 * appended to c->file_args: one "key = value" (or "key value", or a bare
 * "key" for an option without argument) per line, '#' starting a comment.
 * 0, or the exit status (2) after a message naming the line.
 */
static int read_config_file(struct fr_config *c, const char *path)
{
	char line[4096];
	int lineno = 0, rc = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		pr_err("cannot read config file %s: %s", path, strerror(errno));
		return 2;
	}
	while (!rc && fgets(line, sizeof(line), f)) {
		char *k = line, *v, *end, *hash;
		const struct option *o;
		int yn;

		lineno++;
		hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		while (*k == ' ' || *k == '\t')
			k++;
		end = k + strlen(k);
		while (end > k && strchr(" \t\r\n", end[-1]))
			*--end = 0;
		if (!*k)
			continue;
		v = k + strcspn(k, " \t=");
		if (*v) {
			*v++ = 0;
			while (*v == ' ' || *v == '\t' || *v == '=')
				v++;
		}
		for (o = longopts; o->name && strcmp(o->name, k); o++)
			;
		if (!o->name || o->val == 'h' || o->val == OPT_CONFIG) {
			pr_err("%s:%d: unknown key '%s' (the keys are the long options' names)", path,
			       lineno, k);
			rc = 2;
			break;
		}
		yn = o->has_arg == no_argument ? yes_no(v) : 1;
		if (yn < 0 || (o->has_arg == required_argument && !*v)) {
			pr_err("%s:%d: '%s' wants %s", path, lineno, k,
			       o->has_arg == no_argument ? "true or false" : "a value");
			rc = 2;
			break;
		}
		if (!yn)
			continue;
		if (c->nr_file_args + 2 > FR_CONFIG_MAX_FILE_ARGS) {
			pr_err("%s:%d: too many options", path, lineno);
			rc = 2;
			break;
		}
		if (asprintf(&c->file_args[c->nr_file_args], "--%s", k) < 0) {
			rc = 1;
			break;
		}
		c->nr_file_args++;
		if (o->has_arg == required_argument) {
			c->file_args[c->nr_file_args] = strdup(v);
			if (!c->file_args[c->nr_file_args]) {
				rc = 1;
				break;
			}
			c->nr_file_args++;
		}
	}
	fclose(f);
	return rc;
}

/* The config file argv names: --config FILE (or =FILE), else the default
 * when it exists; NULL for none. */
static const char *config_path(int argc, char **argv)
{
	const char *path = NULL;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--config") && i + 1 < argc)
			path = argv[++i];
		else if (!strncmp(argv[i], "--config=", 9))
			path = argv[i] + 9;
	}
	if (path)
		return strcmp(path, "none") ? path : NULL;
	return access(FR_CONFIG_DEFAULT, F_OK) == 0 ? FR_CONFIG_DEFAULT : NULL;
}

int fr_config__parse(struct fr_config *c, int argc, char **argv)
{
	int opt, rc;

	memset(c, 0, sizeof(*c));
	c->capture = (struct fr_capture_opts){ .sz = sizeof(c->capture), .flags = FR_CAP_DEFAULT };
	c->otlp.sz = sizeof(c->otlp);
	c->trigger.sz = sizeof(c->trigger);
	c->snapshot.sz = sizeof(c->snapshot);
	c->store = (struct fr_store_opts){ .sz = sizeof(c->store), .dir = "flightrec-data" };
	c->web.sz = sizeof(c->web);
	c->export_flush_s = 5;
	c->status_interval_s = 10;
	c->config_path = config_path(argc, argv);
	if (c->config_path) {
		rc = read_config_file(c, c->config_path);
		if (rc)
			return rc;
	}
	/* the file's options first, so that those given here win */
	c->argv = calloc((size_t)(argc + c->nr_file_args + 1), sizeof(char *));
	if (!c->argv) {
		pr_err("out of memory");
		return 1;
	}
	c->argv[0] = argv[0];
	memcpy(c->argv + 1, c->file_args, (size_t)c->nr_file_args * sizeof(char *));
	if (argc > 1)
		memcpy(c->argv + 1 + c->nr_file_args, argv + 1, (size_t)(argc - 1) * sizeof(char *));
	argc += c->nr_file_args;
	argv = c->argv;
	c->pids = calloc(argc + 1, sizeof(char *));
	c->comms = calloc(argc + 1, sizeof(char *));
	c->cgroups = calloc(argc + 1, sizeof(char *));
	c->rules = calloc(argc + 1, sizeof(char *));
	if (!c->pids || !c->comms || !c->cgroups || !c->rules) {
		pr_err("out of memory");
		return 1;
	}
	optind = 1;
	while ((opt = getopt_long(argc, argv, "p:c:g:am:i:h", longopts, NULL)) != -1) {
		if (opt == 'h') {
			fr_config__usage(stdout);
			return -1;
		}
		rc = apply(c, opt, optarg);
		if (rc)
			return rc;
	}
	if (optind < argc) {
		pr_err("unexpected argument '%s'", argv[optind]);
		fr_config__usage(stderr);
		return 2;
	}
	if (!c->tls_cert != !c->tls_key) {
		pr_err("--tls-cert and --tls-key go together");
		return 2;
	}
	if (!c->snapshot.ui_base) {
		snprintf(c->ui_base, sizeof(c->ui_base), c->tls_cert ? "https://%s" : "http://%s",
			 c->web.listen ? c->web.listen : FR_WEB_DEFAULT_LISTEN);
		c->snapshot.ui_base = c->ui_base;
	}
	if (c->no_auth && c->token[0]) {
		pr_err("--no-auth and a token contradict each other");
		return 2;
	}
	if ((c->nats_creds || c->node || c->fleet_url) && !c->nr_nats) {
		pr_err("--nats-creds, --node and --fleet-url need --nats");
		return 2;
	}
	c->otlp.token = c->otlp_token[0] ? c->otlp_token : NULL;
	c->web.token = c->token[0] ? c->token : NULL;
	c->web.allowed_hosts = c->allowed_hosts[0] ? c->allowed_hosts : NULL;
	return 0;
}

void fr_config__free(struct fr_config *c)
{
	free(c->export_endpoint);
	free(c->pids);
	free(c->comms);
	free(c->cgroups);
	free(c->rules);
	free(c->argv);
	for (int i = 0; i < c->nr_file_args; i++)
		free(c->file_args[i]);
	memset(c, 0, sizeof(*c));
}

int fr_config__ui_token(struct fr_config *c)
{
	char path[4096], hex[65];
	uint8_t raw[32];
	FILE *f;
	int fd;

	if (c->no_web || c->no_auth || c->web.token)
		return 0;
	if (mkdir(c->store.dir, 0700) && errno != EEXIST) {
		pr_err("cannot make %s: %s", c->store.dir, strerror(errno));
		return -errno;
	}
	snprintf(path, sizeof(path), "%s/ui-token", c->store.dir);
	f = fopen(path, "r");
	if (f) {
		if (fgets(c->token, sizeof(c->token), f))
			c->token[strcspn(c->token, "\r\n")] = '\0';
		fclose(f);
		if (strlen(c->token) >= 32) {
			c->web.token = c->token;
			return 0;
		}
		pr_warn("%s holds no usable token: making a new one", path);
	}
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
		pr_err("no random bytes for the UI token: %s", strerror(errno));
		return -EIO;
	}
	fr_hex(raw, sizeof(raw), hex);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || fchmod(fd, 0600) || write(fd, hex, 64) != 64 || write(fd, "\n", 1) != 1) {
		int err = errno;

		pr_err("cannot write the UI token to %s: %s", path, strerror(err));
		if (fd >= 0)
			close(fd);
		return -err;
	}
	close(fd);
	snprintf(c->token, sizeof(c->token), "%s", hex);
	c->web.token = c->token;
	return 0;
}
