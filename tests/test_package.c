// SPDX-License-Identifier: MIT
/*
 * test_package.c - flightrec as users install it (root): the Debian
 * package made from the build's install rules (cpack) installs with
 * dpkg -i, brings its user, unit and config file (a conffile), runs
 * `flightrec version`, parses its own config file, its unit passes
 * systemd-analyze verify, and dpkg --purge takes everything away again.
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

/* Runs cmd (sh); asserts its exit status; its output (malloc'd). */
static char *sh(const char *cmd, int want)
{
	int status = -1;
	char *out = fr_test_run(cmd, &status);

	assert_non_null(out);
	print_message("$ %s\n%s", cmd, out);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) != want)
		fail_msg("'%s' exited %d, not %d", cmd, WEXITSTATUS(status), want);
	return out;
}

static void test_deb(void **state)
{
	char dir[] = "/tmp/fr-deb-XXXXXX", cmd[1024];
	char *out;
	int st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	free(fr_test_run("dpkg --purge flightrec >/dev/null 2>&1", &st)); /* a leftover */
	snprintf(cmd, sizeof(cmd), "cd '%s' && cpack -B %s 2>&1 | tail -1 && ls %s/*.deb",
		 FR_BINARY_DIR, dir, dir);
	free(sh(cmd, 0));
	snprintf(cmd, sizeof(cmd), "dpkg -i %s/flightrec_*.deb 2>&1", dir);
	free(sh(cmd, 0));

	out = sh("/usr/bin/flightrec version", 0);
	assert_non_null(strstr(out, "flightrec "));
	free(out);
	out = sh("getent passwd flightrec", 0);
	assert_non_null(strstr(out, "/var/lib/flightrec"));
	free(out);
	out = sh("dpkg-query -W -f='${Conffiles}' flightrec", 0);
	assert_non_null(strstr(out, "/etc/flightrec/flightrec.conf"));
	free(out);
	/* the shipped config file parses (--help stops after reading it) */
	free(sh("/usr/bin/flightrec run --config /etc/flightrec/flightrec.conf --help >/dev/null", 0));
	out = sh("systemd-analyze verify /usr/lib/systemd/system/flightrec.service 2>&1", 0);
	assert_null(strstr(out, "flightrec.service:"));
	free(out);

	free(sh("dpkg --purge flightrec 2>&1", 0));
	free(sh("test ! -e /usr/bin/flightrec && test ! -e /etc/flightrec && "
		"test ! -e /usr/lib/systemd/system/flightrec.service && "
		"! getent passwd flightrec && ! dpkg -s flightrec 2>/dev/null",
		0));
	assert_int_equal(fr_test_rm_rf(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deb),
	};

	return fr_test_run_as_root(tests, "test_package installs a package", NULL, NULL);
}
