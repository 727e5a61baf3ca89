// SPDX-License-Identifier: MIT
/*
 * test_comparison.c - runs tests/otel/baseline.mjs (root: real kernel
 * capture, the official OpenTelemetry JS SDK): flightrec samples normal
 * spans of an operation, and the incident of a request of the same
 * operation that spent its extra time in fsync of a journal shows that
 * cause first in its comparison with the normal spans, and in its
 * verdict; /api/baselines describes the operation and refuses bad
 * requests. A failed run is tried once more (the machine is shared).
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

static void test_slow_against_normal(void **state)
{
	char cmd[1024];
	int status;

	(void)state;
	snprintf(cmd, sizeof(cmd), "cd '%s/tests/otel' && node baseline.mjs 2>&1", FR_SOURCE_DIR);
	status = fr_test_run_retried(cmd, 2);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slow_against_normal),
	};

	return fr_test_run_as_root(tests, "test_comparison captures the kernel", NULL, NULL);
}
