/* SPDX-License-Identifier: MIT */
/*
 * fr_usyms.h - user-space symbols: a process's mappings (/proc/PID/maps)
 * and the ELF symbol tables (.symtab, .dynsym) of the mapped files, read
 * with libelf and cached per file; a stripped file's .symtab from its
 * separate debug file, found by build-id; JIT code by the process's perf
 * map (/tmp/perf-PID.map). Not thread-safe: one owner.
 */
#ifndef FR_USYMS_H
#define FR_USYMS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct fr_usyms;

struct fr_uframe {
	uint64_t ip;
	const char *module; /* mapped file, NULL when not in a file mapping */
	const char *sym;    /* NULL when unknown (outside every symbol) */
	uint64_t off;       /* ip - symbol start; without a symbol, the address in
			     * the module (module+off) */
};

struct fr_usyms *fr_usyms__new(void);
void fr_usyms__free(struct fr_usyms *u);

/* Where separate debug files are looked for (default /usr/lib/debug);
 * for files loaded after the call. */
void fr_usyms__set_debug_root(struct fr_usyms *u, const char *dir);

/* Resolves ips of process pid into out[0..n). Strings live until the next call
 * (a process's perf map is read again when its JIT code grew, which frees
 * the old names): copy what is kept. 0 or -errno
 * (-ENOENT when the process is gone: frames are left unresolved). */
/*
 * Loads the symbols of every file process pid has mapped executable, ahead
 * of the first stack that needs them (a runtime's binary takes hundreds of
 * ms the first time). 0 or -ENOENT (the process is gone).
 */
int fr_usyms__preload(struct fr_usyms *u, pid_t pid);

int fr_usyms__resolve(struct fr_usyms *u, pid_t pid, const uint64_t *ips, size_t n,
		      struct fr_uframe *out);

#endif /* FR_USYMS_H */
