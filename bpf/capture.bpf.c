// SPDX-License-Identifier: GPL-2.0
/*
 * capture.bpf.c - always-on kernel capture into per-CPU overwrite rings.
 *
 * Raw tracepoints only (no fentry/tp_btf/kprobes on the target machines).
 * Every program first checks the follow filter, a bitmap indexed by tgid in
 * global data, so an unfollowed task costs one load and a per-CPU counter
 * bump. See include/fr_record.h for the slot protocol.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "fr_record.h"

char LICENSE[] SEC("license") = "GPL";

#define barrier() asm volatile("" ::: "memory")

/* Set by the loader before load. */
const volatile __u32 nr_cpus = 1;
const volatile __u32 slots_per_cpu = 1;
const volatile __u32 stack_slots_per_cpu = 1;

/* Changed at run time by user space through the mmapped .bss. */
struct fr_cpu_state cpu_state[FR_MAX_CPUS];
__u64 follow_bits[FR_FOLLOW_WORDS];
__u32 follow_all;
__u32 follow_children;
__u32 capture_flags;
__u32 self_pid;
__u32 nr_comm_filters;
__u32 nr_cgroup_filters;
struct fr_comm_filter comm_filters[FR_MAX_COMM_FILTERS];
__u64 cgroup_filters[FR_MAX_CGROUP_FILTERS];

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct fr_rec);
	__uint(max_entries, 1); /* resized by the loader */
} fr_ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct fr_stack);
	__uint(max_entries, 1); /* resized by the loader */
} fr_stacks SEC(".maps");

/* Syscall entry kept per task between sys_enter and sys_exit. */
struct sys_entry {
	__u64 ts;
	__u64 arg0;
	__s64 nr;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sys_entry);
} fr_sys_entry SEC(".maps");

static __always_inline int followed(__u32 tgid)
{
	if (follow_all)
		return tgid != self_pid && tgid != 0;
	return (follow_bits[(tgid >> 6) & (FR_FOLLOW_WORDS - 1)] >> (tgid & 63)) & 1;
}

static __always_inline void set_follow(__u32 tgid, int on)
{
	__u64 bit = 1ULL << (tgid & 63);
	__u64 *w = &follow_bits[(tgid >> 6) & (FR_FOLLOW_WORDS - 1)];

	if (on)
		__sync_fetch_and_or(w, bit);
	else
		__sync_fetch_and_and(w, ~bit);
}

static __always_inline struct fr_cpu_state *this_cpu(__u32 *cpu_out)
{
	__u32 cpu = bpf_get_smp_processor_id();

	if (cpu >= nr_cpus)
		return NULL;
	*cpu_out = cpu;
	return &cpu_state[cpu & (FR_MAX_CPUS - 1)];
}

static __always_inline void count_skip(void)
{
	__u32 cpu;
	struct fr_cpu_state *st = this_cpu(&cpu);

	if (st)
		st->skipped++; /* per-CPU, not atomic: a lost count is acceptable */
}

/* Reserve the next slot of this CPU's ring and mark it in progress. */
static __always_inline struct fr_rec *ring_reserve(struct fr_cpu_state *st, __u32 cpu,
						   __u64 *pos_out)
{
	__u64 pos = __sync_fetch_and_add(&st->head, 1);
	__u32 idx = cpu * slots_per_cpu + (__u32)(pos % slots_per_cpu);
	struct fr_rec *r = bpf_map_lookup_elem(&fr_ring, &idx);

	if (!r) {
		st->lookup_fail++;
		return NULL;
	}
	r->seq = 0;
	barrier();
	*pos_out = pos;
	return r;
}

/* Publish a slot; count nesting if another record was reserved meanwhile. */
static __always_inline void ring_commit(struct fr_cpu_state *st, struct fr_rec *r, __u64 pos)
{
	barrier();
	r->seq = FR_SEQ(pos);
	if (st->head != pos + 1)
		st->nested++;
}

SEC("raw_tp/sys_enter")
int BPF_PROG(fr_sys_enter, struct pt_regs *regs, long id)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct sys_entry *e;

	if (!followed(tgid)) {
		count_skip();
		return 0;
	}
	if (!(capture_flags & FR_CAP_SYSCALLS))
		return 0;
	e = bpf_task_storage_get(&fr_sys_entry, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!e)
		return 0;
	e->nr = id;
	e->arg0 = PT_REGS_PARM1_CORE_SYSCALL(regs);
	e->ts = bpf_ktime_get_ns();
	return 0;
}

SEC("raw_tp/sys_exit")
int BPF_PROG(fr_sys_exit, struct pt_regs *regs, long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, cpu;
	struct fr_cpu_state *st;
	struct sys_entry *e;
	struct fr_rec *r;
	__u64 now, pos, dur;
	__u8 flags = 0;

	if (!followed(tgid)) {
		count_skip();
		return 0;
	}
	if (!(capture_flags & FR_CAP_SYSCALLS))
		return 0;
	now = bpf_ktime_get_ns();
	st = this_cpu(&cpu);
	if (!st)
		return 0;
	e = bpf_task_storage_get(&fr_sys_entry, bpf_get_current_task_btf(), 0, 0);
	r = ring_reserve(st, cpu, &pos);
	if (!r)
		return 0;
	if (e && e->ts && e->ts <= now) {
		dur = now - e->ts;
		r->aux = (__u16)e->nr;
		r->sys.arg0 = e->arg0;
		e->ts = 0;
	} else {
		/* Entered before we attached: number from the saved registers. */
		dur = 0;
		flags |= FR_SYS_NO_ENTRY;
		r->aux = (__u16)BPF_CORE_READ(regs, orig_ax);
		r->sys.arg0 = PT_REGS_PARM1_CORE_SYSCALL(regs);
	}
	if (dur > 0xffffffffULL) {
		dur /= 1000;
		flags |= FR_SYS_DUR_US;
		if (dur > 0xffffffffULL)
			dur = 0xffffffffULL;
	}
	if (ret != (__s32)ret)
		flags |= FR_SYS_RET_CLAMPED;
	r->type = FR_REC_SYSCALL;
	r->flags = flags;
	r->ts = now;
	r->tid = (__u32)id;
	r->pid = tgid;
	r->sys.dur = (__u32)dur;
	r->sys.ret = (__s32)ret;
	ring_commit(st, r, pos);
	return 0;
}

/* Kernel then user stack of the current task into this CPU's stack ring. */
static __always_inline int take_stack(void *ctx, struct fr_cpu_state *st, __u32 cpu, __u32 tid,
				      __u64 ts, __u32 *pos_out)
{
	__u64 pos = __sync_fetch_and_add(&st->stack_head, 1);
	__u32 idx = cpu * stack_slots_per_cpu + (__u32)(pos % stack_slots_per_cpu);
	struct fr_stack *s = bpf_map_lookup_elem(&fr_stacks, &idx);
	long nk, nu;

	if (!s) {
		st->lookup_fail++;
		return -1;
	}
	s->seq = 0;
	barrier();
	/* Skip the program itself and bpf_trace_run4: start at __schedule. */
	nk = bpf_get_stack(ctx, &s->ips[0], sizeof(__u64) * FR_STACK_KERN_MAX,
			   2 & BPF_F_SKIP_FIELD_MASK);
	nu = bpf_get_stack(ctx, &s->ips[FR_STACK_KERN_MAX], sizeof(__u64) * FR_STACK_USER_MAX,
			   BPF_F_USER_STACK);
	if (nk < 0 && nu < 0) {
		st->stack_fail++;
		return -1; /* slot stays seq 0: never valid */
	}
	s->nr_kern = nk > 0 ? nk / sizeof(__u64) : 0;
	s->nr_user = nu > 0 ? nu / sizeof(__u64) : 0;
	s->tid = tid;
	s->ts = ts;
	barrier();
	s->seq = FR_SEQ(pos);
	*pos_out = (__u32)pos;
	return 0;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(fr_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 prev_tgid = id >> 32, next_tgid, cpu, stack_pos = 0;
	int prev_f, next_f;
	struct fr_cpu_state *st;
	struct fr_rec *r;
	__u64 now, pos;
	__u8 flags = 0;

	if (!(capture_flags & FR_CAP_SCHED))
		return 0;
	next_tgid = BPF_CORE_READ(next, tgid);
	prev_f = followed(prev_tgid);
	next_f = followed(next_tgid);
	if (!prev_f && !next_f) {
		count_skip();
		return 0;
	}
	st = this_cpu(&cpu);
	if (!st)
		return 0;
	now = bpf_ktime_get_ns();
	if (preempt)
		flags |= FR_SW_PREEMPT;
	else if (prev_f && prev_state != 0 && (capture_flags & FR_CAP_STACKS) &&
		 take_stack(ctx, st, cpu, (__u32)id, now, &stack_pos) == 0)
		flags |= FR_SW_STACK;
	r = ring_reserve(st, cpu, &pos);
	if (!r)
		return 0;
	r->type = FR_REC_SWITCH;
	r->flags = flags;
	r->aux = (__u16)prev_state;
	r->ts = now;
	r->tid = (__u32)id;
	r->pid = prev_tgid;
	r->sw.next_tid = BPF_CORE_READ(next, pid);
	r->sw.next_pid = next_tgid;
	r->sw.stack_pos = stack_pos;
	r->sw._pad = 0;
	ring_commit(st, r, pos);
	return 0;
}

SEC("raw_tp/sched_wakeup")
int BPF_PROG(fr_sched_wakeup, struct task_struct *p)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 waker_tgid = id >> 32, wakee_tgid, cpu;
	struct fr_cpu_state *st;
	struct fr_rec *r;
	__u64 pos;

	if (!(capture_flags & FR_CAP_SCHED))
		return 0;
	wakee_tgid = BPF_CORE_READ(p, tgid);
	if (!followed(wakee_tgid) && !followed(waker_tgid)) {
		count_skip();
		return 0;
	}
	st = this_cpu(&cpu);
	if (!st)
		return 0;
	r = ring_reserve(st, cpu, &pos);
	if (!r)
		return 0;
	r->type = FR_REC_WAKEUP;
	r->flags = 0;
	r->aux = (__u16)BPF_CORE_READ(p, wake_cpu);
	r->ts = bpf_ktime_get_ns();
	r->tid = BPF_CORE_READ(p, pid);
	r->pid = wakee_tgid;
	r->wk.waker_tid = (__u32)id;
	r->wk.waker_pid = waker_tgid;
	r->wk._pad[0] = 0;
	r->wk._pad[1] = 0;
	ring_commit(st, r, pos);
	return 0;
}

static __always_inline int comm_matches(const char *comm)
{
	for (int i = 0; i < FR_MAX_COMM_FILTERS; i++) {
		int eq = 1;

		if (i >= nr_comm_filters)
			break;
		for (int j = 0; j < FR_COMM_LEN; j++) {
			char c = comm_filters[i].comm[j];

			if (c != comm[j]) {
				eq = 0;
				break;
			}
			if (!c)
				break;
		}
		if (eq)
			return 1;
	}
	return 0;
}

static __always_inline int cgroup_matches(__u64 cgid)
{
	for (int i = 0; i < FR_MAX_CGROUP_FILTERS; i++) {
		if (i >= nr_cgroup_filters)
			break;
		if (cgroup_filters[i] == cgid)
			return 1;
	}
	return 0;
}

/*
 * A new process (not a thread) gets its follow bit decided here, which also
 * clears a stale bit left by an earlier process with the same pid.
 */
SEC("raw_tp/sched_process_fork")
int BPF_PROG(fr_process_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 child_pid = BPF_CORE_READ(child, pid);
	__u32 child_tgid = BPF_CORE_READ(child, tgid);
	__u32 parent_tgid = BPF_CORE_READ(parent, tgid);
	char comm[FR_COMM_LEN];
	int on;

	if (child_pid != child_tgid)
		return 0; /* a thread: follows with its process */
	on = follow_children && followed(parent_tgid);
	if (!on && nr_comm_filters) {
		bpf_get_current_comm(comm, sizeof(comm));
		on = comm_matches(comm);
	}
	if (!on && nr_cgroup_filters)
		on = cgroup_matches(bpf_get_current_cgroup_id());
	set_follow(child_tgid, on);
	return 0;
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(fr_process_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	char comm[FR_COMM_LEN];

	if (!nr_comm_filters)
		return 0;
	bpf_get_current_comm(comm, sizeof(comm));
	if (comm_matches(comm))
		set_follow(bpf_get_current_pid_tgid() >> 32, 1);
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(fr_process_exit, struct task_struct *p)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 cpu;
	struct fr_cpu_state *st;
	struct fr_rec *r;
	__u64 pos;

	if (!followed(id >> 32))
		return 0;
	st = this_cpu(&cpu);
	if (!st)
		return 0;
	r = ring_reserve(st, cpu, &pos);
	if (!r)
		return 0;
	r->type = FR_REC_EXIT;
	r->flags = 0;
	r->aux = 0;
	r->ts = bpf_ktime_get_ns();
	r->tid = (__u32)id;
	r->pid = id >> 32;
	bpf_get_current_comm(r->ex.comm, sizeof(r->ex.comm));
	ring_commit(st, r, pos);
	return 0;
}
