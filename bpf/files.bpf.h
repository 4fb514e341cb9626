/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The file recorder: which paths a container's processes open, execute,
 * map, create, remove..., which sockets they make, which signals they send.
 * Included by recorder.bpf.c; runs only for tasks of armed containers that
 * have exec'd (the runtime's own steps before the exec are not the
 * container's).
 *
 * Paths are resolved by the kernel: an open's file is found at the task's
 * next syscall (the new descriptor is files->next_fd - 1: open always takes
 * the lowest free one), so no program is needed on sys_exit, which would
 * cost every syscall on the host. The path is walked from the file's dentry
 * up to the task's root, across mounts, so it is the path inside the
 * container. Each (container, dentry, access) is sent once: an LRU in the
 * kernel drops repeats before any path is walked.
 */
#ifndef TAILOR_FILES_BPF_H
#define TAILOR_FILES_BPF_H

/* Set when the syscalls:sys_exit_* tracepoints of the name operations are
 * attached (they need tracefs): name operations then wait for their result. */
const volatile bool confirm_names = false;

/* Filled by user space from libseccomp's names (see enum syscall_kind),
 * indexed by native syscall number. */
const volatile __u8 syscall_kinds[MAX_NR] = {};
const volatile __u32 syscall_ops[MAX_NR] = {};

#define O_ACCMODE 00000003
#define O_WRONLY 00000001
#define O_RDWR 00000002
#define O_CREAT 00000100
#define O_TRUNC 00001000
#define FMODE_CREATED 0x100000 /* include/linux/fs.h */
#define O_APPEND 00002000
#define O_PATH 010000000
#define AT_FDCWD -100
#define AT_REMOVEDIR 0x200
#define PROT_READ 0x1
#define PROT_WRITE 0x2
#define PROT_EXEC 0x4
#define MAP_TYPE 0x0f
#define MAP_PRIVATE 0x02
#define MAP_ANONYMOUS 0x20
#define MNT_INTERNAL 0x4000
#define S_IFMT 00170000
#define S_IFDIR 0040000
#define AF_UNIX 1
#define F_SETLK 6
#define F_SETLKW 7
#define F_OFD_SETLK 37
#define F_OFD_SETLKW 38

#if defined(__TARGET_ARCH_x86)
#define SYSCALL_ARG1(r) ((r)->di)
#define SYSCALL_ARG2(r) ((r)->si)
#define SYSCALL_ARG3(r) ((r)->dx)
#define SYSCALL_ARG4(r) ((r)->r10)
#define SYSCALL_ARG5(r) ((r)->r8)
#elif defined(__TARGET_ARCH_arm64)
#define SYSCALL_ARG1(r) ((r)->regs[0])
#define SYSCALL_ARG2(r) ((r)->regs[1])
#define SYSCALL_ARG3(r) ((r)->regs[2])
#define SYSCALL_ARG4(r) ((r)->regs[3])
#define SYSCALL_ARG5(r) ((r)->regs[4])
#endif

struct file_key {
	__u32 slot;
	__u32 gen;
	__u32 access;
	__u32 name_hash;
	__u64 dentry;
	__u64 parent;
	__u64 ino;
};

/* (container, file, access) seen already: repeats cost one lookup. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct file_key);
	__type(value, __u8);
} file_seen SEC(".maps");

/* The path walk's state. It lives in the map value, not on the stack: the
 * verifier tracks stack values exactly, so a counter there would make each
 * bpf_loop iteration a new state to verify. */
struct walk_state {
	__u64 d, vmnt, mnt, root_d, root_m;
	__u32 n, flags, done, off;
	__u32 hash; /* FNV-1a of an unresolved name (hash_step) */
};

struct path_scratch {
	struct file_event ev;
	__u64 names[MAX_PATH_DEPTH]; /* const unsigned char *, as u64 for bpf2go */
	__u32 lens[MAX_PATH_DEPTH];
	struct walk_state w;
	__u32 preset_name_len; /* the name is already in ev.data (NAME_PRESET) */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct path_scratch);
} path_scratch SEC(".maps");

static __always_inline struct mount *real_mount(struct vfsmount *vmnt)
{
	return (struct mount *)((void *)vmnt - bpf_core_field_offset(struct mount, mnt));
}

/* The file behind descriptor fd of task, or NULL. */
static __always_inline struct file *fd_file(struct task_struct *task, long fd)
{
	if (fd < 0)
		return NULL;
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || (__u64)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

/* One step of the walk from a dentry up to the task's root (bpf_loop
 * callback: the verifier checks it once, not once per component). */
/* bpf_loop's context must be on the stack; the state stays in the map. */
struct walk_ctx {
	struct path_scratch *s;
};

static long walk_step(__u64 i, struct walk_ctx *ctx)
{
	struct path_scratch *s = ctx->s;
	struct walk_state *c = &s->w;
	struct dentry *d = (struct dentry *)c->d;
	struct vfsmount *vmnt = (struct vfsmount *)c->vmnt;
	struct mount *mnt = (struct mount *)c->mnt;

	if (c->d == c->root_d && c->vmnt == c->root_m) {
		c->done = 1;
		return 1;
	}
	struct dentry *parent = BPF_CORE_READ(d, d_parent);
	if (d == BPF_CORE_READ(vmnt, mnt_root) || d == parent) {
		/* Top of a mount: continue at its mount point. */
		struct mount *up = BPF_CORE_READ(mnt, mnt_parent);
		if (up == mnt || !up) {
			c->flags |= FILE_OUTSIDE_ROOT;
			c->done = 1;
			return 1;
		}
		c->d = (__u64)BPF_CORE_READ(mnt, mnt_mountpoint);
		c->mnt = (__u64)up;
		c->vmnt = (__u64)up + bpf_core_field_offset(struct mount, mnt);
		return 0;
	}
	if (c->n >= MAX_PATH_DEPTH) {
		c->flags |= FILE_PATH_TRUNCATED;
		c->done = 1;
		return 1;
	}
	__u32 k = c->n & (MAX_PATH_DEPTH - 1);
	s->names[k] = (__u64)BPF_CORE_READ(d, d_name.name);
	s->lens[k] = BPF_CORE_READ(d, d_name.len);
	c->n++;
	c->d = (__u64)parent;
	return 0;
}

/* Writes component n-1-i (the walk collected them leaf first) after a
 * slash. */
static long write_step(__u64 i, struct walk_ctx *ctx)
{
	struct path_scratch *s = ctx->s;
	struct walk_state *c = &s->w;
	int idx = (int)c->n - 1 - (int)i;
	if (idx < 0)
		return 1;
	__u32 len = s->lens[idx & (MAX_PATH_DEPTH - 1)] & 255;
	__u32 off = c->off;
	if (off + 1 + len > FILE_PATH_MAX) {
		c->flags |= FILE_PATH_TRUNCATED;
		return 1;
	}
	s->ev.data[off & (FILE_PATH_MAX - 1)] = '/';
	off++;
	bpf_probe_read_kernel(&s->ev.data[off & (FILE_PATH_MAX - 1)], len,
			      (const void *)s->names[idx & (MAX_PATH_DEPTH - 1)]);
	c->off = off + len;
	return 0;
}

/* Folds byte i of the unresolved name into its FNV-1a hash. A bpf_loop
 * callback, not an unrolled loop: with a loop whose bound is the name's
 * length the verifier walks the rest of emit_path once per possible length,
 * ~680k instructions in every program that calls it. */
static long hash_step(__u64 i, struct walk_ctx *ctx)
{
	struct path_scratch *s = ctx->s;
	s->w.hash = (s->w.hash ^ (__u8)s->ev.data[FILE_PATH_MAX + (i & (FILE_NAME_MAX - 1))]) * 16777619u;
	return 0;
}

/* Writes the path of (d, vmnt) as seen from the task's root into
 * s->ev.data and returns its length. */
static __always_inline __u32 build_path(struct path_scratch *s, struct task_struct *task,
					struct dentry *d, struct vfsmount *vmnt, __u32 *flags)
{
	struct walk_state *c = &s->w;
	c->d = (__u64)d;
	c->vmnt = (__u64)vmnt;
	c->mnt = (__u64)real_mount(vmnt);
	c->root_d = (__u64)BPF_CORE_READ(task, fs, root.dentry);
	c->root_m = (__u64)BPF_CORE_READ(task, fs, root.mnt);
	c->n = 0;
	c->flags = 0;
	c->done = 0;
	c->off = 0;
	/* Components, plus a few mount crossings. */
	struct walk_ctx ctx = {.s = s};
	bpf_loop(MAX_PATH_DEPTH + 8, walk_step, &ctx, 0);
	if (!c->done)
		c->flags |= FILE_PATH_TRUNCATED;
	bpf_loop(MAX_PATH_DEPTH, write_step, &ctx, 0);
	*flags |= c->flags;
	__u32 off = c->off;
	if (off == 0) {
		s->ev.data[0] = '/';
		off = 1;
	}
	return off;
}

/* Sends one file event, unless this (container, dentry, access) was sent
 * already. name, when set, is a user-space string relative to the path
 * (a directory): operations on names the kernel has not resolved yet. */
/* emit_path's last argument: BPF subprograms take five. */
#define EMIT(access, type, kernel_name) ((access) | ((__u32)(type) << 24) | ((__u32)(kernel_name) << 31))
/* The caller put the name into the scratch buffer already. */
#define NAME_PRESET (1U << 30)

/* A global function: the verifier checks it once, not at each of its call
 * sites, so its arguments are plain numbers (target = slot << 32 | gen; the
 * kernel pointers are only read through BPF_CORE_READ). */
__noinline int emit_path(__u64 target, __u64 dentry, __u64 mount, __u64 name, __u32 how)
{
	struct task_struct *task = bpf_get_current_task_btf(); /* always the acting task here */
	struct dentry *d = (struct dentry *)dentry;
	struct vfsmount *vmnt = (struct vfsmount *)mount;
	const char *uname = (const char *)name;
	__u32 slot = target >> 32, gen = (__u32)target;
	__u32 access = how & 0xffffff, type = (how >> 24) & 0x3f, flags = 0;
	bool kernel_name = how >> 31, preset = how & NAME_PRESET;
	__u32 zero = 0;
	struct path_scratch *s = bpf_map_lookup_elem(&path_scratch, &zero);
	if (!s || !d || !vmnt)
		return 0;
	/* Pipes, sockets, memfds and the like live on internal mounts and
	 * have no path a profile could name. */
	if (BPF_CORE_READ(vmnt, mnt_flags) & MNT_INTERNAL)
		return 0;

	__u32 name_len = 0, name_hash = 2166136261u;
	if (uname || preset) {
		long n = preset	       ? s->preset_name_len
			 : kernel_name ? bpf_probe_read_kernel_str(&s->ev.data[FILE_PATH_MAX], FILE_NAME_MAX, uname)
				       : bpf_probe_read_user_str(&s->ev.data[FILE_PATH_MAX], FILE_NAME_MAX, uname);
		if (n <= 1)
			return 0; /* empty or unreadable: the syscall fails */
		name_len = (__u32)(n - 1) & (FILE_NAME_MAX - 1);
		s->w.hash = name_hash;
		struct walk_ctx ctx = {.s = s};
		bpf_loop(name_len, hash_step, &ctx, 0);
		name_hash = s->w.hash;
		flags |= FILE_NAME_UNRESOLVED;
	} else {
		name_hash = BPF_CORE_READ(d, d_name.hash);
	}

	struct inode *inode = BPF_CORE_READ(d, d_inode);
	if (inode && (BPF_CORE_READ(inode, i_mode) & S_IFMT) == S_IFDIR && !uname && !preset)
		flags |= FILE_DIR;
	struct file_key key = {
		.slot = slot,
		.gen = gen,
		.access = how,
		.name_hash = name_hash,
		.dentry = (__u64)d,
		.parent = (__u64)BPF_CORE_READ(d, d_parent),
		.ino = inode ? BPF_CORE_READ(inode, i_ino) : 0,
	};
	/* Look first: an LRU update takes a node off the free lists (locks)
	 * before it finds the key, so repeats must not get that far. */
	__u8 one = 1;
	if (bpf_map_lookup_elem(&file_seen, &key) || bpf_map_update_elem(&file_seen, &key, &one, BPF_NOEXIST)) {
		stat_inc(STAT_FILE_DEDUP);
		return 0;
	}

	__u32 path_len = build_path(s, task, d, vmnt, &flags);
	s->ev.type = type;
	s->ev.slot = slot;
	s->ev.gen = gen;
	s->ev.access = access;
	s->ev.flags = flags;
	s->ev.mnt_id = BPF_CORE_READ(real_mount(vmnt), mnt_id);
	s->ev.fsuid = BPF_CORE_READ(task, cred, fsuid.val);
	s->ev.ino_uid = inode ? BPF_CORE_READ(inode, i_uid.val) : 0;
	s->ev.ino_mode = inode ? BPF_CORE_READ(inode, i_mode) : 0;
	struct inode *dir = BPF_CORE_READ(d, d_parent, d_inode);
	s->ev.dir_uid = dir ? BPF_CORE_READ(dir, i_uid.val) : 0;
	s->ev.dir_mode = dir ? BPF_CORE_READ(dir, i_mode) : 0;
	struct vfsmount *root_m = BPF_CORE_READ(task, fs, root.mnt);
	s->ev.root_mnt_id = BPF_CORE_READ(real_mount(root_m), mnt_id);
	s->ev.path_len = path_len;
	s->ev.name_len = name_len;
	const char *fstype = BPF_CORE_READ(vmnt, mnt_sb, s_type, name);
	bpf_probe_read_kernel_str(s->ev.fstype, sizeof(s->ev.fstype), fstype);

	/* Variable length: the path, or the fixed path area and the name. */
	__u64 size = offsetof(struct file_event, data) + (uname || preset ? FILE_PATH_MAX + name_len : path_len);
	if (size > sizeof(s->ev))
		size = sizeof(s->ev);
	if (bpf_ringbuf_output(&events, &s->ev, size, 0)) {
		/* Not sent: forget it, so the next access tries again. */
		bpf_map_delete_elem(&file_seen, &key);
		stat_inc(STAT_EVENTS_LOST);
		return 0;
	}
	stat_inc(STAT_FILE_EVENTS);
	return 0;
}

static __always_inline __u64 target_id(struct task_state *ts)
{
	return (__u64)ts->slot << 32 | ts->gen;
}

static __always_inline void emit_file(struct task_struct *task, struct task_state *ts, struct file *f, __u32 access)
{
	if (!f)
		return;
	emit_path(target_id(ts), (__u64)BPF_CORE_READ(f, f_path.dentry), (__u64)BPF_CORE_READ(f, f_path.mnt), 0,
		  EMIT(access, EVENT_FILE, false));
}

/* An operation on a name: resolved as far as the kernel can before the
 * syscall runs (its directory), the rest is the name as given. */
static __always_inline void emit_named(struct task_struct *task, struct task_state *ts, long dirfd,
				       const char *uname, bool kernel_name, __u32 access, __u32 type)
{
	char first = 0;
	if (!uname)
		return;
	if (kernel_name ? bpf_probe_read_kernel(&first, 1, uname) : bpf_probe_read_user(&first, 1, uname))
		return;
	struct dentry *d;
	struct vfsmount *vmnt;
	if (first == '/') {
		/* Absolute: relative to the container's root. */
		d = BPF_CORE_READ(task, fs, root.dentry);
		vmnt = BPF_CORE_READ(task, fs, root.mnt);
	} else if ((int)dirfd == AT_FDCWD) {
		d = BPF_CORE_READ(task, fs, pwd.dentry);
		vmnt = BPF_CORE_READ(task, fs, pwd.mnt);
	} else {
		struct file *f = fd_file(task, (int)dirfd);
		if (!f)
			return;
		d = BPF_CORE_READ(f, f_path.dentry);
		vmnt = BPF_CORE_READ(f, f_path.mnt);
	}
	emit_path(target_id(ts), (__u64)d, (__u64)vmnt, (__u64)uname, EMIT(access, type, kernel_name));
}

/* A name operation that changes the file system (mkdir, unlink, rename,
 * link, symlink, mknod, bind) or connects to a unix socket: park it until its syscall returns, so that a
 * failed attempt (mkdir of an existing directory) is not taken for a write.
 * Without the exit tracepoints it is recorded as attempted. */
static __always_inline void name_op(struct task_struct *task, struct task_state *ts, long dirfd,
				    const char *uname, __u32 access)
{
	if (!confirm_names) {
		emit_named(task, ts, dirfd, uname, false, access, EVENT_FILE);
		return;
	}
	__u32 i = ts->npend;
	if (i >= 2 || !uname)
		return;
	char first = 0;
	if (bpf_probe_read_user(&first, 1, uname))
		return;
	struct dentry *d;
	struct vfsmount *vmnt;
	if (first == '/') {
		d = BPF_CORE_READ(task, fs, root.dentry);
		vmnt = BPF_CORE_READ(task, fs, root.mnt);
	} else if ((int)dirfd == AT_FDCWD) {
		d = BPF_CORE_READ(task, fs, pwd.dentry);
		vmnt = BPF_CORE_READ(task, fs, pwd.mnt);
	} else {
		struct file *f = fd_file(task, (int)dirfd);
		if (!f)
			return;
		d = BPF_CORE_READ(f, f_path.dentry);
		vmnt = BPF_CORE_READ(f, f_path.mnt);
	}
	struct pending_name *p = &ts->pend[i & 1];
	if (bpf_probe_read_user_str(p->name, sizeof(p->name), uname) <= 1)
		return;
	p->dentry = (__u64)d;
	p->mnt = (__u64)vmnt;
	p->access = access;
	ts->npend = i + 1;
}

/* An open with O_CREAT: keep its name and the directory it is resolved
 * from in pend[0] until the open's result is known (no name operation
 * runs in between: the name is used at the very start of the next
 * syscall). */
static __always_inline void stash_open_name(struct task_struct *task, struct task_state *ts, long dirfd,
					    const char *uname)
{
	ts->pending_named = 0;
	char first = 0;
	if (!uname || bpf_probe_read_user(&first, 1, uname))
		return;
	struct dentry *d;
	struct vfsmount *vmnt;
	if (first == '/') {
		d = BPF_CORE_READ(task, fs, root.dentry);
		vmnt = BPF_CORE_READ(task, fs, root.mnt);
	} else if ((int)dirfd == AT_FDCWD) {
		d = BPF_CORE_READ(task, fs, pwd.dentry);
		vmnt = BPF_CORE_READ(task, fs, pwd.mnt);
	} else {
		struct file *f = fd_file(task, (int)dirfd);
		if (!f)
			return;
		d = BPF_CORE_READ(f, f_path.dentry);
		vmnt = BPF_CORE_READ(f, f_path.mnt);
	}
	struct pending_name *p = &ts->pend[0];
	if (bpf_probe_read_user_str(p->name, sizeof(p->name), uname) <= 1)
		return;
	p->dentry = (__u64)d;
	p->mnt = (__u64)vmnt;
	p->access = ACCESS_OPEN_CREATE;
	ts->pending_named = 1;
}

/* The open of the previous syscall has returned: its file is the newest
 * descriptor, if it succeeded. */
static __noinline void resolve_pending_open(struct task_struct *task, struct task_state *ts)
{
	__u32 access = ts->pending_access;
	bool named = ts->pending_named;
	ts->pending_access = 0;
	ts->pending_named = 0;
	__u32 next = BPF_CORE_READ(task, files, next_fd);
	if (next <= ts->pending_next_fd)
		return; /* the open failed (or a descriptor was closed meanwhile) */
	struct file *f = fd_file(task, next - 1);
	if (!f) {
		stat_inc(STAT_OPEN_MISSED);
		return;
	}
	/* O_CREAT on a file that exists creates nothing, and AppArmor checks
	 * no create for it: `> /dev/null` is a write. The kernel marks the
	 * files an open did create (FMODE_CREATED, bit 20 since Linux 4.19). */
	if ((access & ACCESS_CREATE) && !(BPF_CORE_READ(f, f_mode) & FMODE_CREATED)) {
		access &= ~ACCESS_CREATE;
		/* But when the name was not in the dcache, the kernel checked
		 * create on it before it looked it up (lookup_open calls
		 * may_o_create, and AppArmor's path_mknod hook, then drops
		 * O_CREAT when refused): AppArmor names the name, not the file
		 * a symlink there leads to (a log linked to /dev/stdout). The
		 * name first: emit_file's path walk reuses the scratch. */
		__u32 zero = 0;
		struct path_scratch *s = bpf_map_lookup_elem(&path_scratch, &zero);
		if (named && s) {
			long len = bpf_probe_read_kernel_str(&s->ev.data[FILE_PATH_MAX], FILE_NAME_MAX, ts->pend[0].name);
			if (len > 1) {
				s->preset_name_len = len;
				emit_path(target_id(ts), ts->pend[0].dentry, ts->pend[0].mnt, 0,
					  EMIT(ACCESS_OPEN_CREATE, EVENT_FILE, false) | NAME_PRESET);
			}
		}
	}
	emit_file(task, ts, f, access);
}

static __always_inline __u32 open_access(__u64 flags)
{
	__u32 a = 0;
	switch (flags & O_ACCMODE) {
	case O_WRONLY:
		a = flags & O_APPEND ? ACCESS_APPEND : ACCESS_WRITE;
		break;
	case O_RDWR:
		a = ACCESS_READ | (flags & O_APPEND ? ACCESS_APPEND : ACCESS_WRITE);
		break;
	default:
		a = ACCESS_READ;
	}
	if (flags & O_CREAT)
		a |= ACCESS_CREATE;
	if (flags & O_TRUNC)
		a |= ACCESS_TRUNCATE;
	return a;
}

/* Name operations that wait for their result (only successful ones reach
 * AppArmor): those that create or remove names, and connecting to a unix
 * socket (a missing one fails before any check). */
#define NAME_OPS (ACCESS_CREATE | ACCESS_UNLINK | ACCESS_RENAME | ACCESS_MKDIR | ACCESS_RMDIR | ACCESS_LINK | \
		  ACCESS_SYMLINK | ACCESS_CONNECT)

static __always_inline void set_bit64(__u64 *word, __u64 bit)
{
	if (!(*word & bit))
		__sync_fetch_and_or(word, bit);
}

static __noinline void file_syscall(struct task_struct *task, struct task_state *ts, struct pt_regs *regs,
				    long id, __u32 kind)
{
	if (id < 0 || id >= MAX_NR)
		return;
	__u32 op = syscall_ops[id];
	__u64 a1 = SYSCALL_ARG1(regs), a2 = SYSCALL_ARG2(regs), a3 = SYSCALL_ARG3(regs);
	__u64 flags = 0;
	struct target *t;

	switch (kind) {
	case KIND_OPEN:
	case KIND_CREAT:
		flags = kind == KIND_CREAT ? O_CREAT | O_WRONLY | O_TRUNC : a2;
		if (flags & O_CREAT)
			stash_open_name(task, ts, AT_FDCWD, (const char *)a1);
		goto open;
	case KIND_OPENAT:
		flags = a3;
		goto openat;
	case KIND_OPENAT2:
		if (bpf_probe_read_user(&flags, sizeof(flags), (void *)a3))
			return;
	openat:
		if (flags & O_CREAT)
			stash_open_name(task, ts, (long)a1, (const char *)a2);
	open:
		if (flags & O_PATH)
			return; /* a handle for lookups, no access */
		ts->pending_access = open_access(flags);
		ts->pending_next_fd = BPF_CORE_READ(task, files, next_fd);
		return;
	case KIND_MMAP: {
		__u64 mflags = SYSCALL_ARG4(regs);
		struct file *mf = mflags & MAP_ANONYMOUS ? NULL : fd_file(task, (int)SYSCALL_ARG5(regs));
		if ((a3 & PROT_EXEC) && mf)
			emit_file(task, ts, mf, ACCESS_MMAP);
		/* A shared mapping of memory with no path: MAP_SHARED|MAP_ANONYMOUS
		 * (the kernel makes a shmem file for it) or a file on an internal
		 * mount (memfd). AppArmor mediates its mmap on the name the
		 * pseudo file has, "/", as a disconnected path. */
		if ((mflags & MAP_TYPE) != MAP_PRIVATE && (a3 & (PROT_READ | PROT_WRITE | PROT_EXEC)) &&
		    (!mf ? (mflags & MAP_ANONYMOUS) : (BPF_CORE_READ(mf, f_path.mnt, mnt_flags) & MNT_INTERNAL))) {
			__u64 prot = a3 & (PROT_READ | PROT_WRITE | PROT_EXEC);
			t = target_of(ts);
			if (t && (t->shared_nopath_mmap & prot) != prot)
				__sync_fetch_and_or(&t->shared_nopath_mmap, prot);
		}
		return;
	}
	case KIND_FD:
		emit_file(task, ts, fd_file(task, (int)a1), op);
		return;
	case KIND_FCNTL:
		if (a2 == F_SETLK || a2 == F_SETLKW || a2 == F_OFD_SETLK || a2 == F_OFD_SETLKW)
			emit_file(task, ts, fd_file(task, (int)a1), ACCESS_LOCK);
		return;
	case KIND_PATH:
		if (op & NAME_OPS)
			name_op(task, ts, AT_FDCWD, (const char *)a1, op);
		else
			emit_named(task, ts, AT_FDCWD, (const char *)a1, false, op, EVENT_FILE);
		return;
	case KIND_PATH_AT:
		if (op == ACCESS_UNLINK && (a3 & AT_REMOVEDIR))
			op = ACCESS_RMDIR;
		if (op & NAME_OPS)
			name_op(task, ts, (long)a1, (const char *)a2, op);
		else
			emit_named(task, ts, (long)a1, (const char *)a2, false, op, EVENT_FILE);
		return;
	case KIND_PATH2:
		if (op == ACCESS_RENAME)
			name_op(task, ts, AT_FDCWD, (const char *)a1, op);
		name_op(task, ts, AT_FDCWD, (const char *)a2, op);
		return;
	case KIND_PATH2_AT:
		if (op == ACCESS_RENAME)
			name_op(task, ts, (long)a1, (const char *)a2, op);
		name_op(task, ts, (long)a3, (const char *)SYSCALL_ARG4(regs), op);
		return;
	case KIND_SYMLINKAT:
		name_op(task, ts, (long)a2, (const char *)a3, op);
		return;
	case KIND_CONNECT: {
		__u16 family = 0;
		char first = 0;
		if (!a2 || bpf_probe_read_user(&family, sizeof(family), (void *)a2) || family != AF_UNIX)
			return;
		/* A path (abstract sockets start with NUL and have none). */
		if (bpf_probe_read_user(&first, 1, (void *)(a2 + 2)) || first == 0)
			return;
		/* bind makes the socket file (op CREATE); connect uses it. */
		name_op(task, ts, AT_FDCWD, (const char *)(a2 + 2), op);
		return;
	}
	}

	t = target_of(ts);
	if (!t)
		return;
	switch (kind) {
	case KIND_SOCKET:
	case KIND_SOCKETPAIR: {
		__u32 type = a2 & 0xf, family = a1;
		if (family < 64 && type < NR_SOCK_TYPES)
			set_bit64(&t->sockets[type], 1ULL << family);
		return;
	}
	case KIND_KILL:
		if (a2 < 64)
			set_bit64(&t->signals_sent, 1ULL << a2);
		return;
	case KIND_SIGQUEUE:
		if (a2 < 64)
			set_bit64(&t->signals_sent, 1ULL << a2);
		return;
	case KIND_TGKILL:
		if (a3 < 64)
			set_bit64(&t->signals_sent, 1ULL << a3);
		return;
	case KIND_PTRACE:
		set_bit64(&t->ptrace_requests, 1ULL << (a1 < 63 ? a1 : 63));
		return;
	case KIND_MOUNT:
		/* Where it was mounted (the name); source and options are in
		 * the report's syscall counts only. */
		emit_named(task, ts, AT_FDCWD, (const char *)a2, false, 0, EVENT_MOUNT);
		return;
	}
}

/* The file recorder's part of sys_enter, for an exec'd task of an armed
 * container making a native syscall. */
static __always_inline void record_files(struct task_struct *task, struct task_state *ts, struct pt_regs *regs, long id)
{
	if (ts->pending_access)
		resolve_pending_open(task, ts);
	if (ts->npend)
		ts->npend = 0; /* a name operation whose exit never came (interrupted) */
	if (id < 0 || id >= MAX_NR)
		return;
	__u32 kind = syscall_kinds[id];
	if (kind)
		file_syscall(task, ts, regs, id, kind);
}

/* The exit of a name operation (syscalls:sys_exit_mkdirat and the like,
 * attached only to those syscalls): record what succeeded. */
SEC("tracepoint/syscalls/sys_exit_mkdirat")
int name_op_exit(struct syscall_exit_ctx *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct task_state *ts = bpf_task_storage_get(&task_states, task, 0, 0);
	if (!ts || !ts->npend)
		return 0;
	__u32 n = ts->npend;
	ts->npend = 0;
	if (ctx->ret != 0)
		return 0;
	__u32 zero = 0;
	struct path_scratch *s = bpf_map_lookup_elem(&path_scratch, &zero);
	if (!s)
		return 0;
	for (__u32 i = 0; i < 2; i++) {
		if (i >= n)
			break;
		struct pending_name *p = &ts->pend[i];
		/* emit_path takes numbers only: hand it the name in the scratch. */
		long len = bpf_probe_read_kernel_str(&s->ev.data[FILE_PATH_MAX], FILE_NAME_MAX, p->name);
		if (len <= 1)
			continue;
		s->preset_name_len = len;
		emit_path(target_id(ts), p->dentry, p->mnt, 0, EMIT(p->access, EVENT_FILE, false) | NAME_PRESET);
	}
	return 0;
}

struct vma_file {
	struct file *file;
};

static long vma_file_cb(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct vma_file *out = data;
	out->file = BPF_CORE_READ(vma, vm_file);
	return 0;
}

/* After an exec: the executable, the script the user named (for #! files
 * bprm->file is the interpreter), and the ELF interpreter the kernel mapped
 * (ld.so: it starts at the task's entry point) need rules too. */
static __noinline void record_exec(struct task_struct *p, struct task_state *ts, struct linux_binprm *bprm)
{
	struct file *exe = BPF_CORE_READ(bprm, file);
	emit_file(p, ts, exe, ACCESS_EXEC | ACCESS_MMAP | ACCESS_READ);

	/* The name as exec'd: for a #! script, the script itself. */
	emit_named(p, ts, AT_FDCWD, BPF_CORE_READ(bprm, filename), true, ACCESS_EXEC | ACCESS_READ, EVENT_FILE);

	/* Who it runs as now (after setuid bits): is root needed at all? */
	struct event *e = new_event(EVENT_EXEC, p, ts->slot, ts->gen);
	if (e) {
		e->uid = BPF_CORE_READ(p, cred, euid.val);
		e->gid = BPF_CORE_READ(p, cred, egid.val);
		bpf_probe_read_kernel_str(e->path, sizeof(e->path), BPF_CORE_READ(bprm, filename));
		bpf_ringbuf_submit(e, 0);
	}

	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(p);
	if (!regs)
		return;
#if defined(__TARGET_ARCH_x86)
	__u64 ip = BPF_CORE_READ(regs, ip);
#else
	__u64 ip = BPF_CORE_READ(regs, pc);
#endif
	struct vma_file vf = {};
	if (bpf_find_vma(p, ip, vma_file_cb, &vf, 0) || !vf.file || vf.file == exe)
		return;
	/* A plain variable: CO-RE must not see the local struct in the chain. */
	struct file *mapped = vf.file;
	struct dentry *d = BPF_CORE_READ(mapped, f_path.dentry);
	struct vfsmount *vmnt = BPF_CORE_READ(mapped, f_path.mnt);
	/* overlayfs maps its layers' files on private, detached mounts; the
	 * backing file keeps the path the process sees. */
	struct mount *m = real_mount(vmnt);
	if (bpf_core_type_exists(struct backing_file) && BPF_CORE_READ(m, mnt_parent) == m) {
		struct backing_file *bf = (struct backing_file *)mapped;
		d = BPF_CORE_READ(bf, user_path.dentry);
		vmnt = BPF_CORE_READ(bf, user_path.mnt);
	}
	emit_path(target_id(ts), (__u64)d, (__u64)vmnt, 0, EMIT(ACCESS_MMAP | ACCESS_READ, EVENT_FILE, false));
}

#endif /* TAILOR_FILES_BPF_H */
