/* SPDX-License-Identifier: MIT */
/*
 * fr_cgroup.h - the resource limits of a process's cgroups, and what the
 * kernel counted against them, read from cgroupfs: cgroup v2 (one
 * hierarchy: cpu.max, cpu.stat) and v1 (the cpu controller's
 * cpu.cfs_quota_us, cpu.cfs_period_us and cpu.stat; the memory controller's
 * limit and usage). The limit that binds
 * is the nearest one up the tree from the process's own cgroup.
 * Thread-safe; reads files only.
 */
#ifndef FR_CGROUP_H
#define FR_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct fr_cpu_limit {
	char path[256];         /* the limited cgroup, from its hierarchy's root */
	uint64_t quota_us;      /* CPU time per period, all CPUs together */
	uint64_t period_us;
	bool v2;
	/* cpu.stat of that cgroup when read */
	uint64_t nr_periods;
	uint64_t nr_throttled;  /* periods in which it was throttled */
	uint64_t throttled_ns;  /* time its tasks were throttled, all told */
};

/*
 * The CPU limit (CFS bandwidth) binding process pid: its own cgroup's or
 * the nearest ancestor's with a quota. 0 and *out; -ENOENT when no cgroup
 * of it has one (or cgroupfs is not mounted where looked for: root is
 * "/sys/fs/cgroup", or another directory in tests); -errno when pid is
 * gone.
 */
int fr_cgroup__cpu_limit(const char *root, pid_t pid, struct fr_cpu_limit *out);

struct fr_mem_limit {
	char path[256];         /* the limited memory cgroup */
	uint64_t limit_bytes;   /* memory.max / memory.limit_in_bytes */
	uint64_t usage_bytes;   /* memory.current / memory.usage_in_bytes when read */
	bool v2;
};

/* The memory limit binding pid: its cgroup's or the nearest ancestor's with
 * one (v2 memory.max, v1 memory.limit_in_bytes). 0, -ENOENT or -errno. */
int fr_cgroup__memory_limit(const char *root, pid_t pid, struct fr_mem_limit *out);

#endif /* FR_CGROUP_H */
