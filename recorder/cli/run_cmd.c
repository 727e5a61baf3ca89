// SPDX-License-Identifier: MIT
/*
 * run_cmd.c - `flightrec run`: the long-running recorder. Options into a
 * config (options.c) and the config file, the daemon started from it
 * (recorder/daemon), run until SIGINT or SIGTERM (SIGHUP reloads the options),
 * stopped without losing what it holds.
 */
#define FR_LOG_MOD "run"
#include <errno.h>
#include <signal.h>

#include "fr_commands.h"
#include "fr_snapshot.h"
#include "fr_options.h"
#include "fr_daemon.h"

static volatile sig_atomic_t stop_flag, reload_flag;

struct args {
	int argc;
	char **argv;
};

static int reread(void *ctx, struct fr_config *nc)
{
	struct args *a = ctx;

	return fr_config__parse(nc, a->argc, a->argv);
}

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_flag = 1;
	else
		stop_flag = 1;
}

int fr_cmd_run(int argc, char **argv)
{
	struct fr_config c;
	struct fr_daemon *d;
	struct args a = { argc, argv };
	struct fr_daemon_reread rr = { .read = reread, .free = fr_config__free, .ctx = &a };
	int rc = fr_config__parse(&c, argc, argv);

	if (rc) {
		fr_config__free(&c);
		return rc < 0 ? 0 : rc;
	}
	if (fr_config__ui_token(&c)) {
		fr_config__free(&c);
		return 1;
	}
	fr_snapshot__tune_malloc();
	d = fr_daemon__start(&c);
	if (!d) {
		fr_config__free(&c);
		return errno == EINVAL ? 2 : 1; /* 2: a bad rule, as for a bad option */
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, SIG_IGN);
	fr_daemon__run(d, &stop_flag, &reload_flag, &rr);
	fr_daemon__stop(d);
	fr_config__free(&c);
	return 0;
}
