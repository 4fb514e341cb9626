//go:build ignore

/*
 * probe: ground truth for tailor's end-to-end tests.
 *
 * Built with -nostdlib -static, so the process makes no syscall but the ones
 * below (no libc start-up): whatever tailor records beyond them comes from
 * the container runtime.
 *
 *   probe work      a fixed list of syscalls and capability checks
 *                   (see expectations in e2e_test.go), then exit 0
 *   probe blocked   try syscalls a hardened container must not make and
 *                   print "name=errno" for each (0: it worked)
 *   probe files DIR file operations in DIR (which holds a file "existing" and
 *                   a directory "existing_dir"), some of them failing
 *   probe net       AF_INET and AF_UNIX sockets and a plain fork: a learning
 *                   run for argument rules
 *   probe pick N    for each bit i set in N (0..9), the i-th of ten harmless
 *                   syscalls (PickSyscalls in tracertest.go): containers
 *                   that must be told apart by their profiles
 *   probe burst N DIR  create the files DIR/0 .. DIR/N-1: a burst of file
 *                   events with distinct paths
 *   probe sleep S   sleep S seconds: a sidecar whose namespaces others join
 *   probe caps DIR  capability checks with known results (TestKernelRecordsCapabilities):
 *                   CAP_CHOWN granted in fchown, CAP_SYS_ADMIN granted
 *                   without audit in mmap (the overcommit check) and in
 *                   seccomp (a filter without no_new_privs),
 *                   CAP_SETPCAP granted in capset (which drops CAP_MKNOD),
 *                   CAP_MKNOD then denied in mknodat, and CAP_SYS_NICE
 *                   denied in setpriority from a user namespace of its own
 *   probe lifecycle learn DIR  a child by clone, then DIR/d made and DIR/d/f
 *                   created: a learning run that never removes anything
 *   probe lifecycle use DIR    a child by vfork (clone on arm64, which has no
 *                   vfork), DIR/d and DIR/d/f made again, then unlinked and
 *                   removed; prints "name=errno" (0: worked), exits 0 only
 *                   when all worked (families and lifecycles)
 *   probe escape    what argument rules learned from "net" must stop: a
 *                   netlink socket, clone and unshare of a user namespace,
 *                   and clone3 (ENOSYS); prints "name=errno" (0: worked)
 */
#if defined(__x86_64__)
#define NR_read 0
#define NR_write 1
#define NR_close 3
#define NR_kill 62
#define NR_uname 63
#define NR_getcwd 79
#define NR_chdir 80
#define NR_fchown 93
#define NR_getrusage 98
#define NR_sysinfo 99
#define NR_ptrace 101
#define NR_getuid 102
#define NR_setgid 106
#define NR_setuid 105
#define NR_getppid 110
#define NR_setpriority 141
#define NR_chroot 161
#define NR_mount 165
#define NR_getpid 39
#define NR_exit_group 231
#define NR_openat 257
#define NR_mknodat 259
#define NR_unshare 272
#define NR_mkdirat 258
#define NR_unlinkat 263
#define NR_renameat2 316
#define NR_symlinkat 266
#define NR_fchmodat 268
#define NR_socket 41
#define NR_getpgid 121
#define NR_getsid 124
#define NR_getpriority 140
#define NR_sched_getscheduler 145
#define NR_sched_yield 24
#define NR_times 100
#define NR_getegid 108
#define NR_geteuid 107
#define NR_getgid 104
#define NR_getitimer 36
#define NR_clone 56
#define NR_wait4 61
#define NR_clone3 435
#define NR_nanosleep 35
#define NR_mmap 9
#define NR_capget 125
#define NR_capset 126
#define NR_seccomp 317
#elif defined(__aarch64__)
#define NR_read 63
#define NR_nanosleep 101
#define NR_write 64
#define NR_close 57
#define NR_kill 129
#define NR_uname 160
#define NR_getcwd 17
#define NR_chdir 49
#define NR_fchown 55
#define NR_getrusage 165
#define NR_sysinfo 179
#define NR_ptrace 117
#define NR_getuid 174
#define NR_setgid 144
#define NR_setuid 146
#define NR_getppid 173
#define NR_setpriority 140
#define NR_chroot 51
#define NR_mount 40
#define NR_getpid 172
#define NR_exit_group 94
#define NR_openat 56
#define NR_mknodat 33
#define NR_unshare 97
#define NR_mkdirat 34
#define NR_unlinkat 35
#define NR_renameat2 276
#define NR_symlinkat 36
#define NR_fchmodat 53
#define NR_socket 198
#define NR_getpgid 155
#define NR_getsid 156
#define NR_getpriority 141
#define NR_sched_getscheduler 120
#define NR_sched_yield 124
#define NR_times 153
#define NR_getegid 177
#define NR_geteuid 175
#define NR_getgid 176
#define NR_getitimer 102
#define NR_clone 220
#define NR_wait4 260
#define NR_clone3 435
#define NR_mmap 222
#define NR_capget 90
#define NR_capset 91
#define NR_seccomp 277
#else
#error "unsupported architecture"
#endif

static long sys6(long n, long a, long b, long c, long d, long e, long f)
{
#if defined(__x86_64__)
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
#elif defined(__aarch64__)
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;
	__asm__ volatile("svc 0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory");
	return x0;
#endif
}

#define sys(n, a, b, c) sys6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)

static unsigned long len(const char *s)
{
	unsigned long n = 0;
	while (s[n])
		n++;
	return n;
}

static void say(const char *s)
{
	sys(NR_write, 1, s, len(s));
}

static void report(const char *name, long ret)
{
	char num[24];
	int i = sizeof(num) - 1;
	unsigned long v = ret < 0 ? -ret : 0;
	num[i] = 0;
	do {
		num[--i] = '0' + v % 10;
		v /= 10;
	} while (v && i > 0);
	say(name);
	say("=");
	say(&num[i]);
	say("\n");
}

static int streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

#define AT_FDCWD -100
#define O_WRONLY 01
#define O_CREAT 0100
#define S_IFCHR 0020000
#define PRIO_PROCESS 0
#define CLONE_NEWNS 0x00020000
#define PTRACE_TRACEME 0

static int work(void)
{
	char buf[512];

	sys(NR_getppid, 0, 0, 0);
	sys(NR_getuid, 0, 0, 0);
	sys(NR_uname, buf, 0, 0);
	sys(NR_getcwd, buf, sizeof(buf), 0);
	sys(NR_sysinfo, buf, 0, 0);
	sys(NR_getrusage, 0, buf, 0);
	sys(NR_kill, sys(NR_getpid, 0, 0, 0), 0, 0);
	if (sys(NR_chdir, "/work", 0, 0) < 0)
		return 10;

	long fd = sys6(NR_openat, AT_FDCWD, (long)"/work/file", O_CREAT | O_WRONLY, 0600, 0, 0);
	if (fd < 0)
		return 11;
	sys(NR_write, fd, "x", 1);
	if (sys(NR_fchown, fd, 1000, 1000) < 0) /* CAP_CHOWN, granted */
		return 12;
	sys(NR_close, fd, 0, 0);
	/* CAP_MKNOD, granted: /dev/null's numbers */
	if (sys6(NR_mknodat, AT_FDCWD, (long)"/work/null", S_IFCHR | 0600, (1 << 8) | 3, 0, 0) < 0)
		return 13;
	if (sys(NR_chroot, "/", 0, 0) < 0) /* CAP_SYS_CHROOT, granted */
		return 14;
	/* CAP_SYS_NICE, not in Docker's defaults: denied */
	sys(NR_setpriority, PRIO_PROCESS, 0, -5);
	/* CAP_SETGID, CAP_SETUID, granted; after them the process is no root */
	if (sys(NR_setgid, 1000, 0, 0) < 0 || sys(NR_setuid, 1000, 0, 0) < 0)
		return 15;
	say("probe: work done\n");
	return 0;
}

static int blocked(void)
{
	report("ptrace", sys(NR_ptrace, PTRACE_TRACEME, 0, 0));
	report("unshare", sys(NR_unshare, CLONE_NEWNS, 0, 0));
	report("mount", sys6(NR_mount, (long)"none", (long)"/tmp", (long)"tmpfs", 0, 0, 0));
	return 0;
}

static char pathbuf[4][512];

/* DIR + "/" + name in buffer k. */
static const char *in(const char *dir, const char *name, int k)
{
	char *p = pathbuf[k];
	unsigned long n = 0;
	while (dir[n] && n < 400) {
		p[n] = dir[n];
		n++;
	}
	p[n++] = '/';
	for (unsigned long i = 0; name[i] && n < 510; i++)
		p[n++] = name[i];
	p[n] = 0;
	return p;
}

#define O_APPEND 02000
#define AT_REMOVEDIR 0x200
#define AF_UNIX 1
#define AF_INET 2
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define PROT_READ 1
#define PROT_WRITE 2
#define MAP_PRIVATE 0x02
#define MAP_ANONYMOUS 0x20
#define MAP_SHARED 0x01

static int files(const char *dir)
{
	char buf[16];
	long fd;

	fd = sys6(NR_openat, AT_FDCWD, (long)in(dir, "existing", 0), 0, 0, 0, 0);
	if (fd < 0)
		return 20;
	sys(NR_read, fd, buf, sizeof(buf));
	sys(NR_close, fd, 0, 0);
	fd = sys6(NR_openat, AT_FDCWD, (long)in(dir, "new", 0), O_CREAT | O_WRONLY | 01000, 0644, 0, 0);
	if (fd < 0)
		return 21;
	sys(NR_write, fd, "x", 1);
	sys(NR_close, fd, 0, 0);
	fd = sys6(NR_openat, AT_FDCWD, (long)in(dir, "log", 0), O_CREAT | O_WRONLY | O_APPEND, 0644, 0, 0);
	if (fd < 0)
		return 22;
	sys(NR_close, fd, 0, 0);
	/* O_CREAT through a symlink to a file that exists (a log linked to
	 * /dev/stdout): nothing is created, the name is checked for create. */
	fd = sys6(NR_openat, AT_FDCWD, (long)in(dir, "loglink", 0), O_CREAT | O_WRONLY | O_APPEND, 0644, 0, 0);
	if (fd < 0)
		return 30;
	sys(NR_close, fd, 0, 0);
	/* These fail: no rule needed, nothing to record. */
	sys(NR_mkdirat, AT_FDCWD, in(dir, "existing_dir", 0), 0755);
	sys6(NR_openat, AT_FDCWD, (long)in(dir, "missing", 0), 0, 0, 0, 0);
	sys(NR_unlinkat, AT_FDCWD, in(dir, "missing", 0), 0);

	if (sys(NR_mkdirat, AT_FDCWD, in(dir, "newdir", 0), 0755) < 0)
		return 23;
	if (sys6(NR_renameat2, AT_FDCWD, (long)in(dir, "new", 0), AT_FDCWD, (long)in(dir, "renamed", 1), 0, 0) < 0)
		return 24;
	if (sys(NR_fchmodat, AT_FDCWD, in(dir, "renamed", 0), 0600) < 0)
		return 25;
	if (sys(NR_symlinkat, "target", AT_FDCWD, in(dir, "link", 0)) < 0)
		return 26;
	if (sys(NR_unlinkat, AT_FDCWD, in(dir, "link", 0), 0) < 0)
		return 27;
	if (sys(NR_unlinkat, AT_FDCWD, in(dir, "newdir", 0), AT_REMOVEDIR) < 0)
		return 28;
	sys(NR_socket, AF_INET, SOCK_STREAM, 0);
	sys(NR_socket, AF_UNIX, SOCK_DGRAM, 0);
	sys(NR_kill, sys(NR_getpid, 0, 0, 0), 0, 0);
	/* Shared memory with no path: AppArmor mediates it as "/". A private
	 * mapping has no file behind it at all. */
	if (sys6(NR_mmap, 0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0) < 0)
		return 29;
	sys6(NR_mmap, 0, 4096, PROT_READ | PROT_WRITE | 4, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	say("probe: files done\n");
	return 0;
}

#define SIGCHLD 17
#define CLONE_NEWUSER 0x10000000
#define AF_NETLINK 16
#define SOCK_RAW 3

/* fork by hand: clone without a new stack (the child gets a copy of ours)
 * and without namespace flags unless asked. The child exits at once. */
static long fork_with(long flags)
{
	long pid = sys6(NR_clone, flags | SIGCHLD, 0, 0, 0, 0, 0);
	if (pid == 0)
		sys(NR_exit_group, 0, 0, 0);
	if (pid > 0)
		sys6(NR_wait4, pid, 0, 0, 0, 0, 0);
	return pid;
}

static int net(void)
{
	if (sys(NR_socket, AF_INET, SOCK_STREAM, 0) < 0 || sys(NR_socket, AF_UNIX, SOCK_DGRAM, 0) < 0)
		return 30;
	if (fork_with(0) < 0)
		return 31;
	say("probe: net done\n");
	return 0;
}

#define AT_REMOVEDIR 0x200

/* vfork by hand: the child shares our memory and stack until it exits, so
 * it must not call or return: it exits in the same asm. arm64 has no vfork:
 * a child by clone there. */
static long vfork_exit(void)
{
#if defined(__x86_64__)
	long ret;
	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "mov $231, %%eax\n\t"
			 "xor %%edi, %%edi\n\t"
			 "syscall\n"
			 "1:"
			 : "=a"(ret)
			 : "0"(58L)
			 : "rcx", "r11", "rdi", "memory");
	if (ret > 0)
		sys6(NR_wait4, ret, 0, 0, 0, 0, 0);
	return ret;
#else
	return fork_with(0);
#endif
}

static int lifecycle(const char *mode, const char *dir)
{
	int use = streq(mode, "use");
	long r = use ? vfork_exit() : fork_with(0);
	int failed = r < 0;
	if (use)
		report("vfork", r);
	r = sys(NR_mkdirat, AT_FDCWD, in(dir, "d", 0), 0755);
	failed |= r < 0;
	if (use)
		report("mkdirat", r);
	long fd = sys6(NR_openat, AT_FDCWD, (long)in(dir, "d/f", 1), O_CREAT | O_WRONLY, 0600, 0, 0);
	failed |= fd < 0;
	if (use)
		report("openat", fd);
	if (fd >= 0)
		sys(NR_close, fd, 0, 0);
	if (use) {
		r = sys(NR_unlinkat, AT_FDCWD, in(dir, "d/f", 1), 0);
		failed |= r < 0;
		report("unlink", r);
		r = sys(NR_unlinkat, AT_FDCWD, in(dir, "d", 0), AT_REMOVEDIR);
		failed |= r < 0;
		report("rmdir", r);
	}
	if (failed)
		return 50;
	say("probe: lifecycle done\n");
	return 0;
}

struct clone_args {
	unsigned long long flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

static int escape(void)
{
	report("netlink", sys(NR_socket, AF_NETLINK, SOCK_RAW, 0));
	report("clone_newuser", fork_with(CLONE_NEWUSER));
	report("unshare_newuser", sys(NR_unshare, CLONE_NEWUSER, 0, 0));
	struct clone_args args = {.exit_signal = SIGCHLD};
	long pid = sys(NR_clone3, &args, sizeof(args), 0);
	if (pid == 0)
		sys(NR_exit_group, 0, 0, 0);
	if (pid > 0)
		sys6(NR_wait4, pid, 0, 0, 0, 0, 0);
	report("clone3", pid);
	return 0;
}

#define LINUX_CAPABILITY_VERSION_3 0x20080522
#define CAP_MKNOD 27

struct cap_header {
	unsigned int version;
	int pid;
};

struct cap_data {
	unsigned int effective, permitted, inheritable;
};

#define SECCOMP_SET_MODE_FILTER 1
#define SECCOMP_RET_ALLOW 0x7fff0000U

struct sock_filter {
	unsigned short code;
	unsigned char jt, jf;
	unsigned int k;
};

struct sock_fprog {
	unsigned short len;
	struct sock_filter *filter;
};

/* Each step must end as the comment in the usage says, or the probe fails:
 * a test that expects a denial must not pass on a check that never ran. */
static int caps(const char *dir)
{
	long fd = sys6(NR_openat, AT_FDCWD, (long)in(dir, "owned", 0), O_CREAT | O_WRONLY, 0600, 0, 0);
	if (fd < 0)
		return 50;
	if (sys(NR_fchown, fd, 1000, 1000) < 0)
		return 51;
	sys(NR_close, fd, 0, 0);
	if (sys6(NR_mmap, 0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) < 0)
		return 52;
	struct sock_filter allow = {.code = 0x06 /* BPF_RET | BPF_K */, .k = SECCOMP_RET_ALLOW};
	struct sock_fprog prog = {.len = 1, .filter = &allow};
	if (sys(NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		return 58;
	struct cap_header hdr = {.version = LINUX_CAPABILITY_VERSION_3};
	struct cap_data data[2];
	if (sys(NR_capget, &hdr, data, 0) < 0)
		return 53;
	data[0].effective &= ~(1U << CAP_MKNOD);
	if (sys(NR_capset, &hdr, data, 0) < 0)
		return 54;
	if (sys6(NR_mknodat, AT_FDCWD, (long)in(dir, "null", 0), S_IFCHR | 0600, (1 << 8) | 3, 0, 0) != -1 /* EPERM */)
		return 55;
	if (sys(NR_unshare, CLONE_NEWUSER, 0, 0) < 0)
		return 56;
	if (sys(NR_setpriority, PRIO_PROCESS, 0, -5) != -13 /* EACCES */)
		return 57;
	say("probe: caps done\n");
	return 0;
}

/* Keep in step with PickSyscalls in tracertest.go. */
static const long pick_nrs[10] = {NR_getpgid, NR_getsid, NR_getpriority, NR_sched_getscheduler, NR_sched_yield,
				  NR_times, NR_getegid, NR_geteuid, NR_getgid, NR_getitimer};

static long atol_(const char *s)
{
	long n = 0;
	while (*s >= '0' && *s <= '9')
		n = n * 10 + (*s++ - '0');
	return n;
}

static int pick(long n)
{
	char buf[64];
	for (int i = 0; i < 10; i++) {
		if (n & (1L << i))
			sys(pick_nrs[i], 0, buf, 0);
	}
	say("probe: pick done\n");
	return 0;
}

static int sleep_(long seconds)
{
	long ts[2] = {seconds, 0};
	sys(NR_nanosleep, (long)ts, 0, 0);
	return 0;
}

static int burst(long n, const char *dir)
{
	char name[24];
	for (long i = 0; i < n; i++) {
		int k = sizeof(name) - 1;
		long v = i;
		name[k] = 0;
		do {
			name[--k] = '0' + v % 10;
			v /= 10;
		} while (v && k > 0);
		long fd = sys6(NR_openat, AT_FDCWD, (long)in(dir, &name[k], 0), O_CREAT | O_WRONLY, 0644, 0, 0);
		if (fd < 0)
			return 40;
		sys(NR_close, fd, 0, 0);
	}
	say("probe: burst done\n");
	return 0;
}

static int probe_main(long argc, char **argv)
{
	if (argc > 1 && streq(argv[1], "work"))
		return work();
	if (argc > 1 && streq(argv[1], "blocked"))
		return blocked();
	if (argc > 2 && streq(argv[1], "files"))
		return files(argv[2]);
	if (argc > 1 && streq(argv[1], "net"))
		return net();
	if (argc > 2 && streq(argv[1], "pick"))
		return pick(atol_(argv[2]));
	if (argc > 3 && streq(argv[1], "burst"))
		return burst(atol_(argv[2]), argv[3]);
	if (argc > 3 && streq(argv[1], "lifecycle"))
		return lifecycle(argv[2], argv[3]);
	if (argc > 1 && streq(argv[1], "escape"))
		return escape();
	if (argc > 2 && streq(argv[1], "caps"))
		return caps(argv[2]);
	if (argc > 2 && streq(argv[1], "sleep"))
		return sleep_(atol_(argv[2]));
	say("usage: probe work|blocked|files DIR|net|escape|caps DIR|pick N|burst N DIR|sleep S\n");
	return 2;
}

/* The kernel enters with the stack pointer at argc. */
__attribute__((used)) void start_c(long *sp)
{
	long argc = sp[0];
	char **argv = (char **)(sp + 1);
	sys(NR_exit_group, probe_main(argc, argv), 0, 0);
	for (;;)
		;
}

#if defined(__x86_64__)
__asm__(".global _start\n_start:\n\tmov %rsp, %rdi\n\tand $-16, %rsp\n\tcall start_c\n");
#elif defined(__aarch64__)
__asm__(".global _start\n_start:\n\tmov x0, sp\n\tbl start_c\n");
#endif
