// SPDX-License-Identifier: MIT
/*
 * test_attribution.c - runs tests/otel/attribution.mjs (root: real kernel
 * capture, PID namespaces, a cgroup): spans without process.pid get the
 * process of their sender, or, through a forwarder running as otelcol,
 * the one --service-map names; a service in its own PID namespace gets
 * its process.pid translated through its sender's namespace, or through
 * the container its resource names. Each slow request's incident must
 * have kernel context, a verdict naming the file it fsync'd, and say how
 * the process was found. A run with a wrong verdict is tried once more
 * (the machine is shared and noisy); both are printed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "fr_test_util.h"

static void test_attribution(void **state)
{
	char cmd[1024];
	int status = -1;

	(void)state;
	snprintf(cmd, sizeof(cmd), "cd '%s/tests/otel' && node attribution.mjs 2>&1", FR_SOURCE_DIR);
	for (int attempt = 1; attempt <= 2; attempt++) {
		char *out = fr_test_run(cmd, &status);

		assert_non_null(out);
		printf("attempt %d:\n", attempt);
		fputs(out, stdout);
		fflush(stdout);
		free(out);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			break;
	}
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attribution),
	};

	return fr_test_run_as_root(tests, "test_attribution captures the kernel", NULL, NULL);
}
