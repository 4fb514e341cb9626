package seccomp

import (
	"slices"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/profiletest"
)

func argRecording(args ...profile.ArgValues) *profile.Recording {
	rec := &profile.Recording{Host: profile.Host{Arch: "amd64"}}
	for _, name := range []string{"read", "clone", "clone3", "socket", "ioctl", "prctl"} {
		nr, _ := profile.SyscallNumber(profile.ArchX86_64, name)
		rec.Syscalls = append(rec.Syscalls, profile.SyscallUse{Arch: profile.ArchX86_64, Name: name, Number: nr, Count: 1})
	}
	rec.SyscallArgs = args
	return rec
}

// entriesFor lists the allow entries of one syscall and whether it is also
// allowed unconditionally.
func entriesFor(t *testing.T, rec *profile.Recording, name string) (args [][]specs.LinuxSeccompArg, unconditional bool, errno *uint) {
	t.Helper()
	for _, s := range New(rec).Syscalls {
		if !slices.Contains(s.Names, name) {
			continue
		}
		switch {
		case s.Action == specs.ActAllow && len(s.Args) == 0:
			unconditional = true
		case s.Action == specs.ActAllow:
			args = append(args, s.Args)
		case s.Action == specs.ActErrno:
			errno = s.ErrnoRet
		}
	}
	return args, unconditional, errno
}

func TestArgRules(t *testing.T) {
	many := make([]uint64, ArgRuleMaxValues+1)
	for i := range many {
		many[i] = uint64(0x5400 + i)
	}
	rec := argRecording(
		profile.ArgValues{Arch: profile.ArchX86_64, Syscall: "clone", Index: 0, Mask: profile.CloneNamespaceMask, Values: []uint64{0}},
		profile.ArgValues{Arch: profile.ArchX86_64, Syscall: "socket", Index: 0, Values: []uint64{1, 2, 10}},
		profile.ArgValues{Arch: profile.ArchX86_64, Syscall: "ioctl", Index: 1, Values: many},
		profile.ArgValues{Arch: profile.ArchX86_64, Syscall: "prctl", Index: 0, Values: []uint64{8, 24}, Overflow: true},
		profile.ArgValues{Arch: profile.ArchX86_64, Syscall: "clone3", Field: "flags", Mask: 0x7E020080, Values: []uint64{0}},
	)

	args, uncond, _ := entriesFor(t, rec, "clone")
	if uncond || len(args) != 1 || args[0][0] != (specs.LinuxSeccompArg{Index: 0, Value: profile.CloneNamespaceMask, ValueTwo: 0, Op: specs.OpMaskedEqual}) {
		t.Errorf("clone: args %v unconditional %v, want Docker's namespace mask", args, uncond)
	}
	args, uncond, _ = entriesFor(t, rec, "socket")
	if uncond || len(args) != 3 {
		t.Errorf("socket: %v unconditional %v, want one rule per family", args, uncond)
	}
	if _, uncond, _ = entriesFor(t, rec, "ioctl"); !uncond {
		t.Errorf("ioctl with %d values should be allowed unconditionally", len(many))
	}
	if _, uncond, _ = entriesFor(t, rec, "prctl"); !uncond {
		t.Error("prctl with overflowing values should be allowed unconditionally")
	}
	if args, uncond, errno := entriesFor(t, rec, "clone3"); uncond || len(args) > 0 || errno == nil || *errno != 38 {
		t.Errorf("clone3 without namespaces: args %v unconditional %v errno %v, want ENOSYS", args, uncond, errno)
	}

	// Docker's own loader takes the argument rules, and the OCI profile
	// keeps them.
	data, err := Marshal(New(rec))
	if err != nil {
		t.Fatal(err)
	}
	oci := profiletest.LoadWithDocker(t, data, profile.DockerDefaultCapabilities())
	found := 0
	for _, s := range oci.Syscalls {
		if slices.Contains(s.Names, "socket") && len(s.Args) == 1 && s.Args[0].Op == specs.OpEqualTo {
			found++
		}
	}
	if found != 3 {
		t.Errorf("Docker's loader kept %d socket rules, want 3", found)
	}

	verdicts := map[string]string{}
	for _, r := range ArgRules(rec) {
		verdicts[r.Syscall] = r.Rule
	}
	want := map[string]string{"clone": ArgRuleExact, "socket": ArgRuleExact, "ioctl": ArgRuleAny, "prctl": ArgRuleAny, "clone3": ArgRuleENOSYS}
	for k, v := range want {
		if verdicts[k] != v {
			t.Errorf("verdict for %s = %q, want %q", k, verdicts[k], v)
		}
	}
}

// clone3 asked for namespaces: seccomp cannot check its flags in memory,
// so it stays allowed; a clone3 ENOSYS needs clone allowed for the fallback.
func TestClone3Fallback(t *testing.T) {
	rec := argRecording(profile.ArgValues{Arch: profile.ArchX86_64, Syscall: "clone3", Field: "flags", Mask: 0x7E020080, Values: []uint64{0x10000000}})
	if _, uncond, _ := entriesFor(t, rec, "clone3"); !uncond {
		t.Error("clone3 with CLONE_NEWUSER must stay allowed")
	}
	rec = argRecording(profile.ArgValues{Arch: profile.ArchX86_64, Syscall: "clone3", Field: "flags", Mask: 0x7E020080, Values: []uint64{0}})
	rec.Syscalls = slices.DeleteFunc(rec.Syscalls, func(s profile.SyscallUse) bool { return s.Name == "clone" })
	args, uncond, _ := entriesFor(t, rec, "clone")
	if uncond || len(args) != 1 || args[0][0].Op != specs.OpMaskedEqual {
		t.Errorf("clone fallback: %v %v, want clone allowed without namespaces", args, uncond)
	}
}

// Values of a syscall also made by 32-bit code are incomplete: no rule.
func TestArgRulesSkipCompat(t *testing.T) {
	rec := argRecording(profile.ArgValues{Arch: profile.ArchX86_64, Syscall: "socket", Index: 0, Values: []uint64{2}})
	rec.Syscalls = append(rec.Syscalls, profile.SyscallUse{Arch: profile.ArchX86, Name: "socket", Number: 359, Count: 1})
	if _, uncond, _ := entriesFor(t, rec, "socket"); !uncond {
		t.Error("socket made by 32-bit code too must stay unconditional")
	}
}
