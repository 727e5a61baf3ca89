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
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trace_command),
		cmocka_unit_test(test_unprivileged_says_why),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_rules_survive_restart),
	};

	return fr_test_run_as_root(tests, "test_cli runs flightrec trace", NULL, NULL);
}
