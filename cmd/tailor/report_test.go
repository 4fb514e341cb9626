package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/profiledir"
	"github.com/tailorsec/tailor/profile/review"
)

// reportProfiles writes two profile directories (and a stray file) the way
// tailor record does, without recording anything.
func reportProfiles(t *testing.T) string {
	t.Helper()
	out := t.TempDir()
	start := time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)
	recs := []*profile.Recording{
		{
			Container: profile.Container{ID: "0123456789abcdef", Name: "job", Image: "example/job:1"},
			Start:     start, Stop: start.Add(10 * time.Second),
			ArmedBy:              profile.ArmedByFilter,
			Learning:             profile.Learning{Seccomp: "default"},
			Syscalls:             []profile.SyscallUse{{Arch: profile.ArchX86_64, Name: "read", Number: 0, Count: 3}},
			CapabilitiesRecorded: true, FilesRecorded: true,
			Identity:  profile.Identity{Execs: []profile.ExecIdentity{{Path: "/job"}}},
			Resources: profile.Resources{PeakTasks: 2, PeakMemoryBytes: 8 << 20, PeakOpenFiles: 12},
			Config:    profile.ContainerConfig{NetworkMode: "bridge"},
		},
		{
			Container: profile.Container{ID: "fedcba9876543210", Name: "agent", Image: "example/agent:1"},
			Start:     start, Stop: start.Add(time.Minute),
			ArmedBy:              profile.ArmedByExec,
			Learning:             profile.Learning{Seccomp: "unconfined", Privileged: true},
			Syscalls:             []profile.SyscallUse{{Arch: profile.ArchX86_64, Name: "read", Number: 0, Count: 3}},
			CapabilitiesRecorded: true, FilesRecorded: true,
			ContainerMounts: []profile.ContainerMount{{Type: "bind", Source: "/var/run/docker.sock", Destination: "/var/run/docker.sock"}},
			Config:          profile.ContainerConfig{Privileged: true, NetworkMode: "host"},
		},
	}
	for _, rec := range recs {
		if _, err := profiledir.Write(filepath.Join(out, rec.Container.Name), rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(out, "README"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestReportCLI(t *testing.T) {
	out := reportProfiles(t)

	code, stdout, stderr := tailor(t, "report", out)
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Contains(stdout, "\x1b[") {
		t.Error("colour written to a pipe")
	}
	for _, want := range []string{"tailor report: 2 containers", "=== agent", "=== job", "FAIL   CIS 5.4", "--user=65534:65534"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("text report lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Index(stdout, "=== agent") > strings.Index(stdout, "=== job") {
		t.Error("containers not in the order of their directories")
	}
	if code, colored, _ := tailor(t, "report", "--color", "always", out); code != exitOK || !strings.Contains(colored, "\x1b[31m") {
		t.Errorf("--color always: exit %d, no colour", code)
	}

	code, stdout, _ = tailor(t, "report", "--format", "json", filepath.Join(out, "agent"))
	var r review.Reviews
	if err := json.Unmarshal([]byte(stdout), &r); code != exitOK || err != nil {
		t.Fatalf("json: exit %d, %v", code, err)
	}
	if len(r.Containers) != 1 || r.Containers[0].Container.Name != "agent" || r.Containers[0].Summary.Fail < 3 {
		t.Errorf("json: %+v", r.Containers)
	}

	for format, want := range map[string]string{"markdown": "| ❌ **fail** | CIS 5.31 |", "md": "# tailor report", "html": "<!DOCTYPE html>"} {
		file := filepath.Join(t.TempDir(), "r")
		code, stdout, stderr := tailor(t, "report", "--format", format, "-o", file, out)
		if code != exitOK || stdout != "" || stderr != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", format, code, stdout, stderr)
		}
		if b, _ := os.ReadFile(file); !strings.Contains(string(b), want) {
			t.Errorf("%s: %s lacks %q", format, file, want)
		}
	}

	// Without recording.json the report is rebuilt from report.json.
	if err := os.Remove(filepath.Join(out, "job", profile.RecordingFile)); err != nil {
		t.Fatal(err)
	}
	if code, stdout, _ := tailor(t, "report", "--format", "json", filepath.Join(out, "job")); code != exitOK || !strings.Contains(stdout, `"source": "report.json"`) {
		t.Errorf("from report.json: exit %d\n%s", code, stdout)
	}
}

func TestReportCLIErrors(t *testing.T) {
	out := reportProfiles(t)
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"report"}, exitUsage, "want one DIR"},
		{[]string{"report", out, out}, exitUsage, "want one DIR"},
		{[]string{"report", "--format", "pdf", out}, exitUsage, "unknown --format"},
		{[]string{"report", "--color", "sometimes", out}, exitUsage, "unknown --color"},
		{[]string{"report", "--bogus", out}, exitUsage, "unknown flag"},
		{[]string{"report", filepath.Join(out, "missing")}, exitOutput, "no such file"},
		{[]string{"report", t.TempDir()}, exitOutput, "no profile here"},
		{[]string{"report", "-o", filepath.Join(out, "missing", "r.html"), out}, exitOutput, "cannot write the report"},
	} {
		code, stdout, stderr := tailor(t, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.msg) {
			t.Errorf("%q: exit %d, stderr %q; want %d, %q", tc.args, code, stderr, tc.code, tc.msg)
		}
		if stdout != "" {
			t.Errorf("%q: stdout %q", tc.args, stdout)
		}
	}
	if code, stdout, _ := tailor(t, "report", "--help"); code != exitOK || !strings.Contains(stdout, "Usage: tailor report") {
		t.Errorf("--help: exit %d", code)
	}
	if err := os.WriteFile(filepath.Join(out, "job", profile.ReportFile), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(out, "job", profile.RecordingFile)); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := tailor(t, "report", out); code != exitOutput || !strings.Contains(stderr, "schema_version") {
		t.Errorf("broken report.json: exit %d, %s", code, stderr)
	}
}
