/* SPDX-License-Identifier: MIT */
/*
 * fr_procfs.h - what flightrec reads from /proc about other processes:
 * PID-namespace translation and the current target of an fd.
 * Thread-safe.
 */
#ifndef FR_PROCFS_H
#define FR_PROCFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * The host pid of a process.pid seen inside a container (container.id): a
 * process in that container whose innermost NSpid is pid. Without a
 * container id, pid itself; 0 for a pid out of range. Translations are
 * cached for a minute.
 */
pid_t fr_host_pid(int64_t pid, const char *container_id);

/* What fd of pid points to now (readlink of /proc/PID/fd/FD); "" when unknown. */
void fr_proc_fd_path(uint32_t pid, uint64_t fd, char *buf, size_t len);

#endif /* FR_PROCFS_H */
