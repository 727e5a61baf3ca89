// SPDX-License-Identifier: MIT
/*
 * test_e2e.c - the whole path as root with real kernel capture: testsvc
 * sends spans over OTLP to a running flightrec; its slow requests have
 * known causes (fsync, lock, CPU starvation, sleep). Each slow request gets
 * exactly one incident whose verdict names the cause; fast requests get
 * none; the exported child spans have the slow span's trace id and parent
 * id and lie inside it; inspect reads the stored snapshots (text, JSON,
 * Perfetto); kill -9 during a burst of captures leaves every listed
 * incident readable after a restart.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <grp.h>
#include <cmocka.h>
#include <json-c/json.h>
#include <microhttpd.h>

#include "fr_otlp.h"
#include "fr_snapshot.h"
#include "fr_clock.h"
#include "fr_frsnap.h"
#include "fr_store.h"
#include "fr_test_http.h"
#include "fr_test_util.h"

static const char *bin(const char *env, const char *dflt)
{
	const char *b = getenv(env);

	return b ? b : dflt;
}

/* ---- an export sink that decodes what it gets ---- */

static pthread_mutex_t sink_mu = PTHREAD_MUTEX_INITIALIZER;
static struct fr_batch *sink_batches[4096];
static size_t sink_n;

/* Keeps every batch it can decode; always answers 200. */
static unsigned sink_keep(void *ctx, struct MHD_Connection *c, const struct fr_buf *body,
			  size_t bytes)
{
	struct fr_buf plain = { 0 };
	struct fr_batch *b = NULL;

	(void)ctx;
	(void)c;
	(void)bytes;
	if (!fr_test_gunzip(body->p, body->len, &plain) &&
	    !fr_otlp__decode_proto(plain.p, plain.len, &b, NULL, 0)) {
		pthread_mutex_lock(&sink_mu);
		if (sink_n < 4096)
			sink_batches[sink_n++] = b;
		else
			fr_batch__put(b);
		pthread_mutex_unlock(&sink_mu);
	}
	fr_buf__free(&plain);
	return 200;
}

static struct fr_test_sink sink = { .fn = sink_keep, .keep_bodies = true };

/* ---- processes ---- */

static pid_t start_recorder_with(const char *dir, uint16_t port, uint16_t sink_port,
				 const char *rule, const char *log, const char *extra)
{
	char listen[64], endpoint[96];
	pid_t pid;

	snprintf(listen, sizeof(listen), "127.0.0.1:%u", port);
	snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%u", sink_port);
	pid = fork();
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		char *argv[24] = { "flightrec", "run", "--otlp-listen", listen, "--data-dir", (char *)dir,
				   "--rule", (char *)rule, "--export-endpoint", endpoint, "-m", "64",
				   "--no-web", "-i", "0", NULL };

		if (extra) { /* one more option and its value, "--opt value" */
			static char buf[256];

			snprintf(buf, sizeof(buf), "%s", extra);
			argv[15] = buf;
			argv[16] = strchr(buf, ' ');
			if (argv[16])
				*argv[16]++ = '\0';
		}
		dup2(fd, 2);
		dup2(fd, 1);
		execv(bin("FLIGHTREC_BIN", "./flightrec"), argv);
		_exit(127);
	}
	/* ready when the OTLP port answers */
	for (int i = 0; i < 100; i++) {
		char cmd[160];

		snprintf(cmd, sizeof(cmd),
			 "curl -s -o /dev/null -X POST -H 'Content-Type: application/json' "
			 "--data '{}' http://%s/v1/traces", listen);
		if (system(cmd) == 0)
			break;
		usleep(100000);
	}
	return pid;
}

static pid_t start_recorder(const char *dir, uint16_t port, uint16_t sink_port, const char *rule,
			    const char *log)
{
	return start_recorder_with(dir, port, sink_port, rule, log, NULL);
}

static int stop(pid_t pid, int sig)
{
	int status = -1;

	kill(pid, sig);
	waitpid(pid, &status, 0);
	return status;
}

/* Stops the recorder; a failed exit prints its log (a sanitizer's report is
 * there) before the assertion. */
static void stop_recorder_ok(pid_t pid, const char *log)
{
	int status = stop(pid, SIGTERM);

	if (status != 0) {
		char cmd[320];
		int st;
		char *txt;

		snprintf(cmd, sizeof(cmd), "grep -v 'run: incident' %s | tail -80", log);
		txt = fr_test_run(cmd, &st);
		print_message("recorder exited with status 0x%x; its log:\n%s", status,
			      txt ? txt : "");
		free(txt);
	}
	assert_int_equal(status, 0);
}

static char *run(const char *cmd, int *status)
{
	char *out = fr_test_run(cmd, status);

	assert_non_null(out);
	return out;
}

static struct fr_store *open_ro(const char *dir)
{
	struct fr_store_opts o = { .sz = sizeof(o), .dir = dir, .read_only = true };

	return fr_store__open(&o);
}

static int count_incidents(const char *dir, struct fr_incident_summary *out, size_t max)
{
	struct fr_store_query q = { .limit = (uint32_t)max };
	struct fr_store *s = open_ro(dir);
	uint64_t cursor;
	int n;

	if (!s)
		return 0;
	n = fr_store__list(s, &q, out, &cursor);
	fr_store__close(s);
	return n;
}

static char dir[128];
static uint16_t sink_port;

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/fr-e2e-%d-XXXXXX", getpid());
	if (!mkdtemp(dir))
		return -1;
	if (fr_test_sink__start(&sink, 0))
		return -1;
	sink_port = sink.port;
	return 0;
}

struct slow {
	char kind[16];
	char trace[33];
	char span[17];
};

static const struct fr_span *find_span(const char *span_hex)
{
	for (size_t i = 0; i < sink_n; i++)
		for (size_t k = 0; k < sink_batches[i]->nr_spans; k++) {
			char h[17];

			fr_hex(sink_batches[i]->spans[k].span_id, 8, h);
			if (!strcmp(h, span_hex))
				return &sink_batches[i]->spans[k];
		}
	return NULL;
}

static const struct fr_kv *attr(const struct fr_span *s, const char *key)
{
	for (uint32_t i = 0; i < s->attrs.n; i++)
		if (!strcmp(s->attrs.kv[i].key.p, key))
			return &s->attrs.kv[i];
	return NULL;
}

/* `flightrec inspect FLAG` of an incident, parsed; asserts it ran and parses. */
static struct json_object *inspect_json(const char *flag, const char *dir, const char *idhex)
{
	struct json_object *j;
	char cmd[512], *txt;
	int status;

	snprintf(cmd, sizeof(cmd), "%s inspect %s --data-dir %s %s",
		 bin("FLIGHTREC_BIN", "./flightrec"), flag, dir, idhex);
	txt = run(cmd, &status);
	assert_int_equal(status, 0);
	j = json_tokener_parse(txt);
	assert_non_null(j);
	free(txt);
	return j;
}

static void test_slow_requests(void **state)
{
	uint16_t port = fr_test_free_port();
	char log[256], cmd[512], url[96];
	struct fr_incident_summary inc[64];
	struct slow slow[8];
	int nslow = 0, status, n = 0;
	char *out, *line, *save = NULL;
	pid_t rec;

	(void)state;
	snprintf(log, sizeof(log), "%s/recorder.log", dir);
	rec = start_recorder(dir, port, sink_port, "threshold=20ms,service=testsvc,cooldown=0s", log);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/v1/traces", port);
	snprintf(cmd, sizeof(cmd), "%s %s 200 fsync lock cpu sleep", bin("TESTSVC_BIN", "./testsvc"),
		 url);
	out = run(cmd, &status);
	assert_int_equal(status, 0);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "slow %15s trace %32s span %16s", slow[nslow].kind, slow[nslow].trace,
			   slow[nslow].span) == 3)
			nslow++;
	}
	free(out);
	assert_int_equal(nslow, 4);
	for (int i = 0; i < 150 && n < 4; i++) {
		usleep(200000);
		n = count_incidents(dir, inc, 64);
	}
	stop_recorder_ok(rec, log);
	n = count_incidents(dir, inc, 64);
	{
		char *logtxt;
		int st;

		snprintf(cmd, sizeof(cmd), "cat %s", log);
		logtxt = run(cmd, &st);
		print_message("%s", logtxt);
		free(logtxt);
	}
	/* exactly one incident per slow request, none for the fast ones */
	assert_int_equal(n, 4);
	for (int k = 0; k < nslow; k++) {
		const char *want = !strcmp(slow[k].kind, "fsync") ? "blocked in fsync("
				   : !strcmp(slow[k].kind, "lock") ? "blocked in futex"
				   : !strcmp(slow[k].kind, "cpu") ? "waiting for CPU: preempted by "
				   : "nanosleep (sleep)";
		bool found = false;

		for (int i = 0; i < n; i++) {
			char h[33];

			fr_hex(inc[i].trace_id, 16, h);
			if (strcmp(h, slow[k].trace))
				continue;
			found = true;
			print_message("%-6s %s\n", slow[k].kind, inc[i].verdict);
			assert_true(inc[i].kernel_context);
			assert_non_null(strstr(inc[i].verdict, want));
			if (!strcmp(slow[k].kind, "cpu")) {
				/* most of the time waiting; the named preemptor is the task
				 * that held the CPU longest as far as switches show */
				unsigned pct = (unsigned)atoi(inc[i].verdict);

				assert_true(pct >= 50);
				assert_true(strstr(inc[i].verdict, "(hog)") ||
					    strstr(inc[i].verdict, "other"));
			}
			assert_int_equal(inc[i].kind, 2);
			assert_true(inc[i].records > 0);
		}
		assert_true(found);
	}
	for (int i = 0; i < n; i++)
		assert_string_not_equal(inc[i].span_name, "GET /fast");

	/* exported: the annotated span and its children */
	pthread_mutex_lock(&sink_mu);
	for (int k = 0; k < nslow; k++) {
		const struct fr_span *p = find_span(slow[k].span);
		size_t children = 0;

		assert_non_null(p);
		assert_non_null(attr(p, "flightrec.incident.id"));
		assert_non_null(attr(p, "flightrec.verdict"));
		assert_non_null(attr(p, "flightrec.incident.url"));
		for (size_t i = 0; i < sink_n; i++) {
			for (size_t s = 0; s < sink_batches[i]->nr_spans; s++) {
				const struct fr_span *c = &sink_batches[i]->spans[s];

				if (!c->has_parent || memcmp(c->parent_span_id, p->span_id, 8))
					continue;
				children++;
				assert_memory_equal(c->trace_id, p->trace_id, 16);
				assert_true(c->start_ns >= p->start_ns);
				assert_true(c->end_ns <= p->end_ns);
				assert_true(c->scope->resource->pid == p->scope->resource->pid);
			}
		}
		print_message("%-6s %zu child spans\n", slow[k].kind, children);
		if (strcmp(slow[k].kind, "cpu"))
			assert_true(children >= 1); /* the blocking syscall at least */
	}
	/* fast spans were forwarded too, unchanged */
	{
		size_t fast = 0;

		for (size_t i = 0; i < sink_n; i++)
			for (size_t s = 0; s < sink_batches[i]->nr_spans; s++)
				fast += !strcmp(sink_batches[i]->spans[s].name.p, "GET /fast");
		assert_int_equal(fast, 200 + 4 * 20);
	}
	pthread_mutex_unlock(&sink_mu);

	/* inspect: text, JSON, Perfetto of the fsync incident */
	for (int i = 0; i < n; i++) {
		char idhex[17], *txt;
		struct json_object *j, *ev;
		bool thread_track = false, syscall_slice = false, span_slice = false;

		if (strcmp(inc[i].span_name, "POST /fsync"))
			continue;
		snprintf(idhex, sizeof(idhex), "%016llx", (unsigned long long)inc[i].id);
		snprintf(cmd, sizeof(cmd), "%s inspect --data-dir %s %s",
			 bin("FLIGHTREC_BIN", "./flightrec"), dir, idhex);
		txt = run(cmd, &status);
		assert_int_equal(status, 0);
		assert_non_null(strstr(txt, inc[i].verdict));
		assert_non_null(strstr(txt, "threads"));
		assert_non_null(strstr(txt, "top syscalls"));
		assert_non_null(strstr(txt, "fsync"));
		free(txt);
		j = inspect_json("--json", dir, idhex);
		assert_true(json_object_object_get_ex(j, "records", &ev));
		assert_true(json_object_object_get_ex(j, "verdict", &ev));
		json_object_put(j);
		j = inspect_json("--perfetto", dir, idhex);
		assert_true(json_object_object_get_ex(j, "traceEvents", &ev));
		for (size_t k = 0; k < json_object_array_length(ev); k++) {
			struct json_object *e = json_object_array_get_idx(ev, k), *v;
			const char *ph = json_object_object_get_ex(e, "ph", &v) ? json_object_get_string(v) : "";
			const char *cat = json_object_object_get_ex(e, "cat", &v) ? json_object_get_string(v) : "";
			const char *nm = json_object_object_get_ex(e, "name", &v) ? json_object_get_string(v) : "";

			thread_track |= !strcmp(ph, "M") && !strcmp(nm, "thread_name");
			syscall_slice |= !strcmp(ph, "X") && !strcmp(cat, "syscall") && !strcmp(nm, "fsync");
			span_slice |= !strcmp(ph, "X") && !strcmp(cat, "span") && !strcmp(nm, "POST /fsync");
		}
		assert_true(thread_track);
		assert_true(syscall_slice);
		assert_true(span_slice);
		json_object_put(j);
		/* and the .frsnap file itself */
		snprintf(cmd, sizeof(cmd), "%s inspect --data-dir %s --save %s/i.frsnap %s && %s inspect %s/i.frsnap",
			 bin("FLIGHTREC_BIN", "./flightrec"), dir, dir, idhex,
			 bin("FLIGHTREC_BIN", "./flightrec"), dir);
		txt = run(cmd, &status);
		assert_int_equal(status, 0);
		assert_non_null(strstr(txt, inc[i].verdict));
		free(txt);
	}
}

/* kill -9 during a burst of captures; a restart opens the store and every
 * listed incident decodes. */
static void test_kill9_recorder(void **state)
{
	uint16_t port = fr_test_free_port();
	char log[256], cmd[512], url[96], kdir[160];
	struct fr_incident_summary inc[512];
	pid_t rec, svc;
	int n;

	(void)state;
	snprintf(kdir, sizeof(kdir), "%s/kill9", dir);
	snprintf(log, sizeof(log), "%s/kill9.log", dir);
	/* every span fires: a burst of captures */
	rec = start_recorder(kdir, port, sink_port, "threshold=1us,cooldown=0s", log);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/v1/traces", port);
	snprintf(cmd, sizeof(cmd), "exec %s %s 100000 >/dev/null 2>&1", bin("TESTSVC_BIN", "./testsvc"),
		 url); /* exec: the kill below must reach testsvc, not only its shell */
	svc = fork();
	if (svc == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	sleep(3);
	stop(rec, SIGKILL);
	stop(svc, SIGKILL);
	/* restart on the same store, then stop it cleanly */
	rec = start_recorder(kdir, port, sink_port, "threshold=1us,cooldown=0s", log);
	stop_recorder_ok(rec, log);
	n = count_incidents(kdir, inc, 512);
	print_message("%d incidents listed after kill -9 and restart\n", n);
	assert_true(n > 10);
	{
		struct fr_store *s = open_ro(kdir);

		assert_non_null(s);
		for (int i = 0; i < n; i++) {
			struct fr_buf b = { 0 }, pb = { 0 };

			assert_int_equal(fr_store__snapshot(s, inc[i].id, &b), 0);
			assert_int_equal(fr_frsnap__unwrap(b.p, b.len, FR_FRSNAP_MAX_BYTES, &pb), 0);
			assert_true(pb.len > 0);
			fr_buf__free(&b);
			fr_buf__free(&pb);
		}
		fr_store__close(s);
	}
}

/* POSTs one span of process pid, ending now and lasting ms, as OTLP JSON. */
static void post_span(uint16_t port, pid_t pid, const char *name, int ms, int n)
{
	const char *json[] = { "Content-Type: application/json", NULL };
	uint64_t end = fr_wall_ns(), start = end - (uint64_t)ms * 1000000ull;
	char body[1024];
	struct fr_test_resp r;

	snprintf(body, sizeof(body),
		 "{\"resourceSpans\":[{\"resource\":{\"attributes\":["
		 "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"sender\"}},"
		 "{\"key\":\"process.pid\",\"value\":{\"intValue\":\"%d\"}}]},"
		 "\"scopeSpans\":[{\"spans\":[{\"traceId\":\"5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e%02x\","
		 "\"spanId\":\"5e5e5e5e5e5e5e%02x\",\"name\":\"%s\",\"kind\":2,"
		 "\"startTimeUnixNano\":\"%llu\",\"endTimeUnixNano\":\"%llu\"}]}]}]}",
		 (int)pid, n, n, name, (unsigned long long)start, (unsigned long long)end);
	r = fr_test_http(port, "POST", "/v1/traces", json, body, strlen(body));
	if (r.status != 200)
		_exit(3);
	fr_test_resp_free(&r);
}

/* A child process running as user nobody (0 in the child). */
static pid_t fork_as_nobody(void)
{
	pid_t pid = fork();

	if (pid == 0 && (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
			 setresuid(65534, 65534, 65534)))
		_exit(2);
	return pid;
}

/*
 * A sender may bring under capture only what it may see: user nobody's
 * span that names a root process (this test) gets no kernel context and
 * says why; the same sender's own process is captured.
 */
static void test_sender_may_see(void **state)
{
	uint16_t port = fr_test_free_port();
	char log[256], sdir[160];
	struct fr_incident_summary inc[64];
	pid_t rec, sender, root_pid = getpid();
	int n, status;
	bool seen_denied = false, seen_own = false;

	(void)state;
	snprintf(sdir, sizeof(sdir), "%s/sender", dir);
	snprintf(log, sizeof(log), "%s/sender.log", dir);
	rec = start_recorder(sdir, port, sink_port, "threshold=20ms,cooldown=0s", log);
	sender = fork_as_nobody();
	if (sender == 0) {
		post_span(port, root_pid, "names-root", 40, 1);
		post_span(port, getpid(), "own-fast", 1, 2); /* now followed */
		usleep(300 * 1000);
		usleep(60 * 1000);
		post_span(port, getpid(), "own-slow", 50, 3);
		_exit(0);
	}
	assert_int_equal(waitpid(sender, &status, 0), sender);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	sleep(1);
	assert_int_equal(stop(rec, SIGTERM), 0);
	n = count_incidents(sdir, inc, 64);
	for (int i = 0; i < n; i++) {
		print_message("%s: kernel context %d: %s\n", inc[i].span_name, inc[i].kernel_context,
			      inc[i].verdict);
		if (!strcmp(inc[i].span_name, "names-root")) {
			seen_denied = true;
			assert_false(inc[i].kernel_context);
			assert_non_null(strstr(inc[i].verdict, "uid 65534"));
			assert_non_null(strstr(inc[i].verdict, "may not see pid"));
		}
		if (!strcmp(inc[i].span_name, "own-slow")) {
			seen_own = true;
			assert_true(inc[i].kernel_context);
		}
	}
	assert_true(seen_denied);
	assert_true(seen_own);

	/* a trusted network (the pods' addresses, in Kubernetes): the same
	 * sender may name any process */
	snprintf(sdir, sizeof(sdir), "%s/trusted", dir);
	rec = start_recorder_with(sdir, port, sink_port, "threshold=20ms,cooldown=0s", log,
				  "--trusted-sender 127.0.0.0/8");
	sender = fork_as_nobody();
	if (sender == 0) {
		post_span(port, root_pid, "names-root", 40, 4);
		_exit(0);
	}
	assert_int_equal(waitpid(sender, &status, 0), sender);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	sleep(1);
	assert_int_equal(stop(rec, SIGTERM), 0);
	n = count_incidents(sdir, inc, 64);
	assert_int_equal(n, 1);
	print_message("trusted: %s: %s\n", inc[0].span_name, inc[0].verdict);
	assert_null(strstr(inc[0].verdict, "may not see pid"));
	assert_null(strstr(inc[0].verdict, "may not bring"));
}

static int teardown(void **state)
{
	(void)state;
	return fr_test_rm_rf(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slow_requests),
		cmocka_unit_test(test_kill9_recorder),
		cmocka_unit_test(test_sender_may_see),
	};

	return fr_test_run_as_root(tests, "test_e2e runs kernel capture", setup, teardown);
}
