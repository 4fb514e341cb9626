/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The argument recorder: for the few syscalls whose arguments decide what
 * they can do (clone's namespace flags, socket families, prctl options,
 * ioctl requests, ...), the values a container used, so that its seccomp
 * profile allows those and no others. Included by recorder.bpf.c.
 *
 * Values are kept per (target, syscall, value) in a hash; a value already
 * there costs one lookup. The runtime's own calls before arming are kept
 * apart (setup = 1): a recording without a seccomp filter carries the
 * runtime's last steps into the profile, and their values with them.
 */
#ifndef TAILOR_ARGS_BPF_H
#define TAILOR_ARGS_BPF_H

/* Filled by user space from libseccomp's names: enum arg_select per
 * native syscall number. */
const volatile __u8 syscall_argsel[MAX_NR] = {};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct arg_key);
	__type(value, __u8);
} arg_values SEC(".maps");

static __noinline void keep_arg(struct task_state *ts, long id, __u64 value, __u32 setup)
{
	struct arg_key key = {.slot = ts->slot, .gen = ts->gen, .nr = (__u32)id, .setup = setup, .value = value};
	if (bpf_map_lookup_elem(&arg_values, &key))
		return;
	__u8 one = 1;
	if (bpf_map_update_elem(&arg_values, &key, &one, BPF_NOEXIST) == 0)
		return;
	/* Full (or a racing insert of the same key): say which syscall lost
	 * values, so that user space allows it with any. */
	if (bpf_map_lookup_elem(&arg_values, &key))
		return;
	stat_inc(STAT_ARGS_FULL);
	struct target *t = target_of(ts);
	if (t && id >= 0 && id < MAX_NR)
		__sync_fetch_and_or(&t->args_overflow[bitmap_word(id)], 1ULL << (id & 63));
}

/* Keeps the selected argument of a native syscall, if it has one. */
static __always_inline void record_args(struct task_state *ts, struct pt_regs *regs, long id, __u32 setup)
{
	if (id < 0 || id >= MAX_NR)
		return;
	__u32 sel = syscall_argsel[id];
	if (!sel)
		return;
	__u64 v;
	switch (sel) {
	case ARGSEL_CLONE:
		v = SYSCALL_ARG1(regs) & (__u64)CLONE_NS_MASK;
		break;
	case ARGSEL_CLONE3: {
		__u64 flags = 0;
		bpf_probe_read_user(&flags, sizeof(flags), (void *)SYSCALL_ARG1(regs));
		v = flags & (__u64)CLONE3_NS_MASK;
		break;
	}
	case ARGSEL_ARG0 + 0:
		v = SYSCALL_ARG1(regs);
		break;
	case ARGSEL_ARG0 + 1:
		v = SYSCALL_ARG2(regs);
		break;
	case ARGSEL_ARG0 + 2:
		v = SYSCALL_ARG3(regs);
		break;
	default:
		return;
	}
	keep_arg(ts, id, v, setup);
}

#endif /* TAILOR_ARGS_BPF_H */
