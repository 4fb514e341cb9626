package profile

// Recordings shared by the golden, determinism and Docker-loader tests. They
// imitate what the recorder produces for three typical containers.

import (
	"testing"
	"time"
)

// testCase is one recording and the fake absolute path its golden flags
// name seccomp.json by.
type testCase struct {
	name        string
	rec         *Recording
	seccompPath string
}

func testCases(t *testing.T) []testCase {
	t.Helper()
	return []testCase{
		{"nginx", nginxRecording(t), "/profiles/nginx/seccomp.json"},
		{"unconfined", unconfinedRecording(t), "/profiles/unconfined/seccomp.json"},
		{"compat", compatRecording(t), "/profiles/with space's/seccomp.json"},
	}
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
		Capabilities: []CapabilityUse{
			{Name: "CAP_CHOWN", Granted: 2, Syscalls: []string{"chown"}},
			{Name: "CAP_NET_BIND_SERVICE", Granted: 2, Syscalls: []string{"bind"}},
			{Name: "CAP_SETGID", Granted: 4, Syscalls: []string{"setgid", "setgroups"}},
			{Name: "CAP_SETUID", Granted: 2, Syscalls: []string{"setuid"}},
			{Name: "CAP_SYS_ADMIN", Denied: 57, Syscalls: []string{"brk", "mmap"}},
		},
		CapabilitiesRecorded: true,
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
	}
}
