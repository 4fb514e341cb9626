package profile

// Syscall names come from libseccomp, not from a table of our own: it is the
// library runc uses to compile the profile, so a name it resolves is exactly
// a name the container runtime will accept, on every architecture, and a
// number it cannot name is one a Docker profile cannot express. Builds
// without cgo (cross-compiles, static binaries) use a table generated from
// libseccomp by `make generate` (zsyscall_table.go); a test keeps the two
// equal.

import "runtime"

//go:generate go run gen_syscall_table.go

// x32SyscallBit is __X32_SYSCALL_BIT. libseccomp's x32 numbers carry it; the
// recorder strips it (the kernel tables it indexes do not), so it is added
// before asking libseccomp and removed from what libseccomp answers.
const x32SyscallBit = 0x40000000

// SyscallName returns the name libseccomp gives syscall nr on arch. For x32,
// nr is the number without __X32_SYSCALL_BIT, as the recorder reports it.
func SyscallName(arch Arch, nr int) (string, bool) {
	// Negative numbers are libseccomp's pseudo-syscalls (e.g. socket
	// multiplexed through socketcall on x86): never something a process made.
	if nr < 0 {
		return "", false
	}
	if arch == ArchX32 {
		nr &^= x32SyscallBit // with or without the bit, the same syscall
	}
	return resolveName(arch, nr)
}

// SyscallNumber returns the number of the named syscall on arch, false when
// the syscall does not exist there (or libseccomp does not know it). For x32
// the number is returned without __X32_SYSCALL_BIT.
//
// On 32-bit x86 libseccomp answers the names of the socket and SysV IPC
// syscalls (socket, sendto, shmat...) with pseudo numbers, because they can
// also be reached through socketcall/ipc, so SyscallNumber reports them
// unknown there even though the kernel has direct numbers for them (which
// SyscallName does name). A profile may still list them: libseccomp
// compiles a rule for both ways in.
func SyscallNumber(arch Arch, name string) (int, bool) {
	if name == "" {
		return 0, false
	}
	return resolveNumber(arch, name)
}

// tableArches are the architectures of the generated table (see
// gen_syscall_table.go), in a fixed order.
var tableArches = []Arch{ArchX86_64, ArchX86, ArchX32, ArchAArch64, ArchARM}

// knownArch: one of the architectures tailor can name syscalls of.
func knownArch(a Arch) bool {
	for _, k := range tableArches {
		if a == k {
			return true
		}
	}
	return false
}

// maxTableNr bounds the syscall numbers the table holds per architecture.
const maxTableNr = 1024

// NativeArch is the architecture tailor itself runs on, "" when tailor does
// not support it.
func NativeArch() Arch {
	return ArchFromName(runtime.GOARCH)
}

// CompatArchs returns the architectures whose syscalls a process on native
// can also make: 32-bit x86 and x32 on x86-64, 32-bit ARM on arm64. Missing
// ones are "".
func CompatArchs(native Arch) (compat, x32 Arch) {
	switch native {
	case ArchX86_64:
		return ArchX86, ArchX32
	case ArchAArch64:
		return ArchARM, ""
	}
	return "", ""
}

// ArchFromName reads a native architecture in any of the spellings a
// recording may carry: Go's (amd64), uname's (x86_64) or seccomp's.
func ArchFromName(name string) Arch {
	switch name {
	case "amd64", "x86_64", "x86-64", string(ArchX86_64):
		return ArchX86_64
	case "arm64", "aarch64", string(ArchAArch64):
		return ArchAArch64
	}
	return ""
}

// CloneNamespaceMask is CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER
// | NEWPID | NEWNET: the mask Docker's default profile puts on clone.
const CloneNamespaceMask = 0x7E020000
