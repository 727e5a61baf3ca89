/* SPDX-License-Identifier: MIT */
/*
 * fr_options.h - `flightrec run`'s command line and config file, parsed
 * into an fr_config (fr_config.h).
 */
#ifndef FR_OPTIONS_H
#define FR_OPTIONS_H

#include <stdio.h>

#include "fr_config.h"

/*
 * Parses argv into c (which it initialises). 0 to run; -1 after --help
 * (the usage printed to stdout: leave with status 0); otherwise the exit
 * status to leave with (2 for bad options, with a message and the usage
 * on stderr). Free with fr_config__free in every case.
 */
int fr_config__parse(struct fr_config *c, int argc, char **argv);

/*
 * The UI token when none was given and --no-auth was not: read from
 * DATA-DIR/ui-token, made there at first start (random, mode 0600).
 * 0, or -errno (logged). Sets c->web.token.
 */
int fr_config__ui_token(struct fr_config *c);
void fr_config__free(struct fr_config *c);
void fr_config__usage(FILE *out);

#endif /* FR_OPTIONS_H */
