/* SPDX-License-Identifier: MIT */
/*
 * fr_ksyms.h - kernel symbol lookup from /proc/kallsyms.
 *
 * Loaded once (about 100k text symbols), then read-only: lookups are
 * thread-safe. Needs root (otherwise kallsyms shows zero addresses and
 * loading fails with EPERM).
 */
#ifndef FR_KSYMS_H
#define FR_KSYMS_H

#include <stdint.h>

struct fr_ksyms;

/* Loads path (NULL = /proc/kallsyms). NULL with errno on failure. */
struct fr_ksyms *fr_ksyms__load(const char *path);

/* Name of the function containing addr and the offset into it, or NULL. */
const char *fr_ksyms__lookup(const struct fr_ksyms *ks, uint64_t addr, uint64_t *offset);

/* NULL is a no-op. */
void fr_ksyms__free(struct fr_ksyms *ks);

#endif /* FR_KSYMS_H */
