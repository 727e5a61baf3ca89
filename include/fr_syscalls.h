/* SPDX-License-Identifier: MIT */
/*
 * fr_syscalls.h - syscall number <-> name for this architecture, generated
 * at build time from the kernel's uapi unistd header.
 */
#ifndef FR_SYSCALLS_H
#define FR_SYSCALLS_H

#include <stdbool.h>

/* Name of syscall nr ("read"), or NULL when unknown. Static storage. */
const char *fr_syscall_name(unsigned nr);

/* Number of the syscall called name, or -1. */
int fr_syscall_nr(const char *name);

/* Does syscall `name` take a file descriptor as its first argument. */
bool fr_syscall_takes_fd(const char *name);

/* Is syscall name an event loop's wait (epoll, poll, select and their
 * variants)? NULL is not. */
bool fr_syscall_is_loop_wait(const char *name);

#endif /* FR_SYSCALLS_H */
