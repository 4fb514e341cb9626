//go:build cgo

package profile

import (
	"fmt"

	libseccomp "github.com/seccomp/libseccomp-golang"
)

// LibseccompVersion is the version of the libseccomp that names syscalls.
func LibseccompVersion() string {
	major, minor, micro := libseccomp.GetLibraryVersion()
	return fmt.Sprintf("%d.%d.%d", major, minor, micro)
}

// scmpArch maps our architecture spelling to libseccomp's.
func scmpArch(arch Arch) (libseccomp.ScmpArch, bool) {
	switch arch {
	case ArchX86_64:
		return libseccomp.ArchAMD64, true
	case ArchX86:
		return libseccomp.ArchX86, true
	case ArchX32:
		return libseccomp.ArchX32, true
	case ArchAArch64:
		return libseccomp.ArchARM64, true
	case ArchARM:
		return libseccomp.ArchARM, true
	}
	return libseccomp.ArchInvalid, false
}

func resolveName(arch Arch, nr int) (string, bool) {
	sa, ok := scmpArch(arch)
	if !ok {
		return "", false
	}
	if arch == ArchX32 {
		nr |= x32SyscallBit
	}
	name, err := libseccomp.ScmpSyscall(nr).GetNameByArch(sa)
	if err != nil || name == "" {
		return "", false
	}
	return name, true
}

func resolveNumber(arch Arch, name string) (int, bool) {
	sa, ok := scmpArch(arch)
	if !ok {
		return 0, false
	}
	nr, err := libseccomp.GetSyscallFromNameByArch(name, sa)
	// A negative answer is a pseudo-syscall: libseccomp knows the name but
	// the architecture has no such syscall.
	if err != nil || nr < 0 {
		return 0, false
	}
	n := int(nr)
	if arch == ArchX32 {
		n &^= x32SyscallBit
	}
	return n, true
}
