/* SPDX-License-Identifier: MIT */
/*
 * fr_test_util.h - helpers shared by the tests that run programs and read
 * what exporters sent.
 */
#ifndef FR_TEST_UTIL_H
#define FR_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fr_otlp.h"
#include "fr_span.h"

/* Runs cmd through the shell; its stdout, NUL-terminated (malloc'd), and
 * its wait status in *status. NULL when it cannot be started. */
static inline char *fr_test_run(const char *cmd, int *status)
{
	struct fr_buf out = { 0 };
	char chunk[4096];
	size_t n;
	FILE *p = popen(cmd, "r");

	if (!p)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		fr_buf__put(&out, chunk, n);
	fr_buf__putc(&out, '\0');
	*status = pclose(p);
	return (char *)out.p;
}

/* Inflates a gzip body into out (at most 64 MiB); 0, or -1 when it is not gzip. */
static inline int fr_test_gunzip(const void *gz, size_t len, struct fr_buf *out)
{
	return fr_otlp__gunzip(gz, len, 64u << 20, out) ? -1 : 0;
}

/* Removes a test's directory tree; 0, or -1 when rm failed. */
static inline int fr_test_rm_rf(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

/*
 * The tests of a cmocka group that needs root (kernel capture): without
 * root, says what needs it and fails, for CI runs as root and must run them.
 * Evaluates to main's exit status.
 */
#define fr_test_run_as_root(tests, what_needs_root, setup, teardown)                   \
	(geteuid() != 0 ? (fprintf(stderr, "%s: run it as root\n", what_needs_root), 1) \
			: cmocka_run_group_tests(tests, setup, teardown))

/*
 * Runs `node SCRIPT` in tests/DIR of the checkout and prints what it said;
 * asserts that it exited 0. Its output (malloc'd), for more checks.
 */
#define fr_test_node(dir, script)                                                      \
	({                                                                             \
		char cmd_[1024], *out_;                                                \
		int status_;                                                           \
		snprintf(cmd_, sizeof(cmd_), "cd '%s/tests/%s' && node %s 2>&1",       \
			 FR_SOURCE_DIR, (dir), (script));                               \
		out_ = fr_test_run(cmd_, &status_);                                    \
		assert_non_null(out_);                                                 \
		fputs(out_, stdout); /* whole: print_message cuts long output */      \
		fflush(stdout);                                                        \
		assert_true(WIFEXITED(status_));                                       \
		assert_int_equal(WEXITSTATUS(status_), 0);                             \
		out_;                                                                  \
	})

/*
 * Runs cmd (sh) until it exits 0, at most attempts times (a check of the
 * real kernel on a shared, noisy machine), printing each run's output
 * whole ("attempt N:"); the last run's wait status.
 */
static inline int fr_test_run_retried(const char *cmd, int attempts)
{
	int status = -1;

	for (int attempt = 1; attempt <= attempts; attempt++) {
		char *out = fr_test_run(cmd, &status);

		if (!out)
			return -1;
		printf("attempt %d:\n", attempt);
		fputs(out, stdout); /* whole: print_message cuts long output */
		fflush(stdout);
		free(out);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			break;
	}
	return status;
}

/* A TCP port on 127.0.0.1 that was free a moment ago (the kernel's pick). */
#include <netinet/in.h>
#include <sys/socket.h>
static inline uint16_t fr_test_free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	uint16_t port = 0;

	if (fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof(a)) &&
	    !getsockname(fd, (struct sockaddr *)&a, &len))
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

#endif /* FR_TEST_UTIL_H */
