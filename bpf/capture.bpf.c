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
#include <bpf/bpf_endian.h>
#include "compat.bpf.h"
#include "fr_record.h"
#include "ring_writer.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define PF_KTHREAD_ 0x00200000
/* x86-64's and arm64's task stack without KASAN (which doubles it) */
#define THREAD_SIZE_ 16384

/* Set by the loader before load. */
const volatile __u32 nr_cpus = 1;
const volatile __u32 slots_per_cpu = 1;
const volatile __u32 stack_slots_per_cpu = 1;
/* A block at least this long gets its stacks (fr_record.h). */
const volatile __u64 stack_after_ns = 1000000;
/* Slots a user stack is copied into (fr_record.h); 0: frame pointers only. */
const volatile __u32 user_stack_chunks = 4;
const volatile __u32 sys_entry_mask = 0; /* fr_sys_entry entries - 1 */
const volatile __u32 name_slots_per_cpu = 1;
/* A syscall on an fd that took at least this long gets its fd named. */
const volatile __u64 name_after_ns = 100000;
/* Bit n: syscall n takes an fd as its first argument. */
const volatile __u64 fd_syscalls[8];
/* The epoll wait syscalls (their ready fds are named); ~0 where absent. */
const volatile __u32 epoll_wait_nr = ~0u, epoll_pwait_nr = ~0u, epoll_pwait2_nr = ~0u;
const volatile __u32 poll_nr = ~0u, ppoll_nr = ~0u;
/* FR_SYSCALLS_*: which programs see syscalls (the loader loads only those). */
const volatile __u32 syscall_mode = FR_SYSCALLS_ALL;
/* --syscalls slow: a call at least this long is a record; faster ones are
 * summed per thread and number. */
const volatile __u64 slow_after_ns = 1000000;

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
__u32 links_max;  /* (user space) most processes followed as links; 0 = none */
__u32 nr_links;   /* processes in fr_links now (user space takes expired ones out) */
__u32 scope_netns; /* (user space) follow only tasks of this network namespace (its
		    * inode; --follow-scope netns); 0: any */

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
	__type(value, struct fr_stack_slot);
	__uint(max_entries, 1); /* resized by the loader */
} fr_stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct fr_fdname);
	__uint(max_entries, 1); /* resized by the loader */
} fr_names SEC(".maps");

/* Processes followed as links of a followed one (see fr_capture.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, struct fr_proc_link);
	__uint(max_entries, FR_MAX_PROC_LINKS);
} fr_links SEC(".maps");

/*
 * Syscall entry kept per thread between sys_enter and sys_exit, in an array
 * indexed by tid (lookups of arrays are inlined: no helper call, unlike task
 * storage). The loader sizes it to pid_max when that is small, as it usually
 * is; beyond, tids that collide are told apart by the tid field and the
 * loser's record is marked FR_SYS_NO_ENTRY.
 */
/* Slots of sums per thread: a server loop makes calls of a dozen numbers
 * or so, most often of fewer. */
#define FR_SUM_SLOTS 8

struct sys_entry {
	__u32 tid;
	__u32 nr;
	__u64 ts;
	__u64 arg0;
	__u64 arg1;
	__u64 block_ts; /* when the thread last blocked (switched out asleep), 0 after */
	__u64 fault_ts; /* its last page fault on user memory, 0 after one blocked */
	__u64 fault_addr;
	__u32 fault_code;
	__u32 fault_kernel; /* the kernel faulted (in a syscall) */
	__u64 stall_ts[4];  /* FR_STALL_*: when that stall began, 0 none */
	__u64 stack_ts; /* the block whose kernel stack was taken: take the user
			 * stack when the syscall returns */
	/* --syscalls slow: the thread's fast calls, summed per number in a
	 * few slots and written out as a record when a slot is wanted for
	 * another number or has summed long enough */
	struct {
		__u32 nr;
		__u32 count;
		__u64 ns;
		__u64 since;
	} sums[FR_SUM_SLOTS];
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
	if (syscall_mode == FR_SYSCALLS_SLOW) {
		if (e->tid != tid)
			for (int i = 0; i < FR_SUM_SLOTS; i++)
				e->sums[i].count = 0; /* another thread's sums */
		/* the arguments are read at the exit of the few calls that
		 * make a record (the registers still hold them) */
	} else {
		/* The saved user registers through a BTF pointer: a plain load,
		 * where the untyped raw_tp argument would need
		 * bpf_probe_read_kernel(). */
		uregs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
		e->arg0 = PT_REGS_PARM1_SYSCALL(uregs);
		e->arg1 = PT_REGS_PARM2_SYSCALL(uregs);
	}
	e->tid = tid;
	e->nr = (__u32)id;
	e->stack_ts = 0; /* a user stack belongs to the syscall its block was in */
	e->fault_ts = 0;
	e->ts = bpf_ktime_get_ns();
	return 0;
}

/* Claims a stack slot of this CPU's ring and opens it; NULL if none. */
static __always_inline struct fr_stack_slot *stack_begin(struct fr_cpu_state *st, __u32 cpu,
							 __u32 tid, __u64 block_ts, __u16 kind,
							 __u64 *pos_out)
{
	__u64 pos = fr_ring_claim(&st->stack_head);
	__u32 idx = cpu * stack_slots_per_cpu +
		    fr_ring_index(pos, &st->stack_wrap_base, stack_slots_per_cpu);
	struct fr_stack_slot *s = bpf_map_lookup_elem(&fr_stacks, &idx);

	if (!s) {
		st->lookup_fail++;
		return NULL;
	}
	fr_slot_open(&s->seq);
	s->tid = tid;
	s->ts = block_ts;
	s->wts = bpf_ktime_get_ns();
	s->kind = kind;
	s->n = 0;
	s->off = 0;
	*pos_out = pos;
	return s;
}

/* The thread this entry is about, if it is tid's (NULL otherwise). */
static __always_inline struct sys_entry *entry_of(__u32 tid)
{
	__u32 idx = tid & sys_entry_mask;
	struct sys_entry *e = bpf_map_lookup_elem(&fr_sys_entry, &idx);

	return e && e->tid == tid ? e : NULL;
}

/* tid's entry, taken over from whichever thread had the slot before. */
static __always_inline struct sys_entry *claim_entry(__u32 tid)
{
	__u32 idx = tid & sys_entry_mask;
	struct sys_entry *e = bpf_map_lookup_elem(&fr_sys_entry, &idx);

	if (e && e->tid != tid) {
		e->tid = tid;
		e->ts = 0;
		e->stack_ts = 0;
		e->block_ts = 0;
		e->fault_ts = 0;
		for (int i = 0; i < FR_SUM_SLOTS; i++)
			e->sums[i].count = 0;
	}
	return e;
}

/*
 * A followed task p being woken after a block of at least stack_after_ns:
 * copy its kernel stack raw, from its saved stack pointer up (it is off
 * CPU, its stack intact), for user space to scan. x86-64 only for now
 * (thread.sp); elsewhere no kernel stack.
 */
static __always_inline void copy_sleeper_stack(struct fr_cpu_state *st, __u32 cpu,
					       struct task_struct *p, __u32 tid,
					       struct sys_entry *e)
{
#if defined(__TARGET_ARCH_x86)
	__u64 sp = BPF_CORE_READ(p, thread.sp), base = (__u64)BPF_CORE_READ(p, stack), pos;
	struct fr_stack_slot *s;
	__u64 len;

	if (!base || sp < base || sp >= base + THREAD_SIZE_)
		return;
	len = base + THREAD_SIZE_ - sp;
	if (len > FR_STACK_RAW_BYTES)
		len = FR_STACK_RAW_BYTES;
	s = stack_begin(st, cpu, tid, e->block_ts, FR_STK_KERNEL_RAW, &pos);
	if (!s)
		return;
	if (len && bpf_probe_read_kernel(s->raw, len, (void *)sp) == 0)
		s->n = (__u16)len;
	else
		st->stack_fail++;
	fr_slot_publish(&s->seq, pos);
	e->stack_ts = e->block_ts;
#endif
}

#define PAGE_SIZE_ 4096

/* Copies len bytes of user memory at src to dst; when that crosses the end
 * of the mapping (the stack's top), what there is up to the page's end.
 * The bytes copied. */
static __always_inline __u32 copy_user_part(void *dst, __u32 len, __u64 src)
{
	__u32 part;

	if (bpf_probe_read_user(dst, len, (void *)src) == 0)
		return len;
	part = PAGE_SIZE_ - (__u32)(src & (PAGE_SIZE_ - 1));
	if (part >= len || !part)
		return 0;
	return bpf_probe_read_user(dst, part, (void *)src) == 0 ? part : 0;
}

/*
 * A user stack for the stack slots of (tid, ts), from the user registers ur:
 * on x86-64 the registers and the stack's top raw, to be unwound with the
 * binaries' call frame information (libraries and runtimes are built
 * without frame pointers); elsewhere, or when asked for none, the
 * frame-pointer walk of ctx's task.
 */
static __always_inline void copy_user_stack(void *ctx, const struct fr_user_regs *ur,
					    struct fr_cpu_state *st, __u32 cpu, __u32 tid,
					    __u64 ts)
{
	struct fr_stack_slot *s;
	__u64 pos;
	long n;

#if defined(__TARGET_ARCH_x86)
	if (user_stack_chunks) {
		__u32 got, off;
		bool more;

		s = stack_begin(st, cpu, tid, ts, FR_STK_USER_RAW, &pos);
		if (!s)
			return;
		__builtin_memcpy(s->raw, ur, sizeof(*ur));
		got = copy_user_part(s->raw + sizeof(*ur), FR_USER_CHUNK0_BYTES, ur->sp);
		s->n = (__u16)(sizeof(*ur) + got);
		s->off = 0;
		fr_slot_publish(&s->seq, pos);
		st->user_stacks++;
		st->user_chunks++;
		off = got;
		more = got == FR_USER_CHUNK0_BYTES; /* not at the stack's top yet */
		for (__u32 i = 1; i < FR_USER_CHUNKS_MAX; i++) {
			if (i >= user_stack_chunks || !more)
				break;
			s = stack_begin(st, cpu, tid, ts, FR_STK_USER_RAW, &pos);
			if (!s)
				return;
			got = copy_user_part(s->raw, FR_STACK_RAW_BYTES, ur->sp + off);
			s->n = (__u16)got;
			s->off = off;
			more = got == FR_STACK_RAW_BYTES;
			fr_slot_publish(&s->seq, pos);
			st->user_chunks++;
			off += got;
		}
		return;
	}
#endif
	s = stack_begin(st, cpu, tid, ts, FR_STK_USER, &pos);
	if (!s)
		return;
	n = bpf_get_stack(ctx, s->ips, sizeof(__u64) * FR_STACK_USER_MAX, BPF_F_USER_STACK);
	if (n > 0) {
		s->n = (__u16)(n / sizeof(__u64));
		st->user_stacks++;
	} else {
		st->stack_fail++;
	}
	st->user_chunks++;
	fr_slot_publish(&s->seq, pos);
}

/* The registers unwinding starts from, out of a task's saved user ones. */
static __always_inline void user_regs_of(struct pt_regs *regs, struct fr_user_regs *ur)
{
#if defined(__TARGET_ARCH_x86)
	ur->ip = BPF_CORE_READ(regs, ip);
	ur->sp = BPF_CORE_READ(regs, sp);
	ur->bp = BPF_CORE_READ(regs, bp);
	ur->bx = BPF_CORE_READ(regs, bx);
	ur->r12 = BPF_CORE_READ(regs, r12);
	ur->r13 = BPF_CORE_READ(regs, r13);
	ur->r14 = BPF_CORE_READ(regs, r14);
	ur->r15 = BPF_CORE_READ(regs, r15);
#else
	__builtin_memset(ur, 0, sizeof(*ur));
#endif
}

/*
 * At the return of a syscall whose long block had its kernel stack taken:
 * the user stack, at the unchanged call site.
 */
static __always_inline void take_user_stack(void *ctx, struct pt_regs *regs,
					    struct fr_cpu_state *st, __u32 cpu, __u32 tid,
					    struct sys_entry *e)
{
	struct fr_user_regs ur;
	__u64 ts = e->stack_ts;

	e->stack_ts = 0;
	user_regs_of(regs, &ur);
	copy_user_stack(ctx, &ur, st, cpu, tid, ts);
}

/* ---- naming fds at the time of the call ---- */

#define S_IFMT_ 0170000
#define S_IFSOCK_ 0140000
#define S_IFIFO_ 0010000
#define AF_UNIX_ 1
#define AF_INET_ 2
#define AF_INET6_ 10
#define FR_PATH_STEPS 24 /* components and mount crossings walked */

static __always_inline int takes_fd(__u32 nr)
{
	return nr < 512 && ((fd_syscalls[(nr >> 6) & 7] >> (nr & 63)) & 1);
}

static __always_inline int is_epoll_wait(__u32 nr)
{
	return nr == epoll_wait_nr || nr == epoll_pwait_nr || nr == epoll_pwait2_nr;
}

static __always_inline int is_poll(__u32 nr)
{
	return nr == poll_nr || nr == ppoll_nr;
}

/* The struct file behind fd of the current task, or NULL. */
static __always_inline struct file *fd_file(__u64 fd)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	struct file **fds, *f = NULL;

	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd & 0xfffff]);
	return f;
}

/* A file's path, leaf first, up through mounts to the root of its
 * namespace (or FR_PATH_STEPS steps). */
static __always_inline void name_path(struct fr_fdname *n, struct file *f)
{
	struct dentry *d = BPF_CORE_READ(f, f_path.dentry);
	struct vfsmount *vm = BPF_CORE_READ(f, f_path.mnt);
	struct mount *m = (void *)vm - bpf_core_field_offset(struct mount, mnt);
	__u32 off = 0;
	int i;

	n->truncated = 1;
	for (i = 0; i < FR_PATH_STEPS; i++) {
		struct dentry *parent;
		const unsigned char *nm;
		long len;

		if (d == BPF_CORE_READ(vm, mnt_root)) {
			struct mount *up = BPF_CORE_READ(m, mnt_parent);

			if (up == m) {
				n->truncated = 0; /* the root */
				break;
			}
			d = BPF_CORE_READ(m, mnt_mountpoint);
			m = up;
			vm = (void *)m + bpf_core_field_offset(struct mount, mnt);
			continue;
		}
		parent = BPF_CORE_READ(d, d_parent);
		if (parent == d) { /* a root that is not a mount's: pseudo files */
			n->truncated = 0;
			break;
		}
		if (off > FR_NAME_DATA - FR_NAME_PART)
			break;
		nm = BPF_CORE_READ(d, d_name.name);
		len = bpf_probe_read_kernel_str(&n->data[off], FR_NAME_PART, nm);
		if (len <= 0)
			break;
		off += len;
		n->nparts++;
		d = parent;
	}
}

static __always_inline void name_socket(struct fr_fdname *n, struct file *f)
{
	struct socket *sock = BPF_CORE_READ(f, private_data);
	struct sock *sk = BPF_CORE_READ(sock, sk);
	struct unix_address *ua;
	struct sock *peer;
	struct pid *pp;

	if (!sk)
		return;
	n->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	n->proto = BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol);
	if (n->family == AF_INET_ || n->family == AF_INET6_) {
		n->kind = n->family == AF_INET_ ? FR_NAME_INET : FR_NAME_INET6;
		n->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
		n->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
		if (n->family == AF_INET_) {
			bpf_probe_read_kernel(n->saddr, 4,
					      __builtin_preserve_access_index(&sk->__sk_common.skc_rcv_saddr));
			bpf_probe_read_kernel(n->daddr, 4,
					      __builtin_preserve_access_index(&sk->__sk_common.skc_daddr));
		} else {
			bpf_probe_read_kernel(n->saddr, 16,
					      __builtin_preserve_access_index(&sk->__sk_common.skc_v6_rcv_saddr));
			bpf_probe_read_kernel(n->daddr, 16,
					      __builtin_preserve_access_index(&sk->__sk_common.skc_v6_daddr));
		}
		return;
	}
	if (n->family != AF_UNIX_) {
		n->kind = FR_NAME_SOCK;
		return;
	}
	n->kind = FR_NAME_UNIX;
	pp = BPF_CORE_READ(sk, sk_peer_pid);
	if (pp)
		n->peer_pid = BPF_CORE_READ(pp, numbers[0].nr);
	/* its own path, else (a client's socket) the one it connected to */
	ua = BPF_CORE_READ((struct unix_sock *)sk, addr);
	if (!ua) {
		peer = BPF_CORE_READ((struct unix_sock *)sk, peer);
		if (peer)
			ua = BPF_CORE_READ((struct unix_sock *)peer, addr);
	}
	if (ua)
		bpf_probe_read_kernel(n->data, 108,
				      __builtin_preserve_access_index(&ua->name[0].sun_path));
}

/*
 * Writes what fd is now into the names ring, for the syscall record of
 * (tid, ts) written next; fd_role: the fd | FR_NAME_ROLE_* << 32 (a BPF
 * function takes five arguments at most). 0 when named.
 */
static int name_fd(struct fr_cpu_state *st, __u32 cpu, __u32 tid, __u64 ts, __u64 fd_role)
{
	__u32 fd = (__u32)fd_role;
	struct file *f = fd_file(fd);
	struct fr_fdname *n;
	__u32 idx, mode;
	__u64 pos;

	if (!f)
		return -1;
	pos = fr_ring_claim(&st->name_head);
	idx = cpu * name_slots_per_cpu + fr_ring_index(pos, &st->name_wrap_base, name_slots_per_cpu);
	n = bpf_map_lookup_elem(&fr_names, &idx);
	if (!n) {
		st->lookup_fail++;
		return -1;
	}
	fr_slot_open(&n->seq);
	__builtin_memset(&n->tid, 0, sizeof(*n) - sizeof(n->seq));
	n->tid = tid;
	n->ts = ts;
	n->fd = (__s32)fd;
	n->role = fd_role >> 32;
	mode = BPF_CORE_READ(f, f_inode, i_mode);
	n->ino = (__u32)BPF_CORE_READ(f, f_inode, i_ino);
	switch (mode & S_IFMT_) {
	case S_IFSOCK_:
		name_socket(n, f);
		break;
	case S_IFIFO_:
		n->kind = FR_NAME_PIPE;
		break;
	case 0: /* anon inodes have no file type */
		n->kind = FR_NAME_ANON;
		bpf_probe_read_kernel_str(n->data, FR_NAME_PART,
					  BPF_CORE_READ(f, f_path.dentry, d_name.name));
		break;
	default:
		n->kind = FR_NAME_FILE;
		name_path(n, f);
		break;
	}
	fr_slot_publish(&n->seq, pos);
	return 0;
}

/*
 * The fds a slow epoll wait returned ready (the first FR_READY_MAX), where
 * their data is an fd (as libuv's and many event loops' is): each checked
 * against the fd table. The number named.
 */
static __always_inline int name_ready_fds(struct fr_cpu_state *st, __u32 cpu, __u32 tid,
					  __u64 ts, __u64 events, long nready)
{
	/* struct epoll_event is packed on x86-64 (12 bytes, data at 4), not elsewhere */
#if defined(__TARGET_ARCH_x86)
	const __u64 size = 12, off = 4;
#else
	const __u64 size = 16, off = 8;
#endif
	int named = 0;

	for (int i = 0; i < FR_READY_MAX; i++) {
		__u64 data = 0;

		if (i >= nready)
			break;
		if (bpf_probe_read_user(&data, sizeof(data), (void *)(events + i * size + off)))
			break;
		if (data <= 0xfffff &&
		    name_fd(st, cpu, tid, ts, data | (__u64)FR_NAME_ROLE_READY << 32) == 0)
			named++;
	}
	return named;
}

/* pollfds of a slow poll looked at for the ready ones */
#define FR_POLL_SCAN 4

/*
 * The fds a slow poll returned ready (the first FR_READY_MAX of its first
 * FR_POLL_SCAN pollfds); of a poll on one fd that timed out, that fd (what
 * it waited for in vain: a resolver's UDP socket, a database's). The
 * number named.
 */
static __always_inline int name_poll_fds(struct fr_cpu_state *st, __u32 cpu, __u32 tid,
					 __u64 ts, __u64 fds, __u64 nfds, long ret)
{
	int named = 0;

	if (ret == 0 && nfds == 1) {
		__s32 fd = -1;

		if (!bpf_probe_read_user(&fd, sizeof(fd), (void *)fds) && fd >= 0 &&
		    name_fd(st, cpu, tid, ts, (__u32)fd | (__u64)FR_NAME_ROLE_FD << 32) == 0)
			named++;
		return named;
	}
	for (int i = 0; i < FR_POLL_SCAN; i++) {
		struct {
			__s32 fd;
			__s16 events, revents;
		} p = { -1, 0, 0 };

		if (i >= nfds || named >= ret || named >= FR_READY_MAX)
			break;
		if (bpf_probe_read_user(&p, sizeof(p), (void *)(fds + i * sizeof(p))))
			break;
		if (p.fd >= 0 && p.revents &&
		    name_fd(st, cpu, tid, ts, (__u32)p.fd | (__u64)FR_NAME_ROLE_READY << 32) == 0)
			named++;
	}
	return named;
}

/*
 * The record of a syscall that returns now with ret, dur after its entry
 * (or its first block): its fd named while it still is that when it was
 * slow, the ready fds of a slow epoll wait, and the user stack of a long
 * block taken at the unchanged call site.
 */
static __always_inline int emit_syscall(void *ctx, struct pt_regs *regs, struct fr_cpu_state *st,
					__u32 cpu, __u64 id, __u32 nr, __u64 arg0, __u64 arg1,
					long ret, __u64 dur, __u8 flags, __u64 now,
					struct sys_entry *e)
{
	struct fr_rec *r;
	__u64 pos;
	int slow = dur >= name_after_ns && !(flags & FR_SYS_NO_ENTRY);

	if (e && e->stack_ts)
		take_user_stack(ctx, regs, st, cpu, (__u32)id, e);
	if (dur > 0xffffffffULL) {
		dur /= 1000;
		flags |= FR_SYS_DUR_US;
		if (dur > 0xffffffffULL)
			dur = 0xffffffffULL;
	}
	if (ret != (__s32)ret)
		flags |= FR_SYS_RET_CLAMPED;
	/* slow: say what its fd is while it still is that */
	if (slow) {
		if (is_epoll_wait(nr)) {
			if (ret > 0 && name_ready_fds(st, cpu, (__u32)id, now, arg1, ret) > 0)
				flags |= FR_SYS_NAMED;
		} else if (is_poll(nr)) {
			if (ret >= 0 && name_poll_fds(st, cpu, (__u32)id, now, arg0, arg1, ret) > 0)
				flags |= FR_SYS_NAMED;
		} else if (takes_fd(nr) && arg0 <= 0xfffff &&
			   name_fd(st, cpu, (__u32)id, now, arg0 | (__u64)FR_NAME_ROLE_FD << 32) == 0) {
			flags |= FR_SYS_NAMED;
		}
	}
	r = rec_begin(st, cpu, FR_REC_SYSCALL, flags, (__u16)nr, now, id, &pos);
	if (!r)
		return 0;
	r->sys.dur = (__u32)dur;
	r->sys.ret = (__s32)ret;
	r->sys.arg0 = arg0;
	ring_commit(st, r, pos);
	return 0;
}

/* A slot of sums is written out after this long, so that a window holds
 * the counts of its own time. */
#define SUM_FLUSH_NS 100000000ull

/* Writes slot k of e's sums out as a record and empties it. */
static __always_inline void flush_sum(struct fr_cpu_state *st, __u32 cpu, __u64 id,
				      struct sys_entry *e, __u32 k, __u64 now)
{
	struct fr_rec *r;
	__u64 pos;

	k &= FR_SUM_SLOTS - 1;
	r = rec_begin(st, cpu, FR_REC_SYSSUM, 0, (__u16)e->sums[k].nr, now, id, &pos);
	if (r) {
		r->sys.dur = (__u32)e->sums[k].ns;
		r->sys.ret = (__s32)(now - e->sums[k].since < 0x7fffffff ? now - e->sums[k].since
									 : 0x7fffffff);
		r->sys.arg0 = e->sums[k].count;
		ring_commit(st, r, pos);
	}
	e->sums[k].count = 0;
}

/* --syscalls slow: a fast call of thread id summed into its entry's slot
 * for the number (else an empty one, else the one summing longest, whose
 * sums go into a record first); a slot that has summed for SUM_FLUSH_NS
 * is written out too. */
static __always_inline void sum_syscall(struct fr_cpu_state *st, __u32 cpu, __u64 id,
					struct sys_entry *e, __u32 nr, __u64 dur, __u64 now)
{
	__u32 k = FR_SUM_SLOTS, oldest = 0;

	for (__u32 i = 0; i < FR_SUM_SLOTS; i++) {
		if (e->sums[i].count && e->sums[i].nr == nr) {
			k = i;
			break;
		}
		if (!e->sums[i].count)
			oldest = i; /* an empty slot is taken first */
		else if (e->sums[oldest].count && e->sums[i].since < e->sums[oldest].since)
			oldest = i;
	}
	if (k == FR_SUM_SLOTS) {
		k = oldest;
		if (e->sums[k].count)
			flush_sum(st, cpu, id, e, k, now);
	} else if (now - e->sums[k].since >= SUM_FLUSH_NS) {
		flush_sum(st, cpu, id, e, k, now);
	}
	k &= FR_SUM_SLOTS - 1;
	if (!e->sums[k].count) {
		e->sums[k].nr = nr;
		e->sums[k].ns = 0;
		e->sums[k].since = now;
	}
	e->sums[k].count++;
	e->sums[k].ns += dur;
}

SEC("raw_tp/sys_exit")
int BPF_PROG(fr_sys_exit, struct pt_regs *regs, long ret)
{
	__u32 cpu, idx, nr;
	struct fr_cpu_state *st = this_cpu(&cpu);
	struct sys_entry *e;
	__u64 id, now, dur, arg0, arg1 = 0;
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
		e->ts = 0;
		if (syscall_mode == FR_SYSCALLS_SLOW) {
			struct pt_regs *uregs;

			/* a fast call with no stack to take: summed only */
			if (dur < slow_after_ns && !e->stack_ts) {
				sum_syscall(st, cpu, id, e, nr, dur, now);
				return 0;
			}
			uregs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
			e->arg0 = PT_REGS_PARM1_SYSCALL(uregs);
			e->arg1 = PT_REGS_PARM2_SYSCALL(uregs);
		}
		arg0 = e->arg0;
		arg1 = e->arg1;
	} else {
		/* Entered before we attached: number from the saved registers. */
		e = NULL;
		dur = 0;
		flags |= FR_SYS_NO_ENTRY;
		nr = regs_syscall_nr(regs);
		arg0 = PT_REGS_PARM1_CORE_SYSCALL(regs);
	}
	return emit_syscall(ctx, regs, st, cpu, id, nr, arg0, arg1, ret, dur, flags, now, e);
}

/*
 * Scheduler-centred capture (FR_SYSCALLS_SCHED): no syscall is hooked. A
 * followed thread that blocks inside a syscall opens its entry at the
 * switch-out, from its saved registers (sched_switch below); rseq's
 * notify-resume work, which the kernel runs on the way back to user space
 * after every switch-out of a task that registered rseq (glibc 2.35 and
 * later register every thread), is where that syscall returns: its return
 * value is in the saved registers, and the record is written here, as at
 * a syscall's exit. Threads without rseq have the switch-out's syscall
 * number and first argument in their switch records only.
 */
SEC("raw_tp/rseq_update")
int BPF_PROG(fr_rseq_return, struct task_struct *t)
{
	__u32 cpu, nr;
	struct fr_cpu_state *st = this_cpu(&cpu);
	struct pt_regs *regs;
	struct sys_entry *e;
	__u64 id, now, dur;

	if (!st || !(st->capture_flags & FR_CAP_SYSCALLS))
		return 0;
	id = bpf_get_current_pid_tgid();
	if (!followed(id >> 32))
		return 0;
	e = entry_of((__u32)id);
	if (!e)
		return 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	if (!e->ts) {
		/* a long block outside a syscall (a page fault): its user stack */
		if (e->stack_ts)
			take_user_stack(ctx, regs, st, cpu, (__u32)id, e);
		return 0;
	}
	now = bpf_ktime_get_ns();
	nr = btf_regs_syscall_nr(regs);
	if (nr != e->nr || e->ts > now) {
		e->ts = 0; /* not the call that blocked (a signal's restart) */
		return 0;
	}
	dur = now - e->ts;
	e->ts = 0;
	return emit_syscall(ctx, regs, st, cpu, id, nr, e->arg0, e->arg1, (long)PT_REGS_RC(regs),
			    dur, FR_SYS_FROM_BLOCK, now, e);
}

/* ---- page faults that block ---- */

/*
 * A followed thread's page fault on user memory: noted in its entry, so
 * that if it blocks right after (the page is read from disk: a major
 * fault, or a swap-in), the block is known to be the fault's.
 */
static __always_inline int note_fault(__u64 address, __u64 error_code, __u32 kernel)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct sys_entry *e;

	if (!followed(id >> 32))
		return 0;
	e = claim_entry((__u32)id);
	if (!e)
		return 0;
	e->fault_ts = bpf_ktime_get_ns();
	e->fault_addr = address;
	e->fault_code = (__u32)error_code;
	e->fault_kernel = kernel;
	return 0;
}

SEC("raw_tp/page_fault_user")
int BPF_PROG(fr_fault_user, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	return note_fault(address, error_code, 0);
}

SEC("raw_tp/page_fault_kernel")
int BPF_PROG(fr_fault_kernel, unsigned long address, struct pt_regs *regs,
	     unsigned long error_code)
{
	/* only faults on user memory (a syscall copying to or from it) */
	if (address >= 0x800000000000ULL)
		return 0;
	return note_fault(address, error_code, 1);
}

struct vma_found {
	__u64 addr;
	struct file *file;
	__u64 pgoff;
	int found;
};

static long vma_cb(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct vma_found *v = data;

	v->file = BPF_CORE_READ(vma, vm_file);
	v->pgoff = BPF_CORE_READ(vma, vm_pgoff) +
		   ((v->addr - BPF_CORE_READ(vma, vm_start)) >> 12);
	v->found = 1;
	return 0;
}

/*
 * The current task, switching out asleep inside a page fault: a fault
 * record with its switch-out's (tid, ts), and the file mapped there named
 * while the mapping is still what it was (bpf_find_vma).
 */
static __noinline int fault_block(struct fr_cpu_state *st, __u32 cpu, __u64 ids, __u64 now,
				  struct sys_entry *e)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct vma_found v = { .addr = e->fault_addr };
	struct fr_fdname *n;
	struct fr_rec *r;
	__u8 flags = e->fault_kernel ? FR_FLT_KERNEL : 0;
	__u64 pos;
	__u32 idx;

	struct file *f;

	/* -EBUSY: the mm's lock has a writer or waiters, or this CPU's
	 * deferred unlock of an earlier look is still pending */
	if (bpf_find_vma(t, e->fault_addr, vma_cb, &v, 0) == -16) {
		flags |= FR_FLT_VMA_BUSY;
		st->vma_busy++;
	}
	f = v.file; /* a plain pointer: CO-RE reads of it below, not of v */
	if (!v.found && !(flags & FR_FLT_VMA_BUSY))
		flags |= FR_FLT_NO_VMA;
	else if (!f)
		flags |= FR_FLT_ANON;
	if (f) {
		pos = fr_ring_claim(&st->name_head);
		idx = cpu * name_slots_per_cpu +
		      fr_ring_index(pos, &st->name_wrap_base, name_slots_per_cpu);
		n = bpf_map_lookup_elem(&fr_names, &idx);
		if (n) {
			fr_slot_open(&n->seq);
			__builtin_memset(&n->tid, 0, sizeof(*n) - sizeof(n->seq));
			n->tid = (__u32)ids;
			n->ts = now;
			n->fd = -1;
			n->role = FR_NAME_ROLE_FAULT;
			n->ino = (__u32)BPF_CORE_READ(f, f_inode, i_ino);
			n->kind = FR_NAME_FILE;
			name_path(n, f);
			fr_slot_publish(&n->seq, pos);
			flags |= FR_FLT_NAMED;
		} else {
			st->lookup_fail++;
		}
	}
	r = rec_begin(st, cpu, FR_REC_FAULT, flags, (__u16)e->fault_code, now, ids, &pos);
	if (!r)
		return 0;
	r->flt.addr = e->fault_addr;
	r->flt.pgoff = v.pgoff;
	ring_commit(st, r, pos);
	return 0;
}

/* ---- memory stalls: an allocation that had to reclaim or compact ---- */

static __always_inline int stall_begin(__u32 kind)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct sys_entry *e;

	if (!followed(id >> 32))
		return 0;
	e = entry_of((__u32)id);
	if (e)
		e->stall_ts[kind & 3] = bpf_ktime_get_ns();
	return 0;
}

static __always_inline int stall_end(__u32 kind, __u64 nr_reclaimed)
{
	__u64 id = bpf_get_current_pid_tgid(), now, pos, t0;
	struct fr_cpu_state *st;
	struct sys_entry *e;
	struct fr_rec *r;
	__u32 cpu;

	if (!followed(id >> 32))
		return 0;
	e = entry_of((__u32)id);
	if (!e)
		return 0;
	t0 = e->stall_ts[kind & 3];
	e->stall_ts[kind & 3] = 0;
	now = bpf_ktime_get_ns();
	st = this_cpu(&cpu);
	if (!t0 || t0 > now || !st || !(st->capture_flags & FR_CAP_SCHED))
		return 0;
	r = rec_begin(st, cpu, FR_REC_STALL, 0, (__u16)kind, now, id, &pos);
	if (!r)
		return 0;
	r->stl.dur = now - t0;
	r->stl.nr_reclaimed = nr_reclaimed;
	ring_commit(st, r, pos);
	return 0;
}

SEC("raw_tp/mm_vmscan_direct_reclaim_begin")
int BPF_PROG(fr_reclaim_begin)
{
	return stall_begin(FR_STALL_RECLAIM);
}

SEC("raw_tp/mm_vmscan_direct_reclaim_end")
int BPF_PROG(fr_reclaim_end, unsigned long nr_reclaimed)
{
	return stall_end(FR_STALL_RECLAIM, nr_reclaimed);
}

SEC("raw_tp/mm_vmscan_memcg_reclaim_begin")
int BPF_PROG(fr_memcg_reclaim_begin)
{
	return stall_begin(FR_STALL_MEMCG);
}

SEC("raw_tp/mm_vmscan_memcg_reclaim_end")
int BPF_PROG(fr_memcg_reclaim_end, unsigned long nr_reclaimed)
{
	return stall_end(FR_STALL_MEMCG, nr_reclaimed);
}

SEC("raw_tp/mm_compaction_begin")
int BPF_PROG(fr_compact_begin)
{
	return stall_begin(FR_STALL_COMPACT);
}

SEC("raw_tp/mm_compaction_end")
int BPF_PROG(fr_compact_end)
{
	return stall_end(FR_STALL_COMPACT, 0);
}

/* ---- who used the disk ---- */

/* The process that last dirtied an inode's pages, and its name then:
 * writeback threads flush them later, on its behalf. */
struct dirtier {
	__u32 pid;
	char comm[FR_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, __u64);  /* the inode's address */
	__type(value, struct dirtier);
	__uint(max_entries, 16384);
} fr_dirtiers SEC(".maps");

SEC("raw_tp/writeback_dirty_inode_start")
int BPF_PROG(fr_dirty_inode, struct inode *inode, int flags)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct dirtier d = { .pid = bpf_get_current_pid_tgid() >> 32 };
	__u64 key = (__u64)inode;

	if (t->flags & PF_KTHREAD_ || !d.pid)
		return 0;
	bpf_get_current_comm(d.comm, sizeof(d.comm));
	bpf_map_update_elem(&fr_dirtiers, &key, &d, BPF_ANY);
	return 0;
}

/*
 * A block request issued: who (the task issuing it; for a writeback
 * thread's, the process that dirtied the inode, named at the time), how
 * many bytes, which device. Every process's: a neighbour on the disk is
 * rarely followed. Block requests are few next to syscalls.
 */
SEC("raw_tp/block_rq_issue")
int BPF_PROG(fr_block_issue, struct request *rq)
{
	__u64 id = bpf_get_current_pid_tgid(), now, pos;
	struct task_struct *t = bpf_get_current_task_btf();
	struct fr_cpu_state *st;
	struct block_device *bd;
	struct fr_rec *r;
	__u32 op, for_pid = 0, dev = 0, cpu;
	__u32 bytes;

	st = this_cpu(&cpu);
	if (!st || !(st->capture_flags & FR_CAP_SCHED))
		return 0;
	bytes = BPF_CORE_READ(rq, __data_len);
	op = BPF_CORE_READ(rq, cmd_flags) & 0xff;
	bd = BPF_CORE_READ(rq, part);
	if (bd)
		dev = BPF_CORE_READ(bd, bd_dev);
	if (t->flags & PF_KTHREAD_) {
		/* writeback: the pages' inode, and who dirtied it */
		struct bio *bio = BPF_CORE_READ(rq, bio);
		struct bio_vec *bv = bio ? BPF_CORE_READ(bio, bi_io_vec) : NULL;
		struct page *pg = bv ? BPF_CORE_READ(bv, bv_page) : NULL;
		struct address_space *as = pg ? BPF_CORE_READ(pg, mapping) : NULL;
		__u64 key = 0;
		struct dirtier *d;

		if (as && !((__u64)as & 1)) /* anonymous pages tag the pointer */
			key = (__u64)BPF_CORE_READ(as, host);
		d = key ? bpf_map_lookup_elem(&fr_dirtiers, &key) : NULL;
		if (d) {
			for_pid = d->pid;
			now = bpf_ktime_get_ns();
			/* its name, for a window that has nothing else of it */
			r = rec_begin(st, cpu, FR_REC_COMM, 0, 0, now, (__u64)d->pid << 32 | d->pid,
				      &pos);
			if (r) {
				__builtin_memcpy(r->ex.comm, d->comm, sizeof(r->ex.comm));
				ring_commit(st, r, pos);
			}
		}
	}
	now = bpf_ktime_get_ns();
	r = rec_begin(st, cpu, FR_REC_BIO,
		      (t->flags & PF_KTHREAD_) && !for_pid ? FR_BIO_KTHREAD : 0,
		      op == 0 ? FR_BIO_READ : op == 1 ? FR_BIO_WRITE : FR_BIO_OTHER, now, id, &pos);
	if (!r)
		return 0;
	r->bio.dev = dev;
	r->bio.bytes = bytes;
	r->bio.for_pid = for_pid;
	r->bio._pad = 0;
	ring_commit(st, r, pos);
	return 0;
}

/*
 * The kernel sent a TCP packet again: a SYN nobody answered (a full
 * accept queue, a host that drops it), data not acknowledged in time (a
 * lost packet). Any socket's, in whatever context the timer or the ACK
 * that triggered it runs: user space matches the connection to the fds
 * its followed processes named. Retransmissions are rare on a healthy
 * host.
 */
SEC("raw_tp/tcp_retransmit_skb")
int BPF_PROG(fr_tcp_retransmit, const struct sock *sk)
{
	struct fr_cpu_state *st;
	struct fr_rec *r;
	__u16 family;
	__u64 pos;
	__u32 cpu;

	st = this_cpu(&cpu);
	if (!st || !(st->capture_flags & FR_CAP_SCHED) || !sk)
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET_ && family != AF_INET6_)
		return 0;
	r = rec_begin(st, cpu, FR_REC_RETRANS, family == AF_INET6_ ? FR_RT_V6 : 0,
		      BPF_CORE_READ(sk, __sk_common.skc_state), bpf_ktime_get_ns(), 0, &pos);
	if (!r)
		return 0;
	if (family == AF_INET_) {
		__u32 sa = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__u32 da = BPF_CORE_READ(sk, __sk_common.skc_daddr);

		__builtin_memcpy(r->tcp.saddr, &sa, 4);
		__builtin_memcpy(r->tcp.daddr, &da, 4);
	} else {
		__u8 a[16];

		BPF_CORE_READ_INTO(&a, sk, __sk_common.skc_v6_rcv_saddr);
		fr_fold_in6(a, r->tcp.saddr);
		BPF_CORE_READ_INTO(&a, sk, __sk_common.skc_v6_daddr);
		fr_fold_in6(a, r->tcp.daddr);
	}
	r->tcp.sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	r->tcp.dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	r->tcp._pad = 0;
	ring_commit(st, r, pos);
	return 0;
}

/* Has task t registered rseq (so that its returns to user space are seen). */
static __always_inline int has_rseq(struct task_struct *t)
{
	if (!bpf_core_field_exists(t->rseq))
		return 0;
	return BPF_CORE_READ(t, rseq) != NULL;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(fr_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 next_tid, next_tgid, cpu, prev_state, sys_nr = FR_NO_SYSCALL;
	__u64 sys_arg0 = 0, sys_arg1 = 0;
	struct fr_cpu_state *st = this_cpu(&cpu);
	struct task_struct *cur;
	int prev_f, next_f;
	struct fr_rec *r;
	__u64 id, now, pos, next_ids;
	__u8 flags = 0;

	if (!st)
		return 0;
	/* prev is the current task: its ids are plain loads */
	cur = bpf_get_current_task_btf();
	id = ((__u64)(__u32)cur->tgid << 32) | (__u32)cur->pid;
	prev_f = followed(id >> 32);
	next_ids = task_ids(next);
	next_tid = (__u32)next_ids;
	next_tgid = next_ids >> 32;
	next_f = followed(next_tgid);
	st->cur_regs = 0; /* the next syscall on this CPU looks its task up */
	/* no interrupt context schedules: whatever a missed exit left is
	 * stale, and so is the task that served the last softirq */
	if (st->irq_ctx)
		st->irq_ctx = 0;
	if (st->soft_tid != (__u32)-1)
		st->soft_tid = (__u32)-1;
	if (!(st->capture_flags & FR_CAP_SCHED))
		return 0;
	if (!prev_f && !next_f) {
		st->skipped++;
		return 0;
	}
	now = bpf_ktime_get_ns();
	prev_state = switch_prev_state(prev, ctx);
	if (prev_f) {
		/* the syscall it is in: its saved registers (prev is current;
		 * a raw tracepoint's argument is no BTF pointer) */
		struct pt_regs *uregs = (struct pt_regs *)bpf_task_pt_regs(cur);
		__s32 nr = (__s32)btf_regs_syscall_nr(uregs);

		if (nr >= 0 && nr < 1024 && btf_regs_in_syscall(uregs)) {
			sys_nr = (__u32)nr;
			sys_arg0 = PT_REGS_PARM1_SYSCALL(uregs);
			sys_arg1 = PT_REGS_PARM2_SYSCALL(uregs);
		}
	}
	/* Still runnable: preempted in the kernel, or switched out in state R
	 * on the way back to user space (schedule() there says preempt=false). */
	if (preempt || prev_state == 0) {
		flags |= FR_SW_PREEMPT;
	} else if (prev_f) {
		struct sys_entry *e = syscall_mode == FR_SYSCALLS_SCHED ? claim_entry((__u32)id)
									 : entry_of((__u32)id);

		if (e) {
			/* asleep: its stacks are taken only if the block turns out long */
			if (st->capture_flags & FR_CAP_STACKS)
				e->block_ts = now;
			/* asleep right after a fault on user memory: the fault's
			 * I/O (within 100 us in a syscall, whose fault could have
			 * ended long before; 2 ms outside one, where only a fault
			 * sleeps) */
			if (e->fault_ts && e->fault_ts <= now &&
			    now - e->fault_ts < (e->fault_kernel ? 100000 : 2000000) &&
			    (e->fault_kernel || sys_nr == FR_NO_SYSCALL)) {
				fault_block(st, cpu, id, now, e);
				e->fault_ts = 0;
			}
			/* scheduler-centred: the syscall it blocks in is open from
			 * its first block to its return (rseq_update), where the
			 * task has rseq to be seen returning */
			if (syscall_mode == FR_SYSCALLS_SCHED && sys_nr != FR_NO_SYSCALL &&
			    !e->ts && has_rseq(prev)) {
				e->ts = now;
				e->nr = sys_nr;
				e->arg0 = sys_arg0;
				e->arg1 = sys_arg1;
			}
		}
	}
	/* CPU contention with a task we do not follow (it takes the CPU from a
	 * followed one, or gives it up to one that waited for it): name it
	 * now, while it exists (short-lived processes are gone by the
	 * snapshot). A switch from or to the idle task is not contention. */
	if ((flags & FR_SW_PREEMPT) && prev_f != next_f && next_tid && (__u32)id) {
		struct task_struct *other = prev_f ? next : prev;

		r = rec_begin(st, cpu, FR_REC_COMM, 0, 0, now, prev_f ? next_ids : id, &pos);
		if (r) {
			bpf_probe_read_kernel_str(r->ex.comm, sizeof(r->ex.comm),
						  __builtin_preserve_access_index(&other->comm));
			ring_commit(st, r, pos);
		}
	}
	if (sys_nr != FR_NO_SYSCALL)
		flags |= FR_SW_SYSCALL;
	r = rec_begin(st, cpu, FR_REC_SWITCH, flags, (__u16)prev_state, now, id, &pos);
	if (!r)
		return 0;
	r->sw.next_tid = next_tid;
	r->sw.next_pid = next_tgid;
	r->sw.sys_nr = sys_nr;
	r->sw.sys_arg0 = (__u32)sys_arg0;
	ring_commit(st, r, pos);
	return 0;
}

/* ---- interrupt contexts, so that a wake-up knows where it came from ---- */

/*
 * Hardware interrupts and timer expiries push their context onto a per-CPU
 * stack at entry and pop it at exit. Softirqs, several per request on a
 * busy server, only note their vector at entry (they do not nest on a CPU)
 * and have no exit program: whether a wake-up runs in one is told by where
 * it runs (softirq_now).
 */
static __always_inline void ctx_enter(__u32 kind, __u32 detail)
{
	__u32 cpu;
	struct fr_cpu_state *st = this_cpu(&cpu);

	if (st)
		st->irq_ctx = (st->irq_ctx << 8) | (kind << 6) | (detail & 63);
}

static __always_inline void ctx_exit(void)
{
	__u32 cpu;
	struct fr_cpu_state *st = this_cpu(&cpu);

	if (st)
		st->irq_ctx >>= 8;
}

/*
 * Does the kernel run on task cur's own stack here? The raw tracepoint's
 * arguments (ctx) are an array on the stack the kernel runs on (the
 * program's own frame may be a private per-CPU one): outside the task's
 * stack means the CPU's interrupt stack. Comparing an address with a
 * number needs the privileges the loader has anyway.
 */
static __always_inline int on_task_stack(struct task_struct *cur, void *ctx)
{
	__u64 base = (__u64)(unsigned long)cur->stack;

	return (unsigned long)ctx >= base && (unsigned long)ctx < base + THREAD_SIZE_;
}

/*
 * Is the CPU serving a softirq now, outside any hardware interrupt? A
 * softirq runs on the CPU's interrupt stack (from an interrupt's exit, or
 * from the task that re-enabled them: do_softirq_own_stack), except where
 * it runs on a task's own stack: in the CPU's ksoftirqd, and at the exit
 * of an interrupt that came from user space (x86-64 does not switch stacks
 * then: the task's stack is empty). The task that served the last softirq
 * on its own stack noted its tid at the softirq's entry; a user task in
 * one entered the kernel through the interrupt, not a syscall (sys_nr:
 * what its saved registers say, negative then).
 */
static __always_inline int softirq_now(struct fr_cpu_state *st, struct task_struct *cur,
				       __u32 tid, void *ctx, __s32 sys_nr)
{
	if (!on_task_stack(cur, ctx))
		return 1;
	if (tid != st->soft_tid)
		return 0;
	return (cur->flags & PF_KTHREAD_) || sys_nr < 0;
}

/* Exits are defined (and so attached) before entries: an exit whose entry
 * was missed pops nothing, an entry whose exit was missed would stay. */
SEC("raw_tp/irq_handler_exit")
int BPF_PROG(fr_irq_exit, int irq)
{
	ctx_exit();
	return 0;
}

SEC("raw_tp/hrtimer_expire_exit")
int BPF_PROG(fr_hrtimer_exit, struct hrtimer *t)
{
	ctx_exit();
	return 0;
}

SEC("raw_tp/irq_handler_entry")
int BPF_PROG(fr_irq_entry, int irq)
{
	ctx_enter(FR_CTX_HARDIRQ, irq);
	return 0;
}

SEC("raw_tp/softirq_entry")
int BPF_PROG(fr_softirq_entry, unsigned int vec)
{
	__u32 cpu;
	struct fr_cpu_state *st = this_cpu(&cpu);

	if (st) {
		st->soft_ctx = (__u8)((FR_CTX_SOFTIRQ << 6) | (vec & 63));
		/* a task serving softirqs on its own stack (ksoftirqd, or one
		 * interrupted in user space); none when they run on the
		 * interrupt stack, over whatever task */
		st->soft_tid = on_task_stack(bpf_get_current_task_btf(), ctx)
				       ? (__u32)bpf_get_current_pid_tgid()
				       : (__u32)-1;
	}
	return 0;
}

SEC("raw_tp/hrtimer_expire_entry")
int BPF_PROG(fr_hrtimer_entry, struct hrtimer *t)
{
	ctx_enter(FR_CTX_TIMER, 0);
	return 0;
}


/*
 * Makes process tgid followed as a link of by_pid: a process that woke, or
 * was woken by, a followed one. Bounded by links_max; user space takes
 * links out again when they expire (fr_capture__expire_links).
 */
static __always_inline int link_process(struct fr_cpu_state *st, __u32 tgid, __u32 by_pid,
					__u64 now)
{
	struct fr_proc_link l = { .since = now, .by_pid = by_pid };

	if (!tgid || tgid == self_pid)
		return 0;
	if (nr_links >= links_max) {
		st->links_refused++;
		return 0;
	}
	if (bpf_map_update_elem(&fr_links, &tgid, &l, BPF_NOEXIST))
		return 0;
	__sync_fetch_and_add(&nr_links, 1);
	set_follow(tgid, 1);
	st->links_made++;
	st->cur_regs = 0; /* the task on this CPU may be the one now followed */
	return 1;
}

/*
 * sched_waking, not sched_wakeup: a wake-up queued to another CPU is traced
 * by sched_wakeup there, from interrupt context, where current is not the
 * waker; sched_waking always runs in the waker's context.
 *
 * The record says where the wake-up came from: an interrupt (a device's,
 * a softirq's, a timer's), else the current task and the syscall it was
 * in. Where one side is followed and the other is a user process acting
 * for itself (not an interrupt that landed on it), the other side becomes
 * followed too, as a link, so that the chain can go on into it; the
 * unfollowed waker is named while it exists.
 */
/* Is task t in the network namespace the recorder follows (always, unless
 * --follow-scope netns)? A task being made may have no nsproxy yet: out. */
static __always_inline int in_scope(struct task_struct *t)
{
	if (!scope_netns)
		return 1;
	return BPF_CORE_READ(t, nsproxy, net_ns, ns.inum) == scope_netns;
}

SEC("raw_tp/sched_waking")
int BPF_PROG(fr_sched_waking, struct task_struct *p)
{
	__u32 cpu, ictx, kind, waker_sys = FR_NO_SYSCALL;
	__s32 nr = -1;
	struct fr_cpu_state *st = this_cpu(&cpu);
	struct task_struct *cur;
	__u64 id, wakee_ids, pos, now;
	int waker_f, wakee_f, by_task;
	struct fr_rec *r;
	__u8 flags = 0;

	if (!st || !(st->capture_flags & FR_CAP_SCHED))
		return 0;
	id = bpf_get_current_pid_tgid();
	wakee_ids = task_ids(p);
	waker_f = followed(id >> 32);
	wakee_f = followed(wakee_ids >> 32);
	if (!waker_f && !wakee_f) {
		st->skipped++;
		return 0;
	}
	cur = bpf_get_current_task_btf();
	/* in a syscall: the saved registers hold its number; an interrupt
	 * or exception from user space saved a negative one */
	if (!(cur->flags & PF_KTHREAD_) && id)
		nr = (__s32)btf_regs_syscall_nr((struct pt_regs *)bpf_task_pt_regs(cur));
	ictx = st->irq_ctx & 0xff;
	if (!ictx && softirq_now(st, cur, (__u32)id, ctx, nr))
		ictx = st->soft_ctx;
	kind = ictx >> 6;
	if (kind == FR_CTX_HARDIRQ)
		flags |= FR_WK_HARDIRQ;
	else if (kind == FR_CTX_SOFTIRQ)
		flags |= FR_WK_SOFTIRQ;
	else if (kind == FR_CTX_TIMER)
		flags |= FR_WK_TIMER;
	if (cur->flags & PF_KTHREAD_)
		flags |= FR_WK_KTHREAD;
	else if (nr >= 0 && nr < 1024)
		waker_sys = (__u32)nr;
	/* a task of another network namespace that the recorder does not follow
	 * is another host's (--follow-scope netns): a packet it sent that
	 * arrives here is the network's doing, as it would be between hosts */
	if (scope_netns && !waker_f && (flags & FR_WK_SOFTIRQ) && !in_scope(cur))
		waker_sys = FR_NO_SYSCALL;
	/* the task did it itself: outside interrupts, or in a softirq it ran
	 * from a syscall (loopback delivery runs in the sender) */
	by_task = !(flags & (FR_WK_HARDIRQ | FR_WK_TIMER | FR_WK_KTHREAD)) &&
		  (!(flags & FR_WK_SOFTIRQ) || waker_sys != FR_NO_SYSCALL);
	now = bpf_ktime_get_ns();
	if (waker_f != wakee_f && by_task && links_max) {
		if (!wakee_f && !(BPF_CORE_READ(p, flags) & PF_KTHREAD_) && in_scope(p) &&
		    link_process(st, wakee_ids >> 32, id >> 32, now))
			flags |= FR_WK_LINKED;
		else if (!waker_f && in_scope(cur) &&
			 link_process(st, id >> 32, wakee_ids >> 32, now))
			flags |= FR_WK_LINKED;
	}
	if (!waker_f && id && (by_task || (flags & FR_WK_KTHREAD))) {
		/* name the waker now: it may be gone by the snapshot */
		r = rec_begin(st, cpu, FR_REC_COMM, 0, 0, now, id, &pos);
		if (r) {
			bpf_get_current_comm(r->ex.comm, sizeof(r->ex.comm));
			ring_commit(st, r, pos);
		}
	}
	if (wakee_f && (st->capture_flags & FR_CAP_STACKS)) {
		struct sys_entry *e = entry_of((__u32)wakee_ids);

		if (e && e->block_ts && e->block_ts <= now) {
			if (now - e->block_ts >= stack_after_ns)
				copy_sleeper_stack(st, cpu, p, (__u32)wakee_ids, e);
			else
				st->stack_skipped++;
			e->block_ts = 0;
		}
	}
	r = rec_begin(st, cpu, FR_REC_WAKEUP, flags, (__u16)BPF_CORE_READ(p, wake_cpu), now,
		      wakee_ids, &pos);
	if (!r)
		return 0;
	r->wk.waker_tid = (__u32)id;
	r->wk.waker_pid = id >> 32;
	r->wk.ctx = ictx & 63;
	r->wk.waker_sys = waker_sys;
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
/* ---- on-CPU samples ---- */

/*
 * A CPU-clock perf event on every CPU fires this at the sampling rate; a
 * followed thread that was running gets a sample record with its kernel
 * stack (the kernel's walk: the program runs in the thread's context) and
 * its user stack (copied raw from the user registers: the interrupted ones
 * when it was in user space, the saved ones when it was in the kernel).
 * Everyone else costs a bitmap load.
 */
SEC("perf_event")
int fr_sample(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid(), now, pos;
	struct fr_stack_slot *s;
	struct fr_cpu_state *st;
	struct fr_user_regs ur;
	struct fr_rec *r;
	struct pt_regs *uregs;
	__u8 flags = 0;
	__u16 aux = 0;
	__u64 arg0 = 0;
	__u32 cpu;
	long n;

	if (!(__u32)id || !followed(id >> 32))
		return 0;
	st = this_cpu(&cpu);
	if (!st || !(st->capture_flags & FR_CAP_SAMPLES))
		return 0;
	now = bpf_ktime_get_ns();
	uregs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
#if defined(__TARGET_ARCH_x86)
	/* kernel text is in the upper half (the context allows no narrow
	 * read of cs) */
	if ((__s64)ctx->regs.ip < 0) {
		flags |= FR_SMP_KERNEL;
		aux = (__u16)uregs->orig_ax;
		user_regs_of(uregs, &ur);
		if (btf_regs_in_syscall(uregs)) {
			flags |= FR_SMP_SYSCALL;
			arg0 = PT_REGS_PARM1_SYSCALL(uregs);
			/* without a syscall exit to name it at, name its fd here */
			if (syscall_mode == FR_SYSCALLS_SCHED && takes_fd(aux) && arg0 <= 0xfffff &&
			    name_fd(st, cpu, (__u32)id, now, arg0 | (__u64)FR_NAME_ROLE_FD << 32) == 0)
				flags |= FR_SMP_NAMED;
		}
	} else {
		ur.ip = ctx->regs.ip;
		ur.sp = ctx->regs.sp;
		ur.bp = ctx->regs.bp;
		ur.bx = ctx->regs.bx;
		ur.r12 = ctx->regs.r12;
		ur.r13 = ctx->regs.r13;
		ur.r14 = ctx->regs.r14;
		ur.r15 = ctx->regs.r15;
	}
#else
	__builtin_memset(&ur, 0, sizeof(ur));
#endif
	r = rec_begin(st, cpu, FR_REC_SAMPLE, flags, aux, now, id, &pos);
	if (!r)
		return 0;
	r->smp.ip = PT_REGS_IP(&ctx->regs);
	r->smp.arg0 = arg0;
	ring_commit(st, r, pos);
	if (!(st->capture_flags & FR_CAP_STACKS))
		return 0;
	if (flags & FR_SMP_KERNEL) {
		s = stack_begin(st, cpu, (__u32)id, now, FR_STK_KERNEL, &pos);
		if (s) {
			n = bpf_get_stack(ctx, s->ips, sizeof(__u64) * FR_STACK_KERN_MAX, 0);
			if (n > 0)
				s->n = (__u16)(n / sizeof(__u64));
			else
				st->stack_fail++;
			fr_slot_publish(&s->seq, pos);
		}
	}
	copy_user_stack(ctx, &ur, st, cpu, (__u32)id, now);
	st->samples++;
	return 0;
}

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
	/* children of links are not followed: a link is followed only while it
	 * is one (fr_capture__expire_links) */
	on = follow_children && followed(parent_tgid) &&
	     !bpf_map_lookup_elem(&fr_links, &parent_tgid);
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

/*
 * A task renamed itself (prctl(PR_SET_NAME), /proc/self/comm, or exec,
 * which renames through the same path): its new name, for any user task,
 * since a CPU contender or waker named later would otherwise keep the name
 * first seen. Renames are rare next to syscalls.
 */
SEC("raw_tp/task_rename")
int BPF_PROG(fr_task_rename, struct task_struct *task, const char *comm)
{
	__u64 ids, pos;
	struct fr_cpu_state *st;
	struct fr_rec *r;
	__u32 cpu;

	if (BPF_CORE_READ(task, flags) & PF_KTHREAD_)
		return 0;
	st = this_cpu(&cpu);
	if (!st || !(st->capture_flags & FR_CAP_SCHED))
		return 0;
	ids = task_ids(task);
	r = rec_begin(st, cpu, FR_REC_COMM, 0, 0, bpf_ktime_get_ns(), ids, &pos);
	if (!r)
		return 0;
	bpf_probe_read_kernel_str(r->ex.comm, sizeof(r->ex.comm), comm);
	ring_commit(st, r, pos);
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
	if (syscall_mode == FR_SYSCALLS_SLOW) {
		/* the thread's sums of fast calls, before they go with it */
		struct sys_entry *e = entry_of((__u32)id);

		if (e)
			for (__u32 k = 0; k < FR_SUM_SLOTS; k++)
				if (e->sums[k].count)
					flush_sum(st, cpu, id, e, k, bpf_ktime_get_ns());
	}
	r = rec_begin(st, cpu, FR_REC_EXIT, 0, 0, bpf_ktime_get_ns(), id, &pos);
	if (!r)
		return 0;
	bpf_get_current_comm(r->ex.comm, sizeof(r->ex.comm));
	ring_commit(st, r, pos);
	return 0;
}
