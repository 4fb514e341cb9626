package ci

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tailorsec/tailor/tracer"
	"github.com/tailorsec/tailor/tracer/tracertest"
)

// script is the script under test, relative to this package.
const script = "tailor-ci.sh"

// The suite of the end-to-end test: one FROM scratch container running
// tracertest's probe, `probe pick N`, which makes the syscalls bit i of N
// picks (tracertest.PickSyscalls) and nothing else: pick 1 is getpgid,
// pick 3 adds getsid. A probe written in C without libc does the same in
// every run, so one recorded run is a baseline that never flakes; a Go
// service needs a baseline merged from several runs (--runs, and
// examples/httpservice).
//
// Each run's container has a name of its own, as in a real suite; the
// app label names the profile (--name-by label=app) and the
// tailor-ci-test label keeps the recording to this test's containers
// (--match), whatever else runs on the host meanwhile.
const suiteScript = `#!/bin/sh
# suite.sh PICK [EXIT]: the test suite tailor-ci.sh records.
set -e
docker run --rm --name "tailor-ci-test-$SUITE_RUN-$$" --label "tailor-ci-test=$SUITE_RUN" --label app=probe "$SUITE_IMAGE" /probe pick "$1"
exit "${2:-0}"
`

func TestHelp(t *testing.T) {
	code, out := runScript(t, nil, "--help")
	if code != 0 {
		t.Fatalf("--help exited %d:\n%s", code, out)
	}
	for _, want := range []string{"Usage: tailor-ci.sh", "--baseline DIR", "--artifacts DIR", "--tailor PATH",
		"--runs N", "--update", "Exit codes:", "tailor-profiles.tar.gz"} {
		if !strings.Contains(out, want) {
			t.Errorf("--help does not mention %q:\n%s", want, out)
		}
	}
}

// TestUsageErrors: every mistake exits 2 with a message that says what
// to do, before anything is recorded (no root needed).
func TestUsageErrors(t *testing.T) {
	fakeTailor := filepath.Join(t.TempDir(), "tailor")
	if err := os.WriteFile(fakeTailor, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	emptyPath := t.TempDir() // a PATH without tailor on it
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"no suite", nil, []string{"--tailor", fakeTailor}, "no suite command"},
		{"no suite after --", nil, []string{"--tailor", fakeTailor, "--"}, "no suite command"},
		{"unknown flag", nil, []string{"--frobnicate", "--", "true"}, "unknown argument '--frobnicate'"},
		{"flag without value", nil, []string{"--baseline"}, "--baseline needs a value"},
		{"bad runs", nil, []string{"--runs", "0", "--tailor", fakeTailor, "--", "true"}, "--runs must be a whole number"},
		{"bad runs=", nil, []string{"--runs=x", "--tailor", fakeTailor, "--", "true"}, "--runs must be a whole number"},
		{"missing tailor binary", nil, []string{"--tailor", "/nonexistent/tailor", "--", "true"}, "does not exist or is not executable"},
		{"tailor not on PATH", []string{"PATH=" + emptyPath}, []string{"--", "true"}, "tailor is not on PATH"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := runScript(t, tc.env, tc.args...)
			if code != 2 || !strings.Contains(out, tc.want) {
				t.Errorf("exited %d, want 2 with %q:\n%s", code, tc.want, out)
			}
		})
	}
}

// TestNotRoot: without root the script stops before it records, saying
// why. As root, the script runs as nobody (setpriv).
func TestNotRoot(t *testing.T) {
	// A copy in a directory anyone may read: the checkout and t.TempDir
	// (under a directory of mode 0700) may not be.
	dir, err := os.MkdirTemp("", "tailor-ci-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(script)
	if err != nil {
		t.Fatal(err)
	}
	copied := filepath.Join(dir, script)
	fakeTailor := filepath.Join(dir, "tailor")
	for path, data := range map[string][]byte{copied: src, fakeTailor: []byte("#!/bin/sh\nexit 0\n")} {
		if err := os.WriteFile(path, data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"bash", copied, "--tailor", fakeTailor, "--baseline", filepath.Join(dir, "baseline"), "--", "true"}
	if os.Geteuid() == 0 {
		setpriv, err := exec.LookPath("setpriv")
		if err != nil {
			t.Skip("skipping: running as root, and setpriv (util-linux) is not there to drop it")
		}
		args = append([]string{setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = dir
	code, out := run(t, cmd)
	if code != 2 || !strings.Contains(out, "needs root") {
		t.Fatalf("as a user, exited %d, want 2 with %q:\n%s", code, "needs root", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "baseline")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the script wrote %s without root: %v", filepath.Join(dir, "baseline"), err)
	}
}

// TestGate is the life of a baseline in CI, end to end.
func TestGate(t *testing.T) {
	requireE2E(t)
	tmp := t.TempDir()
	tailorBin := tracertest.BuildTailor(t, tmp)
	image := probeImage(t)
	mark := tracertest.MarkBPF(t)

	id := randomID()
	t.Cleanup(func() { // containers of a run that failed half-way
		out, _ := exec.Command("docker", "ps", "-aq", "--filter", "label=tailor-ci-test="+id).Output()
		if ids := strings.Fields(string(out)); len(ids) > 0 {
			_ = exec.Command("docker", append([]string{"rm", "-f"}, ids...)...).Run()
		}
	})
	suite := filepath.Join(tmp, "suite.sh")
	if err := os.WriteFile(suite, []byte(suiteScript), 0o755); err != nil {
		t.Fatal(err)
	}
	env := []string{"SUITE_RUN=" + id, "SUITE_IMAGE=" + image}
	baseline := filepath.Join(tmp, "baseline")
	artifacts := filepath.Join(tmp, "artifacts")
	gate := func(t *testing.T, extra []string, suiteArgs ...string) (int, string) {
		t.Helper()
		args := append([]string{"--tailor", tailorBin, "--baseline", baseline, "--artifacts", artifacts,
			"--match", "label=tailor-ci-test=" + id, "--name-by", "label=app"}, extra...)
		args = append(append(args, "--", suite), suiteArgs...)
		code, out := runScript(t, env, args...)
		if left := strings.TrimSpace(docker(t, "ps", "-aq", "--filter", "label=tailor-ci-test="+id)); left != "" {
			t.Errorf("containers left behind: %s", left)
		}
		return code, out
	}

	t.Run("first run writes the baseline", func(t *testing.T) {
		code, out := gate(t, []string{"--runs", "2"}, "1")
		if code != 0 {
			t.Fatalf("exited %d, want 0:\n%s", code, out)
		}
		requireContains(t, "output", out, "no baseline profiles in", "commit")
		if _, err := os.Stat(filepath.Join(baseline, "probe", "seccomp.json")); err != nil {
			t.Fatalf("no baseline written: %v\n%s", err, out)
		}
		requireResult(t, artifacts, "baseline-written")
		requireContains(t, "the baseline's seccomp.json", readFile(t, filepath.Join(baseline, "probe", "seccomp.json")), `"getpgid"`)
		if files := tarFiles(t, artifacts); files["probe/seccomp.json"] == "" {
			t.Errorf("tailor-profiles.tar.gz lacks probe/seccomp.json: %v", keys(files))
		}
	})
	if t.Failed() {
		return
	}

	t.Run("an identical run passes", func(t *testing.T) {
		code, out := gate(t, nil, "1")
		if code != 0 {
			t.Fatalf("exited %d, want 0:\n%s", code, out)
		}
		requireResult(t, artifacts, "covered")
		requireContains(t, "tailor-check.txt", readFile(t, filepath.Join(artifacts, "tailor-check.txt")), "covered: the baseline grants everything needed")
		requireContains(t, "tailor-diff.txt", readFile(t, filepath.Join(artifacts, "tailor-diff.txt")), "NEW: this-run")
		requireArtifacts(t, artifacts)
	})

	t.Run("a widening run fails, naming the widening", func(t *testing.T) {
		code, out := gate(t, nil, "3")
		if code != 1 {
			t.Fatalf("exited %d, want 1:\n%s", code, out)
		}
		requireContains(t, "output", out, "WIDENED", "getsid", "NOT COVERED", "--update")
		requireResult(t, artifacts, "widened")
		requireContains(t, "tailor-check.txt", readFile(t, filepath.Join(artifacts, "tailor-check.txt")), "getsid", "NOT COVERED")
		requireContains(t, "tailor-diff.txt", readFile(t, filepath.Join(artifacts, "tailor-diff.txt")), "syscalls added (widening): getsid")
		var diff struct {
			Widening bool `json:"widening"`
		}
		if err := json.Unmarshal([]byte(readFile(t, filepath.Join(artifacts, "tailor-diff.json"))), &diff); err != nil || !diff.Widening {
			t.Errorf("tailor-diff.json does not say widening: %v", err)
		}
		// The artifact holds this run's profile: the one to take.
		requireContains(t, "probe/seccomp.json in the tarball", tarFiles(t, artifacts)["probe/seccomp.json"], `"getsid"`)
		requireArtifacts(t, artifacts)
	})

	t.Run("a failing suite is not a widening", func(t *testing.T) {
		code, out := gate(t, nil, "1", "1") // covered, but the suite exits 1
		if code != 3 {
			t.Fatalf("exited %d, want 3:\n%s", code, out)
		}
		requireContains(t, "output", out, "the suite failed (exit 1)")
		requireResult(t, artifacts, "suite-failed")
	})

	t.Run("update accepts the widening", func(t *testing.T) {
		code, out := gate(t, []string{"--update"}, "3")
		if code != 0 {
			t.Fatalf("--update exited %d, want 0:\n%s", code, out)
		}
		requireResult(t, artifacts, "baseline-updated")
		requireContains(t, "tailor-diff.txt", readFile(t, filepath.Join(artifacts, "tailor-diff.txt")), "getsid")
		code, out = gate(t, nil, "3")
		if code != 0 {
			t.Fatalf("the run after --update exited %d, want 0:\n%s", code, out)
		}
		requireResult(t, artifacts, "covered")
	})

	// Nothing of tailor's outlives the runs: the BPF objects went with
	// each tailor process, nothing is pinned.
	tracertest.RequireNoBPFLeft(t, mark)
}

// requireE2E skips (or fails, with TAILOR_REQUIRE_E2E) unless this
// process can record: root, BPF with BTF, dockerd.
func requireE2E(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		tracertest.SkipOrFail(t, "skipping: tailor-ci.sh records with eBPF and needs root (sudo go test ./examples/ci)")
	}
	if err := tracer.CheckSupport(); err != nil {
		tracertest.SkipOrFail(t, "skipping: this kernel cannot record: %v (Linux 5.17+ with BTF)", err)
	}
	if out, err := exec.Command("docker", "info").CombinedOutput(); err != nil {
		tracertest.SkipOrFail(t, "skipping: the Docker daemon does not answer (start dockerd): %v\n%s", err, out)
	}
}

// probeImage builds a FROM scratch image holding only the probe, under a
// tag of its own, removed when the test ends.
func probeImage(t *testing.T) string {
	t.Helper()
	probe, err := os.ReadFile(tracertest.BuildProbe(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "probe"), probe, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nCOPY probe /probe\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	image := "tailor-ci-test-probe:" + randomID()
	build := exec.Command("docker", "build", "-q", "-t", image, dir)
	build.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("docker", "rmi", "-f", image).Run() })
	return image
}

// runScript runs tailor-ci.sh with env added to this process's
// environment, less what would choose its paths for it.
func runScript(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	path, err := filepath.Abs(script)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", append([]string{path}, args...)...)
	for _, kv := range os.Environ() {
		switch strings.SplitN(kv, "=", 2)[0] {
		case "ARTIFACTS_DIR", "TAILOR", "TAILOR_BASELINE":
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.Env = append(append(cmd.Env, "NO_COLOR=1"), env...)
	cmd.Dir = t.TempDir() // the default baseline and artifacts land here, if at all
	return run(t, cmd)
}

// run runs cmd and returns its exit code and its output.
func run(t *testing.T, cmd *exec.Cmd) (int, string) {
	t.Helper()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), out.String()
	}
	if err != nil {
		t.Fatalf("%s: %v", strings.Join(cmd.Args, " "), err)
	}
	return 0, out.String()
}

func docker(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("docker", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func requireContains(t *testing.T, what, text string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s does not contain %q:\n%s", what, w, text)
		}
	}
}

func requireResult(t *testing.T, artifacts, want string) {
	t.Helper()
	if got := strings.TrimSpace(readFile(t, filepath.Join(artifacts, "tailor-result.txt"))); got != want {
		t.Errorf("tailor-result.txt says %q, want %q", got, want)
	}
}

// requireArtifacts fails unless a gated run left every artifact.
func requireArtifacts(t *testing.T, artifacts string) {
	t.Helper()
	for _, f := range []string{"tailor-profiles.tar.gz", "tailor-check.txt", "tailor-diff.txt", "tailor-diff.json",
		"tailor-summary.txt", "tailor-result.txt"} {
		if st, err := os.Stat(filepath.Join(artifacts, f)); err != nil || st.Size() == 0 {
			t.Errorf("artifact %s missing or empty: %v", f, err)
		}
	}
	requireContains(t, "tailor-summary.txt", readFile(t, filepath.Join(artifacts, "tailor-summary.txt")), "PROFILE", "probe")
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// tarFiles reads tailor-profiles.tar.gz: file name to content.
func tarFiles(t *testing.T, artifacts string) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(artifacts, "tailor-profiles.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			files[strings.TrimPrefix(h.Name, "./")] = string(data)
		}
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func randomID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
