package main

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// --ulimit nofile is never below what the engine gave the container:
// programs size caches from their soft limit (MariaDB's table cache
// shrank from 2000 to 421 under a suggested 1024). The recording keeps
// the limit the container started with; where it covers the headroom the
// flags leave nofile alone, and an explicit --ulimit the container ran
// with is kept.
func TestOpenFilesLimitNeverBelowTheEngines(t *testing.T) {
	requireE2E(t)
	sharedImages(t)
	out, err := exec.Command("docker", "run", "--rm", "sptest/busybox", "sh", "-c", "ulimit -n").CombinedOutput()
	if err != nil {
		t.Fatalf("docker run: %v\n%s", err, out)
	}
	engine, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil || engine <= 0 {
		t.Fatalf("the engine's nofile limit %q: %v", out, err)
	}
	t.Logf("this engine gives containers a soft nofile limit of %d", engine)

	for _, tc := range []struct {
		name, ulimit string
		want         string
	}{
		{"engine", "", ""},
		{"explicit", "nofile=2048:4096", "--ulimit=nofile=2048:2048"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := uniqueName("nofile-" + tc.name)
			defer removeContainer(name)
			dir := t.TempDir()
			args := []string{"record", "-q", "-o", dir, "--", "docker", "run", "--rm", "--name", name}
			if tc.ulimit != "" {
				args = append(args, "--ulimit", tc.ulimit)
			}
			args = append(args, "sptest/busybox", "sh", "-c", "sleep 2")
			if code, _, stderr := tailor(t, args...); code != 0 {
				t.Fatalf("record exited %d: %s", code, stderr)
			}
			w := readProfile(t, filepath.Join(dir, name))
			if tc.want != "" && !strings.Contains(w.flags, tc.want) {
				t.Errorf("flags %q lack %s", w.flags, tc.want)
			}
			if tc.want == "" && engine >= 1024 && strings.Contains(w.flags, "--ulimit=nofile") {
				t.Errorf("flags %q set nofile although the engine's %d covers a shell's needs", w.flags, engine)
			}
			res, _ := w.report["resources"].(map[string]any)
			if tc.ulimit == "" && res["open_files_limit"] != float64(engine) {
				t.Errorf("report.json resources %v: open_files_limit is not the engine's %d", res, engine)
			}
		})
	}
}
