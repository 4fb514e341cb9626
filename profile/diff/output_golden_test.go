package diff

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	moby "github.com/moby/profiles/seccomp"
	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/profiledir"
	"github.com/tailorsec/tailor/profile/profiletest"
	"github.com/tailorsec/tailor/profile/seccomp"
)

func loadTestProfile(t *testing.T, dir string) *profiledir.Profile {
	t.Helper()
	p, err := profiledir.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestGoldenDiffOutput(t *testing.T) {
	r, err := Paths("testdata/diff/v1", "testdata/diff/v2", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Widening {
		t.Error("v1 -> v2 widens")
	}
	var text, colour bytes.Buffer
	r.WriteText(&text, false)
	profiletest.CheckGolden(t, "diff-v1-v2.txt", text.Bytes())
	r.WriteText(&colour, true)
	if !strings.Contains(colour.String(), "\x1b[31m") || strings.Contains(text.String(), "\x1b") {
		t.Error("colour only when asked")
	}
	js, err := Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	profiletest.CheckGolden(t, "diff-v1-v2.json", js)

	back, err := Paths("testdata/diff/v2/web", "testdata/diff/v1/web", Options{})
	if err != nil {
		t.Fatal(err)
	}
	text.Reset()
	back.WriteText(&text, false)
	profiletest.CheckGolden(t, "diff-v2-v1-web.txt", text.Bytes())
	// Back from v2 to v1 narrows everything but v1's CAP_SETUID.
	for _, c := range back.Changes {
		if c.Widening && !strings.Contains(strings.ToLower(c.Subject), "setuid") {
			t.Errorf("widening going back: %+v", c)
		}
	}

	// Docker's default profile against a tailored one: Docker's grants
	// far more, the tailored one nothing Docker's does not.
	def, err := seccomp.Marshal(moby.DefaultProfile())
	if err != nil {
		t.Fatal(err)
	}
	defPath := filepath.Join(t.TempDir(), "docker-default.json")
	os.WriteFile(defPath, def, 0o644)
	toDefault, err := Paths("testdata/diff/v1/web/seccomp.json", defPath, Options{Arch: profile.ArchX86_64})
	if err != nil {
		t.Fatal(err)
	}
	toDefault.New = "docker-default.json"
	text.Reset()
	toDefault.WriteText(&text, false)
	profiletest.CheckGolden(t, "diff-web-docker-default.txt", text.Bytes())
	fromDefault, err := Paths(defPath, "testdata/diff/v1/web/seccomp.json", Options{Arch: profile.ArchX86_64})
	if err != nil {
		t.Fatal(err)
	}
	if fromDefault.Widening {
		t.Errorf("the tailored profile grants something Docker's default does not: %+v", fromDefault.Changes)
	}
}
