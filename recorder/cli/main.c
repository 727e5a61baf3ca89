// SPDX-License-Identifier: MIT
/*
 * main.c - the flightrec executable: dispatches to subcommands.
 */
#include <stdio.h>
#include <string.h>

#include "fr_commands.h"
#include "fr_log.h"
#include "fr_record.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: flightrec [-v] [COMMAND] [OPTIONS]\n"
		"An always-on, anomaly-triggered flight recorder for microservices.\n\n"
		"commands:\n"
		"  run      record continuously (the default when no command is given)\n"
		"  fleet    the UI of a fleet of recorders over NATS, without capture\n"
		"  trace    follow one process and print what the kernel rings hold for it\n"
		"  inspect  print a snapshot (.frsnap or a stored incident), as text, JSON or Perfetto\n"
		"  version  print the version and record ABI\n\n"
		"Run 'flightrec COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
	int i = 1;

	while (i < argc && !strcmp(argv[i], "-v")) {
		fr_log_level = FR_LOG_DEBUG;
		i++;
	}
	if (i >= argc || argv[i][0] == '-') {
		if (i < argc && (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))) {
			usage(stdout);
			return 0;
		}
		argv[i - 1] = "run";
		return fr_cmd_run(argc - i + 1, argv + i - 1);
	}
	if (!strcmp(argv[i], "run"))
		return fr_cmd_run(argc - i, argv + i);
	if (!strcmp(argv[i], "fleet"))
		return fr_cmd_fleet(argc - i, argv + i);
	if (!strcmp(argv[i], "trace"))
		return fr_cmd_trace(argc - i, argv + i);
	if (!strcmp(argv[i], "inspect"))
		return fr_cmd_inspect(argc - i, argv + i);
	if (!strcmp(argv[i], "version")) {
		printf("flightrec 0.1.0 (record ABI %d)\n", FR_ABI_VERSION);
		return 0;
	}
	if (!strcmp(argv[i], "help")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "flightrec: unknown command '%s'\n", argv[i]);
	usage(stderr);
	return 2;
}
