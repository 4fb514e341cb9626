package main

// The release gate, end to end: record the suite with tailor's Go API
// (package recorder), write the profile, and compare it with the
// committed baseline (baseline/httpservice) through the tailor CLI, the
// way a release pipeline compares two releases. Then the same through
// `tailor check`, the command a user copies. An unchanged run is covered;
// a run with the audit log feature on (HTTPSERVICE_AUDIT_LOG), which
// writes a file and calls fsync, is not, and tailor names what it needs.
//
// These tests need root (eBPF), dockerd and Linux 5.17+ with BTF; they
// skip without them, and fail instead when TAILOR_REQUIRE_E2E is set.
//
// Regenerate the baseline (as root) after a change that should widen the
// profile, and review the diff before committing it:
//
//	go test -count=1 -run '^TestUpdateBaseline$' ./examples/httpservice -update
//
// What a static Go binary does depends on the host too: the Go release it
// was built with, the kernel, the cgroup version (the files the Go runtime
// reads to size GOMAXPROCS), the container runtime. baseline-host.json says
// which host the committed baseline is from; elsewhere the tests record a
// baseline for the host they run on and compare with that (see
// baselineFor), so that they test the flow rather than the host.

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/diff"
	"github.com/tailorsec/tailor/recorder"
	"github.com/tailorsec/tailor/tracer"
	"github.com/tailorsec/tailor/tracer/tracertest"
)

var update = flag.Bool("update", false, "record the suite and rewrite baseline/ (TestUpdateBaseline; as root)")

// baselineDir holds the committed baseline: one profile directory per
// container, as tailor record -o writes it.
const baselineDir = "baseline"

// updateRuns is how many runs of the suite the baseline is merged from,
// so that what the Go runtime does only now and then is in it.
const updateRuns = 3

// auditLog is where the widening run's service writes its audit log.
const auditLog = "/data/audit.log"

// hostFile describes the host the committed baseline was recorded on.
const hostFile = "baseline-host.json"

// What the tests build once and remove when the package's tests end.
var shared struct {
	mu      sync.Mutex
	image   string // the service's image
	tailor  string // the tailor CLI
	tempDir string

	// baselineMu guards baseline apart from mu: making a baseline
	// builds the image, which takes mu.
	baselineMu sync.Mutex
	baseline   string // the baseline the tests compare with (baselineFor)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.image != "" {
		removeImage(shared.image)
	}
	if shared.tempDir != "" {
		os.RemoveAll(shared.tempDir)
	}
	os.Exit(code)
}

// TestBaselineCoversUnchangedRun: the Go API records an unchanged run and
// tailor finds it covered by the baseline (the committed one, on the host
// it was recorded on: see baselineFor).
func TestBaselineCoversUnchangedRun(t *testing.T) {
	requireRecorder(t)
	base := baselineFor(t)
	res := recordSuite(t, suiteConfig{Image: sharedImage(t)})
	p, ok := res.Profile(ProfileName)
	if !ok || len(p.Containers) != 1 {
		t.Fatalf("want one container in profile %q, got %+v", ProfileName, res.Profiles)
	}
	newDir := writeProfiles(t, res)

	// merge --check asks what check asks: does the baseline grant
	// everything the new run needed?
	code, out := runTailor(t, "merge", "--check", base, newDir)
	if code != 0 || !strings.Contains(out, "covered: the baseline grants everything needed") {
		t.Fatalf("tailor merge --check %s NEW exited %d, want 0 (covered):\n%s%s", base, code, out, regenerateHint)
	}
	// diff compares the two profiles themselves, as two releases' profiles
	// are compared in review: the new run's profile grants nothing the
	// baseline does not.
	code, out = runTailor(t, "diff", base, newDir)
	if code != 0 {
		t.Fatalf("tailor diff %s NEW exited %d, want 0:\n%s%s", base, code, out, regenerateHint)
	}
	t.Logf("tailor diff %s NEW:\n%s", base, out)
}

// TestWideningRunIsCaught: the audit log feature needs more than the
// baseline grants, and both the coverage check and diff say what.
func TestWideningRunIsCaught(t *testing.T) {
	requireRecorder(t)
	base := baselineFor(t)
	res := recordSuite(t, suiteConfig{Image: sharedImage(t), AuditLog: auditLog})
	newDir := writeProfiles(t, res)

	code, out := runTailor(t, "merge", "--check", base, newDir)
	if code != 1 {
		t.Fatalf("tailor merge --check exited %d, want 1 (not covered):\n%s", code, out)
	}
	requireNamed(t, "merge --check", out, "NOT COVERED", "fsync", auditLog, "--read-only")

	code, out = runTailor(t, "diff", base, newDir)
	if code != 1 {
		t.Fatalf("tailor diff exited %d, want 1 (widening):\n%s", code, out)
	}
	requireNamed(t, "diff", out, "fsync", "/data/", "--read-only")

	// --json is for machines: the same, as data.
	code, out = runTailor(t, "merge", "--check", "--json", base, newDir)
	var report diff.Report
	if err := json.Unmarshal([]byte(out), &report); err != nil || code != 1 || !report.Widening {
		t.Fatalf("merge --check --json: exit %d, %v\n%s", code, err, out)
	}
	needed := map[string]bool{}
	for _, c := range report.Changes {
		if c.Widening {
			needed[c.Kind+" "+c.Subject] = true
		}
	}
	for _, want := range []string{"syscall fsync", "run-flag --read-only"} {
		if !needed[want] {
			t.Errorf("merge --check --json does not list %q as needed: %v", want, needed)
		}
	}
}

// TestTailorCheck is the flow a user copies: tailor check records the
// suite (this test binary, running TestSuite) and gates on the baseline.
func TestTailorCheck(t *testing.T) {
	requireRecorder(t)
	base := baselineFor(t)
	image := sharedImage(t)
	for _, tc := range []struct {
		name     string
		auditLog string
		want     int
		named    []string
	}{
		{"unchanged", "", 0, []string{"covered: the baseline grants everything needed"}},
		{"audit-log", auditLog, 1, []string{"NOT COVERED", "fsync", auditLog, "--read-only"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := "check-" + randomID()
			newDir := t.TempDir()
			mark := tracertest.MarkBPF(t)
			// The suite is this very test binary, running TestSuite.
			cmd := tailorCommand(t, "check", "--baseline", base, "-o", newDir,
				"--match", "label="+RunLabel+"="+run, "--name-by", "label="+ProfileLabel,
				"--", os.Args[0], "-test.run", "^TestSuite$", "-test.count=1")
			cmd.Env = append(os.Environ(), EnvImage+"="+image, EnvRun+"="+run, EnvAuditLog+"="+tc.auditLog)
			code, out := runCmd(t, cmd)
			if code != tc.want {
				t.Fatalf("tailor check exited %d, want %d:\n%s", code, tc.want, out)
			}
			requireNamed(t, "check", out, tc.named...)
			if _, err := os.Stat(filepath.Join(newDir, ProfileName, profile.SeccompFile)); err != nil {
				t.Errorf("check -o did not write the new profile: %v", err)
			}
			requireNoContainers(t, run)
			tracertest.RequireNoBPFLeft(t, mark) // tailor check's exit released its programs
		})
	}
}

// TestUpdateBaseline rewrites baseline/ (and baseline-host.json) from
// updateRuns runs of the suite, with -update only.
func TestUpdateBaseline(t *testing.T) {
	if !*update {
		t.Skip("skipping: run with -update (as root) to regenerate baseline/")
	}
	requireRecorder(t)
	res := recordBaseline(t)
	if err := os.RemoveAll(filepath.Join(baselineDir, ProfileName)); err != nil {
		t.Fatal(err)
	}
	written, err := res.Write(baselineDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range written {
		t.Logf("wrote %s: docker run %s", w.Dir, w.FlagsLine)
	}
	host, err := json.MarshalIndent(thisHost(t), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(hostFile, append(host, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s: %s", hostFile, host)
}

// recordBaseline records updateRuns runs of the suite into one profile:
// what the Go runtime does only now and then is then in the baseline.
func recordBaseline(t *testing.T) *recorder.Result {
	t.Helper()
	image := sharedImage(t)
	cfgs := make([]suiteConfig, updateRuns)
	for i := range cfgs {
		cfgs[i] = suiteConfig{Image: image}
	}
	res := recordSuite(t, cfgs...)
	if p, _ := res.Profile(ProfileName); len(p.Containers) != updateRuns {
		t.Fatalf("want %d containers merged into %q, got %d", updateRuns, ProfileName, len(p.Containers))
	}
	return res
}

// hostInfo is what, besides the service, decides what it does in its
// container. Versions are major.minor: patch releases do not change
// syscalls.
type hostInfo struct {
	Go      string `json:"go"`      // the Go runtime: its syscalls
	Arch    string `json:"arch"`    // syscall names and numbers
	Kernel  string `json:"kernel"`  // vDSO calls (getrandom) and syscall fallbacks
	Docker  string `json:"docker"`  // dockerd's version
	Runtime string `json:"runtime"` // runc or crun: their last syscalls are the container's
	Cgroup  string `json:"cgroup"`  // the cgroup files the Go runtime reads (GOMAXPROCS)
}

func thisHost(t *testing.T) hostInfo {
	t.Helper()
	release, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		t.Fatal(err)
	}
	info := strings.Split(strings.TrimSpace(docker(t, "info", "-f", "{{.ServerVersion}}|{{.DefaultRuntime}}|{{.CgroupVersion}}")), "|")
	for len(info) < 3 {
		info = append(info, "")
	}
	return hostInfo{
		Go:      majorMinor(strings.TrimPrefix(runtime.Version(), "go")),
		Arch:    runtime.GOARCH,
		Kernel:  majorMinor(strings.TrimSpace(string(release))),
		Docker:  majorMinor(info[0]),
		Runtime: info[1],
		Cgroup:  info[2],
	}
}

// majorMinor is "1.26" of "1.26.8", "6.1" of "6.1.0-27-amd64".
func majorMinor(v string) string {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return v
	}
	minor := parts[1]
	if i := strings.IndexFunc(minor, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
		minor = minor[:i]
	}
	return parts[0] + "." + minor
}

// baselineFor is the baseline the tests compare with: the committed one
// when this host is the one it was recorded on (baseline-host.json), else
// one recorded here, once, from updateRuns runs. A baseline from another
// Go release or cgroup version would report the difference in hosts, not
// in the service.
func baselineFor(t *testing.T) string {
	t.Helper()
	shared.baselineMu.Lock()
	defer shared.baselineMu.Unlock()
	if shared.baseline != "" {
		return shared.baseline
	}
	here := thisHost(t)
	var recorded hostInfo
	data, err := os.ReadFile(hostFile)
	if err == nil {
		err = json.Unmarshal(data, &recorded)
	}
	if err == nil && recorded == here {
		shared.baseline = baselineDir
		return shared.baseline
	}
	why := fmt.Sprintf("%s: %+v; here: %+v", hostFile, recorded, here)
	if err != nil {
		why = err.Error()
	}
	t.Logf("the committed baseline is not from this host (%s): comparing with a baseline recorded here instead (%d runs). "+
		"To commit one for this host (as root):\n  go test -count=1 -run '^TestUpdateBaseline$' ./examples/httpservice -update",
		why, updateRuns)
	dir := filepath.Join(sharedTempDir(t), "baseline")
	if _, err := recordBaseline(t).Write(dir); err != nil {
		t.Fatal(err)
	}
	shared.baseline = dir
	return dir
}

const regenerateHint = `
If the service changed on purpose, regenerate the baseline (as root) and
review the diff before committing it:
  go test -count=1 -run '^TestUpdateBaseline$' ./examples/httpservice -update
See examples/httpservice/README.md.`

// recordSuite runs the suite once per config under one recorder that
// records only this call's containers, and returns the profiles.
func recordSuite(t *testing.T, cfgs ...suiteConfig) *recorder.Result {
	t.Helper()
	run := "api-" + randomID()
	match, err := profile.ParseMatch([]string{"label=" + RunLabel + "=" + run})
	if err != nil {
		t.Fatal(err)
	}
	nameBy, err := profile.ParseNameBy("label=" + ProfileLabel)
	if err != nil {
		t.Fatal(err)
	}
	mark := tracertest.MarkBPF(t)
	rec, err := recorder.Start(context.Background(), recorder.Options{
		Match:  match,
		NameBy: nameBy,
		Warnf:  func(format string, args ...any) { t.Logf("recorder: "+format, args...) },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Stop() // releases the eBPF programs on every path
	for _, cfg := range cfgs {
		cfg.Run = run
		runSuite(t, cfg)
	}
	res, err := rec.Stop()
	if err != nil {
		t.Fatal(err)
	}
	// Stop released every BPF object, and nothing is pinned.
	tracertest.RequireNoBPFLeft(t, mark)
	requireNoContainers(t, run)
	if len(res.Profiles) != 1 || res.Profiles[0].Name != ProfileName {
		var names []string
		for _, p := range res.Profiles {
			names = append(names, p.Name)
		}
		t.Fatalf("recorded profiles %v, want only %q", names, ProfileName)
	}
	for _, r := range res.Profiles[0].Containers {
		if r.Partial {
			t.Errorf("container %s was recorded partially: %v", r.Container.Name, r.Warnings)
		}
	}
	return res
}

// writeProfiles writes the result into a temporary directory, as
// tailor record -o does, and returns it.
func writeProfiles(t *testing.T, res *recorder.Result) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := res.Write(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// requireNamed fails unless out names every one of want.
func requireNamed(t *testing.T, what, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("%s's output does not name %q:\n%s", what, w, out)
		}
	}
}

// requireNoContainers fails when a container of the run is left.
func requireNoContainers(t *testing.T, run string) {
	t.Helper()
	if left := strings.TrimSpace(docker(t, "ps", "-aq", "--filter", "label="+RunLabel+"="+run)); left != "" {
		t.Errorf("containers of run %s left behind: %s", run, left)
	}
}

// requireRecorder skips (or fails, with TAILOR_REQUIRE_E2E) unless this
// process can record: root, BPF with BTF, dockerd.
func requireRecorder(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		tracertest.SkipOrFail(t, "skipping: recording needs root (sudo go test ./examples/httpservice)")
	}
	if err := tracer.CheckSupport(); err != nil {
		tracertest.SkipOrFail(t, "skipping: this kernel cannot record: %v (Linux 5.17+ with BTF)", err)
	}
	requireDocker(t)
}

// sharedImage builds the service's image once for the package's tests.
func sharedImage(t *testing.T) string {
	t.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.image == "" {
		shared.image = buildImage(t)
	}
	return shared.image
}

// tailorCommand is the tailor CLI of this tree, built once.
func tailorCommand(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.tailor == "" {
		shared.tailor = tracertest.BuildTailor(t, tempDirLocked(t))
	}
	cmd := exec.Command(shared.tailor, args...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	return cmd
}

// sharedTempDir is a directory removed when the package's tests end.
func sharedTempDir(t *testing.T) string {
	t.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	return tempDirLocked(t)
}

func tempDirLocked(t *testing.T) string {
	t.Helper()
	if shared.tempDir == "" {
		dir, err := os.MkdirTemp("", "httpservice-test-")
		if err != nil {
			t.Fatal(err)
		}
		shared.tempDir = dir
	}
	return shared.tempDir
}

// runTailor runs the tailor CLI and returns its exit code and output.
func runTailor(t *testing.T, args ...string) (int, string) {
	t.Helper()
	return runCmd(t, tailorCommand(t, args...))
}

// runCmd runs cmd and returns its exit code and its stdout and stderr.
func runCmd(t *testing.T, cmd *exec.Cmd) (int, string) {
	t.Helper()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String()
	}
	if err != nil {
		t.Fatalf("%s: %v", strings.Join(cmd.Args, " "), err)
	}
	return 0, out.String()
}
