package diff

import (
	"testing"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/profiledir"
)

func familyRec(names ...string) *profile.Recording {
	rec := &profile.Recording{Host: profile.Host{Arch: "x86_64"}}
	for _, n := range names {
		nr, _ := profile.SyscallNumber(profile.ArchX86_64, n)
		rec.Syscalls = append(rec.Syscalls, profile.SyscallUse{Arch: profile.ArchX86_64, Name: n, Number: nr, Count: 1})
	}
	return rec
}

// Family members are one operation everywhere profiles are compared: a
// re-recording that made vfork where the baseline's run made fork (or
// unlinkat where it made unlink) is no widening, whether compared as
// profiles (diff, merge --check) or as a run against its baseline (check);
// one that made a syscall of no family of the baseline's is.
func TestFamilyMembersAreNoWidening(t *testing.T) {
	build := func(t *testing.T, rec *profile.Recording) *profiledir.Profile {
		p, err := profiledir.FromRecording("web", rec, "/profiles/web/seccomp.json")
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name     string
		old, new []string
		widening bool
		args     []profile.ArgValues // of new
	}{
		{"vfork for fork", []string{"read", "fork", "wait4", "exit_group"}, []string{"read", "vfork", "wait4", "exit_group"}, false, nil},
		{"clone for fork", []string{"read", "fork", "exit_group"}, []string{"read", "clone", "exit_group"}, false,
			[]profile.ArgValues{{Arch: profile.ArchX86_64, Syscall: "clone", Mask: profile.CloneNamespaceMask, Values: []uint64{0}}}},
		{"clone with namespaces for fork", []string{"read", "fork", "exit_group"}, []string{"read", "clone", "exit_group"}, true,
			[]profile.ArgValues{{Arch: profile.ArchX86_64, Syscall: "clone", Mask: profile.CloneNamespaceMask, Values: []uint64{0, 0x20000000}}}},
		{"clone without recorded values for fork", []string{"read", "fork", "exit_group"}, []string{"read", "clone", "exit_group"}, true, nil},
		{"openat and statx for open and stat", []string{"open", "stat", "read"}, []string{"openat", "statx", "read"}, false, nil},
		{"unlinkat for unlink", []string{"unlink", "read"}, []string{"unlinkat", "read"}, true, nil}, // unlinkat recorded may rmdir
		{"unlink for unlinkat", []string{"unlinkat", "read"}, []string{"unlink", "read"}, false, nil},
		{"rmdir after mkdir", []string{"mkdir", "read"}, []string{"mkdir", "rmdir", "read"}, false, nil},
		{"mount is no family", []string{"read"}, []string{"read", "mount"}, true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, coverage := range []bool{false, true} {
				newRec := familyRec(tc.new...)
				newRec.SyscallArgs = tc.args
				changes, err := Compare(build(t, familyRec(tc.old...)), build(t, newRec), Options{Coverage: coverage})
				if err != nil {
					t.Fatal(err)
				}
				widening := false
				for _, c := range changes {
					if c.Widening {
						widening = true
					}
				}
				if widening != tc.widening {
					t.Errorf("coverage=%v: widening = %v, want %v: %+v", coverage, widening, tc.widening, changes)
				}
			}
		})
	}
}

// A merge covers every input, families included: the merged profile of
// a shard that forked and one that cloned only with a namespace flag
// still lets clone run without one, as the first shard's profile did.
func TestMergeCoversFamiliesOfEveryInput(t *testing.T) {
	shards := map[string]*profile.Recording{
		"fork":     familyRec("fork", "read"),
		"unlink":   familyRec("unlink", "read"),
		"unlinkat": familyRec("unlinkat", "read"),
		"mkdir":    familyRec("mkdir", "read"),
		"open":     familyRec("open", "read"),
		"openat2":  familyRec("openat2", "read"),
	}
	newns := familyRec("clone", "read")
	newns.SyscallArgs = []profile.ArgValues{{Arch: profile.ArchX86_64, Syscall: "clone", Mask: profile.CloneNamespaceMask, Values: []uint64{0x20000}}}
	shards["clone with CLONE_NEWNS"] = newns
	for an, a := range shards {
		for bn, b := range shards {
			merged := profile.MergeRecordings(profile.CloneRecording(a), profile.CloneRecording(b))
			mp, err := profiledir.FromRecording("web", merged, "/profiles/web/seccomp.json")
			if err != nil {
				t.Fatal(err)
			}
			for _, in := range []*profile.Recording{a, b} {
				ip, err := profiledir.FromRecording("web", in, "/profiles/web/seccomp.json")
				if err != nil {
					t.Fatal(err)
				}
				changes, err := Compare(mp, ip, Options{})
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range changes {
					if c.Widening {
						t.Errorf("merge of %s and %s does not cover an input: %+v", an, bn, c)
					}
				}
			}
		}
	}
}
