/* SPDX-License-Identifier: MIT */
/*
 * fr_commands.h - the subcommands of the flightrec executable. Each takes
 * its own argv (argv[0] = subcommand name) and returns the exit status.
 */
#ifndef FR_COMMANDS_H
#define FR_COMMANDS_H

#include <stdio.h>

#include "fr_ksyms.h"
#include "fr_names.h"
#include "fr_ring.h"

int fr_cmd_run(int argc, char **argv);
int fr_cmd_trace(int argc, char **argv);
int fr_cmd_fleet(int argc, char **argv);
int fr_cmd_inspect(int argc, char **argv);

/* One line (plus stack lines) for event e of window w; times relative to t_base. */
void fr_trace_print_event(FILE *out, const struct fr_window *w, const struct fr_event *e,
			  uint64_t t_base, const struct fr_ksyms *ks, struct fr_names *names);

#endif /* FR_COMMANDS_H */
