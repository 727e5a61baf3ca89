/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.bpf.h - kernel-version and architecture differences, as named
 * helpers, so that capture.bpf.c reads the same on every kernel it loads on
 * (CO-RE: each choice below is resolved when the program is loaded, and
 * the branch not taken is removed by the verifier).
 */
#ifndef FR_COMPAT_BPF_H
#define FR_COMPAT_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

/*
 * Set by the loader: does the raw sched_switch tracepoint pass prev_state
 * as its fourth argument? Added in 5.18 by commit fa2c3254d7cf
 * ("sched/tracing: Don't re-read p->state when emitting sched_switch
 * event"); the loader reads it off btf_trace_sched_switch in the kernel's
 * BTF. Without it the state is read from the task (get_task_state).
 */
const volatile bool has_switch_prev_state = true;

/*
 * Commit 2f064a59a11f ("sched: Change task_struct::state", 5.14) renamed
 * task_struct::state to __state (and made it unsigned int).
 */
struct task_struct___pre_5_14 {
	volatile long int state;
} __attribute__((preserve_access_index));

static __always_inline __u32 get_task_state(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return (__u32)BPF_CORE_READ((struct task_struct___pre_5_14 *)t, state);
}

/*
 * The state of the task switched out, as sched_switch saw it: the
 * tracepoint's own argument where the kernel has one (read before a
 * concurrent wake-up could change the task), else the task's field.
 */
static __always_inline __u32 switch_prev_state(struct task_struct *prev, unsigned long long *ctx)
{
	if (has_switch_prev_state)
		return (__u32)ctx[3];
	return get_task_state(prev);
}

/*
 * tid | tgid << 32 of a task. task_struct has kept pid and tgid adjacent
 * (pid first) for as long as BTF exists; where the loaded kernel does too,
 * one 8-byte read takes both, else one read each.
 */
static __always_inline __u64 task_ids(struct task_struct *t)
{
	__u64 ids = 0;

	if (bpf_core_field_offset(t->tgid) == bpf_core_field_offset(t->pid) + 4 &&
	    bpf_core_field_size(t->pid) == 4 && bpf_core_field_size(t->tgid) == 4) {
		bpf_probe_read_kernel(&ids, sizeof(ids), __builtin_preserve_access_index(&t->pid));
		return ids;
	}
	return ((__u64)(__u32)BPF_CORE_READ(t, tgid) << 32) | (__u32)BPF_CORE_READ(t, pid);
}

/*
 * The number of the syscall a task is in, from its saved user registers
 * (for a syscall whose entry was not seen).
 */
static __always_inline __u32 regs_syscall_nr(struct pt_regs *regs)
{
#if defined(__TARGET_ARCH_x86)
	return (__u32)BPF_CORE_READ(regs, orig_ax);
#elif defined(__TARGET_ARCH_arm64)
	return (__u32)BPF_CORE_READ(regs, syscallno);
#else
#error "flightrec: add this architecture's syscall number register to bpf/compat.bpf.h"
#endif
}

/* The same through a BTF pointer (bpf_task_pt_regs): a plain load, where
 * an untyped pointer needs a bpf_probe_read_kernel() call per field. */
static __always_inline __u32 btf_regs_syscall_nr(struct pt_regs *regs)
{
#if defined(__TARGET_ARCH_x86)
	return (__u32)regs->orig_ax;
#elif defined(__TARGET_ARCH_arm64)
	return (__u32)regs->syscallno;
#endif
}

/*
 * Is a task whose saved user registers are regs (a BTF pointer) inside a
 * syscall now (not in an exception such as a page fault, not in user
 * space)? On x86-64 the entry code stores -ENOSYS as the return value
 * until the call returns, while an exception keeps the user's rax and its
 * error code in orig_ax; arm64 keeps NO_SYSCALL (-1) in syscallno outside
 * syscalls.
 */
static __always_inline int btf_regs_in_syscall(struct pt_regs *regs)
{
#if defined(__TARGET_ARCH_x86)
	return (long)regs->ax == -38 && (long)regs->orig_ax >= 0;
#elif defined(__TARGET_ARCH_arm64)
	return (int)regs->syscallno >= 0;
#endif
}

#endif /* FR_COMPAT_BPF_H */
