// Package tracertest holds what tailor's root-only tests share: the ground
// truth probe and the rule for skipping.
package tracertest

import (
	_ "embed"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// probeSource is a static C program without libc (see probe.c): whatever a
// recording of it holds beyond its own syscalls came from the runtime.
//
//go:embed probe.c
var probeSource []byte

//go:embed probe32.c
var probe32Source []byte

// PickSyscalls are the syscalls of `probe pick N`: bit i of N makes the
// i-th. None is made by the probe's other modes or by runc or crun.
var PickSyscalls = []string{"getpgid", "getsid", "getpriority", "sched_getscheduler", "sched_yield",
	"times", "getegid", "geteuid", "getgid", "getitimer"}

// SkipOrFail skips a test whose prerequisites are missing, unless
// TAILOR_REQUIRE_E2E is set (CI does): there a skip would hide a broken
// setup, so it fails instead.
func SkipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("TAILOR_REQUIRE_E2E") != "" {
		t.Fatalf("TAILOR_REQUIRE_E2E is set, but: "+format, args...)
	}
	t.Skipf(format, args...)
}

// BuildProbe compiles the probe into a temporary directory and returns its
// path: `probe work` and `probe blocked` (see probe.c).
func BuildProbe(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		SkipOrFail(t, "skipping: gcc is needed to build the probe (apt-get install gcc)")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "probe.c")
	if err := os.WriteFile(src, probeSource, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "probe")
	cmd := exec.Command("gcc", "-O2", "-static", "-nostdlib", "-fno-stack-protector", "-fno-builtin", "-o", out, src)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build probe: %v\n%s", err, b)
	}
	return out
}

// BuildProbe32 compiles the 32-bit x86 probe (probe32.c) and returns its
// path; it skips on other architectures.
func BuildProbe32(t testing.TB) string {
	t.Helper()
	if runtime.GOARCH != "amd64" {
		t.Skipf("skipping: the 32-bit probe is x86 code, this is %s", runtime.GOARCH)
	}
	if _, err := exec.LookPath("gcc"); err != nil {
		SkipOrFail(t, "skipping: gcc is needed to build the probe (apt-get install gcc)")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "probe32.c")
	if err := os.WriteFile(src, probe32Source, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "probe32")
	cmd := exec.Command("gcc", "-m32", "-O2", "-static", "-nostdlib", "-fno-stack-protector", "-fno-pic", "-o", out, src)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build probe32: %v\n%s", err, b)
	}
	return out
}

// BuildTailor builds the tailor CLI of this source tree into dir and
// returns its path, for tests outside cmd/tailor that run the CLI (the
// examples). VCS stamping is off: a test may run from a copy of the tree.
func BuildTailor(t testing.TB, dir string) string {
	t.Helper()
	_, self, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("BuildTailor: cannot tell where the source tree is")
	}
	root := filepath.Join(filepath.Dir(self), "..", "..")
	bin := filepath.Join(dir, "tailor")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/tailor")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOFLAGS="+strings.TrimSpace(os.Getenv("GOFLAGS")+" -buildvcs=false"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/tailor in %s: %v\n%s", root, err, out)
	}
	return bin
}
