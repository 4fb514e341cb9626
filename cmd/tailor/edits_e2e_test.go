package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tailorsec/tailor/profile/apparmor"
	"github.com/tailorsec/tailor/profile/runflags"
	"github.com/tailorsec/tailor/profile/seccomp"
)

// A hand edit of each profile file survives tailor record -o into the
// directory that holds it and tailor merge, with a real container, and a
// broken file stops the write before anything is overwritten.
func TestHandEditsSurviveRecordAndMerge(t *testing.T) {
	requireE2E(t)
	image, _ := probeImage(t)
	name := uniqueName("edits")
	defer removeContainer(name)
	run := []string{"--", "docker", "run", "--rm", "--name", name, "--security-opt", "seccomp=unconfined", image, "/probe", "work"}
	record := func(out string, quiet bool) (int, string, string) {
		args := []string{"record", "-o", out}
		if quiet {
			args = append(args, "-q")
		}
		return tailor(t, append(args, run...)...)
	}
	out := t.TempDir()
	if code, _, stderr := record(out, true); code != 0 {
		t.Fatalf("record exited %d: %s", code, stderr)
	}
	dir := filepath.Join(out, name)
	first := readProfile(t, dir)
	if first.allowed()["ptrace"] {
		t.Fatal("the probe's work already uses ptrace: pick another syscall to add by hand")
	}
	removed := ""
	for _, n := range []string{"getpid", "uname", "getuid", "nanosleep", "clock_nanosleep", "write"} {
		if first.allowed()[n] {
			removed = n
			break
		}
	}
	if removed == "" {
		t.Fatalf("none of the syscalls to remove by hand is allowed: %v", first.allowed())
	}

	// The edits, as a user makes them in an editor.
	edit := func(file, old, new string) {
		t.Helper()
		path := filepath.Join(dir, file)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), old) {
			t.Fatalf("%s lacks %q:\n%s", path, old, data)
		}
		if err := os.WriteFile(path, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	edit("seccomp.json", `"names": [`, `"names": ["ptrace",`)
	edit("seccomp.json", `"`+removed+`",`, ``)
	edit("capabilities.json", `"add": [`, `"add": ["CAP_SYS_PTRACE"`+map[bool]string{true: ",", false: ""}[len(first.caps.Add) > 0])
	flags, _ := os.ReadFile(filepath.Join(dir, "docker-run.flags"))
	edit("docker-run.flags", string(flags), strings.TrimSpace(string(flags))+" --memory=300m --network=none\n")
	edit("apparmor.profile", "\n}\n", "\n  # read on a path the tests do not take\n  /etc/edited-by-hand r,\n}\n")

	check := func(dir, where string) {
		t.Helper()
		data, _ := os.ReadFile(filepath.Join(dir, "seccomp.json"))
		p, err := seccomp.Parse(data)
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		pol, err := seccomp.Evaluate(p, seccomp.Env{})
		if err != nil {
			t.Fatal(err)
		}
		if pol.Syscalls["ptrace"] == nil || pol.Syscalls[removed] != nil {
			t.Errorf("%s: seccomp.json lost the edits: ptrace %v, %s %v", where, pol.Syscalls["ptrace"], removed, pol.Syscalls[removed])
		}
		data, _ = os.ReadFile(filepath.Join(dir, "capabilities.json"))
		caps, err := runflags.ParseCapabilities(data)
		if err != nil || !slices.Contains(caps.Add, "CAP_SYS_PTRACE") {
			t.Errorf("%s: capabilities.json lost CAP_SYS_PTRACE: %+v %v", where, caps, err)
		}
		data, _ = os.ReadFile(filepath.Join(dir, "docker-run.flags"))
		f, err := runflags.Parse(data)
		if err != nil || f.MemoryBytes != 300<<20 || !slices.Contains(f.Other, "--network=none") {
			t.Errorf("%s: docker-run.flags lost the edits: %s %v", where, data, err)
		}
		abs, _ := filepath.Abs(filepath.Join(dir, "seccomp.json"))
		if f.Seccomp != abs {
			t.Errorf("%s: docker-run.flags names %s, want %s", where, f.Seccomp, abs)
		}
		data, _ = os.ReadFile(filepath.Join(dir, "apparmor.profile"))
		aa, err := apparmor.Parse(data)
		if err != nil || !slices.ContainsFunc(aa.Files, func(r apparmor.Rule) bool { return r.Pattern == "/etc/edited-by-hand" }) {
			t.Errorf("%s: apparmor.profile lost the added rule: %v\n%s", where, err, data)
		}
		readProfile(t, dir) // apparmor_parser takes it
	}

	// Recorded again into the same directory.
	code, stdout, stderr := record(out, false)
	if code != 0 {
		t.Fatalf("record into the edited directory exited %d: %s", code, stderr)
	}
	check(dir, "after record -o")
	t.Logf("tailor record -o into the edited directory:\n%s", stdout)
	for _, want := range []string{
		"kept your edit: +ptrace in " + filepath.Join(dir, "seccomp.json"),
		"kept your edit: -" + removed + " in " + filepath.Join(dir, "seccomp.json"),
		"kept your edit: +CAP_SYS_PTRACE in " + filepath.Join(dir, "capabilities.json"),
		"kept your edit: + --memory=300m in " + filepath.Join(dir, "docker-run.flags"),
		"kept your edit: +/etc/edited-by-hand r, in " + filepath.Join(dir, "apparmor.profile"),
		"note: the new recording needs " + removed + " (tailor would write it), which your edit removed",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("record's output lacks %q:\n%s", want, stdout)
		}
	}
	// show counts and lists the edits.
	code, stdout, _ = tailor(t, "show", dir)
	if code != 0 || !strings.Contains(stdout, "your edit: +ptrace in") || !strings.Contains(stdout, "SYS_PTRACE") {
		t.Errorf("show exited %d:\n%s", code, stdout)
	}

	// Merged with an unedited shard.
	shard := t.TempDir()
	if code, _, stderr := record(shard, true); code != 0 {
		t.Fatalf("record exited %d: %s", code, stderr)
	}
	merged := t.TempDir()
	code, stdout, stderr = tailor(t, "merge", "-o", merged, out, shard)
	if code != 0 {
		t.Fatalf("merge exited %d: %s", code, stderr)
	}
	check(filepath.Join(merged, name), "after merge")
	if want := "kept your edit: +ptrace in " + filepath.Join(dir, "seccomp.json"); !strings.Contains(stdout, want) {
		t.Errorf("merge's output lacks %q:\n%s", want, stdout)
	}
	if want := "the recording of " + filepath.Join(shard, name) + " needs " + removed; !strings.Contains(stdout, want) {
		t.Errorf("merge's output lacks %q:\n%s", want, stdout)
	}

	// A broken edit: named with its line, nothing overwritten, the new
	// recording saved elsewhere.
	caps := filepath.Join(dir, "capabilities.json")
	if err := os.WriteFile(caps, []byte("{\n  \"add\": [\n    \"CAP_SYS_PTRACE\",\n  ]\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, "seccomp.json"))
	code, _, stderr = record(out, true)
	if code != exitOutput || !strings.Contains(stderr, caps) || !strings.Contains(stderr, "line 4") || !strings.Contains(stderr, "saved to") {
		t.Errorf("record over a broken capabilities.json exited %d, want %d naming %s line 4 and where it saved:\n%s", code, exitOutput, caps, stderr)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "seccomp.json")); string(after) != string(before) {
		t.Error("seccomp.json was overwritten although capabilities.json is broken")
	}
	if code, _, stderr := tailor(t, "merge", "-o", t.TempDir(), out, shard); code != exitUsage || !strings.Contains(stderr, caps) {
		t.Errorf("merge of a broken capabilities.json exited %d: %s", code, stderr)
	}
}
