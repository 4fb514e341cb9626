package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// convert --to compose --relative-to: an override that names the profiles
// by their path from the project directory, which docker-compose (run
// there) accepts, with --user and the limits.
func TestConvertComposeRelativeTo(t *testing.T) {
	project := t.TempDir()
	for _, name := range []string{"web", "db"} {
		dir := filepath.Join(project, "profiles", name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"seccomp.json", "capabilities.json"} {
			b, err := os.ReadFile(filepath.Join(fixtures, "v1/web", f))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dir, f), b, 0o644)
		}
	}
	// A user YAML 1.1 would read as a number (33:33 is 2013 in base 60).
	flags := "--cap-drop=ALL --cap-add=CHOWN --user=33:33 --read-only --tmpfs=/run --pids-limit=48 --memory=64m --ulimit=nofile=1024:2048\n"
	os.WriteFile(filepath.Join(project, "profiles/web/docker-run.flags"), []byte(flags), 0o644)
	base := "version: \"2.4\"\nservices:\n  web:\n    image: busybox\n  db:\n    image: busybox\n"
	os.WriteFile(filepath.Join(project, "docker-compose.yml"), []byte(base), 0o644)

	override := filepath.Join(project, "docker-compose.tailor.yml")
	code, _, stderr := tailor(t, "convert", "--to", "compose", "--relative-to", project, "-o", override, filepath.Join(project, "profiles"))
	if code != exitOK {
		t.Fatalf("convert exited %d: %s", code, stderr)
	}
	out, _ := os.ReadFile(override)
	for _, want := range []string{"- seccomp=./profiles/web/seccomp.json\n", "- seccomp=./profiles/db/seccomp.json\n",
		"named relative to the project directory", `user: "33:33"`, "mem_limit: 64m", "pids_limit: 48"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("override lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), project) {
		t.Errorf("override names an absolute path:\n%s", out)
	}

	for _, args := range [][]string{
		{"convert", "--to", "flags", "--relative-to", project, filepath.Join(project, "profiles/web")},
		{"convert", "--to", "compose", "--relative-to", filepath.Join(project, "nonexistent"), filepath.Join(project, "profiles")},
		{"convert", "--to", "compose", "--relative-to", override, filepath.Join(project, "profiles")},
	} {
		if code, _, stderr := tailor(t, args...); code != exitUsage || !strings.Contains(stderr, "--relative-to") {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}

	compose, err := exec.LookPath("docker-compose")
	if err != nil {
		t.Skip("skipping the docker-compose check: docker-compose is not installed (apt-get install docker-compose)")
	}
	cmd := exec.Command(compose, "-f", "docker-compose.yml", "-f", "docker-compose.tailor.yml", "config")
	cmd.Dir = project
	merged, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("docker-compose config rejects the override: %v\n%s\n%s", err, merged, out)
	}
	for _, want := range []string{"seccomp:./profiles/web/seccomp.json", "user: '33:33'", "read_only: true", "/run",
		"pids_limit: 48", "mem_limit: 64m", "hard: 2048"} {
		if !strings.Contains(string(merged), want) {
			t.Errorf("merged config lacks %q:\n%s", want, merged)
		}
	}
}
