/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Types shared by the recorder's BPF programs and, through bpf2go, Go. */
#ifndef TAILOR_RECORDER_H
#define TAILOR_RECORDER_H

/* Syscall numbers recorded per ABI (x86_64 and arm64 end below 470 today;
 * x32 numbers reach 547). Larger numbers are counted in counters.overflow. */
#define MAX_NR 576
/* Bitmaps cover 1024 numbers so that a masked word index is always in range. */
#define NR_WORDS 16
#define NR_CAPS 64
#define DEFAULT_MAX_TARGETS 128
#define CGROUP_NAME_LEN 80
#define PATH_LEN 256

enum abi {
	ABI_NATIVE = 0, /* x86_64, aarch64 */
	ABI_COMPAT = 1, /* i386 (int 0x80, sysenter, syscall from 32-bit code), arm */
	ABI_X32 = 2,    /* x86_64 with __X32_SYSCALL_BIT */
	NR_ABIS = 3,
};

enum phase {
	PHASE_NONE = 0,
	PHASE_SETUP = 1,	/* runtime setup before this task's filter or exec */
	PHASE_JOINING = 2,	/* entered an existing target through setns */
	PHASE_ARMED = 3,	/* the workload: counted */
	PHASE_IGNORED = 4,	/* not a container */
	PHASE_PENDING_JOIN = 5, /* host task that called setns */
};

enum armed_by {
	ARMED_NONE = 0,
	ARMED_FILTER = 1, /* the runtime loaded a seccomp filter */
	ARMED_EXEC = 2,	  /* the container's first exec, without a filter */
};

enum ns_kind {
	NS_IGNORE = 0,
	NS_TARGET = 1,
};

enum event_type {
	EVENT_NEW_TARGET = 1,
	EVENT_ARMED = 2,
	EVENT_PRIVILEGED_EXEC = 3,
};

enum stat_index {
	STAT_EVENTS_LOST = 0, /* ring buffer full */
	STAT_NO_SLOT = 1,     /* a new namespace found no free target slot */
	STAT_NO_STORAGE = 2,  /* task storage allocation failed */
	NR_STATS = 3,
};

struct task_state {
	__u32 slot;
	__u32 gen;
	__u32 phase;
	__u32 execed; /* exec'd since arming: capability checks are its own */
	__u64 filter;	       /* seccomp filter when the task entered the target */
	__u64 tail[NR_WORDS]; /* syscalls since the last runtime setup call */
};

struct counters {
	__u32 gen;
	__u32 overflow;
	__u32 sys[NR_ABIS][MAX_NR];
	__u32 cap_granted[NR_CAPS];
	__u32 cap_denied[NR_CAPS];
};

struct target {
	__u32 gen;
	__u32 mntns;
	__u32 armed_by;
	__u32 init_tgid;	/* the task that armed the target */
	__u32 creator_tgid;	/* the task that made the namespace */
	__u32 late;		/* registered by user space: already running */
	__u32 privileged_execs; /* execs that raised privileges (secureexec) */
	__u32 _pad;
	__u64 nsid;
	__u64 created_ns;
	__u64 armed_ns;
	__u64 setup[NR_WORDS]; /* runtime syscalls before arming (native ABI) */
	__u64 tail[NR_WORDS];  /* the arming task's syscalls after its last setup call */
	/* Native syscalls during which each capability was checked. */
	__u64 cap_syscalls[NR_CAPS][NR_WORDS];
};

struct ns_entry {
	__u32 slot;
	__u32 gen;
	__u32 kind;
	__u32 _pad;
	__u64 nsid; /* the namespace's unique id; 0: not known yet */
};

struct event {
	__u32 type;
	__u32 slot;
	__u32 gen;
	__u32 mntns;
	__u32 tgid;
	__u32 pid;
	__u64 time_ns;
	__u32 armed_by;
	__u32 _pad;
	char comm[16];
	char cgroup_v2[CGROUP_NAME_LEN];
	char cgroup_v1[CGROUP_NAME_LEN];
	char path[PATH_LEN];
};

#endif /* TAILOR_RECORDER_H */
