package convert

import (
	"testing"

	"github.com/tailorsec/tailor/profile/profiledir"
)

func loadTestProfile(t *testing.T, dir string) *profiledir.Profile {
	t.Helper()
	p, err := profiledir.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
