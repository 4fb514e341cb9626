//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The cheapest possible syscall recorder: an empty program on sys_enter.
 * Benchmarks attach it to measure the floor that any recorder of this design
 * pays, and report tailor's cost next to it.
 */
#include "kernel.h"
#include "bpf/bpf_helpers.h"
#include "bpf/bpf_tracing.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tp_btf/sys_enter")
int BPF_PROG(floor_sys_enter, struct pt_regs *regs, long id)
{
	return 0;
}
