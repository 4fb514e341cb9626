package profile

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/profiles/seccomp"
)

const outputGoldenDir = "testdata/golden-out"

// checkGolden compares got with testdata/golden-out/name (rewritten with
// -update). Absolute paths of the test data read "$TESTDATA".
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	abs, _ := filepath.Abs("testdata")
	got = bytes.ReplaceAll(got, []byte(abs), []byte("$TESTDATA"))
	path := filepath.Join(outputGoldenDir, name)
	if *update {
		if err := os.MkdirAll(outputGoldenDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./profile -run Golden -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update if intended)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

func loadTestProfile(t *testing.T, dir string) *Profile {
	t.Helper()
	p, err := LoadProfileDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestGoldenDiffOutput(t *testing.T) {
	r, err := DiffPaths("testdata/diff/v1", "testdata/diff/v2", CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Widening {
		t.Error("v1 -> v2 widens")
	}
	var text, colour bytes.Buffer
	r.WriteText(&text, false)
	checkGolden(t, "diff-v1-v2.txt", text.Bytes())
	r.WriteText(&colour, true)
	if !strings.Contains(colour.String(), "\x1b[31m") || strings.Contains(text.String(), "\x1b") {
		t.Error("colour only when asked")
	}
	js, err := MarshalDiff(r)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "diff-v1-v2.json", js)

	back, err := DiffPaths("testdata/diff/v2/web", "testdata/diff/v1/web", CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	text.Reset()
	back.WriteText(&text, false)
	checkGolden(t, "diff-v2-v1-web.txt", text.Bytes())
	// Back from v2 to v1 narrows everything but v1's CAP_SETUID.
	for _, c := range back.Changes {
		if c.Widening && !strings.Contains(strings.ToLower(c.Subject), "setuid") {
			t.Errorf("widening going back: %+v", c)
		}
	}

	// Docker's default profile against a tailored one: Docker's grants
	// far more, the tailored one nothing Docker's does not.
	def, err := MarshalSeccomp(seccomp.DefaultProfile())
	if err != nil {
		t.Fatal(err)
	}
	defPath := filepath.Join(t.TempDir(), "docker-default.json")
	os.WriteFile(defPath, def, 0o644)
	toDefault, err := DiffPaths("testdata/diff/v1/web/seccomp.json", defPath, CompareOptions{Arch: ArchX86_64})
	if err != nil {
		t.Fatal(err)
	}
	toDefault.New = "docker-default.json"
	text.Reset()
	toDefault.WriteText(&text, false)
	checkGolden(t, "diff-web-docker-default.txt", text.Bytes())
	fromDefault, err := DiffPaths(defPath, "testdata/diff/v1/web/seccomp.json", CompareOptions{Arch: ArchX86_64})
	if err != nil {
		t.Fatal(err)
	}
	if fromDefault.Widening {
		t.Errorf("the tailored profile grants something Docker's default does not: %+v", fromDefault.Changes)
	}
}
