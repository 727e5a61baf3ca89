// SPDX-License-Identifier: MIT
/*
 * syscalls.c - what flightrec knows about syscalls beyond their names
 * (fr_syscalls.h; the name table is generated at build time).
 */
#include <stdbool.h>
#include <string.h>

#include "fr_syscalls.h"

bool fr_syscall_takes_fd(const char *name)
{
	static const char *const fds[] = {
		"read", "write", "pread64", "pwrite64", "readv", "writev", "preadv", "pwritev",
		"preadv2", "pwritev2", "fsync", "fdatasync", "sync_file_range", "fallocate",
		"ftruncate", "recvfrom", "sendto", "recvmsg", "sendmsg", "recvmmsg", "sendmmsg",
		"accept", "accept4", "connect", "epoll_wait", "epoll_pwait", "epoll_pwait2", "flock",
		"fstat", "newfstatat", "ioctl", "fcntl", "lseek", "getdents64", "splice",
		"sendfile", "close", NULL,
	};

	for (int i = 0; fds[i]; i++)
		if (!strcmp(name, fds[i]))
			return true;
	return false;
}

bool fr_syscall_is_loop_wait(const char *name)
{
	return name && (!strncmp(name, "epoll_wait", 10) || !strncmp(name, "epoll_pwait", 11) ||
			!strcmp(name, "poll") || !strcmp(name, "ppoll") || !strcmp(name, "select") ||
			!strcmp(name, "pselect6"));
}
