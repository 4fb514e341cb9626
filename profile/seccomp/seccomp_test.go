package seccomp

import (
	"bytes"
	"slices"
	"testing"

	moby "github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/internal/sets"
	"github.com/tailorsec/tailor/profile/profiletest"
)

func rulesWith(oci *specs.LinuxSeccomp, action specs.LinuxSeccompAction, errno uint) []string {
	var names []string
	for _, r := range oci.Syscalls {
		if r.Action != action {
			continue
		}
		if action == specs.ActErrno && (r.ErrnoRet == nil || *r.ErrnoRet != errno) {
			continue
		}
		names = append(names, r.Names...)
	}
	return names
}

func TestDockerLoadsGeneratedProfiles(t *testing.T) {
	cases := profiletest.TestCases(t)
	cases = append(cases, profiletest.TestCase{Name: "empty", Rec: &profile.Recording{Host: profile.Host{Arch: "x86_64"}}})
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			caps := profile.Capabilities(tc.Rec)
			data, err := Marshal(New(tc.Rec))
			if err != nil {
				t.Fatal(err)
			}
			oci := profiletest.LoadWithDocker(t, data, caps.Add)

			if oci.DefaultAction != specs.ActErrno || oci.DefaultErrnoRet == nil || *oci.DefaultErrnoRet != ErrnoEPERM {
				t.Errorf("default action = %s/%v, want SCMP_ACT_ERRNO/EPERM", oci.DefaultAction, oci.DefaultErrnoRet)
			}
			allowed := rulesWith(oci, specs.ActAllow, 0)
			for _, s := range tc.Rec.Syscalls {
				if s.Name != "" && !slices.Contains(allowed, s.Name) {
					t.Errorf("recorded %s is not allowed", s.Name)
				}
			}
			// A syscall is either allowed with any arguments (once) or with
			// recorded argument values (an entry per value), never both.
			var unconditional, restricted []string
			for _, r := range oci.Syscalls {
				if r.Action != specs.ActAllow {
					continue
				}
				if len(r.Args) == 0 {
					unconditional = append(unconditional, r.Names...)
				} else {
					restricted = append(restricted, r.Names...)
				}
			}
			if len(unconditional) != len(sets.Sorted(unconditional)) {
				t.Errorf("unconditionally allowed names are not unique: %v", unconditional)
			}
			for _, n := range restricted {
				if slices.Contains(unconditional, n) {
					t.Errorf("%s is allowed both with any arguments and with recorded ones", n)
				}
			}
			enosys := rulesWith(oci, specs.ActErrno, errnoENOSYS)
			for _, name := range enosys {
				if slices.Contains(allowed, name) {
					t.Errorf("%s is both allowed and answered ENOSYS", name)
				}
			}
			if !slices.Contains(allowed, "clone3") && !slices.Contains(enosys, "clone3") {
				t.Errorf("clone3 not recorded but not answered ENOSYS: threads would break")
			}
			// Every name must be one libseccomp (so runc) can compile.
			for _, r := range oci.Syscalls {
				for _, name := range r.Names {
					if !knownOnAny(name, []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32, specs.ArchAARCH64, specs.ArchARM}) {
						t.Errorf("%s is unknown to libseccomp", name)
					}
				}
			}
		})
	}
}

func TestSeccompArchitectures(t *testing.T) {
	for _, tc := range []struct {
		name string
		rec  *profile.Recording
		want []specs.Arch
	}{
		{"native only", &profile.Recording{Host: profile.Host{Arch: "x86_64"}, Syscalls: []profile.SyscallUse{
			{Arch: profile.ArchX86_64, Name: "read"}}}, []specs.Arch{specs.ArchX86_64}},
		{"x86 and x32 compat", &profile.Recording{Host: profile.Host{Arch: "x86_64"}, Syscalls: []profile.SyscallUse{
			{Arch: profile.ArchX32, Name: "read"}, {Arch: profile.ArchX86, Name: "read"}, {Arch: profile.ArchX86_64, Name: "read"}}},
			[]specs.Arch{specs.ArchX86_64, specs.ArchX32, specs.ArchX86}}, // native, then sorted
		{"arm64 with arm", &profile.Recording{Host: profile.Host{Arch: "aarch64"}, Syscalls: []profile.SyscallUse{
			{Arch: profile.ArchARM, Name: "read"}, {Arch: profile.ArchAArch64, Name: "read"}}},
			[]specs.Arch{specs.ArchAARCH64, specs.ArchARM}},
		{"native inferred from compat syscalls", &profile.Recording{Syscalls: []profile.SyscallUse{
			{Arch: profile.ArchX86, Name: "socketcall"}}}, []specs.Arch{specs.ArchX86_64, specs.ArchX86}},
	} {
		got := New(tc.rec).Architectures
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: architectures = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestSeccompErrnoRules(t *testing.T) {
	rec := &profile.Recording{Host: profile.Host{Arch: "x86_64"}, Syscalls: []profile.SyscallUse{
		{Arch: profile.ArchX86_64, Name: "read"},
		{Arch: profile.ArchX86_64, Name: "statx"},
		{Arch: profile.ArchX86_64, Number: 463}, // unknown: skipped, not an empty name
	}}
	p := NewExact(rec) // without statx's family, whose members would have their own rule
	if len(p.Syscalls) != 2 {
		t.Fatalf("want an allow rule and an ENOSYS rule, got %d rules", len(p.Syscalls))
	}
	if got := p.Syscalls[0].Names; !slices.Equal(got, []string{"read", "restart_syscall", "rt_sigreturn", "statx"}) {
		t.Errorf("allowed = %v", got)
	}
	nosys := p.Syscalls[1]
	if nosys.Action != specs.ActErrno || *nosys.ErrnoRet != errnoENOSYS {
		t.Fatalf("second rule = %s/%d, want ENOSYS", nosys.Action, *nosys.ErrnoRet)
	}
	if slices.Contains(nosys.Names, "statx") {
		t.Error("recorded statx is answered ENOSYS")
	}
	for _, name := range []string{"clone3", "openat2", "rseq", "faccessat2"} {
		if !slices.Contains(nosys.Names, name) {
			t.Errorf("%s not answered ENOSYS", name)
		}
	}
	if !slices.IsSorted(nosys.Names) {
		t.Errorf("ENOSYS names not sorted: %v", nosys.Names)
	}
	for _, name := range nosys.Names {
		if _, ok := profile.SyscallNumber(profile.ArchX86_64, name); !ok {
			t.Errorf("%s is unknown to libseccomp on x86_64 but listed", name)
		}
	}
}

// Docker's default profile gives clone3 ENOSYS; whatever other non-EPERM
// answers it has must be carried over the same way.
func TestSeccompCarriesOverDockerErrnos(t *testing.T) {
	p := New(&profile.Recording{Host: profile.Host{Arch: "x86_64"}})
	got := map[uint][]string{}
	for _, r := range p.Syscalls {
		if r.Action == specs.ActErrno {
			got[*r.ErrnoRet] = append(got[*r.ErrnoRet], r.Names...)
		}
	}
	for _, r := range moby.DefaultProfile().Syscalls {
		if r.Action != specs.ActErrno || r.ErrnoRet == nil || *r.ErrnoRet == ErrnoEPERM {
			continue
		}
		for _, name := range r.Names {
			if knownOnAny(name, p.Architectures) && !slices.Contains(got[*r.ErrnoRet], name) {
				t.Errorf("Docker answers %s with errno %d, the profile does not", name, *r.ErrnoRet)
			}
		}
	}
}

func TestMarshalHasNoArchMap(t *testing.T) {
	data, err := Marshal(New(profiletest.NginxRecording(t)))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte(`"archMap"`)) {
		t.Error("profile has an archMap")
	}
	if data[len(data)-1] != '\n' {
		t.Error("no final newline")
	}
}

// Signal returns happen when the kernel decides (a signal lands), so a
// learning run may or may not see them; a profile without them crashes the
// container the first time a signal handler returns.
func TestSeccompAllowsKernelDrivenSyscalls(t *testing.T) {
	rec := &profile.Recording{Host: profile.Host{Arch: "amd64"}, Syscalls: []profile.SyscallUse{{Arch: profile.ArchX86_64, Name: "read", Number: 0, Count: 1}}}
	allowed := allowedNames(New(rec))
	for _, name := range []string{"rt_sigreturn", "restart_syscall", "read"} {
		if !slices.Contains(allowed, name) {
			t.Errorf("%s not allowed: %v", name, allowed)
		}
	}
	if slices.Contains(allowed, "sigreturn") {
		t.Errorf("sigreturn exists only for 32-bit code, but the profile has no 32-bit architecture: %v", allowed)
	}
	rec.Syscalls = append(rec.Syscalls, profile.SyscallUse{Arch: profile.ArchX86, Name: "read", Number: 3, Count: 1})
	if allowed := allowedNames(New(rec)); !slices.Contains(allowed, "sigreturn") {
		t.Errorf("32-bit code needs sigreturn: %v", allowed)
	}
}

func allowedNames(p *moby.Seccomp) []string {
	var out []string
	for _, s := range p.Syscalls {
		if s.Action == specs.ActAllow {
			out = append(out, s.Names...)
		}
	}
	return out
}
