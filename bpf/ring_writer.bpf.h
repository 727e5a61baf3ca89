/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ring_writer.bpf.h - the writer's side of the slot protocol of
 * include/fr_record.h, shared by the BPF programs (capture.bpf.c) and the
 * user-space writers that test the reader against it (tests/test_ring.c).
 *
 * Plain C over the fr_record.h types: the includer brings those first. A
 * writer claims a position, finds its slot (fr_ring_index), opens it
 * (fr_slot_open), fills it, and publishes it (fr_slot_publish).
 */
#ifndef FR_RING_WRITER_BPF_H
#define FR_RING_WRITER_BPF_H

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
/* Orders the slot's fields against its seq. BPF on the supported (TSO or
 * fenced-by-the-kernel) targets needs only the compiler not to reorder. */
#ifndef FR_WRITER_BARRIER
#define FR_WRITER_BARRIER() asm volatile("" ::: "memory")
#endif

/* The next position of a ring whose head is *head (atomic: nested writers
 * on one CPU take distinct positions). */
static __always_inline __u64 fr_ring_claim(__u64 *head)
{
	return __sync_fetch_and_add(head, 1);
}

/*
 * pos % n without a division on the hot path: *base is a multiple of n
 * below pos, kept per CPU; the division runs once per lap of the ring. A
 * nested writer may leave *base stale or ahead of pos: then pos - *base is
 * out of [0, n) and the slow path recomputes, so the result is always exact.
 */
static __always_inline __u32 fr_ring_index(__u64 pos, __u64 *base, __u32 n)
{
	__u64 off = pos - *base;

	if (off < n)
		return (__u32)off;
	off = pos % n;
	*base = pos - off;
	return (__u32)off;
}

/* Marks a slot as being written: no reader accepts it until published. */
static __always_inline void fr_slot_open(__u32 *seq)
{
	*seq = 0;
	FR_WRITER_BARRIER();
}

/* Publishes a slot filled for position pos. */
static __always_inline void fr_slot_publish(__u32 *seq, __u64 pos)
{
	FR_WRITER_BARRIER();
	*seq = FR_SEQ(pos);
}

#endif /* FR_RING_WRITER_BPF_H */
