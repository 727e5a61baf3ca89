// SPDX-License-Identifier: GPL-2.0
/*
 * floor.bpf.c - empty programs on the tracepoints capture.bpf.c uses.
 * Benchmarks only: the cost any BPF capture on these tracepoints pays
 * (tracepoint slow paths plus program dispatch), the floor flightrec's own
 * added cost is compared with.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("raw_tp/sys_enter")
int BPF_PROG(floor_sys_enter) { return 0; }

SEC("raw_tp/sys_exit")
int BPF_PROG(floor_sys_exit) { return 0; }

SEC("raw_tp/sched_switch")
int BPF_PROG(floor_sched_switch) { return 0; }

SEC("raw_tp/sched_waking")
int BPF_PROG(floor_sched_waking) { return 0; }

SEC("raw_tp/sched_process_fork")
int BPF_PROG(floor_process_fork) { return 0; }

SEC("raw_tp/sched_process_exec")
int BPF_PROG(floor_process_exec) { return 0; }

SEC("raw_tp/sched_process_exit")
int BPF_PROG(floor_process_exit) { return 0; }
