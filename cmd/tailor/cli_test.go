package main

// The commands that need neither root nor Docker, end to end through run():
// diff, merge, merge --check and convert, on the fixture profiles of
// profile/testdata and on profiles written here.

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/diff"
	"github.com/tailorsec/tailor/profile/profiledir"
)

const fixtures = "../../profile/testdata/diff"

func TestDiffCLI(t *testing.T) {
	code, stdout, stderr := tailor(t, "diff", fixtures+"/v1", fixtures+"/v2")
	if code != exitWidening {
		t.Fatalf("diff v1 v2 exited %d, want 1\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{"containers added (widening: no profile in OLD): db", "syscalls added (widening): ptrace",
		"socket: now allows arg0 == 16", "architectures added (widening): SCMP_ARCH_X86", "--read-only", "NEW widens privileges"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "\x1b[") {
		t.Error("colour written to a pipe")
	}
	if code, stdout, _ := tailor(t, "diff", fixtures+"/v1/web", fixtures+"/v1/web"); code != exitOK || !strings.Contains(stdout, "no changes") {
		t.Errorf("a profile against itself: %d\n%s", code, stdout)
	}
	code, stdout, _ = tailor(t, "diff", "--json", fixtures+"/v1/web/seccomp.json", fixtures+"/v2/web/seccomp.json")
	var r diff.Report
	if err := json.Unmarshal([]byte(stdout), &r); err != nil || code != exitWidening || !r.Widening {
		t.Fatalf("--json: %d %v\n%s", code, err, stdout)
	}
	// Narrowing only: exit 0.
	if code, _, _ := tailor(t, "diff", fixtures+"/v2/web/seccomp.json", fixtures+"/v1/web/seccomp.json"); code != exitOK {
		t.Errorf("narrowing exited %d", code)
	}
	for _, args := range [][]string{{"diff", "only-one"}, {"diff", "/nonexistent", fixtures + "/v1"},
		{"diff", fixtures + "/v1/web/seccomp.json", fixtures + "/v1/web/capabilities.json"}, {"diff", "--arch", "pdp11", fixtures + "/v1", fixtures + "/v2"}} {
		if code, _, stderr := tailor(t, args...); code != exitUsage || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
}

// writeShard writes profiles for recordings as record would.
func writeShard(t *testing.T, dir string, recs ...*profile.Recording) {
	t.Helper()
	for _, r := range recs {
		if _, err := profiledir.Write(filepath.Join(dir, r.Container.Name), r); err != nil {
			t.Fatal(err)
		}
	}
}

func rec(name, id string, syscalls []string, args []profile.ArgValues) *profile.Recording {
	r := &profile.Recording{Container: profile.Container{ID: id, Name: name, Image: "img"}, Host: profile.Host{Arch: "x86_64"},
		CapabilitiesRecorded: true, FilesRecorded: true, SyscallArgs: args,
		Files: []profile.FileAccess{{Path: "/etc/" + name + ".conf", Access: []string{profile.AccessRead}, Mount: profile.MountRootfs}}}
	for _, s := range syscalls {
		nr, _ := profile.SyscallNumber(profile.ArchX86_64, s)
		r.Syscalls = append(r.Syscalls, profile.SyscallUse{Arch: profile.ArchX86_64, Name: s, Number: nr, Count: 1})
	}
	return r
}

func TestMergeCLI(t *testing.T) {
	tmp := t.TempDir()
	a, b, out := filepath.Join(tmp, "a"), filepath.Join(tmp, "b"), filepath.Join(tmp, "out")
	writeShard(t, a, rec("web", "1111111111111111", []string{"read", "socket"}, []profile.ArgValues{{Arch: profile.ArchX86_64, Syscall: "socket", Values: []uint64{2}}}))
	writeShard(t, b, rec("web", "2222222222222222", []string{"write", "socket"}, []profile.ArgValues{{Arch: profile.ArchX86_64, Syscall: "socket", Values: []uint64{10}}}),
		rec("db", "3333333333333333", []string{"fsync"}, nil))
	code, stdout, stderr := tailor(t, "merge", "-o", out, a, b)
	if code != exitOK {
		t.Fatalf("merge exited %d\n%s%s", code, stdout, stderr)
	}
	for _, f := range []string{"web/seccomp.json", "web/recording.json", "web/inputs/1-" + strings.Trim(strings.ReplaceAll(filepath.Join(a, "web"), "/", "_"), "_") + ".report.json", "db/docker-run.flags"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("merge did not write %s: %v", f, err)
		}
	}
	// Each shard is covered by the merge, the merge by neither shard.
	for _, in := range []string{a, b} {
		if code, stdout, _ := tailor(t, "merge", "--check", out, in); code != exitOK {
			t.Errorf("merge --check out %s exited %d\n%s", in, code, stdout)
		}
	}
	code, stdout, _ = tailor(t, "merge", "--check", a, out)
	if code != exitWidening || !strings.Contains(stdout, "NOT COVERED") || !strings.Contains(stdout, "db") || !strings.Contains(stdout, "write") {
		t.Errorf("merge --check a out: %d\n%s", code, stdout)
	}
	if !strings.Contains(stdout, "socket") || !strings.Contains(stdout, "arg0 == 10") {
		t.Errorf("the argument value the other shard needed is not named:\n%s", stdout)
	}
	for _, args := range [][]string{{"merge", a}, {"merge", "--check", a}, {"merge", "-o", out, a, filepath.Join(b, "web")}} {
		if code, _, stderr := tailor(t, args...); code != exitUsage || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
}

func TestConvertCLI(t *testing.T) {
	dir := t.TempDir()
	for _, to := range []string{"oci", "flags", "k8s", "compose"} {
		out := filepath.Join(dir, "out."+to)
		code, _, stderr := tailor(t, "convert", "--to", to, "-o", out, fixtures+"/v1/web")
		if code != exitOK {
			t.Fatalf("convert --to %s exited %d: %s", to, code, stderr)
		}
		code, stdout, _ := tailor(t, "convert", "--to", to, fixtures+"/v1/web")
		written, _ := os.ReadFile(out)
		if code != exitOK || stdout != string(written) || stdout == "" {
			t.Errorf("--to %s: stdout and -o differ", to)
		}
	}
	flags, _ := os.ReadFile(filepath.Join(dir, "out.flags"))
	abs, _ := filepath.Abs(fixtures + "/v1/web/seccomp.json")
	if !strings.Contains(string(flags), "--security-opt=seccomp="+abs) {
		t.Errorf("flags do not name seccomp.json where it is: %s", flags)
	}
	var oci map[string]any
	if b, _ := os.ReadFile(filepath.Join(dir, "out.oci")); json.Unmarshal(b, &oci) != nil || oci["defaultAction"] != "SCMP_ACT_ERRNO" {
		t.Errorf("oci output: %v", oci)
	}
	for _, args := range [][]string{{"convert", fixtures + "/v1/web"}, {"convert", "--to", "xml", fixtures + "/v1/web"},
		{"convert", "--to", "oci", fixtures + "/v2"}, {"convert", "--to", "oci", fixtures + "/v1/web/seccomp.json"}} {
		if code, _, stderr := tailor(t, args...); code != exitUsage || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
}

// The compose override is what docker-compose accepts: `docker-compose
// config` merges it into a base file (reading the seccomp profiles).
func TestConvertComposeValidates(t *testing.T) {
	compose, err := exec.LookPath("docker-compose")
	if err != nil {
		t.Skip("skipping: docker-compose is not installed (apt-get install docker-compose) to validate the compose output")
	}
	dir := t.TempDir()
	base := "services:\n  web:\n    image: busybox\n  db:\n    image: busybox\n"
	os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(base), 0o644)
	code, override, stderr := tailor(t, "convert", "--to", "compose", fixtures+"/v2")
	if code != exitOK {
		t.Fatalf("convert: %d %s", code, stderr)
	}
	os.WriteFile(filepath.Join(dir, "override.yaml"), []byte(override), 0o644)
	cmd := exec.Command(compose, "-f", "compose.yaml", "-f", "override.yaml", "config")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("docker-compose config rejects the override: %v\n%s\n%s", err, out, override)
	}
	for _, want := range []string{"cap_drop", "SYS_PTRACE", "seccomp", "v2/web/seccomp.json", "apparmor=tailor-web"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("merged config lacks %q:\n%s", want, out)
		}
	}
	// With --read-only and tmpfs (v1/web), and a project prefix.
	tmp := filepath.Join(dir, "shop-web-1")
	os.MkdirAll(tmp, 0o755)
	for _, f := range []string{"seccomp.json", "capabilities.json", "docker-run.flags", "apparmor.profile"} {
		b, _ := os.ReadFile(filepath.Join(fixtures, "v1/web", f))
		os.WriteFile(filepath.Join(tmp, f), b, 0o644)
	}
	code, override, _ = tailor(t, "convert", "--to", "compose", "--project", "shop", tmp)
	if code != exitOK || !strings.Contains(override, "  web:\n") || !strings.Contains(override, "read_only: true") {
		t.Fatalf("--project: %d\n%s", code, override)
	}
	os.WriteFile(filepath.Join(dir, "override.yaml"), []byte(override), 0o644)
	cmd = exec.Command(compose, "-f", "compose.yaml", "-f", "override.yaml", "config")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "/run") {
		t.Fatalf("docker-compose config: %v\n%s", err, out)
	}
}
