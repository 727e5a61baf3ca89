/* SPDX-License-Identifier: MIT */
/*
 * fr_names.h - thread names for the threads of a window: from the exit
 * and preemptor records the window holds (named by the kernel at the time,
 * so threads and processes already gone keep their names), else from
 * /proc/PID/task/TID/comm, looked up once per thread and remembered.
 * Not thread-safe: one owner.
 */
#ifndef FR_NAMES_H
#define FR_NAMES_H

#include <stdint.h>
#include <sys/types.h>

#include "fr_ring.h"

struct fr_names;

/* A cache seeded from w's exit records (w may be NULL). NULL on ENOMEM. */
struct fr_names *fr_names__new(const struct fr_window *w);

/* The name of thread tid of process pid; "?" when unknown. Valid until free. */
const char *fr_names__get(struct fr_names *n, pid_t pid, uint32_t tid);

/* NULL is a no-op. */
void fr_names__free(struct fr_names *n);

#endif /* FR_NAMES_H */
