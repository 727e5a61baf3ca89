// SPDX-License-Identifier: MIT
/*
 * test_ui.c - runs tests/ui/ui_test.mjs: the web UI in Debian's headless
 * Chromium (playwright-core) against the real recorder and its demo, as
 * root. Prints where the screenshots are.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "fr_test_util.h"

static void test_ui_in_chromium(void **state)
{
	char cmd[1024], *out;
	int status;

	(void)state;
	snprintf(cmd, sizeof(cmd), "cd '%s/tests/ui' && node ui_test.mjs 2>&1", FR_SOURCE_DIR);
	out = fr_test_run(cmd, &status);
	assert_non_null(out);
	print_message("%s", out);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_non_null(strstr(out, "ui: all checks passed"));
	assert_null(strstr(out, "FAIL"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ui_in_chromium),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_ui runs the recorder with kernel capture: run it as root\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
