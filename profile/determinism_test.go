package profile

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"testing"
)

// shuffled returns a deep copy of rec with every slice in a random order.
func shuffled(rec *Recording, r *rand.Rand) *Recording {
	c := *rec
	shuffle := func(n int, swap func(i, j int)) { r.Shuffle(n, swap) }

	c.Syscalls = append([]SyscallUse(nil), rec.Syscalls...)
	shuffle(len(c.Syscalls), reflect.Swapper(c.Syscalls))
	c.Capabilities = append([]CapabilityUse(nil), rec.Capabilities...)
	for i := range c.Capabilities {
		s := append([]string(nil), c.Capabilities[i].Syscalls...)
		shuffle(len(s), reflect.Swapper(s))
		c.Capabilities[i].Syscalls = s
	}
	shuffle(len(c.Capabilities), reflect.Swapper(c.Capabilities))
	c.Files = append([]FileAccess(nil), rec.Files...)
	for i := range c.Files {
		a := append([]string(nil), c.Files[i].Access...)
		shuffle(len(a), reflect.Swapper(a))
		c.Files[i].Access = a
	}
	shuffle(len(c.Files), reflect.Swapper(c.Files))
	c.Sockets = append([]SocketUse(nil), rec.Sockets...)
	shuffle(len(c.Sockets), reflect.Swapper(c.Sockets))
	c.Mounts = append([]MountUse(nil), rec.Mounts...)
	shuffle(len(c.Mounts), reflect.Swapper(c.Mounts))
	c.ContainerMounts = append([]ContainerMount(nil), rec.ContainerMounts...)
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
	for _, tc := range testCases(t) {
		tc.rec.PrivilegedExecs = append(tc.rec.PrivilegedExecs, "/bin/su", "/usr/bin/newgrp")
		tc.rec.Warnings = append(tc.rec.Warnings, "b", "a", "b")
		// Duplicates, split entries of one path: merged by Normalize.
		tc.rec.Files = append(tc.rec.Files, FileAccess{Path: "/tmp/dup", Access: []string{AccessRead}},
			FileAccess{Path: "/tmp/dup", Access: []string{AccessWrite, AccessRead}})
		tc.rec.Sockets = append(tc.rec.Sockets, SocketUse{Family: "inet", Type: "stream"})
		tc.rec.SignalsSent = append(tc.rec.SignalsSent, "term", "hup")
		want, _, _, err := renderProfile(tc.rec, tc.seccompPath)
		if err != nil {
			t.Fatal(err)
		}
		for range 25 {
			got, _, _, err := renderProfile(shuffled(tc.rec, r), tc.seccompPath)
			if err != nil {
				t.Fatal(err)
			}
			for i := range want {
				if !bytes.Equal(got[i].data, want[i].data) {
					t.Fatalf("%s: %s depends on input order:\n%s\nvs\n%s",
						tc.name, want[i].name, got[i].data, want[i].data)
				}
			}
		}
	}
}

func TestEmittersDoNotChangeTheRecording(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, tc := range testCases(t) {
		rec := shuffled(tc.rec, r)
		before := cloneRecording(rec)
		if _, _, _, err := renderProfile(rec, tc.seccompPath); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(rec, before) {
			t.Errorf("%s: rendering changed the caller's Recording", tc.name)
		}
	}
}
