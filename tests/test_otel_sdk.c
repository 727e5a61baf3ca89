// SPDX-License-Identifier: MIT
/*
 * test_otel_sdk.c - runs tests/otel/sdk_roundtrip.mjs: the official
 * OpenTelemetry JS SDK sends spans (protobuf, JSON, each with and without
 * gzip) through flightrec to a protobufjs backend; every span must arrive
 * equal, field by field, in flightrec's decode and at the backend.
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

static void test_sdk_roundtrip(void **state)
{
	char *out;

	(void)state;
	out = fr_test_node("otel", "sdk_roundtrip.mjs");
	assert_non_null(strstr(out, "compared 20 spans from 4 exporter configurations"));
	assert_non_null(strstr(out, ": 0 mismatches"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sdk_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
