package tracertest

import (
	_ "embed"
	"fmt"
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

// Prebuilt probes: where a machine has no gcc (the kernel matrix's
// guests), TAILOR_PROBE and TAILOR_PROBE32 name probes built elsewhere with
// CompileProbe and CompileProbe32.
const (
	ProbeEnv   = "TAILOR_PROBE"
	Probe32Env = "TAILOR_PROBE32"
)

// BuildProbe compiles the probe into a temporary directory and returns its
// path: `probe work` and `probe blocked` (see probe.c). With TAILOR_PROBE
// set it returns that probe instead.
func BuildProbe(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(ProbeEnv); p != "" {
		return p
	}
	if _, err := exec.LookPath("gcc"); err != nil {
		SkipOrFail(t, "skipping: gcc is needed to build the probe (apt-get install gcc)")
	}
	out := filepath.Join(t.TempDir(), "probe")
	if err := CompileProbe(out); err != nil {
		t.Fatal(err)
	}
	return out
}

// BuildProbe32 compiles the 32-bit x86 probe (probe32.c) and returns its
// path, or TAILOR_PROBE32 when set; it skips on other architectures.
func BuildProbe32(t testing.TB) string {
	t.Helper()
	if runtime.GOARCH != "amd64" {
		t.Skipf("skipping: the 32-bit probe is x86 code, this is %s", runtime.GOARCH)
	}
	if p := os.Getenv(Probe32Env); p != "" {
		return p
	}
	if _, err := exec.LookPath("gcc"); err != nil {
		SkipOrFail(t, "skipping: gcc is needed to build the probe (apt-get install gcc)")
	}
	out := filepath.Join(t.TempDir(), "probe32")
	if err := CompileProbe32(out); err != nil {
		t.Fatal(err)
	}
	return out
}

// CompileProbe builds probe.c with gcc as the static binary out.
func CompileProbe(out string) error {
	return compile(probeSource, "probe.c", out, "-O2", "-static", "-nostdlib", "-fno-stack-protector", "-fno-builtin")
}

// CompileProbe32 builds probe32.c with gcc as the static 32-bit x86 binary
// out.
func CompileProbe32(out string) error {
	return compile(probe32Source, "probe32.c", out, "-m32", "-O2", "-static", "-nostdlib", "-fno-stack-protector", "-fno-pic")
}

func compile(source []byte, name, out string, flags ...string) error {
	dir, err := os.MkdirTemp("", "tailor-probe-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	src := filepath.Join(dir, name)
	if err := os.WriteFile(src, source, 0o644); err != nil {
		return err
	}
	cmd := exec.Command("gcc", append(flags, "-o", out, src)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build %s: %v\n%s", name, err, b)
	}
	return nil
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

// ProbeImage builds the probe (BuildProbe) into a FROM scratch image named
// image, holding only /probe and an empty /work directory, removed when
// the test ends. It returns the probe's path on the host too.
func ProbeImage(t testing.TB, image string) (probe string) {
	t.Helper()
	probe = BuildProbe(t)
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "work"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "work", ".keep"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(probe)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "probe"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	df := "FROM scratch\nCOPY probe /probe\nCOPY work /work\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("docker", "build", "-q", "-t", image, dir)
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("docker", "rmi", "-f", image).Run() })
	return probe
}
