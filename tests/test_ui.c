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
	char *out;

	(void)state;
	out = fr_test_node("ui", "ui_test.mjs");
	assert_non_null(strstr(out, "ui: all checks passed"));
	assert_null(strstr(out, "FAIL"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ui_in_chromium),
	};

	return fr_test_run_as_root(tests, "test_ui runs the recorder with kernel capture", NULL,
				   NULL);
}
