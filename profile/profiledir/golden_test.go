package profiledir

// Golden files pin the exact bytes of every emitted file, so that any change
// in what tailor writes shows up in review. Regenerate them with
//
//	go test ./profile/profiledir -run Golden -update
//
// seccomp.json depends on the libseccomp version (which fallback syscalls it
// knows), so the version the goldens were made with is stored next to them;
// with another version, seccomp.json is not compared.

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/profiletest"
)

func TestGolden(t *testing.T) {
	versionFile := filepath.Join(profiletest.GoldenDir, "libseccomp-version")
	if *profiletest.Update {
		if err := os.MkdirAll(profiletest.GoldenDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(versionFile, []byte(profile.LibseccompVersion()+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	goldenVersion, err := os.ReadFile(versionFile)
	if err != nil {
		t.Fatalf("%v (run go test ./profile/profiledir -run Golden -update)", err)
	}
	sameLibseccomp := string(goldenVersion) == profile.LibseccompVersion()+"\n"

	for _, tc := range profiletest.TestCases(t) {
		files, line, problems, err := renderProfile(tc.Rec, tc.SeccompPath)
		if len(problems) > 0 {
			t.Errorf("%s: apparmor problems: %v", tc.Name, problems)
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.Name, err)
		}
		if strings.Contains(line, "\n") {
			t.Errorf("%s: flags line has a newline: %q", tc.Name, line)
		}
		for _, f := range files {
			t.Run(tc.Name+"/"+f.name, func(t *testing.T) {
				path := filepath.Join(profiletest.GoldenDir, tc.Name, f.name)
				if *profiletest.Update {
					if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, f.data, 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				if f.name == profile.SeccompFile && !sameLibseccomp {
					t.Skipf("goldens were made with libseccomp %s, this is %s",
						strings.TrimSpace(string(goldenVersion)), strings.TrimSpace(profile.LibseccompVersion()+"\n"))
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test ./profile/profiledir -run Golden -update)", err)
				}
				if !bytes.Equal(f.data, want) {
					t.Errorf("%s differs from the golden file (run with -update if intended)\ngot:\n%s\nwant:\n%s",
						path, f.data, want)
				}
			})
		}
	}
}
