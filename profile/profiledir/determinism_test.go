package profiledir

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/profiletest"
)

// shuffled returns a deep copy of rec with every slice in a random order.
func shuffled(rec *profile.Recording, r *rand.Rand) *profile.Recording {
	c := *rec
	shuffle := func(n int, swap func(i, j int)) { r.Shuffle(n, swap) }

	c.Syscalls = append([]profile.SyscallUse(nil), rec.Syscalls...)
	shuffle(len(c.Syscalls), reflect.Swapper(c.Syscalls))
	c.Capabilities = append([]profile.CapabilityUse(nil), rec.Capabilities...)
	for i := range c.Capabilities {
		s := append([]string(nil), c.Capabilities[i].Syscalls...)
		shuffle(len(s), reflect.Swapper(s))
		c.Capabilities[i].Syscalls = s
	}
	shuffle(len(c.Capabilities), reflect.Swapper(c.Capabilities))
	c.Files = append([]profile.FileAccess(nil), rec.Files...)
	for i := range c.Files {
		a := append([]string(nil), c.Files[i].Access...)
		shuffle(len(a), reflect.Swapper(a))
		c.Files[i].Access = a
	}
	shuffle(len(c.Files), reflect.Swapper(c.Files))
	c.Sockets = append([]profile.SocketUse(nil), rec.Sockets...)
	shuffle(len(c.Sockets), reflect.Swapper(c.Sockets))
	c.Mounts = append([]profile.MountUse(nil), rec.Mounts...)
	shuffle(len(c.Mounts), reflect.Swapper(c.Mounts))
	c.ContainerMounts = append([]profile.ContainerMount(nil), rec.ContainerMounts...)
	shuffle(len(c.ContainerMounts), reflect.Swapper(c.ContainerMounts))
	for _, p := range []*[]string{&c.PrivilegedExecs, &c.Warnings, &c.Learning.CapAdd, &c.Learning.CapDrop, &c.SignalsSent, &c.Ptrace} {
		s := append([]string(nil), (*p)...)
		shuffle(len(s), reflect.Swapper(s))
		*p = s
	}
	return &c
}

func TestShuffledInputGivesIdenticalOutput(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range profiletest.TestCases(t) {
		tc.Rec.PrivilegedExecs = append(tc.Rec.PrivilegedExecs, "/bin/su", "/usr/bin/newgrp")
		tc.Rec.Warnings = append(tc.Rec.Warnings, "b", "a", "b")
		// Duplicates, split entries of one path: merged by Normalize.
		tc.Rec.Files = append(tc.Rec.Files, profile.FileAccess{Path: "/tmp/dup", Access: []string{profile.AccessRead}},
			profile.FileAccess{Path: "/tmp/dup", Access: []string{profile.AccessWrite, profile.AccessRead}})
		tc.Rec.Sockets = append(tc.Rec.Sockets, profile.SocketUse{Family: "inet", Type: "stream"})
		tc.Rec.SignalsSent = append(tc.Rec.SignalsSent, "term", "hup")
		want, _, _, err := renderProfile(tc.Rec, tc.SeccompPath)
		if err != nil {
			t.Fatal(err)
		}
		for range 25 {
			got, _, _, err := renderProfile(shuffled(tc.Rec, r), tc.SeccompPath)
			if err != nil {
				t.Fatal(err)
			}
			for i := range want {
				if !bytes.Equal(got[i].data, want[i].data) {
					t.Fatalf("%s: %s depends on input order:\n%s\nvs\n%s",
						tc.Name, want[i].name, got[i].data, want[i].data)
				}
			}
		}
	}
}

func TestEmittersDoNotChangeTheRecording(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, tc := range profiletest.TestCases(t) {
		rec := shuffled(tc.Rec, r)
		before := profile.CloneRecording(rec)
		if _, _, _, err := renderProfile(rec, tc.SeccompPath); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(rec, before) {
			t.Errorf("%s: rendering changed the caller's Recording", tc.Name)
		}
	}
}
