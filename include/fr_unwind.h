/* SPDX-License-Identifier: MIT */
/*
 * fr_unwind.h - user stacks unwound from a raw copy: the registers and the
 * stack's top taken in the kernel at a slow syscall's exit (fr_record.h,
 * FR_STK_USER_RAW), walked off the hot path with the mapped binaries'
 * call frame information (.eh_frame, .debug_frame) by elfutils' libdwfl,
 * and by frame pointers where a frame has none (JIT-compiled code).
 * One process's modules are cached for a few seconds. Not thread-safe:
 * one owner.
 */
#ifndef FR_UNWIND_H
#define FR_UNWIND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "fr_record.h"

struct fr_unwinder;

struct fr_unwinder *fr_unwinder__new(void);
void fr_unwinder__free(struct fr_unwinder *u);

/*
 * Unwinds thread tid of process pid from regs, with stack[0 .. len) the
 * bytes at regs->sp and up. Writes up to max instruction addresses into
 * ips, innermost first (callers' return addresses minus one, so that
 * each falls inside its call). The number written: at least the ip
 * itself when regs->ip is set (all there is when the process is gone).
 */
/* Reports pid's modules ahead of its first stack. 0 or -ENOENT. */
int fr_unwinder__prepare(struct fr_unwinder *u, pid_t pid);

int fr_unwinder__unwind(struct fr_unwinder *u, pid_t pid, pid_t tid,
			const struct fr_user_regs *regs, const void *stack, size_t len,
			uint64_t *ips, size_t max);

#endif /* FR_UNWIND_H */
