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
#include "compat.bpf.h"
#include "fr_record.h"
#include "ring_writer.bpf.h"

char LICENSE[] SEC("license") = "GPL";

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
 * The ids (tid | tgid << 32) of the task making a syscall, and whether it
 * is followed, cached per CPU so that most syscalls need no helper call (a
 * call costs dearly where returns go through mitigation thunks).
 *
 * The cache is keyed by the task's saved user registers, the raw syscall
 * tracepoints' first argument: they lie at the top of the task's own
 * kernel stack, so two live tasks never share them. A syscall whose
 * registers are not the cached ones, or that comes after the follow filter
 * changed, looks the task up again. sched_switch and exec only forget the
 * key. Trusting sched_switch to name the next task was not enough: under
 * load a task was seen running syscalls on a CPU whose cache still named
 * the task before it (a few times per second of a busy two-CPU machine),
 * and those syscalls were taken for the other task's.
 */
static __always_inline int syscall_task(struct fr_cpu_state *st, const struct pt_regs *regs,
					__u64 *ids)
{
	__u32 gen = st->follow_gen;
	__u64 id;
	int f;

	if (st->cur_regs == (__u64)regs && st->cur_gen == gen) {
		*ids = ((__u64)st->cur_tgid << 32) | st->cur_tid;
		return st->cur_followed;
	}
	id = bpf_get_current_pid_tgid();
	f = followed(id >> 32);
	st->cur_tid = (__u32)id;
	st->cur_tgid = id >> 32;
	st->cur_followed = f;
	st->cur_gen = gen;
	st->cur_regs = (__u64)regs;
	*ids = id;
	return f;
}

/* Reserve the next slot of this CPU's ring and mark it in progress. */
static __always_inline struct fr_rec *ring_reserve(struct fr_cpu_state *st, __u32 cpu,
						   __u64 *pos_out)
{
	__u64 pos = fr_ring_claim(&st->head);
	__u32 idx = cpu * slots_per_cpu + fr_ring_index(pos, &st->wrap_base, slots_per_cpu);
	struct fr_rec *r = bpf_map_lookup_elem(&fr_ring, &idx);

	if (!r) {
		st->lookup_fail++;
		return NULL;
	}
	fr_slot_open(&r->seq);
	*pos_out = pos;
	return r;
}

/*
 * Reserve a slot and fill the header every record has; the caller fills
 * its type's fields, then ring_commit. NULL when no slot could be had.
 */
static __always_inline struct fr_rec *rec_begin(struct fr_cpu_state *st, __u32 cpu, __u8 type,
						__u8 flags, __u16 aux, __u64 ts, __u64 ids,
						__u64 *pos)
{
	struct fr_rec *r = ring_reserve(st, cpu, pos);

	if (!r)
		return NULL;
	r->type = type;
	r->flags = flags;
	r->aux = aux;
	r->ts = ts;
	r->tid = (__u32)ids;
	r->pid = ids >> 32;
	return r;
}

/* Publish a slot; count nesting if another record was reserved meanwhile. */
static __always_inline void ring_commit(struct fr_cpu_state *st, struct fr_rec *r, __u64 pos)
{
	fr_slot_publish(&r->seq, pos);
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
	if (!syscall_task(st, regs, &pid_tgid))
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
	e->arg0 = PT_REGS_PARM1_SYSCALL(uregs);
	e->ts = bpf_ktime_get_ns();
	return 0;
}

SEC("raw_tp/sys_exit")
int BPF_PROG(fr_sys_exit, struct pt_regs *regs, long ret)
{
	__u32 cpu, idx, nr;
	struct fr_cpu_state *st = this_cpu(&cpu);
	struct sys_entry *e;
	struct fr_rec *r;
	__u64 id, now, pos, dur, arg0;
	__u8 flags = 0;

	if (!st)
		return 0;
	if (!syscall_task(st, regs, &id)) {
		st->skipped++; /* per-CPU, not atomic: a lost count is acceptable */
		return 0;
	}
	if (!(st->capture_flags & FR_CAP_SYSCALLS))
		return 0;
	now = bpf_ktime_get_ns();
	idx = (__u32)id & sys_entry_mask;
	e = bpf_map_lookup_elem(&fr_sys_entry, &idx);
	if (e && e->tid == (__u32)id && e->ts && e->ts <= now) {
		dur = now - e->ts;
		nr = e->nr;
		arg0 = e->arg0;
		e->ts = 0;
	} else {
		/* Entered before we attached: number from the saved registers. */
		dur = 0;
		flags |= FR_SYS_NO_ENTRY;
		nr = regs_syscall_nr(regs);
		arg0 = PT_REGS_PARM1_CORE_SYSCALL(regs);
	}
	if (dur > 0xffffffffULL) {
		dur /= 1000;
		flags |= FR_SYS_DUR_US;
		if (dur > 0xffffffffULL)
			dur = 0xffffffffULL;
	}
	if (ret != (__s32)ret)
		flags |= FR_SYS_RET_CLAMPED;
	r = rec_begin(st, cpu, FR_REC_SYSCALL, flags, (__u16)nr, now, id, &pos);
	if (!r)
		return 0;
	r->sys.dur = (__u32)dur;
	r->sys.ret = (__s32)ret;
	r->sys.arg0 = arg0;
	ring_commit(st, r, pos);
	return 0;
}

/* Kernel then user stack of the current task into this CPU's stack ring. */
static __always_inline int take_stack(void *ctx, struct fr_cpu_state *st, __u32 cpu, __u32 tid,
				      __u64 ts, __u32 *pos_out)
{
	__u64 pos = fr_ring_claim(&st->stack_head);
	__u32 idx = cpu * stack_slots_per_cpu +
		    fr_ring_index(pos, &st->stack_wrap_base, stack_slots_per_cpu);
	struct fr_stack *s = bpf_map_lookup_elem(&fr_stacks, &idx);
	long nk, nu;

	if (!s) {
		st->lookup_fail++;
		return -1;
	}
	fr_slot_open(&s->seq);
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
	fr_slot_publish(&s->seq, pos);
	*pos_out = (__u32)pos;
	return 0;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(fr_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 next_tid, next_tgid, cpu, stack_pos = 0, prev_state;
	struct fr_cpu_state *st = this_cpu(&cpu);
	int prev_f, next_f;
	struct fr_rec *r;
	__u64 id, now, pos, next_ids;
	__u8 flags = 0;

	if (!st)
		return 0;
	id = task_ids(prev);
	prev_f = followed(id >> 32);
	next_ids = task_ids(next);
	next_tid = (__u32)next_ids;
	next_tgid = next_ids >> 32;
	next_f = followed(next_tgid);
	st->cur_regs = 0; /* the next syscall on this CPU looks its task up */
	if (!(st->capture_flags & FR_CAP_SCHED))
		return 0;
	if (!prev_f && !next_f) {
		st->skipped++;
		return 0;
	}
	now = bpf_ktime_get_ns();
	prev_state = switch_prev_state(prev, ctx);
	/* Still runnable: preempted in the kernel, or switched out in state R
	 * on the way back to user space (schedule() there says preempt=false). */
	if (preempt || prev_state == 0)
		flags |= FR_SW_PREEMPT;
	else if (prev_f && (st->capture_flags & FR_CAP_STACKS) &&
		 take_stack(ctx, st, cpu, (__u32)id, now, &stack_pos) == 0)
		flags |= FR_SW_STACK;
	/* A followed task preempted by one we do not follow: name that one now,
	 * while it exists (short-lived processes are gone by the snapshot). */
	if ((flags & FR_SW_PREEMPT) && prev_f && !next_f && next_tid) {
		r = rec_begin(st, cpu, FR_REC_COMM, 0, 0, now, next_ids, &pos);
		if (r) {
			bpf_probe_read_kernel_str(r->ex.comm, sizeof(r->ex.comm),
						  __builtin_preserve_access_index(&next->comm));
			ring_commit(st, r, pos);
		}
	}
	r = rec_begin(st, cpu, FR_REC_SWITCH, flags, (__u16)prev_state, now, id, &pos);
	if (!r)
		return 0;
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
	__u32 cpu;
	struct fr_cpu_state *st = this_cpu(&cpu);
	__u64 id, wakee_ids, pos;
	struct fr_rec *r;

	if (!st || !(st->capture_flags & FR_CAP_SCHED))
		return 0;
	/* The waker is the current task (for a wake-up from an interrupt: the
	 * task the interrupt arrived on). */
	id = bpf_get_current_pid_tgid();
	wakee_ids = task_ids(p);
	if (!followed(wakee_ids >> 32) && !followed(id >> 32)) {
		st->skipped++;
		return 0;
	}
	r = rec_begin(st, cpu, FR_REC_WAKEUP, 0, (__u16)BPF_CORE_READ(p, wake_cpu),
		      bpf_ktime_get_ns(), wakee_ids, &pos);
	if (!r)
		return 0;
	r->wk.waker_tid = (__u32)id;
	r->wk.waker_pid = id >> 32;
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
	__u64 child_ids = task_ids(child);
	__u32 child_pid = (__u32)child_ids, child_tgid = child_ids >> 32;
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

	/* A thread that execs takes its leader's tid, on the same stack: the
	 * syscall cache must look the task up again. */
	st = this_cpu(&cpu);
	if (st)
		st->cur_regs = 0;
	if (!nr_comm_filters)
		return 0;
	bpf_get_current_comm(comm, sizeof(comm));
	if (comm_matches(comm))
		set_follow(ids >> 32, 1);
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
	r = rec_begin(st, cpu, FR_REC_EXIT, 0, 0, bpf_ktime_get_ns(), id, &pos);
	if (!r)
		return 0;
	bpf_get_current_comm(r->ex.comm, sizeof(r->ex.comm));
	ring_commit(st, r, pos);
	return 0;
}
