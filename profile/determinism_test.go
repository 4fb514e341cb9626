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
	for _, p := range []*[]string{&c.PrivilegedExecs, &c.Warnings, &c.Learning.CapAdd, &c.Learning.CapDrop} {
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
		want, _, err := renderProfile(tc.rec, tc.seccompPath)
		if err != nil {
			t.Fatal(err)
		}
		for range 25 {
			got, _, err := renderProfile(shuffled(tc.rec, r), tc.seccompPath)
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
		if _, _, err := renderProfile(rec, tc.seccompPath); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(rec, before) {
			t.Errorf("%s: rendering changed the caller's Recording", tc.name)
		}
	}
}
