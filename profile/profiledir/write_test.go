package profiledir

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/apparmor"
	"github.com/tailorsec/tailor/profile/profiletest"
	"github.com/tailorsec/tailor/profile/report"
	"github.com/tailorsec/tailor/profile/runflags"
)

func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "seccomp.json")

	if err := WriteFileAtomic(path, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(path, []byte("new\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil || string(data) != "new\n" {
		t.Fatalf("read back %q, %v", data, err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o644 {
		t.Errorf("mode = %v, want 0644", info.Mode().Perm())
	}
	if got := dirEntries(t, dir); !slices.Equal(got, []string{"seccomp.json"}) {
		t.Errorf("directory holds %v, want only seccomp.json", got)
	}
}

func TestWriteFileAtomicFailures(t *testing.T) {
	t.Run("missing directory", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "missing", "seccomp.json")
		err := WriteFileAtomic(path, []byte("x"), 0o644)
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("error %v does not name %s", err, path)
		}
	})

	// Renaming over a directory fails even for root: the temporary file
	// has been written by then and must be cleaned up.
	t.Run("target is a directory", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "seccomp.json")
		if err := os.Mkdir(path, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(path, "keep"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		err := WriteFileAtomic(path, []byte("x"), 0o644)
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("error %v does not name %s", err, path)
		}
		if got := dirEntries(t, dir); !slices.Equal(got, []string{"seccomp.json"}) {
			t.Errorf("temporary file left behind: %v", got)
		}
	})

	t.Run("directory not writable", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root writes into read-only directories")
		}
		dir := t.TempDir()
		path := filepath.Join(dir, "seccomp.json")
		if err := os.WriteFile(path, []byte("old\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(dir, 0o755) })
		err := WriteFileAtomic(path, []byte("new\n"), 0o644)
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("error %v does not name %s", err, path)
		}
		if data, _ := os.ReadFile(path); string(data) != "old\n" {
			t.Errorf("old file changed to %q", data)
		}
		if got := dirEntries(t, dir); !slices.Equal(got, []string{"seccomp.json"}) {
			t.Errorf("temporary file left behind: %v", got)
		}
	})
}

func TestWrite(t *testing.T) {
	t.Chdir(t.TempDir())
	rec := profiletest.NginxRecording(t)
	w, err := Write("out/web", rec)
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(w.Dir) || w.Seccomp != filepath.Join(w.Dir, "seccomp.json") {
		t.Errorf("paths not absolute: %+v", w)
	}
	want := []string{"apparmor.profile", "capabilities.json", "docker-run.flags", "recording.json", "report.json", "seccomp.json", "written.json"}
	if got := dirEntries(t, w.Dir); !slices.Equal(got, want) {
		t.Errorf("directory holds %v, want %v", got, want)
	}
	flags, err := os.ReadFile(w.Flags)
	if err != nil {
		t.Fatal(err)
	}
	if string(flags) != w.FlagsLine+"\n" {
		t.Errorf("flags file %q, FlagsLine %q", flags, w.FlagsLine)
	}
	if !strings.Contains(w.FlagsLine, "--security-opt=seccomp="+w.Seccomp) {
		t.Errorf("flags do not name %s: %s", w.Seccomp, w.FlagsLine)
	}
	for _, path := range []string{w.Seccomp, w.Capabilities, w.Report} {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(data) {
			t.Errorf("%s is not JSON", path)
		}
	}
	seccompJSON, _ := os.ReadFile(w.Seccomp)
	profiletest.LoadWithDocker(t, seccompJSON, profile.Capabilities(rec).Add)

	if w.AppArmor != filepath.Join(w.Dir, "apparmor.profile") {
		t.Errorf("AppArmor = %s", w.AppArmor)
	}
	apparmorProfile, err := os.ReadFile(w.AppArmor)
	if err != nil {
		t.Fatal(err)
	}
	if problems := apparmor.Check(rec, apparmorProfile); len(problems) > 0 {
		t.Errorf("written profile: %q", problems)
	}
	if !strings.Contains(w.FlagsLine, "--security-opt=apparmor=tailor-web") {
		t.Errorf("flags do not name the AppArmor profile: %s", w.FlagsLine)
	}
	var report report.Report
	data, _ := os.ReadFile(w.Report)
	if err := json.Unmarshal(data, &report); err != nil {
		t.Fatal(err)
	}
	if want := "apparmor_parser -r -W " + runflags.ShellQuote(w.AppArmor); report.AppArmor.Load != want {
		t.Errorf("load command %q, want %q", report.AppArmor.Load, want)
	}

	// Writing again replaces the files, leaving nothing else behind.
	if _, err := Write(w.Dir, rec); err != nil {
		t.Fatal(err)
	}
	if got := dirEntries(t, w.Dir); !slices.Equal(got, want) {
		t.Errorf("after rewrite directory holds %v", got)
	}
}

func TestWriteNamesThePath(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Write(filepath.Join(file, "profile"), &profile.Recording{})
	if err == nil || !strings.Contains(err.Error(), file) {
		t.Errorf("error %v does not name %s", err, file)
	}
}
