package profiletest

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

// Update is the -update flag of every test binary that imports this
// package: golden files are rewritten instead of compared.
var Update = new(bool)

// TRANSITIONAL: profile's own golden test still defines -update.
func init() {
	if flag.Lookup("update") == nil {
		flag.BoolVar(Update, "update", false, "rewrite the golden files in testdata")
	}
}

// GoldenDir holds the profile directory each of TestCases renders to. The
// golden files stay in profile/testdata; each package whose tests read
// them has a testdata symlink to it, so the paths the tests name (and the
// $TESTDATA the outputs are pinned with) are the same in every package.
const GoldenDir = "testdata/golden"

// OutputGoldenDir holds the goldens of diff and convert output.
const OutputGoldenDir = "testdata/golden-out"

// CheckGolden compares got with testdata/golden-out/name (rewritten with
// -update). Absolute paths of the test data read "$TESTDATA".
func CheckGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	abs, _ := filepath.Abs("testdata")
	got = bytes.ReplaceAll(got, []byte(abs), []byte("$TESTDATA"))
	path := filepath.Join(OutputGoldenDir, name)
	if *Update {
		if err := os.MkdirAll(OutputGoldenDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./profile/... -run Golden -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update if intended)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}
