/* SPDX-License-Identifier: MIT */
/*
 * fr_procfs.h - what flightrec reads from /proc about other processes:
 * PID-namespace translation, the current target of an fd, who holds a
 * socket, a process's name and cgroup.
 * Thread-safe.
 */
#ifndef FR_PROCFS_H
#define FR_PROCFS_H

#include <stdbool.h>
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

/* The process holding socket inode ino (an fd "socket:[ino]"), by a scan
 * of /proc; 0 when none is found (or /proc/PID/fd cannot be read: that
 * takes CAP_SYS_PTRACE for other users' processes). */
pid_t fr_socket_pid(uint64_t ino);

/* Does process pid hold socket inode ino (an fd "socket:[ino]"). */
bool fr_proc_has_socket(pid_t pid, uint64_t ino);

/* The command name of pid (/proc/PID/comm); -errno when gone. */
int fr_proc_comm(pid_t pid, char *buf, size_t len);

/* The cgroup v2 path of pid ("/system.slice/x.service"); -errno. */
int fr_proc_cgroup(pid_t pid, char *buf, size_t len);

/* The value of field key of /proc/PID/status ("NSpid", "Uid"), without
 * its leading blanks, into out; -ENOENT, or -errno when pid is gone. */
int fr_proc_status_field(pid_t pid, const char *key, char *out, size_t len);

/* The innermost pid of host pid (last of NSpid); 0 when gone. */
int64_t fr_proc_inner_pid(pid_t pid);

/* Is pid in a PID namespace other than flightrec's own. */
bool fr_proc_other_pidns(pid_t pid);

/*
 * The host pid of the process whose innermost pid is inner, in the PID
 * namespace of process ref (ref itself when its innermost pid is inner);
 * 0 when there is none.
 */
pid_t fr_pid_in_ns_of(pid_t ref, int64_t inner);

/* The processes matching a service map entry: kind "comm" (command name),
 * "cgroup" or "container" (a substring of the cgroup path). The lowest
 * such pid (the first started, usually the service's main process), or 0. */
pid_t fr_find_process(const char *kind, const char *value);

#endif /* FR_PROCFS_H */
