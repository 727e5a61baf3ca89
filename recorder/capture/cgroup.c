// SPDX-License-Identifier: MIT
/*
 * cgroup.c - a process's CPU limit from cgroupfs (fr_cgroup.h).
 *
 * Where each kernel puts it:
 *   v2: ROOT/PATH/cpu.max "QUOTA PERIOD" ("max PERIOD": none), cpu.stat
 *       "nr_periods", "nr_throttled", "throttled_usec" (4.15+).
 *   v1: ROOT/cpu/PATH (or cpu,cpuacct/PATH) cpu.cfs_quota_us (-1: none),
 *       cpu.cfs_period_us, cpu.stat "nr_periods", "nr_throttled",
 *       "throttled_time" (ns).
 * /proc/PID/cgroup gives PATH: "0::PATH" for v2, "N:cpu,cpuacct:PATH" (or
 * "N:cpu:PATH") for v1's cpu controller.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fr_cgroup.h"

/* The first line of a small file, without its newline. */
static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	int err = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		err = -EIO;
	else
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
	return err;
}

/* key's value in a "key value" file (cpu.stat); 0 when absent. */
static uint64_t stat_value(const char *path, const char *key)
{
	char line[128];
	size_t klen = strlen(key);
	uint64_t v = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ' ') {
			v = strtoull(line + klen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* The directory of pid's cgroup in controller ctrl's hierarchy (v1 mounts
 * tried in turn, probe: a file of the controller there), else v2's; and
 * whether v2. */
static int cgroup_dir(const char *root, pid_t pid, const char *ctrl_name,
		      const char *const *mounts, size_t nr_mounts, const char *probe, char *dir,
		      size_t len, char *path, size_t plen, bool *v2)
{
	char file[64], line[512], v1path[256] = "", v2path[256] = "";
	bool have_v1 = false, have_v2 = false;
	FILE *f;

	snprintf(file, sizeof(file), "/proc/%d/cgroup", pid);
	f = fopen(file, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *ctrl = strchr(line, ':'), *p;

		line[strcspn(line, "\n")] = '\0';
		p = ctrl ? strchr(ctrl + 1, ':') : NULL;
		if (!p)
			continue;
		*p++ = '\0';
		ctrl++;
		if (!strcmp(line, "0") && !*ctrl) {
			snprintf(v2path, sizeof(v2path), "%s", p);
			have_v2 = true;
			continue;
		}
		/* v1: a hierarchy whose controllers include "cpu" */
		for (char *c = ctrl, *save = NULL, *tok; (tok = strtok_r(c, ",", &save)); c = NULL)
			if (!strcmp(tok, ctrl_name)) {
				snprintf(v1path, sizeof(v1path), "%s", p);
				have_v1 = true;
			}
	}
	fclose(f);
	if (have_v1) {
		char q[700];

		for (size_t i = 0; i < nr_mounts; i++) {
			snprintf(dir, len, "%s/%s%s", root, mounts[i], v1path);
			snprintf(q, sizeof(q), "%s/%s", dir, probe);
			if (!access(q, R_OK)) {
				snprintf(path, plen, "%s", v1path);
				*v2 = false;
				return 0;
			}
		}
	}
	if (have_v2) {
		/* the v2 hierarchy: at root itself, or root/unified beside v1 */
		char q[700];

		snprintf(q, sizeof(q), "%s/cgroup.controllers", root);
		if (!access(q, R_OK))
			snprintf(dir, len, "%s%s", root, v2path);
		else
			snprintf(dir, len, "%s/unified%s", root, v2path);
		snprintf(path, plen, "%s", v2path);
		*v2 = true;
		return 0;
	}
	return -ENOENT;
}

/* The limit set on one cgroup directory; false when none. */
static bool limit_at(const char *dir, bool v2, uint64_t *quota, uint64_t *period)
{
	char file[600], line[128];

	if (v2) {
		char q[32];

		snprintf(file, sizeof(file), "%s/cpu.max", dir);
		if (read_line(file, line, sizeof(line)) ||
		    sscanf(line, "%31s %" SCNu64, q, period) != 2 || !strcmp(q, "max"))
			return false;
		*quota = strtoull(q, NULL, 10);
		return *quota > 0 && *period > 0;
	}
	snprintf(file, sizeof(file), "%s/cpu.cfs_quota_us", dir);
	if (read_line(file, line, sizeof(line)) || line[0] == '-')
		return false;
	*quota = strtoull(line, NULL, 10);
	snprintf(file, sizeof(file), "%s/cpu.cfs_period_us", dir);
	if (read_line(file, line, sizeof(line)))
		return false;
	*period = strtoull(line, NULL, 10);
	return *quota > 0 && *period > 0;
}

int fr_cgroup__cpu_limit(const char *root, pid_t pid, struct fr_cpu_limit *out)
{
	char dir[600], path[256], file[700];
	size_t root_len;
	bool v2 = false;
	int err;

	static const char *const mounts[] = { "cpu", "cpu,cpuacct", "cpuacct,cpu" };

	memset(out, 0, sizeof(*out));
	err = cgroup_dir(root ? root : "/sys/fs/cgroup", pid, "cpu", mounts, 3, "cpu.cfs_quota_us",
			 dir, sizeof(dir), path, sizeof(path), &v2);
	if (err)
		return err;
	root_len = strlen(dir) - strlen(path);
	/* up the tree to the hierarchy's root */
	for (;;) {
		if (limit_at(dir, v2, &out->quota_us, &out->period_us)) {
			snprintf(out->path, sizeof(out->path), "%s",
				 dir[root_len] ? dir + root_len : "/");
			out->v2 = v2;
			snprintf(file, sizeof(file), "%s/cpu.stat", dir);
			out->nr_periods = stat_value(file, "nr_periods");
			out->nr_throttled = stat_value(file, "nr_throttled");
			out->throttled_ns = v2 ? stat_value(file, "throttled_usec") * 1000
					       : stat_value(file, "throttled_time");
			return 0;
		}
		{
			char *slash = strrchr(dir + root_len, '/');

			if (!slash || slash == dir + root_len)
				break;
			*slash = '\0';
		}
	}
	return -ENOENT;
}

/* A number file; false when absent or "max" (none). */
static bool read_u64(const char *dir, const char *name, uint64_t *v)
{
	char file[700], line[64];

	snprintf(file, sizeof(file), "%s/%s", dir, name);
	if (read_line(file, line, sizeof(line)) || !strcmp(line, "max"))
		return false;
	*v = strtoull(line, NULL, 10);
	return true;
}

int fr_cgroup__memory_limit(const char *root, pid_t pid, struct fr_mem_limit *out)
{
	static const char *const mounts[] = { "memory" };
	char dir[600], path[256];
	size_t root_len;
	bool v2 = false;
	int err;

	memset(out, 0, sizeof(*out));
	err = cgroup_dir(root ? root : "/sys/fs/cgroup", pid, "memory", mounts, 1,
			 "memory.limit_in_bytes", dir, sizeof(dir), path, sizeof(path), &v2);
	if (err)
		return err;
	root_len = strlen(dir) - strlen(path);
	for (;;) {
		uint64_t limit;

		/* v1 says "no limit" with a huge number (page-rounded LONG_MAX) */
		if (read_u64(dir, v2 ? "memory.max" : "memory.limit_in_bytes", &limit) &&
		    limit < (1ull << 60)) {
			snprintf(out->path, sizeof(out->path), "%s",
				 dir[root_len] ? dir + root_len : "/");
			out->limit_bytes = limit;
			read_u64(dir, v2 ? "memory.current" : "memory.usage_in_bytes",
				 &out->usage_bytes);
			out->v2 = v2;
			return 0;
		}
		{
			char *slash = strrchr(dir + root_len, '/');

			if (!slash || slash == dir + root_len)
				break;
			*slash = '\0';
		}
	}
	return -ENOENT;
}
