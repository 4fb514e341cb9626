package profile_test

import (
	"testing"

	"github.com/tailorsec/tailor/profile"
)

func loadTestProfile(t *testing.T, dir string) *profile.Profile {
	t.Helper()
	p, err := profile.LoadProfileDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
