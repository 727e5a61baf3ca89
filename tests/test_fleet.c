// SPDX-License-Identifier: MIT
/*
 * test_fleet.c - runs tests/otel/fleet.mjs (root: real kernel capture on
 * three "hosts" made of network namespaces on a bridge, a real nats-server
 * with JetStream and accounts, services instrumented with the official
 * OpenTelemetry JS SDK calling each other A -> B -> C): one slow trace
 * explained across the hosts it crossed, each case a test (see the
 * script's header). A case that fails is run once more (the machine is
 * shared and noisy); both runs are printed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "fr_test_util.h"

static void run_case(const char *name)
{
	char cmd[1024];
	int status;

	snprintf(cmd, sizeof(cmd), "cd '%s/tests/otel' && timeout 300 node fleet.mjs %s 2>&1",
		 FR_SOURCE_DIR, name);
	status = fr_test_run_retried(cmd, 2);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

#define CASE(name)                         \
	static void test_##name(void **state) \
	{                                     \
		(void)state;                  \
		run_case(#name);              \
	}

CASE(chain)
CASE(backward)
CASE(late)
CASE(hops)
CASE(failures)
CASE(security)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain),    cmocka_unit_test(test_backward),
		cmocka_unit_test(test_late),     cmocka_unit_test(test_hops),
		cmocka_unit_test(test_failures), cmocka_unit_test(test_security),
	};

	return fr_test_run_as_root(tests, "test_fleet makes network namespaces and loads BPF",
				   NULL, NULL);
}
