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
const volatile __u32 sys_entry_mask = 0; /* fr_sys_entry entries - 1 */

/* Changed at run time by user space through the mmapped .bss. */
struct fr_cpu_state cpu_state[FR_MAX_CPUS];
__u64 follow_bits[FR_FOLLOW_WORDS];
__u32 follow_all;
__u32 follow_children;
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

/*
 * Syscall entry kept per thread between sys_enter and sys_exit, in an array
 * indexed by tid (lookups of arrays are inlined: no helper call, unlike task
 * storage). The loader sizes it to pid_max when that is small, as it usually
 * is; beyond, tids that collide are told apart by the tid field and the
 * loser's record is marked FR_SYS_NO_ENTRY.
 */
struct sys_entry {
	__u32 tid;
	__u32 nr;
	__u64 ts;
	__u64 arg0;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct sys_entry);
	__uint(max_entries, 1); /* resized by the loader */
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

/*
 * tid | tgid << 32 of the current task without a helper call (a call costs
 * dearly where returns go through mitigation thunks): sched_switch keeps
 * the running task's ids per CPU. Before the first switch after attach the
 * cache is empty (ids 0 are only idle, which makes no syscalls).
 */
static __always_inline __u64 current_ids(struct fr_cpu_state *st)
{
	__u64 ids = ((__u64)st->cur_tgid << 32) | st->cur_tid;

	return ids ? ids : bpf_get_current_pid_tgid();
}

/*
 * Is the task running on this CPU followed: the cached decision while the
 * filter has not changed since it was taken, else the bitmap (and cache it).
 */
static __always_inline int cur_followed(struct fr_cpu_state *st, __u64 ids)
{
	__u32 gen = st->follow_gen;
	int f;

	if (st->cur_gen == gen && (st->cur_tid | st->cur_tgid))
		return st->cur_followed;
	f = followed(ids >> 32);
	if (st->cur_tid | st->cur_tgid) {
		st->cur_followed = f;
		st->cur_gen = gen;
	}
	return f;
}

/*
 * pos % n without a division on the hot path: *base is a multiple of n
 * below pos, kept per CPU; the division runs once per lap of the ring. A
 * nested writer may leave *base stale or ahead of pos: then pos - *base is
 * out of [0, n) and the slow path recomputes, so the result is always exact.
 */
static __always_inline __u32 ring_index(__u64 pos, __u64 *base, __u32 n)
{
	__u64 off = pos - *base;

	if (off < n)
		return (__u32)off;
	off = pos % n;
	*base = pos - off;
	return (__u32)off;
}

/* Reserve the next slot of this CPU's ring and mark it in progress. */
static __always_inline struct fr_rec *ring_reserve(struct fr_cpu_state *st, __u32 cpu,
						   __u64 *pos_out)
{
	__u64 pos = __sync_fetch_and_add(&st->head, 1);
	__u32 idx = cpu * slots_per_cpu + ring_index(pos, &st->wrap_base, slots_per_cpu);
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
	__u32 cpu, tid, idx;
	struct fr_cpu_state *st = this_cpu(&cpu);
	struct pt_regs *uregs;
	struct sys_entry *e;
	__u64 pid_tgid;

	if (!st)
		return 0;
	pid_tgid = current_ids(st);
	if (!cur_followed(st, pid_tgid))
		return 0; /* counted once per syscall, at exit */
	tid = (__u32)pid_tgid;
	idx = tid & sys_entry_mask;
	if (!(st->capture_flags & FR_CAP_SYSCALLS))
		return 0;
	e = bpf_map_lookup_elem(&fr_sys_entry, &idx);
	if (!e)
		return 0;
	/* The saved user registers through a BTF pointer: a plain load, where
	 * the untyped raw_tp argument would need bpf_probe_read_kernel(). */
	uregs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	e->tid = tid;
	e->nr = (__u32)id;
	e->arg0 = uregs->di;
	e->ts = bpf_ktime_get_ns();
	return 0;
}

SEC("raw_tp/sys_exit")
int BPF_PROG(fr_sys_exit, struct pt_regs *regs, long ret)
{
	__u32 tgid, cpu, idx;
	struct fr_cpu_state *st = this_cpu(&cpu);
	struct sys_entry *e;
	struct fr_rec *r;
	__u64 id, now, pos, dur;
	__u8 flags = 0;

	if (!st)
		return 0;
	id = current_ids(st);
	tgid = id >> 32;
	if (!cur_followed(st, id)) {
		st->skipped++; /* per-CPU, not atomic: a lost count is acceptable */
		return 0;
	}
	if (!(st->capture_flags & FR_CAP_SYSCALLS))
		return 0;
	now = bpf_ktime_get_ns();
	idx = (__u32)id & sys_entry_mask;
	e = bpf_map_lookup_elem(&fr_sys_entry, &idx);
	r = ring_reserve(st, cpu, &pos);
	if (!r)
		return 0;
	if (e && e->tid == (__u32)id && e->ts && e->ts <= now) {
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
	__u32 idx = cpu * stack_slots_per_cpu +
		    ring_index(pos, &st->stack_wrap_base, stack_slots_per_cpu);
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
	__u32 prev_tgid, next_tid, next_tgid, cpu, stack_pos = 0;
	struct fr_cpu_state *st = this_cpu(&cpu);
	int prev_f, next_f;
	struct fr_rec *r;
	__u64 id, now, pos, next_ids;
	__u8 flags = 0;

	if (!st)
		return 0;
	id = current_ids(st);
	prev_tgid = id >> 32;
	prev_f = cur_followed(st, id);
	/* pid and tgid are adjacent in task_struct: one read for both. */
	next_ids = 0;
	bpf_probe_read_kernel(&next_ids, sizeof(next_ids),
			      __builtin_preserve_access_index(&next->pid));
	next_tid = (__u32)next_ids;
	next_tgid = next_ids >> 32;
	next_f = followed(next_tgid);
	st->cur_tid = next_tid;
	st->cur_tgid = next_tgid;
	st->cur_followed = next_f;
	st->cur_gen = st->follow_gen;
	if (!(st->capture_flags & FR_CAP_SCHED))
		return 0;
	if (!prev_f && !next_f) {
		st->skipped++;
		return 0;
	}
	now = bpf_ktime_get_ns();
	/* Still runnable: preempted in the kernel, or switched out in state R
	 * on the way back to user space (schedule() there says preempt=false). */
	if (preempt || prev_state == 0)
		flags |= FR_SW_PREEMPT;
	else if (prev_f && (st->capture_flags & FR_CAP_STACKS) &&
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
	r->sw.next_tid = next_tid;
	r->sw.next_pid = next_tgid;
	r->sw.stack_pos = stack_pos;
	r->sw._pad = 0;
	ring_commit(st, r, pos);
	return 0;
}

/*
 * sched_waking, not sched_wakeup: a wake-up queued to another CPU is traced
 * by sched_wakeup there, from interrupt context, where current is not the
 * waker; sched_waking always runs in the waker's context.
 */
SEC("raw_tp/sched_waking")
int BPF_PROG(fr_sched_waking, struct task_struct *p)
{
	__u32 cpu, waker_tgid, wakee_tgid;
	struct fr_cpu_state *st = this_cpu(&cpu);
	__u64 id, wakee_ids = 0, pos;
	struct fr_rec *r;

	if (!st || !(st->capture_flags & FR_CAP_SCHED))
		return 0;
	/* The waker is the current task (for a wake-up from an interrupt: the
	 * task the interrupt arrived on). */
	id = current_ids(st);
	waker_tgid = id >> 32;
	bpf_probe_read_kernel(&wakee_ids, sizeof(wakee_ids),
			      __builtin_preserve_access_index(&p->pid));
	wakee_tgid = wakee_ids >> 32;
	if (!followed(wakee_tgid) && !cur_followed(st, id)) {
		st->skipped++;
		return 0;
	}
	r = ring_reserve(st, cpu, &pos);
	if (!r)
		return 0;
	r->type = FR_REC_WAKEUP;
	r->flags = 0;
	r->aux = (__u16)BPF_CORE_READ(p, wake_cpu);
	r->ts = bpf_ktime_get_ns();
	r->tid = (__u32)wakee_ids;
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
	__u64 ids = bpf_get_current_pid_tgid();
	char comm[FR_COMM_LEN];
	struct fr_cpu_state *st;
	__u32 cpu;

	/* A thread that execs takes its leader's tid: refresh the cache. */
	st = this_cpu(&cpu);
	if (st) {
		st->cur_tid = (__u32)ids;
		st->cur_tgid = ids >> 32;
		st->cur_gen = st->follow_gen - 1; /* decide afresh */
	}
	if (!nr_comm_filters)
		return 0;
	bpf_get_current_comm(comm, sizeof(comm));
	if (comm_matches(comm)) {
		set_follow(ids >> 32, 1);
		if (st)
			st->cur_gen = st->follow_gen - 1;
	}
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
