// SPDX-License-Identifier: MIT
/*
 * capture.c - loader for bpf/capture.bpf.c: open -> size rings (rodata,
 * max_entries) -> load -> map rings -> attach -> detach -> free.
 */
#define FR_LOG_MOD "capture"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "fr_capture.h" /* before the skeleton: it names fr_record.h types */
#include "capture.skel.h"
#include "fr_clock.h"
#include "fr_log.h"
#include "fr_syscalls.h"

#ifndef CAP_SYSLOG
#define CAP_SYSLOG 34
#endif
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

struct fr_capture {
	struct capture *skel;
	struct fr_ring_view view;
	void *ring_map;
	size_t ring_map_len;
	void *stack_map;
	size_t stack_map_len;
	void *name_map;
	size_t name_map_len;
	uint64_t attach_ts;
	bool attached;
	int32_t sample_hz;     /* 0: no sampling */
	uint32_t syscalls;     /* FR_SYSCALLS_* */
	uint64_t slow_after_ns;
	int *sample_fds;       /* per CPU: its CPU-clock event, or -1 */
	struct bpf_link **sample_links;
};

static bool has_cap(int cap)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { 0 };

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[cap / 32].effective & (1u << (cap % 32));
}

int fr_capture__probe(char *why, size_t why_len)
{
	char dummy[1];

	if (!why) {
		why = dummy;
		why_len = sizeof(dummy);
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		snprintf(why, why_len,
			 "kernel capture unavailable: this kernel has no BTF "
			 "(/sys/kernel/btf/vmlinux; needs CONFIG_DEBUG_INFO_BTF=y)");
		return -ENOTSUP;
	}
	if (!has_cap(CAP_SYS_ADMIN) && !(has_cap(CAP_BPF) && has_cap(CAP_PERFMON))) {
		snprintf(why, why_len,
			 "kernel capture needs root, or the capabilities CAP_BPF and "
			 "CAP_PERFMON; missing: %s%s%s (e.g. sudo, setcap "
			 "cap_bpf,cap_perfmon+ep, or AmbientCapabilities= in the unit)",
			 has_cap(CAP_BPF) ? "" : "CAP_BPF",
			 !has_cap(CAP_BPF) && !has_cap(CAP_PERFMON) ? " and " : "",
			 has_cap(CAP_PERFMON) ? "" : "CAP_PERFMON");
		return -EPERM;
	}
	why[0] = '\0';
	return 0;
}

void fr_capture__warn_privileges(void)
{
	static const struct {
		int cap;
		const char *name, *without;
	} caps[] = {
		{ CAP_SYS_PTRACE, "CAP_SYS_PTRACE",
		  "other users' processes: no user stacks, perf maps, PID-namespace "
		  "translation or sender lookup" },
		{ CAP_SYSLOG, "CAP_SYSLOG", "kernel frames unnamed (/proc/kallsyms shows no addresses)" },
		{ CAP_DAC_READ_SEARCH, "CAP_DAC_READ_SEARCH",
		  "binaries and perf maps only readable by their owners: their frames unnamed" },
	};

	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		if (!has_cap(caps[i].cap))
			pr_warn("without %s: %s", caps[i].name, caps[i].without);
}

static size_t page_align(size_t n)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	return (n + pg - 1) / pg * pg;
}

/* Entries of the per-thread syscall entry array: pid_max rounded up to a
 * power of two, at most 2^18 (6 MiB); larger tids share entries. */
static uint32_t sys_entry_entries(void)
{
	unsigned long pid_max = 32768;
	uint32_t n = 1024;
	FILE *f = fopen("/proc/sys/kernel/pid_max", "r");

	if (f) {
		if (fscanf(f, "%lu", &pid_max) != 1)
			pid_max = 32768;
		fclose(f);
	}
	while (n < pid_max && n < (1u << 18))
		n <<= 1;
	return n;
}

static void *map_ring(struct bpf_map *map, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ, MAP_SHARED, bpf_map__fd(map), 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Makes every CPU drop its cached follow decision (see fr_cpu_state). */
static void follow_changed(struct fr_capture *cap)
{
	for (uint32_t i = 0; i < cap->view.nr_cpus; i++)
		__atomic_fetch_add(&cap->skel->bss->cpu_state[i].follow_gen, 1, __ATOMIC_RELEASE);
}

static int libbpf_print(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
	int level = lvl == LIBBPF_WARN ? FR_LOG_WARN : lvl == LIBBPF_INFO ? FR_LOG_INFO : FR_LOG_DEBUG;

	/* libbpf's INFO is chatty load detail: show it only when debugging. */
	if (lvl == LIBBPF_INFO)
		level = FR_LOG_DEBUG;
	if (level > fr_log_level)
		return 0;
	fr_log_vwrite(level, "libbpf", fmt, ap);
	return 0;
}

void fr_capture__route_libbpf_log(void)
{
	libbpf_set_print(libbpf_print);
}

/*
 * Does the raw sched_switch tracepoint pass prev_state (5.18+)? Its
 * prototype in the kernel's BTF: (void *, bool preempt, prev, next
 * [, unsigned int prev_state]). Unknown: assume it does not, and read the
 * state from the task instead, which works everywhere.
 */
static bool switch_has_prev_state(const struct btf *btf)
{
	const struct btf_type *t;
	bool has = false;
	int id;

	if (!btf)
		return false;
	id = btf__find_by_name_kind(btf, "btf_trace_sched_switch", BTF_KIND_TYPEDEF);
	if (id > 0) {
		t = btf__type_by_id(btf, id);
		t = t ? btf__type_by_id(btf, t->type) : NULL; /* pointer */
		t = t && btf_is_ptr(t) ? btf__type_by_id(btf, t->type) : NULL;
		has = t && btf_is_func_proto(t) && btf_vlen(t) >= 5;
	}
	pr_debug("sched_switch %s prev_state", has ? "passes" : "does not pass");
	return has;
}

/* Does this kernel (its BTF) have the raw tracepoint `name`. */
static bool has_raw_tracepoint(const struct btf *btf, const char *name)
{
	char type[96];

	if (!btf)
		return false;
	snprintf(type, sizeof(type), "btf_trace_%s", name);
	return btf__find_by_name_kind(btf, type, BTF_KIND_TYPEDEF) > 0;
}

/* Which syscalls take an fd first, and the epoll waits' and polls' numbers. */
static void set_syscall_tables(struct capture *skel)
{
	for (uint32_t nr = 0; nr < 512; nr++) {
		const char *name = fr_syscall_name(nr);

		if (!name)
			continue;
		if (fr_syscall_takes_fd(name))
			skel->rodata->fd_syscalls[nr >> 6] |= 1ull << (nr & 63);
		if (!strcmp(name, "epoll_wait"))
			skel->rodata->epoll_wait_nr = nr;
		else if (!strcmp(name, "epoll_pwait"))
			skel->rodata->epoll_pwait_nr = nr;
		else if (!strcmp(name, "epoll_pwait2"))
			skel->rodata->epoll_pwait2_nr = nr;
		else if (!strcmp(name, "poll"))
			skel->rodata->poll_nr = nr;
		else if (!strcmp(name, "ppoll"))
			skel->rodata->ppoll_nr = nr;
	}
}

/* Stack slots a user stack of this many bytes takes (fr_record.h); 0 for
 * the frame-pointer walk. */
static uint32_t user_stack_chunks(int32_t bytes)
{
	if (bytes == FR_CAPTURE_USER_STACK_FP)
		return 0;
	if (bytes <= (int32_t)FR_USER_CHUNK0_BYTES)
		return 1;
	return 1 + (uint32_t)((bytes - FR_USER_CHUNK0_BYTES + FR_STACK_RAW_BYTES - 1) /
			      FR_STACK_RAW_BYTES);
}

struct fr_capture *fr_capture__open(const struct fr_capture_opts *opts)
{
	struct fr_capture_opts o = { 0 };
	uint64_t per_cpu, stack_bytes;
	struct fr_capture *cap;
	struct btf *vmlinux;
	char why[256];
	int nr_cpus, err;

	if (opts)
		memcpy(&o, opts, opts->sz < sizeof(o) ? opts->sz : sizeof(o));
	if (!o.ring_bytes)
		o.ring_bytes = FR_CAPTURE_DEFAULT_RING_BYTES;
	if (!o.stack_pct)
		o.stack_pct = FR_CAPTURE_DEFAULT_STACK_PCT;
	if (!o.flags)
		o.flags = FR_CAP_DEFAULT;
	if (!o.name_after_ns)
		o.name_after_ns = FR_CAPTURE_DEFAULT_NAME_AFTER_NS;
	if (!o.stack_after_ns)
		o.stack_after_ns = FR_CAPTURE_DEFAULT_STACK_AFTER_NS;
	if (!o.max_links)
		o.max_links = FR_CAPTURE_DEFAULT_LINKS;
	if (o.max_links > FR_MAX_PROC_LINKS) {
		pr_err("at most %u linked processes (asked for %u)", FR_MAX_PROC_LINKS, o.max_links);
		errno = EINVAL;
		return NULL;
	}
	if (!o.user_stack_bytes)
		o.user_stack_bytes = FR_CAPTURE_DEFAULT_USER_STACK;
	if (o.user_stack_bytes != FR_CAPTURE_USER_STACK_FP &&
	    (o.user_stack_bytes < 0 || o.user_stack_bytes > (int32_t)FR_USER_STACK_MAX)) {
		pr_err("user stack copy of %d bytes: 1 to %zu, or none", o.user_stack_bytes,
		       (size_t)FR_USER_STACK_MAX);
		errno = EINVAL;
		return NULL;
	}
	if (o.sample_hz != FR_CAPTURE_NO_SAMPLES &&
	    (o.sample_hz < 0 || o.sample_hz > FR_CAPTURE_MAX_SAMPLE_HZ)) {
		pr_err("sampling at %d Hz: 1 to %d, or none", o.sample_hz,
		       FR_CAPTURE_MAX_SAMPLE_HZ);
		errno = EINVAL;
		return NULL;
	}
	if (!o.syscalls)
		o.syscalls = FR_CAPTURE_DEFAULT_SYSCALLS;
	if (o.syscalls != FR_SYSCALLS_SCHED && o.syscalls != FR_SYSCALLS_SLOW &&
	    o.syscalls != FR_SYSCALLS_ALL) {
		pr_err("syscall capture mode %u: sched, slow or all", o.syscalls);
		errno = EINVAL;
		return NULL;
	}
	if (!o.slow_after_ns)
		o.slow_after_ns = FR_CAPTURE_DEFAULT_SLOW_AFTER_NS;
	if (o.stack_pct > 90) {
		pr_err("stack share %u%% is over 90%% of the ring memory", o.stack_pct);
		errno = EINVAL;
		return NULL;
	}
	err = fr_capture__probe(why, sizeof(why));
	if (err) {
		pr_err("%s", why);
		errno = -err;
		return NULL;
	}
	nr_cpus = libbpf_num_possible_cpus();
	if (nr_cpus <= 0 || nr_cpus > FR_MAX_CPUS) {
		pr_err("unsupported number of CPUs: %d (at most %d)", nr_cpus, FR_MAX_CPUS);
		errno = nr_cpus <= 0 ? -nr_cpus : ENOTSUP;
		return NULL;
	}
	per_cpu = o.ring_bytes / nr_cpus;
	stack_bytes = per_cpu * o.stack_pct / 100;
	if (per_cpu - stack_bytes < 64 * sizeof(struct fr_rec) ||
	    stack_bytes < 16 * sizeof(struct fr_stack_slot)) {
		pr_err("ring memory %llu bytes is too small for %d CPUs",
		       (unsigned long long)o.ring_bytes, nr_cpus);
		errno = EINVAL;
		return NULL;
	}
	cap = calloc(1, sizeof(*cap));
	if (!cap)
		return NULL;
	cap->view.nr_cpus = nr_cpus;
	cap->view.slots = (per_cpu - stack_bytes) / sizeof(struct fr_rec);
	cap->view.stack_slots = stack_bytes / sizeof(struct fr_stack_slot);
	/* names are rare (slow syscalls only): a 64th of the records' share */
	cap->view.name_slots = (per_cpu - stack_bytes) / 64 / sizeof(struct fr_fdname);
	if (cap->view.name_slots < 64)
		cap->view.name_slots = 64;
	if ((uint64_t)cap->view.slots * nr_cpus > UINT32_MAX / 2 ||
	    (uint64_t)cap->view.stack_slots * nr_cpus > UINT32_MAX / 2) {
		pr_err("ring memory %llu bytes is too large", (unsigned long long)o.ring_bytes);
		err = -EINVAL;
		goto fail;
	}

	fr_capture__route_libbpf_log();
	cap->skel = capture__open();
	if (!cap->skel) {
		err = -errno;
		pr_err("cannot open BPF object: %s", strerror(-err));
		goto fail;
	}
	cap->skel->rodata->nr_cpus = nr_cpus;
	cap->skel->rodata->slots_per_cpu = cap->view.slots;
	cap->skel->rodata->stack_slots_per_cpu = cap->view.stack_slots;
	cap->skel->rodata->stack_after_ns = o.stack_after_ns;
	cap->skel->rodata->user_stack_chunks = user_stack_chunks(o.user_stack_bytes);
	cap->skel->rodata->sys_entry_mask = sys_entry_entries() - 1;
	vmlinux = btf__load_vmlinux_btf(); /* parsed once for the checks below */
	cap->skel->rodata->has_switch_prev_state = switch_has_prev_state(vmlinux);
	bpf_map__set_max_entries(cap->skel->maps.fr_sys_entry, sys_entry_entries());
	bpf_map__set_max_entries(cap->skel->maps.fr_ring, cap->view.slots * nr_cpus);
	bpf_map__set_max_entries(cap->skel->maps.fr_stacks, cap->view.stack_slots * nr_cpus);
	bpf_map__set_max_entries(cap->skel->maps.fr_names, cap->view.name_slots * nr_cpus);
	cap->skel->rodata->name_slots_per_cpu = cap->view.name_slots;
	cap->skel->rodata->name_after_ns = o.name_after_ns;
	cap->skel->rodata->syscall_mode = o.syscalls;
	cap->skel->rodata->slow_after_ns = o.slow_after_ns;
	cap->syscalls = o.syscalls;
	cap->slow_after_ns = o.syscalls == FR_SYSCALLS_SLOW ? o.slow_after_ns : 0;
	/* scheduler-centred: no program on the syscall path at all; the
	 * others: no return hook but the syscall exit */
	bpf_program__set_autoload(cap->skel->progs.fr_sys_enter, o.syscalls != FR_SYSCALLS_SCHED);
	bpf_program__set_autoload(cap->skel->progs.fr_sys_exit, o.syscalls != FR_SYSCALLS_SCHED);
	{
		bool rseq = o.syscalls == FR_SYSCALLS_SCHED &&
			    has_raw_tracepoint(vmlinux, "rseq_update");

		if (o.syscalls == FR_SYSCALLS_SCHED && !rseq)
			pr_warn("this kernel has no rseq_update tracepoint: syscalls are seen at "
				"their blocks only (no return values, fd names or user stacks); "
				"--syscalls all records them all");
		bpf_program__set_autoload(cap->skel->progs.fr_rseq_return, rseq);
	}
	/* TCP retransmissions: a kernel without the tracepoint still captures
	 * the rest */
	bpf_program__set_autoload(cap->skel->progs.fr_tcp_retransmit,
				  has_raw_tracepoint(vmlinux, "tcp_retransmit_skb"));
	btf__free(vmlinux);
	set_syscall_tables(cap->skel);
	err = capture__load(cap->skel);
	if (err) {
		if (err == -EPERM || err == -EACCES)
			pr_err("the kernel refused the BPF programs (%s): run as root or "
			       "with CAP_BPF and CAP_PERFMON", strerror(-err));
		else
			pr_err("cannot load BPF programs: %s (raw tracepoints and mmapable "
			       "arrays are required)", strerror(-err));
		goto fail;
	}
	cap->ring_map_len = page_align((size_t)cap->view.slots * nr_cpus * sizeof(struct fr_rec));
	cap->stack_map_len =
		page_align((size_t)cap->view.stack_slots * nr_cpus * sizeof(struct fr_stack_slot));
	cap->ring_map = map_ring(cap->skel->maps.fr_ring, cap->ring_map_len);
	cap->stack_map = map_ring(cap->skel->maps.fr_stacks, cap->stack_map_len);
	cap->name_map_len =
		page_align((size_t)cap->view.name_slots * nr_cpus * sizeof(struct fr_fdname));
	cap->name_map = map_ring(cap->skel->maps.fr_names, cap->name_map_len);
	if (!cap->ring_map || !cap->stack_map || !cap->name_map) {
		err = -errno;
		pr_err("cannot map the rings: %s", strerror(-err));
		goto fail;
	}
	cap->view.recs = cap->ring_map;
	cap->view.stacks = cap->stack_map;
	cap->view.names = cap->name_map;
	cap->view.cpus = cap->skel->bss->cpu_state;
	cap->skel->bss->self_pid = getpid();
	cap->skel->bss->follow_all = o.follow_all;
	cap->skel->bss->follow_children = !o.no_children;
	cap->skel->bss->links_max = o.no_links ? 0 : o.max_links;
	cap->skel->bss->scope_netns = o.scope_netns;
	cap->sample_hz = o.sample_hz == FR_CAPTURE_NO_SAMPLES ? 0
			 : o.sample_hz ? o.sample_hz : FR_CAPTURE_DEFAULT_SAMPLE_HZ;
	follow_changed(cap);
	fr_capture__set_flags(cap, o.flags);
	pr_debug("rings: %d CPUs x %u records + %u stacks (%llu MiB)", nr_cpus, cap->view.slots,
		 cap->view.stack_slots, (unsigned long long)(o.ring_bytes >> 20));
	return cap;
fail:
	fr_capture__free(cap);
	errno = -err;
	return NULL;
}

static void stop_sampling(struct fr_capture *cap)
{
	for (uint32_t i = 0; cap->sample_fds && i < cap->view.nr_cpus; i++) {
		bpf_link__destroy(cap->sample_links[i]);
		if (cap->sample_fds[i] >= 0)
			close(cap->sample_fds[i]);
	}
	free(cap->sample_fds);
	free(cap->sample_links);
	cap->sample_fds = NULL;
	cap->sample_links = NULL;
}

/*
 * A CPU-clock event at sample_hz on every CPU, each running fr_sample.
 * A CPU that cannot have one (offline) is left out; none at all is an
 * error.
 */
static int start_sampling(struct fr_capture *cap)
{
	uint32_t n = cap->view.nr_cpus, ok = 0;
	int err = 0;

	cap->sample_fds = calloc(n, sizeof(*cap->sample_fds));
	cap->sample_links = calloc(n, sizeof(*cap->sample_links));
	if (!cap->sample_fds || !cap->sample_links) {
		stop_sampling(cap);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct perf_event_attr a = {
			.size = sizeof(a), .type = PERF_TYPE_SOFTWARE,
			.config = PERF_COUNT_SW_CPU_CLOCK, .freq = 1,
			.sample_freq = (uint64_t)cap->sample_hz,
		};
		int fd = (int)syscall(SYS_perf_event_open, &a, -1, (int)i, -1, PERF_FLAG_FD_CLOEXEC);

		cap->sample_fds[i] = fd;
		if (fd < 0) {
			err = -errno;
			continue;
		}
		cap->sample_links[i] = bpf_program__attach_perf_event(cap->skel->progs.fr_sample, fd);
		if (!cap->sample_links[i]) {
			err = -errno;
			continue;
		}
		ok++;
	}
	if (!ok) {
		pr_err("cannot sample CPUs at %d Hz: %s", cap->sample_hz, strerror(-err));
		stop_sampling(cap);
		return err ? err : -ENODEV;
	}
	return 0;
}

const char *fr_capture__syscalls_name(uint32_t mode)
{
	switch (mode) {
	case FR_SYSCALLS_SCHED:
		return "sched";
	case FR_SYSCALLS_SLOW:
		return "slow";
	case FR_SYSCALLS_ALL:
		return "all";
	default:
		return "?";
	}
}

uint32_t fr_capture__syscalls_parse(const char *name)
{
	if (!strcmp(name, "sched"))
		return FR_SYSCALLS_SCHED;
	if (!strcmp(name, "slow"))
		return FR_SYSCALLS_SLOW;
	if (!strcmp(name, "all"))
		return FR_SYSCALLS_ALL;
	return 0;
}

uint32_t fr_capture__syscalls(const struct fr_capture *cap)
{
	return cap->syscalls;
}

uint64_t fr_capture__slow_after_ns(const struct fr_capture *cap)
{
	return cap->slow_after_ns;
}

size_t fr_capture__programs(const struct fr_capture *cap, const char **names, size_t max)
{
	struct bpf_program *p;
	size_t n = 0;

	bpf_object__for_each_program(p, cap->skel->obj)
		if (bpf_program__fd(p) >= 0 && n < max)
			names[n++] = bpf_program__name(p);
	return n;
}

int fr_capture__attach(struct fr_capture *cap)
{
	int err;

	if (cap->attached)
		return 0;
	cap->attach_ts = fr_mono_ns();
	/* Until the rings first wrap they are complete since now. */
	if (!cap->view.start_ts)
		cap->view.start_ts = cap->attach_ts;
	err = capture__attach(cap->skel);
	if (err) {
		pr_err("cannot attach to raw tracepoints: %s", strerror(-err));
		return err;
	}
	if (cap->sample_hz) {
		err = start_sampling(cap);
		if (err) {
			capture__detach(cap->skel);
			return err;
		}
	}
	cap->attached = true;
	return 0;
}

void fr_capture__detach(struct fr_capture *cap)
{
	if (!cap || !cap->attached)
		return;
	stop_sampling(cap);
	capture__detach(cap->skel);
	cap->attached = false;
}

void fr_capture__free(struct fr_capture *cap)
{
	if (!cap)
		return;
	fr_capture__detach(cap);
	if (cap->ring_map)
		munmap(cap->ring_map, cap->ring_map_len);
	if (cap->stack_map)
		munmap(cap->stack_map, cap->stack_map_len);
	if (cap->name_map)
		munmap(cap->name_map, cap->name_map_len);
	capture__destroy(cap->skel);
	free(cap);
}

int fr_capture__follow_pid(struct fr_capture *cap, pid_t pid, bool on)
{
	__u64 bit, *word;

	if (pid <= 0 || (uint32_t)pid >= FR_PID_LIMIT)
		return -EINVAL;
	bit = 1ull << (pid & 63);
	word = &cap->skel->bss->follow_bits[pid >> 6];
	if (on)
		__atomic_fetch_or(word, bit, __ATOMIC_RELEASE);
	else
		__atomic_fetch_and(word, ~bit, __ATOMIC_RELEASE);
	/* followed for its own sake now (or not at all): no longer a link */
	if (!bpf_map__delete_elem(cap->skel->maps.fr_links, &(__u32){ (__u32)pid },
				  sizeof(__u32), 0))
		__atomic_fetch_sub(&cap->skel->bss->nr_links, 1, __ATOMIC_RELAXED);
	follow_changed(cap);
	return 0;
}

size_t fr_capture__expire_links(struct fr_capture *cap, uint64_t now, uint64_t ttl_ns)
{
	struct bpf_map *links = cap->skel->maps.fr_links;
	__u32 key, next, *prev = NULL;
	__u32 gone[256];
	size_t n = 0;

	while (n < sizeof(gone) / sizeof(gone[0]) &&
	       !bpf_map__get_next_key(links, prev, &next, sizeof(next))) {
		struct fr_proc_link l;

		key = next;
		prev = &key;
		if (bpf_map__lookup_elem(links, &key, sizeof(key), &l, sizeof(l), 0))
			continue;
		if ((now > l.since && now - l.since >= ttl_ns) ||
		    (kill((pid_t)key, 0) && errno == ESRCH))
			gone[n++] = key;
	}
	for (size_t i = 0; i < n; i++) {
		__u64 bit = 1ull << (gone[i] & 63);

		/* unfollow first: a wake-up meanwhile finds the entry and does
		 * not link it again until it is gone */
		__atomic_fetch_and(&cap->skel->bss->follow_bits[(gone[i] >> 6) &
								(FR_FOLLOW_WORDS - 1)],
				   ~bit, __ATOMIC_RELEASE);
		if (!bpf_map__delete_elem(links, &gone[i], sizeof(gone[i]), 0))
			__atomic_fetch_sub(&cap->skel->bss->nr_links, 1, __ATOMIC_RELAXED);
	}
	if (n)
		follow_changed(cap);
	return n;
}

bool fr_capture__is_link(const struct fr_capture *cap, pid_t pid)
{
	struct fr_proc_link l;
	__u32 key = (__u32)pid;

	return !bpf_map__lookup_elem(cap->skel->maps.fr_links, &key, sizeof(key), &l, sizeof(l),
				     0);
}

bool fr_capture__is_followed(const struct fr_capture *cap, pid_t pid)
{
	if (pid <= 0 || (uint32_t)pid >= FR_PID_LIMIT)
		return false;
	if (cap->skel->bss->follow_all)
		return pid != (pid_t)cap->skel->bss->self_pid;
	return (__atomic_load_n(&cap->skel->bss->follow_bits[pid >> 6], __ATOMIC_ACQUIRE) >>
		(pid & 63)) & 1;
}

/* Follows every running process whose /proc/PID/comm equals comm. */
static void each_proc_with_comm(struct fr_capture *cap, const char *comm)
{
	DIR *d = opendir("/proc");
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[64], name[FR_COMM_LEN + 2] = "";
		pid_t pid = atoi(de->d_name);
		FILE *f;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(name, sizeof(name), f)) {
			name[strcspn(name, "\n")] = '\0';
			if (!strcmp(name, comm))
				fr_capture__follow_pid(cap, pid, true);
		}
		fclose(f);
	}
	closedir(d);
}

int fr_capture__follow_comm(struct fr_capture *cap, const char *comm)
{
	struct capture__bss *bss = cap->skel->bss;
	__u32 n = bss->nr_comm_filters;

	if (!comm || !comm[0] || strlen(comm) >= FR_COMM_LEN)
		return -EINVAL;
	if (n >= FR_MAX_COMM_FILTERS)
		return -ENOSPC;
	memset(bss->comm_filters[n].comm, 0, FR_COMM_LEN);
	memcpy(bss->comm_filters[n].comm, comm, strlen(comm));
	__atomic_store_n(&bss->nr_comm_filters, n + 1, __ATOMIC_RELEASE);
	each_proc_with_comm(cap, comm);
	follow_changed(cap);
	return 0;
}

int fr_capture__follow_cgroup(struct fr_capture *cap, const char *path)
{
	struct capture__bss *bss = cap->skel->bss;
	__u32 n = bss->nr_cgroup_filters;
	char procs[4096];
	struct stat st;
	FILE *f;
	int pid;

	if (!path || stat(path, &st) || !S_ISDIR(st.st_mode))
		return -ENOENT;
	if (n >= FR_MAX_CGROUP_FILTERS)
		return -ENOSPC;
	/* On cgroup v2 the directory's inode number is the cgroup id. */
	bss->cgroup_filters[n] = st.st_ino;
	__atomic_store_n(&bss->nr_cgroup_filters, n + 1, __ATOMIC_RELEASE);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", path);
	f = fopen(procs, "r");
	if (!f)
		return -errno;
	while (fscanf(f, "%d", &pid) == 1)
		fr_capture__follow_pid(cap, pid, true);
	fclose(f);
	follow_changed(cap);
	return 0;
}

uint32_t fr_capture__sample_hz(const struct fr_capture *cap)
{
	return cap->sample_fds ? (uint32_t)cap->sample_hz : 0;
}

void fr_capture__set_flags(struct fr_capture *cap, uint32_t flags)
{
	for (uint32_t i = 0; i < cap->view.nr_cpus; i++)
		__atomic_store_n(&cap->skel->bss->cpu_state[i].capture_flags, flags,
				 __ATOMIC_RELEASE);
}

int fr_capture__read_window(struct fr_capture *cap, const struct fr_window_req *req,
			    struct fr_window **out)
{
	int err = fr_ring__read_window(&cap->view, req, out);

	/* no syscall hooks: calls that computed are known from their samples */
	if (!err && cap->syscalls == FR_SYSCALLS_SCHED && cap->sample_hz > 0) {
		err = fr_window__syscalls_from_samples(*out, 1000000000ull / (uint64_t)cap->sample_hz);
		if (err) {
			fr_window__free(*out);
			*out = NULL;
		}
	}
	return err;
}

const struct fr_ring_view *fr_capture__view(const struct fr_capture *cap)
{
	return &cap->view;
}

static uint64_t prog_misses(struct bpf_program *prog)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
		return 0;
	return info.recursion_misses;
}

void fr_capture__prog_runtime(const struct fr_capture *cap, const char *prog, uint64_t *run_ns,
			      uint64_t *run_cnt)
{
	struct bpf_program *p;

	*run_ns = *run_cnt = 0;
	bpf_object__for_each_program(p, cap->skel->obj) {
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);

		if (prog && strcmp(bpf_program__name(p), prog))
			continue;
		if (bpf_program__fd(p) < 0 || bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len))
			continue;
		*run_ns += info.run_time_ns;
		*run_cnt += info.run_cnt;
	}
}

void fr_capture__counters(const struct fr_capture *cap, struct fr_capture_counters *out)
{
	const struct fr_cpu_state *cs = cap->skel->bss->cpu_state;
	struct bpf_program *prog;

	memset(out, 0, sizeof(*out));
	for (uint32_t i = 0; i < cap->view.nr_cpus; i++) {
		uint64_t head = __atomic_load_n(&cs[i].head, __ATOMIC_RELAXED);

		out->written += head;
		if (head > cap->view.slots)
			out->overwritten += head - cap->view.slots;
		out->skipped += cs[i].skipped;
		out->nested += cs[i].nested;
		out->stacks += cs[i].stack_head - cs[i].user_chunks;
		out->user_stacks += cs[i].user_stacks;
		out->samples += cs[i].samples;
		out->stacks_skipped += cs[i].stack_skipped;
		out->stack_fail += cs[i].stack_fail;
		out->lookup_fail += cs[i].lookup_fail;
		out->names += cs[i].name_head;
		out->links_made += cs[i].links_made;
		out->links_refused += cs[i].links_refused;
		out->vma_busy += cs[i].vma_busy;
	}
	out->links_now = __atomic_load_n(&cap->skel->bss->nr_links, __ATOMIC_RELAXED);
	bpf_object__for_each_program(prog, cap->skel->obj)
		out->prog_misses += prog_misses(prog);
}

void fr_capture__info(const struct fr_capture *cap, struct fr_capture_info *out)
{
	out->nr_cpus = cap->view.nr_cpus;
	out->slots_per_cpu = cap->view.slots;
	out->stack_slots_per_cpu = cap->view.stack_slots;
	out->ring_bytes = (uint64_t)cap->view.nr_cpus *
			  ((uint64_t)cap->view.slots * sizeof(struct fr_rec) +
			   (uint64_t)cap->view.stack_slots * sizeof(struct fr_stack_slot) +
			   (uint64_t)cap->view.name_slots * sizeof(struct fr_fdname));
	out->attach_ts = cap->attach_ts;
	out->sample_hz = fr_capture__sample_hz(cap);
	out->syscalls = cap->syscalls;
}
