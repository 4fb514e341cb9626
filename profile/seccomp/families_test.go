package seccomp

import (
	"slices"
	"testing"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/change"
	"github.com/tailorsec/tailor/profile/profiletest"
)

func allows(p *Policy, name string, args map[uint]uint64) bool {
	sp := p.Syscalls[name]
	if sp == nil {
		return false
	}
	if sp.Any {
		return true
	}
	if len(sp.Allow) > 0 {
		return slices.ContainsFunc(sp.Allow, func(m ArgMatch) bool { return m.holds(args) })
	}
	return !slices.ContainsFunc(sp.Except, func(m ArgMatch) bool { return m.holds(args) })
}

func familyRecording(names ...string) *profile.Recording {
	rec := &profile.Recording{Host: profile.Host{Arch: "x86_64"}}
	for _, n := range names {
		nr, _ := profile.SyscallNumber(profile.ArchX86_64, n)
		rec.Syscalls = append(rec.Syscalls, profile.SyscallUse{Arch: profile.ArchX86_64, Name: n, Number: nr, Count: 1})
	}
	return rec
}

// What New allows beyond NewExact is exactly Generalized's names, each
// without a namespace flag, a socket family or a removal the recording's
// families do not bring.
func TestGeneralizedProfileAddsOnlyFamilies(t *testing.T) {
	const (
		cloneNewUser = 0x10000000
		sigchld      = 17
		afPacket     = 17
	)
	recs := map[string]*profile.Recording{
		"fork only":      familyRecording("fork", "wait4", "read", "exit_group"),
		"unlink only":    familyRecording("unlink", "read"),
		"clone3 only":    familyRecording("clone3", "read"),
		"nginx":          profiletest.NginxRecording(t),
		"socket as used": familyRecording("socket", "read"),
	}
	recs["socket as used"].SyscallArgs = []profile.ArgValues{{Arch: profile.ArchX86_64, Syscall: "socket", Values: []uint64{2}}}
	for name, rec := range recs {
		t.Run(name, func(t *testing.T) {
			env := Env{Arch: profile.ArchX86_64}
			exact, err := Evaluate(NewExact(rec), env)
			if err != nil {
				t.Fatal(err)
			}
			gen, err := Evaluate(New(rec), env)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, g := range Generalized(rec) {
				want = append(want, g.Name)
			}
			var got []string
			for _, c := range Compare(exact, gen) {
				if c.Widening && c.Kind == change.KindSyscall {
					got = append(got, c.Subject)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("New widens NewExact by %v, Generalized says %v", got, want)
			}
			if allows(gen, "clone", map[uint]uint64{0: cloneNewUser | sigchld}) && !allows(exact, "clone", map[uint]uint64{0: cloneNewUser | sigchld}) {
				t.Error("a family let clone make a user namespace")
			}
			if allows(gen, "socket", map[uint]uint64{0: afPacket}) && !allows(exact, "socket", map[uint]uint64{0: afPacket}) {
				t.Error("a family let socket open AF_PACKET")
			}
			if allows(gen, "clone3", nil) && !allows(exact, "clone3", nil) {
				t.Error("a family allowed clone3")
			}
		})
	}
	gen, _ := Evaluate(New(recs["fork only"]), Env{Arch: profile.ArchX86_64})
	if !allows(gen, "vfork", nil) || !allows(gen, "clone", map[uint]uint64{0: sigchld}) {
		t.Error("fork did not bring vfork and clone without namespaces")
	}
	gen, _ = Evaluate(New(recs["unlink only"]), Env{Arch: profile.ArchX86_64})
	if !allows(gen, "unlinkat", map[uint]uint64{2: 0}) || allows(gen, "unlinkat", map[uint]uint64{2: profile.ATRemovedir}) {
		t.Error("unlink must bring unlinkat without AT_REMOVEDIR only")
	}
}
