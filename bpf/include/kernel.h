/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The few kernel types tailor's BPF programs read, declared by hand instead of
 * a generated vmlinux.h: every struct carries preserve_access_index, so the
 * field offsets written here are only placeholders; libbpf-style CO-RE
 * relocations (done by cilium/ebpf at load time) rewrite each access against
 * the running kernel's BTF. Only the fields we use are declared, which keeps
 * `make generate` independent of the build machine's kernel.
 */
#ifndef TAILOR_KERNEL_H
#define TAILOR_KERNEL_H
/* This header stands in for vmlinux.h: bpf_tracing.h then names the
 * kernel's pt_regs fields (di, not user space's rdi) in PT_REGS_PARM*. */
#define __VMLINUX_H__

typedef signed char __s8;
typedef unsigned char __u8;
typedef short __s16;
typedef unsigned short __u16;
typedef int __s32;
typedef unsigned int __u32;
typedef long long __s64;
typedef unsigned long long __u64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef _Bool bool;
#define true 1
#define false 0
#define NULL ((void *)0)

/* UAPI constants from <linux/bpf.h> that the programs and libbpf headers use. */
enum bpf_map_type {
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_LRU_HASH = 9,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_QUEUE = 22,
	BPF_MAP_TYPE_RINGBUF = 27,
	BPF_MAP_TYPE_TASK_STORAGE = 29,
};

enum {
	BPF_ANY = 0,
	BPF_NOEXIST = 1,
	BPF_EXIST = 2,
};

enum {
	BPF_F_NO_PREALLOC = (1U << 0),
};

enum {
	BPF_LOCAL_STORAGE_GET_F_CREATE = (1ULL << 0),
};

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

/* Syscall entry registers (the user context the tracepoint hands us). */
#if defined(__TARGET_ARCH_x86)
struct pt_regs {
	long unsigned int r10;
	long unsigned int r9;
	long unsigned int r8;
	long unsigned int ax;
	long unsigned int cx;
	long unsigned int dx;
	long unsigned int si;
	long unsigned int di;
	long unsigned int orig_ax;
	long unsigned int ip;
};
#elif defined(__TARGET_ARCH_arm64)
struct user_pt_regs {
	__u64 regs[31];
	__u64 sp;
	__u64 pc;
	__u64 pstate;
};
struct pt_regs {
	union {
		struct user_pt_regs user_regs;
		struct {
			__u64 regs[31];
			__u64 sp;
			__u64 pc;
			__u64 pstate;
		};
	};
	__u64 orig_x0;
	__s32 syscallno;
};
#endif

struct thread_info {
	long unsigned int flags;
	__u32 status; /* x86 only: TS_COMPAT */
};

struct ns_common {
	unsigned int inum;
};

/* A mount namespace's never-reused id: ns_common.ns_id since Linux 6.18,
 * mnt_namespace.seq before. Both are read through these CO-RE flavors. */
struct ns_common___with_id {
	__u64 ns_id;
};

struct mnt_namespace {
	struct ns_common ns;
};

struct mnt_namespace___with_seq {
	__u64 seq;
};

struct nsproxy {
	struct mnt_namespace *mnt_ns;
};

struct seccomp_filter;

struct seccomp {
	int mode;
	struct seccomp_filter *filter;
};

struct kernfs_node {
	const char *name;
};

struct cgroup {
	struct kernfs_node *kn;
};

struct cgroup_subsys_state {
	struct cgroup *cgroup;
};

struct css_set {
	struct cgroup_subsys_state *subsys[12];
	struct cgroup *dfl_cgrp;
};

typedef struct {
	unsigned int val;
} kuid_t;

typedef struct {
	unsigned int val;
} kgid_t;

struct user_namespace;

struct cred {
	kuid_t euid;
	kgid_t egid;
	kuid_t fsuid;
	struct user_namespace *user_ns;
};

struct qstr {
	union {
		struct {
			__u32 hash;
			__u32 len;
		};
		__u64 hash_len;
	};
	const unsigned char *name;
};

struct file_system_type {
	const char *name;
};

struct super_block {
	struct file_system_type *s_type;
	long unsigned int s_magic;
};

struct inode {
	unsigned short i_mode;
	kuid_t i_uid;
	long unsigned int i_ino;
};

struct dentry {
	struct dentry *d_parent;
	struct qstr d_name;
	struct inode *d_inode;
	struct super_block *d_sb;
};

struct vfsmount {
	struct dentry *mnt_root;
	struct super_block *mnt_sb;
	int mnt_flags;
};

struct mount {
	struct mount *mnt_parent;
	struct dentry *mnt_mountpoint;
	struct vfsmount mnt;
	int mnt_id;
};

struct path {
	struct vfsmount *mnt;
	struct dentry *dentry;
};

struct file {
	struct path f_path;
	struct inode *f_inode;
	unsigned int f_flags;
	unsigned int f_mode;
};

/* Linux 6.8+: overlayfs maps a layer's file through a backing file that
 * remembers the path the process used. */
struct backing_file {
	struct file file;
	struct path user_path;
};

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
};

struct files_struct {
	struct fdtable *fdt;
	unsigned int next_fd;
};

struct fs_struct {
	struct path root;
	struct path pwd;
};

struct vm_area_struct {
	long unsigned int vm_start;
	struct file *vm_file;
};

struct mm_struct;

struct task_struct {
	struct thread_info thread_info;
	int pid;
	int tgid;
	struct task_struct *real_parent;
	const struct cred *real_cred;
	const struct cred *cred;
	char comm[16];
	struct nsproxy *nsproxy;
	struct seccomp seccomp;
	struct css_set *cgroups;
	struct files_struct *files;
	struct fs_struct *fs;
	struct mm_struct *mm;
};

struct linux_binprm {
	unsigned int secureexec : 1;
	struct file *file;
	const char *filename;
};

struct bpf_iter_meta;

struct bpf_iter__task {
	struct bpf_iter_meta *meta;
	struct task_struct *task;
};

#pragma clang attribute pop

/* The context of a syscalls:sys_exit_* tracepoint: the tracefs format, a
 * stable ABI, not a kernel struct (so outside the CO-RE region above). */
struct syscall_exit_ctx {
	__u64 common;
	int syscall_nr;
	long ret;
};

#endif /* TAILOR_KERNEL_H */
