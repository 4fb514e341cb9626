package profile

import (
	"runtime"
	"testing"
)

func TestSyscallName(t *testing.T) {
	for _, tc := range []struct {
		arch Arch
		nr   int
		want string
		ok   bool
	}{
		{ArchX86_64, 0, "read", true},
		{ArchX86_64, 59, "execve", true},
		{ArchX86, 102, "socketcall", true},
		{ArchX86, 3, "read", true},
		{ArchX32, 0, "read", true}, // recorded without __X32_SYSCALL_BIT
		{ArchX32, x32SyscallBit | 1, "write", true},
		{ArchAArch64, 63, "read", true},
		{ArchARM, 3, "read", true},
		{ArchX86, -101, "", false}, // a pseudo-syscall number, not a syscall
		{ArchX86_64, 100000, "", false},
		{"SCMP_ARCH_PPC64LE", 0, "", false},
		{"", 0, "", false},
	} {
		got, ok := SyscallName(tc.arch, tc.nr)
		if got != tc.want || ok != tc.ok {
			t.Errorf("SyscallName(%s, %d) = %q, %v; want %q, %v", tc.arch, tc.nr, got, ok, tc.want, tc.ok)
		}
	}
}

func TestSyscallNumber(t *testing.T) {
	for _, tc := range []struct {
		arch Arch
		name string
		want int
		ok   bool
	}{
		{ArchX86_64, "read", 0, true},
		{ArchX86_64, "clone3", 435, true},
		{ArchX86, "socketcall", 102, true},
		{ArchX32, "read", 0, true}, // returned without __X32_SYSCALL_BIT
		{ArchX32, "clone3", 435, true},
		{ArchAArch64, "openat", 56, true},
		{ArchX86_64, "socketcall", 0, false}, // pseudo-syscall on x86-64
		{ArchAArch64, "open", 0, false},      // arm64 only has openat
		{ArchX86_64, "no_such_syscall", 0, false},
		{ArchX86_64, "", 0, false},
		{"SCMP_ARCH_MIPS", "read", 0, false},
	} {
		got, ok := SyscallNumber(tc.arch, tc.name)
		if got != tc.want || ok != tc.ok {
			t.Errorf("SyscallNumber(%s, %q) = %d, %v; want %d, %v", tc.arch, tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

func TestSyscallNameNumberRoundTrip(t *testing.T) {
	for _, arch := range []Arch{ArchX86_64, ArchX86, ArchX32, ArchAArch64, ArchARM} {
		named := 0
		for nr := 0; nr < 600; nr++ {
			name, ok := SyscallName(arch, nr)
			if !ok {
				continue
			}
			named++
			back, ok := SyscallNumber(arch, name)
			if !ok && arch == ArchX86 && (nr >= 337 && nr <= 402) {
				// socketcall/ipc multiplexed on x86: libseccomp answers
				// their names with pseudo numbers (see SyscallNumber).
				continue
			}
			if !ok || back != nr {
				t.Errorf("%s: %d -> %s -> %d, %v", arch, nr, name, back, ok)
			}
		}
		if named < 250 {
			t.Errorf("%s: only %d syscalls named", arch, named)
		}
	}
}

func TestNativeAndCompatArchs(t *testing.T) {
	want := map[string]Arch{"amd64": ArchX86_64, "arm64": ArchAArch64}[runtime.GOARCH]
	if got := NativeArch(); got != want {
		t.Errorf("NativeArch() = %q on %s, want %q", got, runtime.GOARCH, want)
	}
	for _, tc := range []struct{ native, compat, x32 Arch }{
		{ArchX86_64, ArchX86, ArchX32},
		{ArchAArch64, ArchARM, ""},
		{ArchX86, "", ""},
		{"", "", ""},
	} {
		compat, x32 := CompatArchs(tc.native)
		if compat != tc.compat || x32 != tc.x32 {
			t.Errorf("CompatArchs(%q) = %q, %q; want %q, %q", tc.native, compat, x32, tc.compat, tc.x32)
		}
	}
}

// The table that builds without cgo use must say what libseccomp says.
func TestSyscallTableMatchesLibseccomp(t *testing.T) {
	for _, arch := range tableArches {
		names := syscallNames[arch]
		for nr := 0; nr < maxTableNr; nr++ {
			want, ok := SyscallName(arch, nr)
			got := ""
			if nr < len(names) {
				got = names[nr]
			}
			if ok && got != want || !ok && got != "" {
				t.Fatalf("%s %d: table %q, libseccomp %q (run make generate)", arch, nr, got, want)
			}
		}
		for name, nr := range syscallNumbers[arch] {
			if want, ok := SyscallNumber(arch, name); !ok || want != nr {
				t.Fatalf("%s %s: table %d, libseccomp %d %v (run make generate)", arch, name, nr, want, ok)
			}
		}
	}
}
