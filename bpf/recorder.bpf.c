//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tailor's recorder: which syscalls and capabilities each container uses.
 *
 * A target is one mount namespace that appeared after tailor started (a
 * container being created) or that user space registered (a container that
 * was already running). Every task of a target carries a small task-local
 * state, inherited at fork, that names the target's slot and the task's
 * phase:
 *
 *   SETUP    the runtime is still setting the container up (runc init before
 *            its seccomp filter): syscalls go to diagnostic bitmaps only.
 *   JOINING  entered an existing target through setns (docker exec): the
 *            runtime's setup of the new process, not counted.
 *   ARMED    the workload: every syscall and capability check is counted.
 *
 * A SETUP or JOINING task becomes ARMED when its own seccomp filter pointer
 * changes (the runtime loaded the container's filter on this thread: from
 * here on the filter sees its syscalls) or when it execs (no filter at all:
 * seccomp=unconfined). Threads of the runtime that never load the filter are
 * never counted, exactly as they are never filtered.
 *
 * The hot path (sys_enter) does, for a host task, a task-storage lookup
 * that finds nothing, three loads and one compare; for a container task,
 * the task-storage lookup and an increment in that storage. Each other
 * piece of memory it touched (a per-CPU counter, a syscall table) cost
 * ~30 ns per syscall where page-table isolation flushes the TLB on every
 * kernel entry, so a task counts its native syscalls in its own storage:
 * they reach the slot's per-CPU counters when it exits, and user space adds
 * the live tasks' counts when it reads a slot (collect_counts). Only the
 * syscalls whose arguments or files are recorded look further. Nothing crosses to user space per syscall; only
 * rare events (new target, armed, exec that gained privileges) and
 * deduplicated file accesses go through the ring buffer.
 */
#include "kernel.h"
#include "bpf/bpf_helpers.h"
#include "bpf/bpf_tracing.h"
#include "bpf/bpf_core_read.h"
#include "recorder.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Keep the shared enums in BTF so that bpf2go exports them to Go. */
const enum abi *unused_abi __attribute__((unused));
const enum phase *unused_phase __attribute__((unused));
const enum armed_by *unused_armed_by __attribute__((unused));
const enum ns_kind *unused_ns_kind __attribute__((unused));
const enum event_type *unused_event_type __attribute__((unused));
const enum stat_index *unused_stat_index __attribute__((unused));
const struct event *unused_event __attribute__((unused));
const struct file_event *unused_file_event __attribute__((unused));
const enum syscall_kind *unused_syscall_kind __attribute__((unused));
const enum access_bits *unused_access_bits __attribute__((unused));
const enum file_event_flags *unused_file_event_flags __attribute__((unused));
const enum arg_select *unused_arg_select __attribute__((unused));
const enum ns_masks *unused_ns_masks __attribute__((unused));

/* Set by the loader before the programs are verified. */
const volatile __u32 host_mntns = 0;
/* The native syscalls whose arguments or files are recorded (those with a
 * syscall_argsel or syscall_kinds entry); copied into every task's state. */
const volatile __u64 syscall_watch[NR_WORDS] = {};

#if defined(__TARGET_ARCH_x86)
#define NR_setns 308
#define X32_SYSCALL_BIT 0x40000000
#define TS_COMPAT 0x0002
#define SYSCALL_NR(regs) ((regs)->orig_ax)
#elif defined(__TARGET_ARCH_arm64)
#define NR_setns 268
#define TIF_32BIT 22
#define SYSCALL_NR(regs) ((regs)->syscallno)
#else
#error "unsupported architecture"
#endif

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_state);
} task_states SEC(".maps");

/* Per-CPU counts per target slot: the hot path writes here without atomics. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DEFAULT_MAX_TARGETS);
	__type(key, __u32);
	__type(value, struct counters);
} slot_counters SEC(".maps");

/* Each slot's generation, apart from its metadata: small enough to sit in
 * ordinary kernel memory, for the hot path's check that a slot is still its
 * task's before it records arguments or files. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DEFAULT_MAX_TARGETS);
	__type(key, __u32);
	__type(value, __u32);
} slot_gens SEC(".maps");

/* Filled by collect_counts for user space, which names the target and
 * zeroes the counts before each run. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct live_counts);
} live_sum SEC(".maps");

/* Per-target metadata, written on slow paths only. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DEFAULT_MAX_TARGETS);
	__type(key, __u32);
	__type(value, struct target);
} slot_targets SEC(".maps");

/* Mount namespace inode -> target slot, or "ignore" for namespaces that are
 * not containers (those that existed before tailor started, and those user
 * space found to be no container). Inode numbers are reused as soon as a
 * namespace dies, so each entry also holds the namespace's unique id; an
 * entry whose id does not match is stale. LRU: a stale entry that is never
 * looked up again just ages out. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct ns_entry);
} mntns_index SEC(".maps");

/* Free target slots; user space fills it and returns slots it has read. */
struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, DEFAULT_MAX_TARGETS);
	__type(value, __u32);
} free_slots SEC(".maps");

/* Rare events and deduplicated file accesses. 4 MiB holds some thousands
 * of paths while user space catches up with a burst. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 * 1024 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NR_STATS);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void stat_inc(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &which);
	if (v)
		(*v)++;
}

static __always_inline __u32 mntns_of(struct task_struct *task)
{
	return task->nsproxy->mnt_ns->ns.inum;
}

/* The mount namespace's unique id (slow paths only: probe reads). */
static __always_inline __u64 mntns_id(struct task_struct *task)
{
	struct mnt_namespace *ns = task->nsproxy->mnt_ns;

	if (bpf_core_field_exists(struct ns_common___with_id, ns_id))
		return BPF_CORE_READ((struct ns_common___with_id *)&ns->ns, ns_id);
	if (bpf_core_field_exists(struct mnt_namespace___with_seq, seq))
		return BPF_CORE_READ((struct mnt_namespace___with_seq *)ns, seq);
	return 0;
}

static __always_inline struct target *target_of(struct task_state *ts)
{
	__u32 slot = ts->slot;
	struct target *t = bpf_map_lookup_elem(&slot_targets, &slot);
	if (!t || t->gen != ts->gen)
		return NULL;
	return t;
}

/* The slot's per-CPU counters, while the slot is still the task's. */
static __always_inline struct counters *counters_of(struct task_state *ts)
{
	__u32 slot = ts->slot;
	struct counters *c = bpf_map_lookup_elem(&slot_counters, &slot);
	if (!c || c->gen != ts->gen)
		return NULL;
	return c;
}

/* Counts one syscall; returns its ABI. */
static __always_inline __u32 count_syscall(struct counters *c, struct task_struct *task, long id)
{
	__u32 abi = ABI_NATIVE;
	__u64 nr = id;

	if (id < 0)
		return ABI_NATIVE; /* a tracer cancelled the call */
#if defined(__TARGET_ARCH_x86)
	if (nr & X32_SYSCALL_BIT) {
		abi = ABI_X32;
		nr &= ~(__u64)X32_SYSCALL_BIT;
	} else if (task->thread_info.status & TS_COMPAT) {
		abi = ABI_COMPAT;
	}
#elif defined(__TARGET_ARCH_arm64)
	if (task->thread_info.flags & (1UL << TIF_32BIT))
		abi = ABI_COMPAT;
#endif
	if (nr >= MAX_NR) {
		c->overflow++;
		return abi;
	}
	c->sys[abi][nr]++;
	return abi;
}


/* Syscalls with which a runtime builds the container's filesystem and
 * identity. The syscalls a task makes after the last of these and before its
 * exec are the runtime's final steps (dropping capabilities, switching user,
 * closing descriptors): with a seccomp filter they run under it, so a
 * recording without one (seccomp=unconfined) must still allow them. */
static __always_inline bool is_runtime_setup(long id)
{
	switch (id) {
#if defined(__TARGET_ARCH_x86)
	case 155: /* pivot_root */
	case 161: /* chroot */
	case 165: /* mount */
	case 166: /* umount2 */
	case 170: /* sethostname */
	case 171: /* setdomainname */
	case 272: /* unshare */
	case 308: /* setns */
#elif defined(__TARGET_ARCH_arm64)
	case 39:  /* umount2 */
	case 40:  /* mount */
	case 41:  /* pivot_root */
	case 51:  /* chroot */
	case 97:  /* unshare */
	case 161: /* sethostname */
	case 162: /* setdomainname */
	case 268: /* setns */
#endif
	case 428: /* open_tree */
	case 429: /* move_mount */
	case 430: /* fsopen */
	case 431: /* fsconfig */
	case 432: /* fsmount */
	case 433: /* fspick */
	case 442: /* mount_setattr */
		return true;
	}
	return false;
}

/* Word of a syscall number in a bitmap. The mask repeats the caller's bound
 * check in a form the verifier keeps (clang may test a copy). */
static __always_inline __u32 bitmap_word(long id)
{
	__u32 word = (__u32)id >> 6;
	asm volatile("%0 &= 15" : "+r"(word));
	return word;
}

static __always_inline void set_bit(__u64 *bitmap, long id)
{
	if (id < 0 || id >= MAX_NR)
		return;
	__sync_fetch_and_or(&bitmap[bitmap_word(id)], 1ULL << (id & 63));
}


/* A runtime task before arming: keep what it does for the report, and the
 * task's syscalls since its last setup call for seccomp=unconfined runs. */
static __always_inline void record_setup(struct task_state *ts, long id)
{
	struct target *t = target_of(ts);
	if (!t)
		return;
	set_bit(t->setup, id);
	if (is_runtime_setup(id)) {
		for (int i = 0; i < NR_WORDS; i++)
			ts->tail[i] = 0;
		return;
	}
	if (id >= 0 && id < MAX_NR)
		ts->tail[bitmap_word(id)] |= 1ULL << (id & 63);
}

static __always_inline void read_cgroups(struct event *e, struct task_struct *task)
{
	bpf_probe_read_kernel_str(e->cgroup_v2, sizeof(e->cgroup_v2), task->cgroups->dfl_cgrp->kn->name);
	bpf_probe_read_kernel_str(e->cgroup_v1, sizeof(e->cgroup_v1), task->cgroups->subsys[0]->cgroup->kn->name);
}

static __always_inline struct event *new_event(__u32 type, struct task_struct *task, __u32 slot, __u32 gen)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		stat_inc(STAT_EVENTS_LOST);
		return NULL;
	}
	e->type = type;
	e->slot = slot;
	e->gen = gen;
	e->mntns = mntns_of(task);
	e->tgid = task->tgid;
	e->pid = task->pid;
	e->time_ns = bpf_ktime_get_boot_ns();
	e->armed_by = 0;
	e->uid = 0;
	e->gid = 0;
	e->cgroup_v2[0] = 0;
	e->cgroup_v1[0] = 0;
	e->path[0] = 0;
	bpf_probe_read_kernel(e->comm, sizeof(e->comm), task->comm);
	return e;
}

#include "files.bpf.h"
#include "args.bpf.h"

/* The first task of a target to arm records when and why, freezes its tail
 * (the runtime's final steps, for unconfined runs) and tells user space. */
static __noinline void arm_task(struct task_struct *task, struct task_state *ts, __u32 reason)
{
	ts->phase = PHASE_ARMED;
	struct target *t = target_of(ts);
	if (!t || t->armed_by != ARMED_NONE)
		return;
	t->armed_by = reason;
	t->armed_ns = bpf_ktime_get_boot_ns();
	t->userns = (__u64)task->real_cred->user_ns;
	t->init_tgid = task->tgid;
	for (int i = 0; i < NR_WORDS; i++)
		t->tail[i] = ts->tail[i];

	struct event *e = new_event(EVENT_ARMED, task, ts->slot, ts->gen);
	if (!e)
		return;
	e->armed_by = reason;
	read_cgroups(e, task);
	bpf_ringbuf_submit(e, 0);
}

static __always_inline bool in_target(struct task_state *ts)
{
	return ts->phase == PHASE_SETUP || ts->phase == PHASE_JOINING || ts->phase == PHASE_ARMED;
}

/* A task joins or leaves a target: the count of live tasks, and its peak. */
static __always_inline void count_task(struct task_state *ts, __s64 delta)
{
	struct target *t = target_of(ts);
	if (!t)
		return;
	__s64 n = __sync_fetch_and_add(&t->tasks, delta) + delta;
	if (n > t->peak_tasks)
		t->peak_tasks = n;
}

/* The loops over a task's counts are bpf_loop callbacks: verified once,
 * not once per syscall number. */
struct count_walk {
	struct task_state *ts;
	__u32 *sys; /* the slot's counts to add to */
};

static long zero_step(__u64 i, struct count_walk *w)
{
	if (i >= MAX_NR)
		return 1;
	w->ts->counts[i] = 0;
	return 0;
}

/* Moves count i into the slot's (zeroed behind it, see flush_counts). */
static long flush_step(__u64 i, struct count_walk *w)
{
	if (i >= MAX_NR)
		return 1;
	__u32 n = w->ts->counts[i];
	if (n) {
		w->sys[i] += n;
		w->ts->counts[i] = 0;
	}
	return 0;
}

static long add_step(__u64 i, struct count_walk *w)
{
	if (i >= MAX_NR)
		return 1;
	w->sys[i] += w->ts->counts[i];
	return 0;
}

static __always_inline void set_state(struct task_state *ts, __u32 slot, __u32 gen, __u32 phase, struct task_struct *task)
{
	ts->slot = slot;
	ts->gen = gen;
	ts->phase = phase;
	ts->execed = phase == PHASE_ARMED; /* a running container's process */
	ts->filter = (__u64)task->seccomp.filter;
	for (int i = 0; i < NR_WORDS; i++) {
		ts->tail[i] = 0;
		ts->watch[i] = syscall_watch[i];
	}
	/* Counts of a slot the task had before belong to no one now. */
	struct count_walk w = {.ts = ts};
	bpf_loop(MAX_NR, zero_step, &w, 0);
}

/* A task of a mount namespace nobody has seen: a runtime is creating a
 * container. Take a free slot and start the target in SETUP. */
static __noinline struct task_state *new_target(struct task_struct *task, __u32 inum, __u64 nsid, bool stale)
{
	__u32 slot;

	if (stale)
		bpf_map_delete_elem(&mntns_index, &inum);

	if (bpf_map_pop_elem(&free_slots, &slot)) {
		stat_inc(STAT_NO_SLOT);
		return NULL;
	}
	struct target *t = bpf_map_lookup_elem(&slot_targets, &slot);
	if (!t)
		return NULL;
	struct ns_entry ne = {.slot = slot, .gen = t->gen, .kind = NS_TARGET, .nsid = nsid};
	if (bpf_map_update_elem(&mntns_index, &inum, &ne, BPF_NOEXIST)) {
		/* Another thread of this namespace won the race. */
		bpf_map_push_elem(&free_slots, &slot, 0);
		return NULL;
	}
	t->mntns = inum;
	t->nsid = nsid;
	t->created_ns = bpf_ktime_get_boot_ns();
	t->creator_tgid = task->tgid;

	struct task_state *ts = bpf_task_storage_get(&task_states, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!ts) {
		stat_inc(STAT_NO_STORAGE);
		return NULL;
	}
	set_state(ts, slot, ne.gen, PHASE_SETUP, task);
	count_task(ts, 1);

	struct event *e = new_event(EVENT_NEW_TARGET, task, slot, ne.gen);
	if (e) {
		read_cgroups(e, task);
		bpf_ringbuf_submit(e, 0);
	}
	return ts;
}

/* A task without (valid) state in a non-host mount namespace. */
static __noinline void enter_namespace(struct task_struct *task, struct task_state *ts, bool joining, long id)
{
	__u32 inum = mntns_of(task);
	if (inum == 0)
		return;

	__u64 nsid = mntns_id(task);
	struct ns_entry entry = {};
	bool found = false, stale = false;
	struct ns_entry *ne = bpf_map_lookup_elem(&mntns_index, &inum);
	if (ne) {
		if (ne->nsid == 0)
			ne->nsid = nsid; /* registered by user space, which cannot read the id */
		if (ne->nsid == nsid) {
			entry = *ne;
			found = true;
		} else {
			stale = true; /* the inode number of a dead namespace, reused */
		}
	}
	/* A namespace nobody has seen is new, also for a task that called
	 * setns first: runc joins the host's network namespace by setns for
	 * --network host (and another container's for --network container:X)
	 * before it unshares the container's mount namespace. Every namespace
	 * that existed when tailor started is in the index (as ignored). */
	if (!found) {
		ts = new_target(task, inum, nsid, stale);
		if (ts)
			record_setup(ts, id);
		return;
	}
	if (!ts)
		ts = bpf_task_storage_get(&task_states, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!ts) {
		stat_inc(STAT_NO_STORAGE);
		return;
	}
	/* setns into a namespace that is no target: nothing to record. */
	if (!found || entry.kind != NS_TARGET) {
		ts->phase = PHASE_IGNORED;
		return;
	}
	__u32 slot = entry.slot;
	struct target *t = bpf_map_lookup_elem(&slot_targets, &slot);
	if (!t || t->gen != entry.gen) {
		ts->phase = PHASE_IGNORED;
		return;
	}
	/* A process of a container that was running before tailor started is
	 * the workload; any other newcomer is a runtime process until it arms. */
	__u32 phase = joining ? PHASE_JOINING : (t->late ? PHASE_ARMED : PHASE_SETUP);
	set_state(ts, slot, entry.gen, phase, task);
	count_task(ts, 1);
	if (phase == PHASE_ARMED && !t->userns)
		t->userns = (__u64)task->real_cred->user_ns; /* arm_task never runs for it */
	if (phase == PHASE_ARMED) {
		struct counters *c = counters_of(ts);
		if (c)
			count_syscall(c, task, id);
	} else if (phase == PHASE_SETUP) {
		record_setup(ts, id);
	}
}

static __noinline void slow_path(struct task_struct *task, struct task_state *ts, struct pt_regs *regs, long id)
{
	if (!ts) {
		enter_namespace(task, NULL, false, id);
		return;
	}
	switch (ts->phase) {
	case PHASE_IGNORED:
		return;
	case PHASE_PENDING_JOIN:
		enter_namespace(task, ts, true, id);
		return;
	case PHASE_SETUP:
	case PHASE_JOINING:
		if (!target_of(ts)) {
			ts->phase = PHASE_IGNORED;
			return;
		}
		if ((__u64)task->seccomp.filter != ts->filter) {
			/* The runtime installed a seccomp filter on this thread:
			 * from this syscall on, the filter judges it. */
			arm_task(task, ts, ARMED_FILTER);
			struct counters *c = counters_of(ts);
			if (c && count_syscall(c, task, id) == ABI_NATIVE)
				record_args(ts, regs, id, 0);
			return;
		}
		if (ts->phase == PHASE_SETUP) {
			record_setup(ts, id);
			record_args(ts, regs, id, 1);
		}
		return;
	default:
		/* ARMED in a slot that user space recycled. */
		enter_namespace(task, ts, false, id);
		return;
	}
}

/* Whether a task is in its ABI's native mode (x32 calls are told apart by
 * their number, which is beyond MAX_NR). */
static __always_inline bool native_abi(struct task_struct *task)
{
#if defined(__TARGET_ARCH_x86)
	return !(task->thread_info.status & TS_COMPAT);
#elif defined(__TARGET_ARCH_arm64)
	return !(task->thread_info.flags & (1UL << TIF_32BIT));
#endif
}

/* A syscall of an armed task whose arguments or files are recorded, or the
 * first after an open whose file is still to be looked up. */
static __noinline void watched_syscall(struct task_struct *task, struct task_state *ts, struct pt_regs *regs, long id)
{
	__u32 slot = ts->slot;
	__u32 *gen = bpf_map_lookup_elem(&slot_gens, &slot);
	if (!gen || *gen != ts->gen) {
		/* ARMED in a slot that user space recycled. */
		enter_namespace(task, ts, false, id);
		return;
	}
	record_args(ts, regs, id, 0);
	if (ts->execed)
		record_files(task, ts, regs, id);
}

/* An armed task exits: its counts go to the slot's counters on this CPU.
 * They are zeroed behind it, so that collect_counts, which may still meet
 * the task until it is reaped, does not count them twice. */
static __noinline void flush_counts(struct task_state *ts)
{
	struct counters *c = counters_of(ts);
	if (!c)
		return;
	struct count_walk w = {.ts = ts, .sys = c->sys[ABI_NATIVE]};
	bpf_loop(MAX_NR, flush_step, &w, 0);
}

/* Run by user space when it reads a slot: adds the counts of the slot's
 * live tasks into live_sum.
 * A task that exits meanwhile may be counted twice (here and in its flush),
 * never not at all. */
SEC("iter/task")
int collect_counts(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	if (!task)
		return 0;
	struct task_state *ts = bpf_task_storage_get(&task_states, task, 0, 0);
	if (!ts || ts->phase != PHASE_ARMED)
		return 0;
	__u32 zero = 0;
	struct live_counts *l = bpf_map_lookup_elem(&live_sum, &zero);
	if (!l || l->slot != ts->slot || l->gen != ts->gen)
		return 0;
	struct count_walk w = {.ts = ts, .sys = l->sys};
	bpf_loop(MAX_NR, add_step, &w, 0);
	return 0;
}

/* Run once by user space after attaching: every mount namespace that exists
 * now is either the host's, a container user space asked for (already in the
 * index), or something tailor must ignore. */
SEC("iter/task")
int snapshot_namespaces(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	if (!task)
		return 0;
	__u32 inum = mntns_of(task);
	if (inum == 0 || inum == host_mntns)
		return 0;
	__u64 nsid = mntns_id(task);
	struct ns_entry *ne = bpf_map_lookup_elem(&mntns_index, &inum);
	if (ne) {
		if (ne->nsid == 0)
			ne->nsid = nsid;
		return 0;
	}
	struct ns_entry ignore = {.kind = NS_IGNORE, .nsid = nsid};
	bpf_map_update_elem(&mntns_index, &inum, &ignore, BPF_NOEXIST);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long id)
{
	struct task_struct *task = bpf_get_current_task_btf();

	/* A recorded task first, and without looking at its mount namespace:
	 * every page the hot path touches costs (a TLB miss each, where the
	 * VM flushes on syscall entry), and the namespace is two more. A task
	 * stays its container's once armed, even if it joins another
	 * namespace: its seccomp filter goes with it. */
	struct task_state *ts = bpf_task_storage_get(&task_states, task, 0, 0);
	if (ts && ts->phase == PHASE_ARMED) {
		if (id >= 0 && id < MAX_NR && native_abi(task)) {
			__u32 nr = id;
			ts->counts[nr]++;
			if ((ts->watch[bitmap_word(nr)] & (1ULL << (nr & 63))) || ts->pending_access || ts->npend)
				watched_syscall(task, ts, regs, id);
		} else {
			/* Compat or x32, or a number beyond the table: rare
			 * enough for the slot's per-CPU counters. */
			struct counters *c = counters_of(ts);
			if (c)
				count_syscall(c, task, id);
		}
		return 0;
	}

	if (mntns_of(task) == host_mntns) {
		/* A host process joining a namespace: possibly docker exec. */
		if (id == NR_setns) {
			if (!ts)
				ts = bpf_task_storage_get(&task_states, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
			if (ts)
				ts->phase = PHASE_PENDING_JOIN;
		}
		return 0;
	}
	slow_path(task, ts, regs, id);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	struct task_state *ps = bpf_task_storage_get(&task_states, parent, 0, 0);
	if (!ps)
		return 0;
	struct task_state *cs = bpf_task_storage_get(&task_states, child, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!cs) {
		stat_inc(STAT_NO_STORAGE);
		return 0;
	}
	cs->slot = ps->slot;
	cs->gen = ps->gen;
	cs->phase = ps->phase;
	cs->execed = ps->execed;
	cs->filter = ps->filter;
	for (int i = 0; i < NR_WORDS; i++) {
		cs->tail[i] = ps->tail[i];
		cs->watch[i] = ps->watch[i];
	}
	if (in_target(cs))
		count_task(cs, 1);
	return 0;
}

/* The OOM killer chose a task: if it is a container's, its profile says
 * so (Docker does not always report it). */
SEC("tp_btf/mark_victim")
int BPF_PROG(mark_victim, struct task_struct *victim)
{
	struct task_state *ts = bpf_task_storage_get(&task_states, victim, 0, 0);
	if (!ts || !in_target(ts))
		return 0;
	struct target *t = target_of(ts);
	if (t)
		__sync_fetch_and_add(&t->oom_kills, 1);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_process_exit, struct task_struct *p)
{
	struct task_state *ts = bpf_task_storage_get(&task_states, p, 0, 0);
	if (!ts || !in_target(ts))
		return 0;
	count_task(ts, -1);
	if (ts->phase == PHASE_ARMED)
		flush_counts(ts);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(sched_process_exec, struct task_struct *p, int old_pid, struct linux_binprm *bprm)
{
	struct task_state *ts = bpf_task_storage_get(&task_states, p, 0, 0);
	if (!ts)
		return 0;
	__u32 phase = ts->phase;
	if (phase != PHASE_SETUP && phase != PHASE_JOINING && phase != PHASE_ARMED)
		return 0;
	struct target *t = target_of(ts);
	if (!t)
		return 0;

	if (phase != PHASE_ARMED) {
		/* No filter was loaded on this thread (seccomp=unconfined): the
		 * exec of the container's process arms it, and the exec itself is
		 * the workload's first syscall. */
		arm_task(p, ts, ARMED_EXEC);
		struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(p);
		struct counters *c = counters_of(ts);
		if (c && regs)
			count_syscall(c, p, (long)SYSCALL_NR(regs));
	}

	/* Until its exec the container's process is the runtime, which holds
	 * every capability until its final capset: only checks after the exec
	 * are the container's. */
	ts->execed = 1;
	ts->pending_access = 0;
	record_exec(p, ts, bprm);

	/* setuid/setgid or file capabilities raised privileges: the container
	 * needs them, so no-new-privileges must not be suggested. */
	if (BPF_CORE_READ_BITFIELD(bprm, secureexec)) {
		__sync_fetch_and_add(&t->privileged_execs, 1);
		struct event *e = new_event(EVENT_PRIVILEGED_EXEC, p, ts->slot, ts->gen);
		if (e) {
			bpf_probe_read_kernel_str(e->path, sizeof(e->path), bprm->filename);
			bpf_ringbuf_submit(e, 0);
		}
	}
	return 0;
}

/*
 * Capability checks. Three hooks see cap_capable(cred, target_ns, cap, opts),
 * whose signature is the same from Linux 5.1 to 6.18 (only its second
 * parameter was renamed, targ_ns to target_ns); user space attaches the first
 * that the kernel offers:
 *
 *   tracepoint  tp_btf/cap_capable (Linux 6.14+): no opts argument
 *   fexit       on the function: arguments and result at once
 *   kprobe      kprobe + kretprobe: the entry saves the arguments in the
 *               task's state, the return takes the result
 *
 * All three end in account_capability. The task-state lookup, the current
 * task and the syscall number come from the three inline functions below,
 * the one place a variant without task storage or bpf_task_pt_regs changes.
 */

/* include/linux/security.h: the same bit since opts replaced the audit
 * argument (Linux 5.1). A macro, so not in BTF: nothing to relocate. */
#define CAP_OPT_NOAUDIT (1U << 1)

static __always_inline struct task_struct *current_task(void)
{
	return bpf_get_current_task_btf();
}

static __always_inline struct task_state *task_state_of(struct task_struct *task)
{
	return bpf_task_storage_get(&task_states, task, 0, 0);
}

/* The syscall the task is in, or -1. */
static __always_inline long current_syscall_nr(struct task_struct *task)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	if (!regs)
		return -1;
	return (long)SYSCALL_NR(regs);
}

/* The state of the task whose check this is, when the check is its
 * workload's own: a container task that exec'd since arming (until then
 * the runtime holds every capability), checking its own credentials. Other
 * credentials are not this task's needs: the kernel acting with the
 * mounter's (overlayfs copy-up) or judging another task. The namespace
 * test comes first: it is what most checks on a host fail. */
static __always_inline struct task_state *checking_task(struct task_struct *task, __u64 cred)
{
	if (mntns_of(task) == host_mntns)
		return NULL;
	if (cred != (__u64)task->real_cred)
		return NULL;
	struct task_state *ts = task_state_of(task);
	if (!ts || ts->phase != PHASE_ARMED || !ts->execed)
		return NULL;
	return ts;
}

/* One capability check of a container task, from whichever hook saw it.
 * noaudit is 0 where the hook does not see the options (the tracepoint). */
static __always_inline void account_capability(struct task_struct *task, struct task_state *ts, __u64 target_ns,
					       int cap, int ret, bool noaudit)
{
	struct counters *c = counters_of(ts);
	struct target *t = target_of(ts);
	__u32 idx = (__u32)cap;
	if (!c || !t || idx >= NR_CAPS)
		return;
	/* clang turns the bound check into a mask test on a copy, which the
	 * verifier cannot carry over: bound the index again where it is used. */
	asm volatile("%0 &= 63" : "+r"(idx));
	if (ret == 0)
		c->cap_granted[idx]++;
	else
		c->cap_denied[idx]++;
	if (noaudit)
		c->cap_noaudit[idx]++;
	__u64 own = t->userns;
	if (target_ns != own || (__u64)task->real_cred->user_ns != own)
		c->cap_other_ns[idx]++;

	/* Which syscall asked: evidence for the report, and how user space
	 * tells a real need from the kernel's own probes (the overcommit
	 * check asks for CAP_SYS_ADMIN on every mmap). Set each bit once. */
	long nr = current_syscall_nr(task);
	if (nr < 0 || nr >= MAX_NR)
		return;
	__u64 bit = 1ULL << (nr & 63);
	__u64 *word = &t->cap_syscalls[idx][bitmap_word(nr)];
	if (!(*word & bit))
		__sync_fetch_and_or(word, bit);
}

SEC("tp_btf/cap_capable")
int BPF_PROG(cap_capable, const struct cred *cred, struct user_namespace *target_ns,
	     const struct user_namespace *capable_ns, int cap, int ret)
{
	struct task_struct *task = current_task();
	struct task_state *ts = checking_task(task, (__u64)cred);
	if (ts)
		account_capability(task, ts, (__u64)target_ns, cap, ret, false);
	return 0;
}

SEC("fexit/cap_capable")
int BPF_PROG(cap_capable_fexit, const struct cred *cred, struct user_namespace *target_ns, int cap,
	     unsigned int opts, int ret)
{
	struct task_struct *task = current_task();
	struct task_state *ts = checking_task(task, (__u64)cred);
	if (ts)
		account_capability(task, ts, (__u64)target_ns, cap, ret, opts & CAP_OPT_NOAUDIT);
	return 0;
}

SEC("kprobe/cap_capable")
int BPF_KPROBE(cap_capable_kprobe, const struct cred *cred, struct user_namespace *target_ns, int cap,
	       unsigned int opts)
{
	struct task_struct *task = current_task();
	struct task_state *ts = checking_task(task, (__u64)cred);
	if (!ts)
		return 0;
	ts->cap_call.target_ns = (__u64)target_ns;
	ts->cap_call.cap = cap;
	ts->cap_call.opts = opts;
	ts->cap_call.valid = 1;
	return 0;
}

/* A return whose entry was missed (the kprobe attached mid-call) finds no
 * valid call; one whose return was missed (kretprobe instances ran out)
 * leaves one that the task's next check overwrites. */
SEC("kretprobe/cap_capable")
int BPF_KRETPROBE(cap_capable_kretprobe, int ret)
{
	struct task_struct *task = current_task();
	struct task_state *ts = task_state_of(task);
	if (!ts || !ts->cap_call.valid)
		return 0;
	ts->cap_call.valid = 0;
	account_capability(task, ts, ts->cap_call.target_ns, ts->cap_call.cap, ret,
			   ts->cap_call.opts & CAP_OPT_NOAUDIT);
	return 0;
}
