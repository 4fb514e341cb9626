package profile

// Recordings shared by the golden, determinism and Docker-loader tests. They
// imitate what the recorder produces for three typical containers.

import (
	"fmt"
	"testing"
	"time"
)

// testCase is one recording and the fake absolute path its golden flags
// name seccomp.json by.
type testCase struct {
	Name        string
	Rec         *Recording
	SeccompPath string
}

func testCases(t *testing.T) []testCase {
	t.Helper()
	return []testCase{
		{"nginx", nginxRecording(t), "/profiles/nginx/seccomp.json"},
		{"unconfined", unconfinedRecording(t), "/profiles/unconfined/seccomp.json"},
		{"compat", compatRecording(t), "/profiles/with space's/seccomp.json"},
		{"hostile", hostileRecording(t), "/profiles/hostile/seccomp.json"},
	}
}

// files builds FileAccess entries on one mount, all with the same accesses.
func files(mount string, access []string, paths ...string) []FileAccess {
	var out []FileAccess
	for _, p := range paths {
		out = append(out, FileAccess{Path: p, Access: access, Mount: mount})
	}
	return out
}

var (
	readOnly  = []string{AccessRead}
	mapped    = []string{AccessMmapExec, AccessRead}
	created   = []string{AccessCreate, AccessWrite}
	tempFiles = []string{AccessCreate, AccessRead, AccessUnlink, AccessWrite}
)

// nginxFiles: the binary and its libraries, a configuration directory big
// enough to become /etc/nginx/*, the page it served, its pid file in /run,
// temporary files on a cache volume, and /proc entries of its own pids.
func nginxFiles() []FileAccess {
	var f []FileAccess
	f = append(f, FileAccess{Path: "/usr/sbin/nginx", Access: []string{AccessExec}, Mount: MountRootfs})
	f = append(f, files(MountRootfs, mapped,
		"/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
		"/lib/x86_64-linux-gnu/libc.so.6",
		"/lib/x86_64-linux-gnu/libcrypt.so.1",
		"/lib/x86_64-linux-gnu/libcrypto.so.3",
		"/lib/x86_64-linux-gnu/libpcre2-8.so.0",
		"/lib/x86_64-linux-gnu/libssl.so.3",
		"/lib/x86_64-linux-gnu/libz.so.1")...)
	f = append(f, files(MountRootfs, readOnly,
		"/etc/ld.so.cache", "/etc/passwd", "/etc/group", "/etc/nsswitch.conf",
		"/etc/nginx/nginx.conf", "/etc/nginx/mime.types", "/etc/nginx/fastcgi_params",
		"/etc/nginx/koi-utf", "/etc/nginx/koi-win", "/etc/nginx/scgi_params",
		"/etc/nginx/uwsgi_params", "/etc/nginx/win-utf",
		"/etc/nginx/conf.d/", "/etc/nginx/conf.d/default.conf",
		"/var/www/html/index.nginx-debian.html")...)
	f = append(f, FileAccess{Path: "/run/nginx.pid", Access: created, Mount: MountRootfs})
	// The image's logs are symlinks to /dev/stdout and /dev/stderr: the
	// writes go to pipes (no path), the create is checked on the names.
	f = append(f, files(MountRootfs, []string{AccessOpenCreate},
		"/var/log/nginx/access.log", "/var/log/nginx/error.log")...)
	f[len(f)-1].NameOnly, f[len(f)-2].NameOnly = true, true
	f = append(f, FileAccess{Path: "/var/cache/nginx/client_temp/", Access: []string{AccessMkdir},
		Mount: MountVolume, MountPoint: "/var/cache/nginx"})
	f = append(f, files(MountVolume, tempFiles,
		"/var/cache/nginx/client_temp/0000000001",
		"/var/cache/nginx/client_temp/0000000002")...)
	f[len(f)-1].MountPoint, f[len(f)-2].MountPoint = "/var/cache/nginx", "/var/cache/nginx"
	f = append(f, files(MountProc, readOnly,
		"/proc/29/fd/", "/proc/29/status", "/proc/sys/kernel/ngroups_max", "/proc/meminfo")...)
	f = append(f, FileAccess{Path: "/proc/29/task/31/comm", Access: []string{AccessWrite}, Mount: MountProc})
	f = append(f, files(MountDev, []string{AccessRead, AccessWrite}, "/dev/null")...)
	return f
}

// use builds a SyscallUse whose number libseccomp gives for name on arch.
func use(t *testing.T, arch Arch, name string, count uint64, source string) SyscallUse {
	t.Helper()
	nr, ok := SyscallNumber(arch, name)
	if !ok {
		t.Fatalf("libseccomp does not know %s on %s", name, arch)
	}
	return SyscallUse{Arch: arch, Name: name, Number: nr, Count: count, Source: source}
}

func uses(t *testing.T, arch Arch, source string, names ...string) []SyscallUse {
	t.Helper()
	var out []SyscallUse
	for i, name := range names {
		out = append(out, use(t, arch, name, uint64(i%7+1), source))
	}
	return out
}

func intPtr(v int) *int { return &v }

var (
	testStart = time.Date(2025, 3, 14, 10, 30, 0, 123456789, time.FixedZone("CET", 3600))
	testStop  = testStart.Add(90*time.Second + 5*time.Millisecond)
)

// nginxRecording: learned under Docker's default seccomp profile (armed by
// the runtime's filter), a few capabilities, and the kernel's CAP_SYS_ADMIN
// overcommit probe during mmap and brk.
func nginxRecording(t *testing.T) *Recording {
	return &Recording{
		Container: Container{
			ID:       "3f4e5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f",
			Name:     "web",
			Image:    "nginx:1.27",
			ImageID:  "sha256:7f1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
			Runtime:  "runc",
			ExitCode: intPtr(0),
		},
		Host:     Host{Kernel: "6.8.0-45-generic", Arch: "x86_64", TailorVersion: "0.1.0", DockerVersion: "28.5.2"},
		Start:    testStart,
		Stop:     testStop,
		ArmedBy:  ArmedByFilter,
		Learning: Learning{Seccomp: "default"},
		Syscalls: uses(t, ArchX86_64, SourceWorkload,
			"accept4", "arch_prctl", "bind", "brk", "chown", "clone", "close",
			"connect", "epoll_create1", "epoll_ctl", "epoll_wait", "execve",
			"exit_group", "fcntl", "fstat", "futex", "getdents64", "geteuid",
			"getpid", "getppid", "getrandom", "ioctl", "listen", "lseek", "mkdir",
			"mmap", "mprotect", "munmap", "newfstatat", "openat", "pread64",
			"prlimit64", "pwrite64", "read", "recvfrom", "rseq", "rt_sigaction",
			"rt_sigprocmask", "rt_sigreturn", "rt_sigsuspend", "sendfile",
			"set_robust_list", "set_tid_address", "setgid", "setgroups",
			"setsockopt", "setuid", "socket", "socketpair", "statfs", "sysinfo",
			"uname", "wait4", "write", "writev"),
		SyscallArgs: []ArgValues{
			{Arch: ArchX86_64, Syscall: "clone", Index: 0, Mask: CloneNamespaceMask, Values: []uint64{0}},
			{Arch: ArchX86_64, Syscall: "ioctl", Index: 1, Values: []uint64{0x5401, 0x5421}},
			{Arch: ArchX86_64, Syscall: "socket", Index: 0, Values: []uint64{1, 2, 10}},
			{Arch: ArchX86_64, Syscall: "socketpair", Index: 0, Values: []uint64{1}},
		},
		Capabilities: []CapabilityUse{
			{Name: "CAP_CHOWN", Granted: 2, Syscalls: []string{"chown"}},
			{Name: "CAP_NET_BIND_SERVICE", Granted: 2, Syscalls: []string{"bind"}},
			{Name: "CAP_SETGID", Granted: 4, Syscalls: []string{"setgid", "setgroups"}},
			{Name: "CAP_SETUID", Granted: 2, Syscalls: []string{"setuid"}},
			{Name: "CAP_SYS_ADMIN", Denied: 57, Syscalls: []string{"brk", "mmap"}},
		},
		CapabilitiesRecorded: true,
		FilesRecorded:        true,
		Files:                nginxFiles(),
		Sockets:              []SocketUse{{Family: "inet", Type: "stream"}, {Family: "unix", Type: "dgram"}},
		SignalsSent:          []string{"term", "quit"},
		// nginx's shared zones (accept mutex, statistics): mmap
		// MAP_SHARED|MAP_ANONYMOUS, read and written.
		SharedMemory:    []string{"write", "read"},
		ContainerMounts: []ContainerMount{{Type: "volume", Destination: "/var/cache/nginx"}},
	}
}

// unconfinedRecording: seccomp=unconfined, so counting began at the
// entrypoint's exec and the runtime's last steps are carried over; sudo
// gains privileges through exec; one number libseccomp cannot name.
func unconfinedRecording(t *testing.T) *Recording {
	syscalls := uses(t, ArchX86_64, SourceRuntime,
		"capget", "capset", "close_range", "execve", "fchdir", "getppid",
		"prctl", "setgid", "setgroups", "setuid", "write")
	syscalls = append(syscalls, uses(t, ArchX86_64, SourceWorkload,
		"access", "arch_prctl", "brk", "close", "execve", "exit_group",
		"fstat", "getuid", "mmap", "mount", "mprotect", "openat", "read",
		"sendto", "setresuid", "socket", "wait4", "write")...)
	syscalls = append(syscalls, SyscallUse{Arch: ArchX86_64, Number: 463, Count: 3})
	return &Recording{
		Container: Container{
			ID:       "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90",
			Name:     "admin-shell",
			Image:    "example/admin:latest",
			ExitCode: intPtr(137),
		},
		Host:                 Host{Kernel: "6.12.10", Arch: "amd64", TailorVersion: "0.1.0"},
		Start:                testStart,
		Stop:                 testStop,
		ArmedBy:              ArmedByExec,
		Partial:              true,
		Learning:             Learning{Seccomp: "unconfined", CapAdd: []string{"SYS_ADMIN"}},
		Syscalls:             syscalls,
		CapabilitiesRecorded: true,
		Capabilities: []CapabilityUse{
			{Name: "CAP_AUDIT_WRITE", Granted: 1, Syscalls: []string{"sendto"}},
			{Name: "CAP_DAC_READ_SEARCH", Denied: 2, Syscalls: []string{"openat"}},
			{Name: "CAP_SETGID", Granted: 1, Syscalls: []string{"setgid"}},
			{Name: "CAP_SETUID", Granted: 3, Syscalls: []string{"setresuid", "setuid"}},
			// Checked during mount too: a real need, not the probe.
			{Name: "CAP_SYS_ADMIN", Granted: 31, Syscalls: []string{"brk", "mmap", "mount"}},
		},
		PrivilegedExecs: []string{"/usr/bin/sudo"},
		// File access was not recorded: the AppArmor profile says file,
		Sockets:         []SocketUse{{Family: "inet6", Type: "dgram"}, {Family: "netlink", Type: "raw"}},
		SignalsSent:     []string{"kill", "rtmin+3"},
		Ptrace:          []string{"read", "trace"},
		Mounts:          []MountUse{{Source: "tmpfs", Target: "/mnt/scratch", FSType: "tmpfs"}},
		UnknownSyscalls: 2,
		EventsLost:      5,
		Warnings:        []string{"the container was killed (SIGKILL)"},
	}
}

// compatRecording: a 32-bit x86 program on an x86-64 host, on a kernel
// without the cap_capable tracepoint, recording started late. Host.Arch is
// unknown, so the native architecture is inferred from the syscalls.
func compatRecording(t *testing.T) *Recording {
	syscalls := uses(t, ArchX86_64, SourceWorkload, "execve")
	syscalls = append(syscalls, uses(t, ArchX86, SourceWorkload,
		"_llseek", "access", "brk", "close", "exit_group", "fstat64",
		"mmap2", "openat", "read", "rt_sigaction", "set_thread_area",
		"socketcall", "uname", "write")...)
	return &Recording{
		Container:   Container{ID: "c0ffee", Name: "legacy", Image: "i386/busybox"},
		Host:        Host{Kernel: "5.15.0", TailorVersion: "0.1.0"},
		Start:       testStart,
		Stop:        testStop,
		ArmedBy:     ArmedLate,
		StartMissed: true,
		Learning:    Learning{Seccomp: "default", NoNewPrivileges: true},
		Syscalls:    syscalls,
		// redis-like: the dump is written on the root filesystem (no
		// volume), through a temporary file named after the pid.
		FilesRecorded: true,
		Files: []FileAccess{
			{Path: "/bin/busybox", Access: []string{AccessExec}, Mount: MountRootfs},
			{Path: "/data/", Access: []string{AccessRead}, Mount: MountRootfs},
			{Path: "/data/dump.rdb", Access: []string{AccessRead, AccessRename, AccessWrite}, Mount: MountRootfs},
			{Path: "/data/temp-1234.rdb", Access: []string{AccessCreate, AccessRename, AccessWrite}, Mount: MountRootfs},
			{Path: "/etc/passwd", Access: []string{AccessRead}, Mount: MountRootfs},
		},
		Sockets: []SocketUse{{Family: "inet", Type: "stream"}},
	}
}

// hostileChars are the bytes a file name may hold that mean something to
// AppArmor, to a shell, to JSON or to a terminal.
var hostileChars = []string{
	" ", `"`, `\`, "*", "?", "[", "]", "{", "}", "^", ",", "#", "@", "$", "@{PROC}", "${x}",
	"\n", "\t", "\r", "\x01", "\x7f", "\x80", "\xff", "\xc3\x28", "é", "->", "/**", "'",
}

// hostilePaths are paths with each of hostileChars, each in a directory of
// its own so that none is generalised with another.
func hostilePaths() []string {
	var paths []string
	for i, c := range hostileChars {
		paths = append(paths, fmt.Sprintf("/srv/d%02d%sx/f%sx", i, c, c))
	}
	// A backslash or quote just before the closing quote.
	return append(paths, `/srv/end1/x\`, `/srv/end2/x"`, `/srv/end3/x\"`, `/srv/end4/x"\`)
}

// hostileRecording: file names, a container name and an image name made to
// break out of quotes, rules, lines and comments.
func hostileRecording(t *testing.T) *Recording {
	var f []FileAccess
	for _, p := range hostilePaths() {
		f = append(f, FileAccess{Path: p, Access: []string{AccessRead}, Mount: MountRootfs})
	}
	return &Recording{
		Container:            Container{ID: "badc0ffee0ddf00d", Name: "evil\n}\nprofile x {", Image: "img\n  file,\n#"},
		Host:                 Host{Kernel: "6.8.0", Arch: "x86_64", TailorVersion: "0.1.0"},
		Start:                testStart,
		Stop:                 testStop,
		ArmedBy:              ArmedByFilter,
		Learning:             Learning{Seccomp: "default"},
		Syscalls:             uses(t, ArchX86_64, SourceWorkload, "execve", "openat", "read", "exit_group"),
		CapabilitiesRecorded: true,
		FilesRecorded:        true,
		Files:                f,
	}
}
