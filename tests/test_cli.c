// SPDX-License-Identifier: MIT
/*
 * test_cli.c - the flightrec executable as a person runs it: `trace` of a
 * command prints its events; without privileges it says what is missing;
 * bad arguments get a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <curl/curl.h>

#include "fr_test_http.h"
#include "fr_test_util.h"

static const char *bin(void)
{
	const char *b = getenv("FLIGHTREC_BIN");

	return b ? b : "./flightrec";
}

/* Runs argv (optionally as an unprivileged user); stdout+stderr into out. */
static int run(char *const argv[], bool drop_privs, char *out, size_t out_len)
{
	int p[2], status = -1;
	size_t n = 0;
	ssize_t r;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		close(p[0]);
		if (drop_privs) {
			/* Opened while still root: the checkout may sit below a
			 * directory only root can enter (a home directory). */
			int exe = open(argv[0], O_RDONLY | O_CLOEXEC);

			if (exe < 0 || setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
			    setresuid(65534, 65534, 65534))
				_exit(126);
			fexecve(exe, argv, environ);
			_exit(127);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	while (n + 1 < out_len && (r = read(p[0], out + n, out_len - n - 1)) > 0)
		n += (size_t)r;
	out[n] = '\0';
	close(p[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static char out[1 << 20];

static void test_trace_command(void **state)
{
	char *argv[] = { (char *)bin(), "trace", "-m", "32", "--", "/bin/sh", "-c",
			 "sleep 0.05; echo hi > /dev/null", NULL };

	(void)state;
	assert_int_equal(run(argv, false, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "execve("));
	assert_non_null(strstr(out, "wait4("));      /* the shell waits for sleep */
	assert_non_null(strstr(out, "off-cpu blocked S"));
	assert_non_null(strstr(out, "[kernel]"));   /* a symbolized blocking stack */
	assert_non_null(strstr(out, "events for pid"));
}

static void test_unprivileged_says_why(void **state)
{
	char *argv[] = { (char *)bin(), "trace", "-p", "1", "-d", "0.1", NULL };

	(void)state;
	assert_int_equal(run(argv, true, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "needs root"));
	assert_non_null(strstr(out, "CAP_BPF"));
}

static void test_bad_arguments(void **state)
{
	char *a1[] = { (char *)bin(), "no-such-command", NULL };
	char *a2[] = { (char *)bin(), "trace", "-p", "-5", NULL };
	char *a3[] = { (char *)bin(), "trace", NULL };
	char *a4[] = { (char *)bin(), "trace", "-d", "abc", "-p", "1", NULL };

	(void)state;
	assert_int_equal(run(a1, false, out, sizeof(out)), 2);
	assert_non_null(strstr(out, "unknown command"));
	assert_int_equal(run(a2, false, out, sizeof(out)), 2);
	assert_non_null(strstr(out, "bad pid"));
	assert_int_equal(run(a3, false, out, sizeof(out)), 2);
	assert_non_null(strstr(out, "usage"));
	assert_int_equal(run(a4, false, out, sizeof(out)), 2);
	assert_non_null(strstr(out, "bad duration"));
}

/* Rules with extreme values are stored as text and come back the same
 * after a restart (a rule that did not parse back used to vanish). */
static void test_rules_survive_restart(void **state)
{
	char dir[] = "/tmp/fr-cli-rules-XXXXXX";
	static const char *const rules[] = { "p99.99999,min=1000,kind=server,cooldown=1m",
					     "threshold=9223372036854775807ns,cooldown=0ns",
					     "p0.000001,min=1,service='a, b',cooldown=1ns" };
	char *first[32], *again[16];
	int n = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (char *const *p = (char *const[]){ "/usr/bin/timeout", "-s", "TERM", "1", (char *)bin(),
					       "run", "--no-kernel", "--no-web", "--otlp-listen",
					       "127.0.0.1:0", "--data-dir", dir, "-i", "0", NULL };
	     *p; p++)
		first[n++] = *p;
	first[n] = NULL;
	memcpy(again, first, sizeof(char *) * (size_t)(n + 1));
	for (size_t i = 0; i < 3; i++) {
		first[n++] = "--rule";
		first[n++] = (char *)rules[i];
	}
	first[n] = NULL;
	run(first, false, out, sizeof(out));
	for (size_t i = 0; i < 3; i++)
		assert_non_null(strstr(out, rules[i]));
	/* no rules given: the stored ones, exactly */
	run(again, false, out, sizeof(out));
	assert_null(strstr(out, "ignoring an unreadable stored rule"));
	for (size_t i = 0; i < 3; i++) {
		char line[160];

		snprintf(line, sizeof(line), "rule %zu: %s", i + 1, rules[i]);
		if (!strstr(out, line))
			fail_msg("after the restart, no '%s' in:\n%s", line, out);
	}
	snprintf(out, sizeof(out), "rm -rf %s", dir);
	assert_int_equal(system(out), 0);
}

/* GET path; the body (malloc'd, NUL-ended) when 200, else NULL. */
static char *get_body(uint16_t port, const char *path)
{
	struct fr_test_resp r = fr_test_http(port, "GET", path, NULL, NULL, 0);
	char *body = NULL;

	if (r.status == 200) {
		body = calloc(1, r.body.len + 1);
		if (body && r.body.len)
			memcpy(body, r.body.p, r.body.len);
	}
	fr_test_resp_free(&r);
	return body;
}

/* /api/rules until it contains want (at most 10 s); its last body. */
static char *rules_with(uint16_t port, const char *want)
{
	char *body = NULL;

	for (int i = 0; i < 100; i++) {
		free(body);
		body = get_body(port, "/api/rules");
		if (body && strstr(body, want))
			break;
		usleep(100 * 1000);
	}
	return body;
}

static uint64_t written(uint16_t port)
{
	char *body = get_body(port, "/api/status"), *p;
	uint64_t n = 0;

	assert_non_null(body);
	p = strstr(body, "\"written\":");
	assert_non_null(p);
	n = strtoull(p + 10, NULL, 10);
	free(body);
	return n;
}

static void write_config(const char *path, uint16_t otlp, uint16_t web, const char *dir,
			 const char *rule)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fprintf(f, "# flightrec.conf for test_cli\n"
		   "otlp-listen = 127.0.0.1:%u\n"
		   "web-listen 127.0.0.1:%u   # key, blank, value\n"
		   "no-auth = true\n"
		   "no-links = false\n"
		   "data-dir = %s/from-file\n"
		   "status-interval = 0\n"
		   "ring-mb = 32\n"
		   "all\n"
		   "rule = %s\n",
		otlp, web, dir, rule);
	fclose(f);
}

/*
 * The config file: its keys are the long options; options given on the
 * command line win; SIGHUP reads it again and applies the new rules while
 * the rings go on (their write counter is not reset); a bad key is an
 * error naming the line.
 */
static void test_config_file_and_reload(void **state)
{
	char dir[] = "/tmp/fr-cli-conf-XXXXXX", conf[64], flagdir[96], filedir[96], *body;
	uint16_t otlp = fr_test_free_port(), web = fr_test_free_port();
	uint64_t before, after;
	int status;
	pid_t pid;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(conf, sizeof(conf), "%s/flightrec.conf", dir);
	snprintf(flagdir, sizeof(flagdir), "%s/from-flag", dir);
	snprintf(filedir, sizeof(filedir), "%s/from-file", dir);
	write_config(conf, otlp, web, dir, "threshold=500ms,cooldown=1s");
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		execl(bin(), bin(), "run", "--config", conf, "--data-dir", flagdir, (char *)NULL);
		_exit(127);
	}
	body = rules_with(web, "threshold=500ms");
	assert_non_null(body);
	assert_non_null(strstr(body, "threshold=500ms"));
	free(body);
	assert_int_equal(access(flagdir, F_OK), 0);   /* the flag won */
	assert_int_not_equal(access(filedir, F_OK), 0);
	usleep(200 * 1000);
	before = written(web);
	assert_true(before > 0);

	write_config(conf, otlp, web, dir, "threshold=900ms,cooldown=1s");
	assert_int_equal(kill(pid, SIGHUP), 0);
	body = rules_with(web, "threshold=900ms");
	assert_non_null(body);
	assert_non_null(strstr(body, "threshold=900ms"));
	assert_null(strstr(body, "threshold=500ms"));
	free(body);
	after = written(web);
	print_message("ring records written: %llu before the reload, %llu after\n",
		      (unsigned long long)before, (unsigned long long)after);
	assert_true(after > before);
	assert_int_equal(kill(pid, SIGTERM), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* a bad key: an error that names the file and line */
	{
		FILE *f = fopen(conf, "w");
		char *argv[] = { (char *)bin(), "run", "--config", conf, NULL };

		assert_non_null(f);
		fprintf(f, "no-auth\nno-such-key = 1\n");
		fclose(f);
		assert_int_equal(run(argv, false, out, sizeof(out)), 2);
		assert_non_null(strstr(out, "flightrec.conf:2: unknown key 'no-such-key'"));
	}
	assert_int_equal(fr_test_rm_rf(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trace_command),
		cmocka_unit_test(test_unprivileged_says_why),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_rules_survive_restart),
		cmocka_unit_test(test_config_file_and_reload),
	};

	return fr_test_run_as_root(tests, "test_cli runs flightrec trace", NULL, NULL);
}
