// SPDX-License-Identifier: MIT
/*
 * procfs.c - what flightrec reads from /proc about other processes
 * (fr_procfs.h).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* The first process (in pid order) for which match says yes, or 0. */
static pid_t scan_procs(bool (*match)(pid_t pid, const void *arg), const void *arg)
{
	struct dirent *de;
	pid_t found = 0;
	DIR *d = opendir("/proc");

	if (!d)
		return 0;
	while (!found && (de = readdir(d))) {
		pid_t pid = atoi(de->d_name);

		if (pid > 0 && match(pid, arg))
			found = pid;
	}
	closedir(d);
	return found;
}

int fr_proc_cgroup(pid_t pid, char *buf, size_t len)
{
	char path[64], line[512];
	int err = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	/* cgroup v2: "0::/path"; on a v1 host the first hierarchy's path */
	while (fgets(line, sizeof(line), f)) {
		char *path_at = strchr(line, ':');

		path_at = path_at ? strchr(path_at + 1, ':') : NULL;
		if (!path_at)
			continue;
		line[strcspn(line, "\n")] = 0;
		if (err || !strncmp(line, "0::", 3))
			snprintf(buf, len, "%s", path_at + 1);
		err = 0;
		if (!strncmp(line, "0::", 3))
			break;
	}
	fclose(f);
	return err;
}

int fr_proc_status_field(pid_t pid, const char *key, char *out, size_t len)
{
	char path[64], line[512];
	size_t klen = strlen(key);
	int err = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (err && fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) || line[klen] != ':')
			continue;
		line[strcspn(line, "\n")] = 0;
		snprintf(out, len, "%s", line + klen + 1 + strspn(line + klen + 1, " \t"));
		err = 0;
	}
	fclose(f);
	return err;
}

int64_t fr_proc_inner_pid(pid_t pid)
{
	char v[256];
	const char *last;

	if (fr_proc_status_field(pid, "NSpid", v, sizeof(v)))
		return 0;
	last = strrchr(v, '\t');
	return atoll(last ? last + 1 : v);
}

static uint64_t pidns_of(pid_t pid)
{
	char path[64];
	struct stat st;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/ns/pid", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/ns/pid");
	return stat(path, &st) ? 0 : (uint64_t)st.st_ino;
}

bool fr_proc_other_pidns(pid_t pid)
{
	uint64_t ns = pidns_of(pid);

	return ns && ns != pidns_of(0);
}

struct in_ns {
	uint64_t ns;
	int64_t inner;
};

static bool match_in_ns(pid_t pid, const void *arg)
{
	const struct in_ns *q = arg;

	return fr_proc_inner_pid(pid) == q->inner && pidns_of(pid) == q->ns;
}

pid_t fr_pid_in_ns_of(pid_t ref, int64_t inner)
{
	struct in_ns q = { .ns = pidns_of(ref), .inner = inner };

	if (inner <= 0 || !q.ns)
		return 0;
	if (fr_proc_inner_pid(ref) == inner)
		return ref;
	return scan_procs(match_in_ns, &q);
}

struct in_container {
	const char *id;
	int64_t inner;
};

static bool match_in_container(pid_t pid, const void *arg)
{
	const struct in_container *q = arg;
	char cg[512];

	return !fr_proc_cgroup(pid, cg, sizeof(cg)) && strstr(cg, q->id) &&
	       fr_proc_inner_pid(pid) == q->inner;
}

/* A process in that container whose innermost pid is the span's, else pid. */
static pid_t scan_host_pid(int64_t pid, const char *container_id)
{
	struct in_container q = { .id = container_id, .inner = pid };
	pid_t found = scan_procs(match_in_container, &q);

	return found ? found : (pid_t)pid;
}

int fr_proc_comm(pid_t pid, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		buf[0] = 0;
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

struct by_map {
	const char *kind, *value;
};

static bool match_map(pid_t pid, const void *arg)
{
	const struct by_map *q = arg;
	char buf[512];

	if (!strcmp(q->kind, "comm"))
		return !fr_proc_comm(pid, buf, sizeof(buf)) && !strcmp(buf, q->value);
	return !fr_proc_cgroup(pid, buf, sizeof(buf)) && strstr(buf, q->value);
}

pid_t fr_find_process(const char *kind, const char *value)
{
	struct by_map q = { kind, value };

	if (!value || !*value || (strcmp(kind, "comm") && strcmp(kind, "cgroup") &&
				  strcmp(kind, "container")))
		return 0;
	return scan_procs(match_map, &q);
}

static bool match_socket(pid_t pid, const void *arg)
{
	return fr_proc_has_socket(pid, *(const uint64_t *)arg);
}

bool fr_proc_has_socket(pid_t pid, uint64_t ino)
{
	char dir[64], want[40], link[64];
	struct dirent *de;
	bool found = false;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	snprintf(want, sizeof(want), "socket:[%" PRIu64 "]", ino);
	d = opendir(dir);
	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		char path[64 + 256 + 2];
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = 0;
		found = !strcmp(link, want);
	}
	closedir(d);
	return found;
}

pid_t fr_socket_pid(uint64_t ino)
{
	return ino ? scan_procs(match_socket, &ino) : 0;
}

void fr_proc_fd_path(uint32_t pid, uint64_t fd, char *buf, size_t len)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%u/fd/%" PRIu64, pid, fd);
	n = readlink(link, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
}
