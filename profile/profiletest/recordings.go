package profiletest

// Recordings shared by the golden, determinism and Docker-loader tests. They
// imitate what the recorder produces for three typical containers.

import (
	"fmt"
	"testing"
	"time"

	"github.com/tailorsec/tailor/profile"
)

// TestCase is one recording and the fake absolute path its golden flags
// name seccomp.json by.
type TestCase struct {
	Name        string
	Rec         *profile.Recording
	SeccompPath string
}

// TestCases are the recordings of the golden files, one per directory of
// testdata/golden.
func TestCases(t *testing.T) []TestCase {
	t.Helper()
	return []TestCase{
		{"nginx", NginxRecording(t), "/profiles/nginx/seccomp.json"},
		{"unconfined", UnconfinedRecording(t), "/profiles/unconfined/seccomp.json"},
		{"compat", CompatRecording(t), "/profiles/with space's/seccomp.json"},
		{"hostile", HostileRecording(t), "/profiles/hostile/seccomp.json"},
	}
}

// Files builds FileAccess entries on one mount, all with the same accesses.
func Files(mount string, access []string, paths ...string) []profile.FileAccess {
	var out []profile.FileAccess
	for _, p := range paths {
		out = append(out, profile.FileAccess{Path: p, Access: access, Mount: mount})
	}
	return out
}

var (
	ReadOnly  = []string{profile.AccessRead}
	Mapped    = []string{profile.AccessMmapExec, profile.AccessRead}
	Created   = []string{profile.AccessCreate, profile.AccessWrite}
	TempFiles = []string{profile.AccessCreate, profile.AccessRead, profile.AccessUnlink, profile.AccessWrite}
)

// NginxFiles: the binary and its libraries, a configuration directory big
// enough to become /etc/nginx/*, the page it served, its pid file in /run,
// temporary files on a cache volume, and /proc entries of its own pids.
func NginxFiles() []profile.FileAccess {
	var f []profile.FileAccess
	f = append(f, profile.FileAccess{Path: "/usr/sbin/nginx", Access: []string{profile.AccessExec}, Mount: profile.MountRootfs})
	f = append(f, Files(profile.MountRootfs, Mapped,
		"/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
		"/lib/x86_64-linux-gnu/libc.so.6",
		"/lib/x86_64-linux-gnu/libcrypt.so.1",
		"/lib/x86_64-linux-gnu/libcrypto.so.3",
		"/lib/x86_64-linux-gnu/libpcre2-8.so.0",
		"/lib/x86_64-linux-gnu/libssl.so.3",
		"/lib/x86_64-linux-gnu/libz.so.1")...)
	f = append(f, Files(profile.MountRootfs, ReadOnly,
		"/etc/ld.so.cache", "/etc/passwd", "/etc/group", "/etc/nsswitch.conf",
		"/etc/nginx/nginx.conf", "/etc/nginx/mime.types", "/etc/nginx/fastcgi_params",
		"/etc/nginx/koi-utf", "/etc/nginx/koi-win", "/etc/nginx/scgi_params",
		"/etc/nginx/uwsgi_params", "/etc/nginx/win-utf",
		"/etc/nginx/conf.d/", "/etc/nginx/conf.d/default.conf",
		"/var/www/html/index.nginx-debian.html")...)
	f = append(f, profile.FileAccess{Path: "/run/nginx.pid", Access: Created, Mount: profile.MountRootfs})
	// The image's logs are symlinks to /dev/stdout and /dev/stderr: the
	// writes go to pipes (no path), the create is checked on the names.
	f = append(f, Files(profile.MountRootfs, []string{profile.AccessOpenCreate},
		"/var/log/nginx/access.log", "/var/log/nginx/error.log")...)
	f[len(f)-1].NameOnly, f[len(f)-2].NameOnly = true, true
	f = append(f, profile.FileAccess{Path: "/var/cache/nginx/client_temp/", Access: []string{profile.AccessMkdir},
		Mount: profile.MountVolume, MountPoint: "/var/cache/nginx"})
	f = append(f, Files(profile.MountVolume, TempFiles,
		"/var/cache/nginx/client_temp/0000000001",
		"/var/cache/nginx/client_temp/0000000002")...)
	f[len(f)-1].MountPoint, f[len(f)-2].MountPoint = "/var/cache/nginx", "/var/cache/nginx"
	f = append(f, Files(profile.MountProc, ReadOnly,
		"/proc/29/fd/", "/proc/29/status", "/proc/sys/kernel/ngroups_max", "/proc/meminfo")...)
	f = append(f, profile.FileAccess{Path: "/proc/29/task/31/comm", Access: []string{profile.AccessWrite}, Mount: profile.MountProc})
	f = append(f, Files(profile.MountDev, []string{profile.AccessRead, profile.AccessWrite}, "/dev/null")...)
	return f
}

// Use builds a SyscallUse whose number libseccomp gives for name on arch.
func Use(t *testing.T, arch profile.Arch, name string, count uint64, source string) profile.SyscallUse {
	t.Helper()
	nr, ok := profile.SyscallNumber(arch, name)
	if !ok {
		t.Fatalf("libseccomp does not know %s on %s", name, arch)
	}
	return profile.SyscallUse{Arch: arch, Name: name, Number: nr, Count: count, Source: source}
}

func Uses(t *testing.T, arch profile.Arch, source string, names ...string) []profile.SyscallUse {
	t.Helper()
	var out []profile.SyscallUse
	for i, name := range names {
		out = append(out, Use(t, arch, name, uint64(i%7+1), source))
	}
	return out
}

// IntPtr is a pointer to v.
func IntPtr(v int) *int { return &v }

var (
	Start = time.Date(2025, 3, 14, 10, 30, 0, 123456789, time.FixedZone("CET", 3600))
	Stop  = Start.Add(90*time.Second + 5*time.Millisecond)
)

// NginxRecording: learned under Docker's default seccomp profile (armed by
// the runtime's filter), a few capabilities, and the kernel's CAP_SYS_ADMIN
// overcommit probe during mmap and brk.
func NginxRecording(t *testing.T) *profile.Recording {
	return &profile.Recording{
		Container: profile.Container{
			ID:       "3f4e5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f",
			Name:     "web",
			Image:    "nginx:1.27",
			ImageID:  "sha256:7f1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
			Runtime:  "runc",
			ExitCode: IntPtr(0),
		},
		Host:     profile.Host{Kernel: "6.8.0-45-generic", Arch: "x86_64", TailorVersion: "0.1.0", DockerVersion: "28.5.2"},
		Start:    Start,
		Stop:     Stop,
		ArmedBy:  profile.ArmedByFilter,
		Learning: profile.Learning{Seccomp: "default"},
		Syscalls: Uses(t, profile.ArchX86_64, profile.SourceWorkload,
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
		SyscallArgs: []profile.ArgValues{
			{Arch: profile.ArchX86_64, Syscall: "clone", Index: 0, Mask: profile.CloneNamespaceMask, Values: []uint64{0}},
			{Arch: profile.ArchX86_64, Syscall: "ioctl", Index: 1, Values: []uint64{0x5401, 0x5421}},
			{Arch: profile.ArchX86_64, Syscall: "socket", Index: 0, Values: []uint64{1, 2, 10}},
			{Arch: profile.ArchX86_64, Syscall: "socketpair", Index: 0, Values: []uint64{1}},
		},
		Capabilities: []profile.CapabilityUse{
			{Name: "CAP_CHOWN", Granted: 2, Syscalls: []string{"chown"}},
			{Name: "CAP_NET_BIND_SERVICE", Granted: 2, Syscalls: []string{"bind"}},
			{Name: "CAP_SETGID", Granted: 4, Syscalls: []string{"setgid", "setgroups"}},
			{Name: "CAP_SETUID", Granted: 2, Syscalls: []string{"setuid"}},
			{Name: "CAP_SYS_ADMIN", Denied: 57, Syscalls: []string{"brk", "mmap"}},
		},
		CapabilitiesRecorded: true,
		FilesRecorded:        true,
		Files:                NginxFiles(),
		Sockets:              []profile.SocketUse{{Family: "inet", Type: "stream"}, {Family: "unix", Type: "dgram"}},
		SignalsSent:          []string{"term", "quit"},
		// nginx's shared zones (accept mutex, statistics): mmap
		// MAP_SHARED|MAP_ANONYMOUS, read and written.
		SharedMemory:    []string{"write", "read"},
		ContainerMounts: []profile.ContainerMount{{Type: "volume", Destination: "/var/cache/nginx"}},
	}
}

// UnconfinedRecording: seccomp=unconfined, so counting began at the
// entrypoint's exec and the runtime's last steps are carried over; sudo
// gains privileges through exec; one number libseccomp cannot name.
func UnconfinedRecording(t *testing.T) *profile.Recording {
	syscalls := Uses(t, profile.ArchX86_64, profile.SourceRuntime,
		"capget", "capset", "close_range", "execve", "fchdir", "getppid",
		"prctl", "setgid", "setgroups", "setuid", "write")
	syscalls = append(syscalls, Uses(t, profile.ArchX86_64, profile.SourceWorkload,
		"access", "arch_prctl", "brk", "close", "execve", "exit_group",
		"fstat", "getuid", "mmap", "mount", "mprotect", "openat", "read",
		"sendto", "setresuid", "socket", "wait4", "write")...)
	syscalls = append(syscalls, profile.SyscallUse{Arch: profile.ArchX86_64, Number: 463, Count: 3})
	return &profile.Recording{
		Container: profile.Container{
			ID:       "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90",
			Name:     "admin-shell",
			Image:    "example/admin:latest",
			ExitCode: IntPtr(137),
		},
		Host:                 profile.Host{Kernel: "6.12.10", Arch: "amd64", TailorVersion: "0.1.0"},
		Start:                Start,
		Stop:                 Stop,
		ArmedBy:              profile.ArmedByExec,
		Partial:              true,
		Learning:             profile.Learning{Seccomp: "unconfined", CapAdd: []string{"SYS_ADMIN"}},
		Syscalls:             syscalls,
		CapabilitiesRecorded: true,
		Capabilities: []profile.CapabilityUse{
			{Name: "CAP_AUDIT_WRITE", Granted: 1, Syscalls: []string{"sendto"}},
			{Name: "CAP_DAC_READ_SEARCH", Denied: 2, Syscalls: []string{"openat"}},
			{Name: "CAP_SETGID", Granted: 1, Syscalls: []string{"setgid"}},
			{Name: "CAP_SETUID", Granted: 3, Syscalls: []string{"setresuid", "setuid"}},
			// Checked during mount too: a real need, not the probe.
			{Name: "CAP_SYS_ADMIN", Granted: 31, Syscalls: []string{"brk", "mmap", "mount"}},
		},
		PrivilegedExecs: []string{"/usr/bin/sudo"},
		// File access was not recorded: the AppArmor profile says file,
		Sockets:         []profile.SocketUse{{Family: "inet6", Type: "dgram"}, {Family: "netlink", Type: "raw"}},
		SignalsSent:     []string{"kill", "rtmin+3"},
		Ptrace:          []string{"read", "trace"},
		Mounts:          []profile.MountUse{{Source: "tmpfs", Target: "/mnt/scratch", FSType: "tmpfs"}},
		UnknownSyscalls: 2,
		EventsLost:      5,
		Warnings:        []string{"the container was killed (SIGKILL)"},
	}
}

// CompatRecording: a 32-bit x86 program on an x86-64 host, on a kernel
// without the cap_capable tracepoint, recording started late. Host.Arch is
// unknown, so the native architecture is inferred from the syscalls.
func CompatRecording(t *testing.T) *profile.Recording {
	syscalls := Uses(t, profile.ArchX86_64, profile.SourceWorkload, "execve")
	syscalls = append(syscalls, Uses(t, profile.ArchX86, profile.SourceWorkload,
		"_llseek", "access", "brk", "close", "exit_group", "fstat64",
		"mmap2", "openat", "read", "rt_sigaction", "set_thread_area",
		"socketcall", "uname", "write")...)
	return &profile.Recording{
		Container:   profile.Container{ID: "c0ffee", Name: "legacy", Image: "i386/busybox"},
		Host:        profile.Host{Kernel: "5.15.0", TailorVersion: "0.1.0"},
		Start:       Start,
		Stop:        Stop,
		ArmedBy:     profile.ArmedLate,
		StartMissed: true,
		Learning:    profile.Learning{Seccomp: "default", NoNewPrivileges: true},
		Syscalls:    syscalls,
		// redis-like: the dump is written on the root filesystem (no
		// volume), through a temporary file named after the pid.
		FilesRecorded: true,
		Files: []profile.FileAccess{
			{Path: "/bin/busybox", Access: []string{profile.AccessExec}, Mount: profile.MountRootfs},
			{Path: "/data/", Access: []string{profile.AccessRead}, Mount: profile.MountRootfs},
			{Path: "/data/dump.rdb", Access: []string{profile.AccessRead, profile.AccessRename, profile.AccessWrite}, Mount: profile.MountRootfs},
			{Path: "/data/temp-1234.rdb", Access: []string{profile.AccessCreate, profile.AccessRename, profile.AccessWrite}, Mount: profile.MountRootfs},
			{Path: "/etc/passwd", Access: []string{profile.AccessRead}, Mount: profile.MountRootfs},
		},
		Sockets: []profile.SocketUse{{Family: "inet", Type: "stream"}},
	}
}

// HostileChars are the bytes a file name may hold that mean something to
// AppArmor, to a shell, to JSON or to a terminal.
var HostileChars = []string{
	" ", `"`, `\`, "*", "?", "[", "]", "{", "}", "^", ",", "#", "@", "$", "@{PROC}", "${x}",
	"\n", "\t", "\r", "\x01", "\x7f", "\x80", "\xff", "\xc3\x28", "é", "->", "/**", "'",
}

// HostilePaths are paths with each of hostileChars, each in a directory of
// its own so that none is generalised with another.
func HostilePaths() []string {
	var paths []string
	for i, c := range HostileChars {
		paths = append(paths, fmt.Sprintf("/srv/d%02d%sx/f%sx", i, c, c))
	}
	// A backslash or quote just before the closing quote.
	return append(paths, `/srv/end1/x\`, `/srv/end2/x"`, `/srv/end3/x\"`, `/srv/end4/x"\`)
}

// HostileRecording: file names, a container name and an image name made to
// break out of quotes, rules, lines and comments.
func HostileRecording(t *testing.T) *profile.Recording {
	var f []profile.FileAccess
	for _, p := range HostilePaths() {
		f = append(f, profile.FileAccess{Path: p, Access: []string{profile.AccessRead}, Mount: profile.MountRootfs})
	}
	return &profile.Recording{
		Container:            profile.Container{ID: "badc0ffee0ddf00d", Name: "evil\n}\nprofile x {", Image: "img\n  file,\n#"},
		Host:                 profile.Host{Kernel: "6.8.0", Arch: "x86_64", TailorVersion: "0.1.0"},
		Start:                Start,
		Stop:                 Stop,
		ArmedBy:              profile.ArmedByFilter,
		Learning:             profile.Learning{Seccomp: "default"},
		Syscalls:             Uses(t, profile.ArchX86_64, profile.SourceWorkload, "execve", "openat", "read", "exit_group"),
		CapabilitiesRecorded: true,
		FilesRecorded:        true,
		Files:                f,
	}
}
