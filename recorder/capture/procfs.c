// SPDX-License-Identifier: MIT
/*
 * procfs.c - what flightrec reads from /proc about other processes
 * (fr_procfs.h).
 */
#include <dirent.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fr_clock.h"
#include "fr_procfs.h"

/* Translations are looked up for every OTLP request: the /proc scan below
 * runs once per (pid, container) a minute, not per request. */
#define HOST_PID_CACHE 64
#define HOST_PID_TTL_NS 60000000000ull

static struct {
	int64_t pid;
	char container[72];
	pid_t host;
	uint64_t at;
} host_pid_cache[HOST_PID_CACHE];
static pthread_mutex_t host_pid_mu = PTHREAD_MUTEX_INITIALIZER;

static pid_t scan_host_pid(int64_t pid, const char *container_id);

pid_t fr_host_pid(int64_t pid, const char *container_id)
{
	uint64_t now = fr_mono_ns();
	size_t slot = 0;
	pid_t host;

	if (pid <= 0 || pid > INT32_MAX)
		return 0;
	if (!container_id || !*container_id)
		return (pid_t)pid;
	pthread_mutex_lock(&host_pid_mu);
	for (size_t i = 0; i < HOST_PID_CACHE; i++) {
		if (host_pid_cache[i].pid == pid && host_pid_cache[i].at &&
		    now - host_pid_cache[i].at < HOST_PID_TTL_NS &&
		    !strncmp(host_pid_cache[i].container, container_id,
			     sizeof(host_pid_cache[i].container) - 1)) {
			host = host_pid_cache[i].host;
			pthread_mutex_unlock(&host_pid_mu);
			return host;
		}
		if (host_pid_cache[i].at < host_pid_cache[slot].at)
			slot = i; /* the oldest entry makes room */
	}
	pthread_mutex_unlock(&host_pid_mu);
	host = scan_host_pid(pid, container_id);
	pthread_mutex_lock(&host_pid_mu);
	host_pid_cache[slot].pid = pid;
	snprintf(host_pid_cache[slot].container, sizeof(host_pid_cache[slot].container), "%s",
		 container_id);
	host_pid_cache[slot].host = host;
	host_pid_cache[slot].at = now;
	pthread_mutex_unlock(&host_pid_mu);
	return host;
}

/* A process in that container whose innermost pid is the span's, else pid. */
static pid_t scan_host_pid(int64_t pid, const char *container_id)
{
	DIR *d;
	struct dirent *de;
	pid_t found = 0;

	/* a process in that container whose innermost pid is the span's */
	d = opendir("/proc");
	if (!d)
		return (pid_t)pid;
	while (!found && (de = readdir(d))) {
		char path[64], line[512];
		pid_t host = atoi(de->d_name);
		bool in_container = false;
		FILE *f;

		if (host <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/cgroup", host);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (!in_container && fgets(line, sizeof(line), f))
			in_container = strstr(line, container_id) != NULL;
		fclose(f);
		if (!in_container)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/status", host);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			if (!strncmp(line, "NSpid:", 6)) {
				char *last = strrchr(line, '\t');

				if (last && atoll(last + 1) == pid)
					found = host;
				break;
			}
		}
		fclose(f);
	}
	closedir(d);
	return found ? found : (pid_t)pid;
}

void fr_proc_fd_path(uint32_t pid, uint64_t fd, char *buf, size_t len)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%u/fd/%" PRIu64, pid, fd);
	n = readlink(link, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
}
