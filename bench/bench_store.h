/* SPDX-License-Identifier: MIT */
/*
 * bench_store.h - the benchmarks' incident stores: each in a directory of
 * its own under /tmp, removed at the end.
 */
#ifndef FR_BENCH_STORE_H
#define FR_BENCH_STORE_H

#include <stdio.h>
#include <stdlib.h>

#include "fr_store.h"

/* A store of max_bytes (0: the default) in a new directory made from dir
 * ("/tmp/NAME-XXXXXX", changed in place); NULL when it cannot be made. */
static inline struct fr_store *bench_store_open(char *dir, uint64_t max_bytes)
{
	struct fr_store_opts so = { .sz = sizeof(so), .max_bytes = max_bytes };

	if (!mkdtemp(dir))
		return NULL;
	so.dir = dir;
	return fr_store__open(&so);
}

/* Closes the store and removes its directory. */
static inline void bench_store_remove(struct fr_store *store, const char *dir)
{
	char cmd[128];

	fr_store__close(store);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", dir);
}

#endif /* FR_BENCH_STORE_H */
