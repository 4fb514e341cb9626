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
#define NR_SOCK_TYPES 16
/* The file recorder's path walk: components and bytes it goes to. */
#define MAX_PATH_DEPTH 48
#define FILE_PATH_MAX 1024
#define FILE_NAME_MAX 256

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
	EVENT_FILE = 4,	 /* struct file_event */
	EVENT_MOUNT = 5, /* struct file_event: name = target, path = fstype */
	EVENT_EXEC = 6,	 /* struct event: path as exec'd, uid/gid after the exec */
};

/* What a syscall means to the file recorder. User space fills the
 * syscall_kinds table from libseccomp's names, so the C code needs no
 * architecture's numbers. */
enum syscall_kind {
	KIND_NONE = 0,
	KIND_OPEN,	  /* open(path, flags) */
	KIND_OPENAT,	  /* openat(dirfd, path, flags) */
	KIND_OPENAT2,	  /* openat2(dirfd, path, how) */
	KIND_CREAT,	  /* creat(path, mode) */
	KIND_MMAP,	  /* mmap(addr, len, prot, flags, fd, off) */
	KIND_PATH,	  /* op(path, ...): unlink, rmdir, mkdir, chmod, chown, lchown, truncate, mknod */
	KIND_PATH_AT,	  /* op(dirfd, path, ...): unlinkat, mkdirat, fchmodat(2), fchownat, mknodat */
	KIND_PATH2,	  /* op(old, new): rename, link, symlink (only new is a location for symlink) */
	KIND_PATH2_AT,	  /* op(olddirfd, old, newdirfd, new): renameat(2), linkat */
	KIND_SYMLINKAT,	  /* symlinkat(target, newdirfd, linkpath) */
	KIND_FD,	  /* op(fd, ...): fchmod, fchown, ftruncate, flock */
	KIND_FCNTL,	  /* fcntl(fd, cmd, ...): locks only */
	KIND_SOCKET,	  /* socket(family, type, protocol) */
	KIND_SOCKETPAIR,  /* socketpair(family, type, ...) */
	KIND_CONNECT,	  /* connect/bind(fd, addr, len): unix socket paths */
	KIND_KILL,	  /* kill(pid, sig), tkill(tid, sig) */
	KIND_TGKILL,	  /* tgkill(tgid, tid, sig), rt_tgsigqueueinfo(tgid, tid, sig, ...) */
	KIND_SIGQUEUE,	  /* rt_sigqueueinfo(pid, sig, info), pidfd_send_signal(fd, sig, ...) */
	KIND_PTRACE,	  /* ptrace(request, pid, ...) */
	KIND_MOUNT,	  /* mount(source, target, fstype, flags, data) */
};

/* Which argument of a syscall the recorder keeps (syscall_argsel table). */
enum arg_select {
	ARGSEL_NONE = 0,
	ARGSEL_ARG0 = 1, /* ARGSEL_ARG0 + n: argument n, whole */
	ARGSEL_ARG1 = 2,
	ARGSEL_CLONE = 7,  /* clone's flags & CLONE_NS_MASK */
	ARGSEL_CLONE3 = 8, /* clone3's clone_args.flags & CLONE3_NS_MASK (user memory) */
};

/* Namespace flags: clone's as Docker's default profile masks them, clone3
 * adds CLONE_NEWTIME (its low bits are no exit signal). An enum, so that
 * bpf2go hands the values to Go. */
enum ns_masks {
	CLONE_NS_MASK = 0x7E020000,
	CLONE3_NS_MASK = 0x7E020080,
};

struct arg_key {
	__u32 slot;
	__u32 gen;
	__u32 nr;
	__u32 setup; /* 1: made by the runtime before arming */
	__u64 value;
};

/* The operation of a syscall of kind PATH/PATH_AT/PATH2/FD, set beside its
 * kind by user space (syscall_ops table). */
enum access_bits {
	ACCESS_READ = 1 << 0,
	ACCESS_WRITE = 1 << 1,
	ACCESS_APPEND = 1 << 2,
	ACCESS_CREATE = 1 << 3,
	ACCESS_TRUNCATE = 1 << 4,
	ACCESS_EXEC = 1 << 5,
	ACCESS_MMAP = 1 << 6,
	ACCESS_UNLINK = 1 << 7,
	ACCESS_RENAME = 1 << 8,
	ACCESS_MKDIR = 1 << 9,
	ACCESS_RMDIR = 1 << 10,
	ACCESS_LINK = 1 << 11,
	ACCESS_SYMLINK = 1 << 12,
	ACCESS_CHMOD = 1 << 13,
	ACCESS_CHOWN = 1 << 14,
	ACCESS_LOCK = 1 << 15,
	ACCESS_CONNECT = 1 << 16,
	/* Opened with O_CREAT a name that existed: nothing was created, but
	 * the kernel may have checked create on the name. */
	ACCESS_OPEN_CREATE = 1 << 17,
};

enum file_event_flags {
	FILE_DIR = 1 << 0,	       /* the path is a directory */
	FILE_OUTSIDE_ROOT = 1 << 1,    /* the walk never met the task's root */
	FILE_PATH_TRUNCATED = 1 << 2,  /* deeper than the walk goes */
	FILE_NAME_UNRESOLVED = 1 << 3, /* path is a directory, name the user's relative rest */
	FILE_DELETED = 1 << 4,	       /* unlinked while open */
};

enum stat_index {
	STAT_EVENTS_LOST = 0,  /* ring buffer full */
	STAT_NO_SLOT = 1,      /* a new namespace found no free target slot */
	STAT_NO_STORAGE = 2,   /* task storage allocation failed */
	STAT_FILE_EVENTS = 3,  /* file events sent */
	STAT_FILE_DEDUP = 4,   /* file accesses dropped as repeats in the kernel */
	STAT_OPEN_MISSED = 5,  /* opens whose file could not be found afterwards */
	STAT_ARGS_FULL = 6,    /* argument values not kept: the map was full */
	NR_STATS = 7,
};

/* The arguments of a capability check the kprobe saw (see cap_call in
 * task_state). */
struct cap_call {
	__u64 target_ns;
	__u32 cap;
	__u32 opts;
	__u32 valid; /* 1 from the kprobe to its kretprobe */
	__u32 _pad;
};

struct pending_name {
	__u64 dentry; /* the directory the name is resolved from */
	__u64 mnt;
	__u32 access;
	__u32 _pad;
	char name[FILE_NAME_MAX];
};

/* Everything sys_enter touches for a recorded task is here, in the task's
 * own storage: each other map it read cost ~30 ns per syscall (where
 * page-table isolation flushes the TLB on every kernel entry), more than
 * the rest of the program together. What it reads on every call comes
 * first, in one cache line. */
struct task_state {
	__u32 slot;
	__u32 gen;
	__u32 phase;
	__u32 execed; /* exec'd since arming: capability checks are its own */
	/* An open whose file is looked up at the task's next syscall: the
	 * new descriptor is next_fd - 1 then (open takes the lowest free). */
	__u32 pending_access;  /* ACCESS_* of the open; 0: none pending */
	__u32 pending_next_fd; /* files->next_fd when the open began */
	/* Name operations (mkdir, unlink, rename, ...) waiting for their
	 * syscall's exit: only those that succeed reach AppArmor's checks. */
	__u32 npend;
	/* The pending open had O_CREAT: pend[0] holds its name (see
	 * resolve_pending_open). */
	__u32 pending_named;
	/* Syscalls sys_enter looks at more closely (their arguments or files):
	 * a copy of syscall_watch, kept here so that the hot path reads no
	 * table of its own. */
	__u64 watch[NR_WORDS];
	__u64 filter;	       /* seccomp filter when the task entered the target */
	__u64 tail[NR_WORDS]; /* syscalls since the last runtime setup call */
	struct pending_name pend[2];
	/* A capability check between the kprobe on cap_capable and its
	 * kretprobe, which alone sees the result. */
	struct cap_call cap_call;
	/* Native syscalls since the task armed, not yet added to its slot's
	 * counters: that happens when it exits, and user space adds the live
	 * tasks' counts to a snapshot (collect_counts). */
	__u32 counts[MAX_NR];
};

/* The counts of one target's live tasks, summed by collect_counts for
 * user space, which names the target. */
struct live_counts {
	__u32 slot;
	__u32 gen;
	__u32 sys[MAX_NR];
};

struct counters {
	__u32 gen;
	__u32 overflow;
	__u32 sys[NR_ABIS][MAX_NR];
	__u32 cap_granted[NR_CAPS];
	__u32 cap_denied[NR_CAPS];
	/* Checks the kernel made with CAP_OPT_NOAUDIT: it asked without
	 * meaning to refuse anything (the overcommit heuristic, probes of
	 * what a task could do). Only fexit and kprobe see the options. */
	__u32 cap_noaudit[NR_CAPS];
	/* Checks the container's capability sets did not decide: against,
	 * or made from, a user namespace other than the container's (one
	 * it created, or an ancestor). */
	__u32 cap_other_ns[NR_CAPS];
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
	/* The container's user namespace (the arming task's): its capability
	 * sets decide only checks against it, made from it. */
	__u64 userns;
	__u64 created_ns;
	__u64 armed_ns;
	__u64 setup[NR_WORDS]; /* runtime syscalls before arming (native ABI) */
	__u64 tail[NR_WORDS];  /* the arming task's syscalls after its last setup call */
	/* Native syscalls during which each capability was checked. */
	__u64 cap_syscalls[NR_CAPS][NR_WORDS];
	/* sockets[type] has bit family set for each socket(family, type). */
	__u64 sockets[NR_SOCK_TYPES];
	__u64 args_overflow[NR_WORDS]; /* syscalls whose argument values did not all fit */
	__s64 tasks;		       /* tasks of the target alive now */
	__s64 peak_tasks;	       /* the most at once */
	__u64 oom_kills;	       /* tasks the OOM killer chose */
	__u64 signals_sent;	 /* bit n: signal n (0: kill(pid, 0)) */
	__u64 ptrace_requests; /* bit n: ptrace request n (n < 64) */
	/* PROT_READ, PROT_WRITE, PROT_EXEC of shared mappings of memory with
	 * no path (MAP_SHARED|MAP_ANONYMOUS, memfd). */
	__u64 shared_nopath_mmap;
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
	__u32 uid; /* EVENT_EXEC: effective ids after the exec */
	__u32 gid;
	char comm[16];
	char cgroup_v2[CGROUP_NAME_LEN];
	char cgroup_v1[CGROUP_NAME_LEN];
	char path[PATH_LEN];
};

/* A file event: the header, then path_len bytes of path, then name_len
 * bytes of name (see flags). Variable length in the ring buffer. */
struct file_event {
	__u32 type;
	__u32 slot;
	__u32 gen;
	__u32 access;
	__u32 flags;
	__u32 mnt_id;	   /* mount of the file */
	__u32 root_mnt_id; /* the task's root mount */
	/* Who asked and what the mode bits allowed: evidence of accesses only
	 * root could make. The inode is the file's, or the directory's for an
	 * operation on a name; dir is its parent directory. */
	__u32 fsuid;
	__u32 ino_uid;
	__u32 dir_uid;
	__u16 ino_mode;
	__u16 dir_mode;
	__u16 path_len;
	__u16 name_len;
	char fstype[16];
	char data[FILE_PATH_MAX + FILE_NAME_MAX];
};

#endif /* TAILOR_RECORDER_H */
