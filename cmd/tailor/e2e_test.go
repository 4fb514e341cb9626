package main

// End-to-end tests: real dockerd, real containers, the BPF recorder. They run
// as root (CI does) and skip with the reason otherwise. Every container and
// image they make carries a tailor-e2e- prefix and is removed afterwards.

import (
	"archive/tar"
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	seccomp "github.com/moby/profiles/seccomp"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/apparmor"
	"github.com/tailorsec/tailor/profile/diff"
	"github.com/tailorsec/tailor/profile/runflags"
	"github.com/tailorsec/tailor/tracer"
	"github.com/tailorsec/tailor/tracer/tracertest"
)

func requireE2E(t *testing.T) {
	t.Helper()
	if err := tracer.CheckSupport(); err != nil {
		tracertest.SkipOrFail(t, "skipping end-to-end test: %v (run as root on Linux 5.17+ with BTF)", err)
	}
	if err := exec.Command("docker", "info").Run(); err != nil {
		tracertest.SkipOrFail(t, "skipping end-to-end test: the Docker daemon does not answer (%v); start dockerd", err)
	}
}

func uniqueName(prefix string) string {
	return fmt.Sprintf("tailor-e2e-%s-%d", prefix, rand.Int63()%1_000_000)
}

func docker(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("docker", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func removeContainer(name string) {
	_ = exec.Command("docker", "rm", "-f", "-v", name).Run()
}

// probeImage builds a FROM scratch image holding only the probe and an
// empty /work directory.
func probeImage(t *testing.T) (image, probe string) {
	t.Helper()
	image = uniqueName("probe") + ":latest"
	return image, tracertest.ProbeImage(t, image)
}

// tailor runs the CLI in this process and returns its exit code and output.
func tailor(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

type written struct {
	dir     string
	seccomp seccomp.Seccomp
	caps    profile.CapabilitySet
	report  map[string]any
	flags   string
}

func readProfile(t *testing.T, dir string) written {
	t.Helper()
	w := written{dir: dir}
	read := func(name string, v any) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if v == nil {
			w.flags = strings.TrimSpace(string(b))
			return
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	read("seccomp.json", &w.seccomp)
	read("capabilities.json", &w.caps)
	read("report.json", &w.report)
	read("docker-run.flags", nil)
	checkAppArmorProfile(t, dir, w)
	if lost := w.report["events_lost"]; lost != float64(0) {
		t.Errorf("%s: events_lost = %v, want 0", dir, lost)
	}
	return w
}

// checkAppArmorProfile: every generated AppArmor profile must parse as
// apparmor_parser reads it (nothing is loaded: this kernel has no AppArmor)
// and pass the offline check that it allows what was recorded.
func checkAppArmorProfile(t *testing.T, dir string, w written) {
	t.Helper()
	path := filepath.Join(dir, "apparmor.profile")
	if _, err := exec.LookPath("apparmor_parser"); err != nil {
		tracertest.SkipOrFail(t, "skipping: apparmor_parser is needed to check AppArmor profiles (apt-get install apparmor)")
	}
	if out, err := exec.Command("apparmor_parser", "-Q", "-K", path).CombinedOutput(); err != nil {
		t.Fatalf("apparmor_parser -Q rejects %s: %v\n%s", path, err, out)
	}
	aa, _ := w.report["apparmor"].(map[string]any)
	if problems, _ := aa["problems"].([]any); len(problems) > 0 {
		t.Errorf("the AppArmor profile does not fit the recording: %v", problems)
	}
}

func (w written) allowed() map[string]bool {
	out := map[string]bool{}
	for _, s := range w.seccomp.Syscalls {
		if s.Action == "SCMP_ACT_ALLOW" {
			for _, n := range s.Names {
				out[n] = true
			}
		}
	}
	return out
}

// made is what seccomp.json allows because the container made it: allowed
// less what a family or lifecycle brought in (report.json's generalized).
// A family may allow mkdirat where the workload made mkdir; the runtime's
// own mkdirat must still never be recorded.
func (w written) made() map[string]bool {
	out := w.allowed()
	gen, _ := w.report["generalized"].([]any)
	for _, g := range gen {
		if m, ok := g.(map[string]any); ok {
			delete(out, fmt.Sprint(m["name"]))
		}
	}
	return out
}

// runHardened starts image with the generated flags (through a shell, so
// their quoting is exercised) and returns its output.
func runHardened(t *testing.T, w written, extra string, image string, args ...string) (string, error) {
	t.Helper()
	name := uniqueName("hardened")
	defer removeContainer(name)
	script := fmt.Sprintf("exec docker run --rm --name %s %s %s %s %s", name, w.flags, extra, image, strings.Join(args, " "))
	out, err := exec.Command("bash", "-c", script).CombinedOutput()
	return string(out), err
}

// Runtime-only syscalls: runc makes them before it loads the container's
// seccomp filter, so they must never be recorded (see written.made: a
// family may still allow mkdirat for a workload's own mkdir).
var runtimeOnly = []string{"mount", "umount2", "pivot_root", "keyctl", "sethostname", "setns", "unshare", "seccomp", "symlinkat", "mkdirat"}

// The runtimes the arming point is tested with: each loads the container's
// seccomp filter at its own place in its own code.
var runtimes = []string{"runc", "crun"}

// requireRuntime skips (fails in CI) when dockerd does not know runtime.
func requireRuntime(t *testing.T, runtime string) {
	t.Helper()
	out, _ := exec.Command("docker", "info", "--format", "{{json .Runtimes}}").Output()
	if !strings.Contains(string(out), `"`+runtime+`"`) {
		tracertest.SkipOrFail(t, "skipping: dockerd has no %s runtime (make setup registers crun in /etc/docker/daemon.json)", runtime)
	}
}

func TestRecordProbe(t *testing.T) {
	requireE2E(t)
	image, _ := probeImage(t)
	for _, rt := range runtimes {
		for _, tc := range []struct {
			name     string
			learning []string
			armedBy  string
		}{
			{"default-seccomp", nil, profile.ArmedByFilter},
			{"unconfined", []string{"--security-opt", "seccomp=unconfined"}, profile.ArmedByExec},
		} {
			t.Run(rt+"-"+tc.name, func(t *testing.T) { testRecordProbe(t, image, rt, tc.learning, tc.armedBy) })
		}
	}
}

func testRecordProbe(t *testing.T, image, rt string, learning []string, armedBy string) {
	requireRuntime(t, rt)
	name := uniqueName("probe")
	defer removeContainer(name)
	out := t.TempDir()
	args := append([]string{"record", "-q", "-o", out, "--", "docker", "run", "--rm", "--runtime", rt, "--name", name}, learning...)
	args = append(args, image, "/probe", "work")
	code, stdout, stderr := tailor(t, args...)
	if code != 0 {
		t.Fatalf("tailor record exited %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	w := readProfile(t, filepath.Join(out, name))
	// A container that ran no 32-bit code cannot reach the 32-bit
	// syscall table at all.
	if got := fmt.Sprint(w.seccomp.Architectures); got != "[SCMP_ARCH_X86_64]" && runtime.GOARCH == "amd64" {
		t.Errorf("architectures = %s, want only SCMP_ARCH_X86_64", got)
	}
	if got := w.report["armed_by"]; got != armedBy {
		t.Errorf("armed_by = %v, want %s", got, armedBy)
	}
	if lost := w.report["events_lost"]; lost != float64(0) {
		t.Errorf("events_lost = %v, want 0", lost)
	}
	allowed := w.allowed()
	for _, s := range []string{"execve", "getppid", "getuid", "uname", "getcwd", "sysinfo", "getrusage", "getpid", "kill",
		"chdir", "openat", "write", "fchown", "close", "mknodat", "chroot", "setpriority", "setgid", "setuid", "exit_group"} {
		if !allowed[s] {
			t.Errorf("the probe's %s is missing from seccomp.json", s)
		}
	}
	for _, s := range runtimeOnly {
		if w.made()[s] {
			t.Errorf("runtime-only syscall %s leaked into seccomp.json", s)
		}
	}
	for _, c := range []string{"CAP_CHOWN", "CAP_MKNOD", "CAP_SYS_CHROOT", "CAP_SETGID", "CAP_SETUID"} {
		if !slices.Contains(w.caps.Add, c) {
			t.Errorf("capability %s missing from add %v", c, w.caps.Add)
		}
	}
	// runc's own capability checks (it drops the bounding set with
	// CAP_SETPCAP) are not the container's.
	for _, c := range []string{"CAP_SETPCAP", "CAP_SYS_NICE", "CAP_SYS_ADMIN"} {
		if slices.Contains(w.caps.Add, c) {
			t.Errorf("capability %s must not be added: %v", c, w.caps.Add)
		}
	}
	if !slices.Contains(w.caps.Denied, "CAP_SYS_NICE") {
		t.Errorf("the denied CAP_SYS_NICE check is not listed: %v", w.caps.Denied)
	}
	for _, f := range []string{"--cap-drop=ALL", "--cap-add=CHOWN", "--security-opt=no-new-privileges", "--security-opt=seccomp=" + filepath.Join(out, name, "seccomp.json")} {
		if !strings.Contains(w.flags, f) {
			t.Errorf("flags %q lack %q", w.flags, f)
		}
	}

	if got := w.report["container"].(map[string]any)["runtime"]; got != rt {
		t.Errorf("runtime = %v, want %s", got, rt)
	}
	// The profile is enough for the container to start and work,
	// every time: what the runtime does between its filter and the
	// exec varies from start to start (a signal may land there).
	for i := 0; i < 10; i++ {
		if got, err := runHardened(t, w, "--runtime "+rt, image, "/probe", "work"); err != nil || !strings.Contains(got, "probe: work done") {
			t.Fatalf("hardened probe failed on start %d: %v\n%s", i+1, err, got)
		}
	}
}

// runc loads the container's filter before its last steps (dropping
// capabilities, switching user): those syscalls belong in the profile, and a
// profile without them stops the container from starting. This pins the
// arming point: move it later and this test fails.
func TestRuntimeNeedsItsPostFilterSyscalls(t *testing.T) {
	requireE2E(t)
	image, _ := probeImage(t)
	name := uniqueName("arming")
	defer removeContainer(name)
	out := t.TempDir()
	code, _, stderr := tailor(t, "record", "-q", "-o", out, "--", "docker", "run", "--rm", "--name", name, image, "/probe", "work")
	if code != 0 {
		t.Fatalf("record exited %d: %s", code, stderr)
	}
	w := readProfile(t, filepath.Join(out, name))
	if !w.allowed()["capset"] {
		t.Fatalf("capset (runc's final capability change, after its filter) is not in the profile")
	}
	// Without capset, and without no-new-privileges (so runc applies the
	// filter before dropping capabilities, as during learning), the
	// container cannot start.
	for i := range w.seccomp.Syscalls {
		if w.seccomp.Syscalls[i].Action == "SCMP_ACT_ALLOW" {
			w.seccomp.Syscalls[i].Names = slices.DeleteFunc(w.seccomp.Syscalls[i].Names, func(n string) bool { return n == "capset" })
		}
	}
	b, _ := json.Marshal(w.seccomp)
	broken := filepath.Join(t.TempDir(), "no-capset.json")
	if err := os.WriteFile(broken, b, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := exec.Command("docker", "run", "--rm", "--security-opt", "seccomp="+broken, image, "/probe", "work").CombinedOutput()
	if err == nil {
		t.Fatalf("the container started without capset in its profile; the arming point is wrong:\n%s", got)
	}
	if !strings.Contains(strings.ToLower(string(got)), "operation not permitted") {
		t.Logf("start failed as expected, with: %s", got)
	}
}

func sharedImages(t *testing.T) string {
	t.Helper()
	dir, _ := filepath.Abs("../../../shared/images")
	if _, err := os.Stat(filepath.Join(dir, "workloads.sh")); err != nil {
		tracertest.SkipOrFail(t, "skipping: %s/workloads.sh not found (the shared test images sit beside the repository in CI)", dir)
	}
	for _, img := range []string{"sptest/busybox", "sptest/nginx", "sptest/redis"} {
		if exec.Command("docker", "image", "inspect", img).Run() != nil {
			tracertest.SkipOrFail(t, "skipping: image %s is missing; build it with %s/build.sh (make images)", img, dir)
		}
	}
	if _, err := exec.LookPath("redis-cli"); err != nil {
		tracertest.SkipOrFail(t, "skipping: redis-cli is needed to drive redis (apt-get install redis-tools)")
	}
	return dir
}

// workloadEnv gives the shared workloads this test's own container names
// and free ports, so tests never collide with a user's containers or with
// another run of themselves.
func workloadEnv(prefix string) []string {
	return append(os.Environ(),
		"SPTEST_BUSYBOX_NAME="+prefix+"-busybox",
		"SPTEST_NGINX_NAME="+prefix+"-nginx", "SPTEST_NGINX_PORT="+freePort(),
		"SPTEST_REDIS_NAME="+prefix+"-redis", "SPTEST_REDIS_PORT="+freePort())
}

// freePort is a TCP port on 127.0.0.1 that nothing listens on now.
func freePort() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "18080"
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// Record busybox, nginx and redis while driving them with real clients, once
// under Docker's default seccomp profile and once unconfined, then run them
// again with only the generated flags (--read-only and --tmpfs included where
// suggested): they must do the same work and stop cleanly.
func TestSharedImagesHardenedRerun(t *testing.T) {
	requireE2E(t)
	dir := sharedImages(t)
	// What --read-only should say: busybox writes only under /tmp; nginx
	// makes and chowns its temp directories under /var/lib/nginx; redis
	// saves /data/dump.rdb on the root filesystem (no volume).
	readOnly := map[string]struct {
		suggested bool
		mention   string
	}{
		"busybox": {true, "/tmp"},
		"nginx":   {false, "/var/lib/nginx"},
		"redis":   {false, "/data"},
	}
	type run struct{ app, runtime, learning string }
	var runs []run
	for _, app := range []string{"busybox", "nginx", "redis"} {
		for _, learning := range []string{"", "--security-opt seccomp=unconfined"} {
			runs = append(runs, run{app, "runc", learning})
			if app != "busybox" {
				runs = append(runs, run{app, "crun", learning})
			}
		}
	}
	for _, r := range runs {
		app, rt := r.app, r.runtime
		label := "default"
		if r.learning != "" {
			label = "unconfined"
		}
		learning := "--runtime " + rt + " " + r.learning
		t.Run(app+"-"+rt+"-"+label, func(t *testing.T) {
			requireRuntime(t, rt)
			prefix := uniqueName(app)
			env := workloadEnv(prefix)
			name := prefix + "-" + app
			defer removeContainer(name)
			out := t.TempDir()
			script := fmt.Sprintf(". %s/workloads.sh && start_%s %s >/dev/null && drive_%s && stop_%s", dir, app, learning, app, app)
			code, stdout, stderr := tailorEnv(t, env, "record", "-q", "-o", out, "--", "bash", "-c", script)
			if code != 0 {
				t.Fatalf("recording %s exited %d\n%s\n%s", app, code, stdout, stderr)
			}
			w := readProfile(t, filepath.Join(out, name))
			for _, s := range runtimeOnly {
				if w.made()[s] {
					t.Errorf("runtime-only syscall %s leaked into %s's profile", s, app)
				}
			}
			ro, _ := w.report["read_only"].(map[string]any)
			want := readOnly[app]
			if ro["suggested"] != want.suggested || !strings.Contains(fmt.Sprint(ro), want.mention) {
				t.Errorf("read_only = %v, want suggested=%v mentioning %s", ro, want.suggested, want.mention)
			}
			if strings.Contains(w.flags, "--read-only") != want.suggested {
				t.Errorf("flags %q: --read-only should be there: %v", w.flags, want.suggested)
			}
			t.Logf("%s (%s): %d syscalls, caps %v, flags %s", app, label, len(w.allowed()), w.caps.Add, w.flags)

			hardened := fmt.Sprintf(". %s/workloads.sh && start_%s --runtime %s %s >/dev/null && drive_%s && stop_%s", dir, app, rt, w.flags, app, app)
			cmd := exec.Command("bash", "-c", hardened)
			cmd.Env = env
			if got, err := cmd.CombinedOutput(); err != nil {
				logs, _ := exec.Command("docker", "logs", name).CombinedOutput()
				t.Fatalf("hardened %s failed: %v\n%s\ncontainer logs:\n%s", app, err, got, logs)
			}
		})
	}
}

func tailorEnv(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	old := os.Environ()
	os.Clearenv()
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v)
	}
	defer func() {
		os.Clearenv()
		for _, kv := range old {
			k, v, _ := strings.Cut(kv, "=")
			os.Setenv(k, v)
		}
	}()
	return tailor(t, args...)
}

// In the hardened busybox container, syscalls busybox never made fail with
// EPERM; with the same capabilities but no seccomp profile ptrace works, so
// it is the profile that stops them.
func TestHardenedBusyboxBlocksUnusedSyscalls(t *testing.T) {
	requireE2E(t)
	dir := sharedImages(t)
	probe := tracertest.BuildProbe(t)
	prefix := uniqueName("bb")
	env := workloadEnv(prefix)
	name := prefix + "-busybox"
	defer removeContainer(name)
	out := t.TempDir()
	script := fmt.Sprintf(". %s/workloads.sh && start_busybox >/dev/null && drive_busybox && stop_busybox", dir)
	if code, _, stderr := tailorEnv(t, env, "record", "-q", "-o", out, "--", "bash", "-c", script); code != 0 {
		t.Fatalf("recording busybox exited %d: %s", code, stderr)
	}
	w := readProfile(t, filepath.Join(out, name))
	for _, s := range []string{"ptrace", "unshare", "mount"} {
		if w.allowed()[s] {
			t.Fatalf("busybox's workload made %s?", s)
		}
	}
	mountProbe := "-v " + probe + ":/probe:ro"
	got, err := runHardened(t, w, mountProbe, "sptest/busybox", "/probe", "blocked")
	if err != nil {
		t.Fatalf("hardened busybox: %v\n%s", err, got)
	}
	for _, s := range []string{"ptrace=1", "unshare=1", "mount=1"} { // 1 = EPERM
		if !strings.Contains(got, s) {
			t.Errorf("hardened busybox: want %s, got:\n%s", s, got)
		}
	}
	// Control: the same capabilities without the seccomp profile.
	control := w
	control.flags = strings.ReplaceAll(w.flags, "--security-opt=seccomp="+filepath.Join(out, name, "seccomp.json"), "--security-opt=seccomp=unconfined")
	got, err = runHardened(t, control, mountProbe, "sptest/busybox", "/probe", "blocked")
	if err != nil || !strings.Contains(got, "ptrace=0") {
		t.Errorf("control run without the profile: ptrace should work: %v\n%s", err, got)
	}
}

func TestRecordRunningContainerForDuration(t *testing.T) {
	requireE2E(t)
	sharedImages(t)
	name := uniqueName("running")
	defer removeContainer(name)
	docker(t, "run", "-d", "--name", name, "sptest/busybox", "sh", "-c", "while true; do cat /etc/passwd >/dev/null; sleep 0.2; done")
	out := t.TempDir()
	code, stdout, stderr := tailor(t, "record", "-o", out, "--container", name, "--duration", "3s")
	if code != 0 {
		t.Fatalf("record exited %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "already running") {
		t.Errorf("no warning that the start was missed: %s", stderr)
	}
	w := readProfile(t, filepath.Join(out, name))
	if w.report["start_missed"] != true || w.report["partial"] != true {
		t.Errorf("start_missed=%v partial=%v, want both true", w.report["start_missed"], w.report["partial"])
	}
	// The loop's shell forks and execs cat (which copies with sendfile)
	// and sleep.
	for _, s := range []string{"execve", "wait4", "openat", "sendfile", "clock_nanosleep"} {
		if !w.allowed()[s] {
			t.Errorf("%s missing from the running container's profile", s)
		}
	}
}

// A container killed in the middle of the run still gets its profile, with
// its exit code and a note.
func TestContainerKilledMidRun(t *testing.T) {
	requireE2E(t)
	sharedImages(t)
	name := uniqueName("killed")
	defer removeContainer(name)
	out := t.TempDir()
	script := fmt.Sprintf("docker run -d --name %s sptest/busybox sleep 60 >/dev/null && sleep 1 && docker kill %s >/dev/null && docker wait %s", name, name, name)
	code, _, stderr := tailor(t, "record", "-q", "-o", out, "--", "bash", "-c", script)
	if code != 0 {
		t.Fatalf("record exited %d: %s", code, stderr)
	}
	w := readProfile(t, filepath.Join(out, name))
	c := w.report["container"].(map[string]any)
	if c["exit_code"] != float64(137) {
		t.Errorf("exit code %v, want 137", c["exit_code"])
	}
	if w.report["partial"] == true {
		t.Errorf("a container that died is not partial")
	}
	if !strings.Contains(fmt.Sprint(w.report["warnings"]), "137") {
		t.Errorf("no note about the kill in warnings: %v", w.report["warnings"])
	}
}

func TestRecordErrors(t *testing.T) {
	t.Run("unknown flag", func(t *testing.T) {
		code, _, stderr := tailor(t, "record", "--bogus")
		if code != exitUsage || !strings.Contains(stderr, "unknown flag: --bogus") {
			t.Errorf("code %d, stderr %q", code, stderr)
		}
	})
	t.Run("unknown command", func(t *testing.T) {
		if code, _, _ := tailor(t, "recrod"); code != exitUsage {
			t.Errorf("code %d", code)
		}
	})
	t.Run("output not writable", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "file")
		os.WriteFile(file, nil, 0o644)
		code, _, stderr := tailor(t, "record", "-o", filepath.Join(file, "sub"), "--duration", "1s")
		if code != exitOutput || !strings.Contains(stderr, "cannot write profiles") {
			t.Errorf("code %d, stderr %q", code, stderr)
		}
	})
	t.Run("docker unreachable", func(t *testing.T) {
		if tracer.CheckSupport() != nil {
			tracertest.SkipOrFail(t, "needs root")
		}
		t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
		code, _, stderr := tailor(t, "record", "-o", t.TempDir(), "--duration", "1s")
		if code != exitSetup || !strings.Contains(stderr, "cannot reach the Docker daemon") || !strings.Contains(stderr, "fix:") {
			t.Errorf("code %d, stderr %q", code, stderr)
		}
	})
	t.Run("help and version", func(t *testing.T) {
		code, stdout, _ := tailor(t, "record", "--help")
		if code != 0 || !strings.Contains(stdout, "--container") {
			t.Errorf("record --help: %d %q", code, stdout)
		}
		code, stdout, _ = tailor(t, "version")
		if code != 0 || !strings.HasPrefix(stdout, "tailor ") {
			t.Errorf("version: %d %q", code, stdout)
		}
	})
}

// A process started with docker exec is the workload from its exec on; the
// runtime's way in (setns, keyctl, ...) is not.
func TestDockerExecIsRecorded(t *testing.T) {
	requireE2E(t)
	sharedImages(t)
	name := uniqueName("exec")
	defer removeContainer(name)
	out := t.TempDir()
	script := fmt.Sprintf(`docker run -d --name %[1]s sptest/busybox sleep 60 >/dev/null && sleep 1 &&
		docker exec %[1]s ls -la /etc >/dev/null && docker exec %[1]s sh -c 'cat /etc/group | sort' >/dev/null &&
		docker rm -f %[1]s >/dev/null`, name)
	if code, _, stderr := tailor(t, "record", "-q", "-o", out, "--", "bash", "-c", script); code != 0 {
		t.Fatalf("record exited %d: %s", code, stderr)
	}
	w := readProfile(t, filepath.Join(out, name))
	for _, s := range []string{"getdents64", "pipe2", "wait4"} { // ls; sh's pipe
		if !w.allowed()[s] {
			t.Errorf("%s from the exec'd commands is missing", s)
		}
	}
	for _, s := range runtimeOnly {
		if w.made()[s] {
			t.Errorf("runtime-only syscall %s leaked in through docker exec", s)
		}
	}
}

// An exec that gains privileges (a setuid binary) must keep working: no
// no-new-privileges, and the report says why.
func TestPrivilegedExecKeepsPrivilegeGain(t *testing.T) {
	requireE2E(t)
	probe, err := os.ReadFile(tracertest.BuildProbe(t))
	if err != nil {
		t.Fatal(err)
	}
	// docker build's COPY drops the setuid bit; an imported tarball keeps it.
	var tarball bytes.Buffer
	tw := tar.NewWriter(&tarball)
	tw.WriteHeader(&tar.Header{Name: "suid-probe", Mode: 0o4755, Size: int64(len(probe)), Typeflag: tar.TypeReg})
	tw.Write(probe)
	tw.Close()
	image := uniqueName("suid") + ":latest"
	cmd := exec.Command("docker", "import", "-", image)
	cmd.Stdin = &tarball
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker import: %v\n%s", err, out)
	}
	defer exec.Command("docker", "rmi", "-f", image).Run()

	name := uniqueName("suid")
	defer removeContainer(name)
	out := t.TempDir()
	code, _, stderr := tailor(t, "record", "-q", "-o", out, "--", "docker", "run", "--rm", "--name", name, "--user", "1000:1000", image, "/suid-probe", "blocked")
	if code != 0 {
		t.Fatalf("record exited %d: %s", code, stderr)
	}
	w := readProfile(t, filepath.Join(out, name))
	if strings.Contains(w.flags, "no-new-privileges") {
		t.Errorf("no-new-privileges suggested although /suid-probe gained privileges: %s", w.flags)
	}
	if got := fmt.Sprint(w.report["privileged_execs"]); !strings.Contains(got, "/suid-probe") {
		t.Errorf("privileged_execs = %s", got)
	}
	nnp := w.report["no_new_privileges"].(map[string]any)
	if nnp["suggested"] != false || !strings.Contains(fmt.Sprint(nnp["reason"]), "/suid-probe") {
		t.Errorf("no_new_privileges = %v", nnp)
	}
}

// Ctrl-C (and SIGTERM) end a recording without a command: profiles are
// written for what was seen, still-running containers marked partial.
func TestSignalEndsRecording(t *testing.T) {
	requireE2E(t)
	sharedImages(t)
	bin := filepath.Join(t.TempDir(), "tailor")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			done, still := uniqueName("done"), uniqueName("still")
			defer removeContainer(done)
			defer removeContainer(still)
			out := t.TempDir()
			cmd := exec.Command(bin, "record", "-o", out)
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			waitForLine(t, stderr, "press Ctrl-C")
			docker(t, "run", "--name", done, "sptest/busybox", "true")
			docker(t, "run", "-d", "--name", still, "sptest/busybox", "sleep", "60")
			time.Sleep(500 * time.Millisecond)
			cmd.Process.Signal(sig)
			if err := cmd.Wait(); err != nil {
				t.Fatalf("tailor after %v: %v", sig, err)
			}
			if w := readProfile(t, filepath.Join(out, done)); w.report["partial"] == true {
				t.Errorf("%s ended before the signal but is marked partial", done)
			}
			if w := readProfile(t, filepath.Join(out, still)); w.report["partial"] != true {
				t.Errorf("%s still runs but is not marked partial", still)
			}
		})
	}
}

func waitForLine(t *testing.T, r io.Reader, want string) {
	t.Helper()
	type result struct {
		ok   bool
		seen []string
	}
	found := make(chan result, 1)
	go func() {
		var seen []string
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			seen = append(seen, sc.Text())
			if strings.Contains(sc.Text(), want) {
				found <- result{true, seen}
				io.Copy(io.Discard, r)
				return
			}
		}
		found <- result{false, seen}
	}()
	select {
	case res := <-found:
		if !res.ok {
			t.Fatalf("output ended before %q; it was:\n%s", want, strings.Join(res.seen, "\n"))
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("no %q within 30s", want)
	}
}

// File names are hostile input: a container creating files with quotes,
// commas, braces, globs, newlines and bytes that are not UTF-8 gets an
// AppArmor profile that parses, allows exactly those files, and reports
// each name byte for byte.
func TestHostileFileNames(t *testing.T) {
	requireE2E(t)
	sharedImages(t)
	names := map[string][]string{ // directory -> names (fewer than 8 each: no dir/* glob)
		"/tmp/h1": {"a b", "quo\"te", "comma,x", "brace{x}", "star*x", "hash#x"},
		"/tmp/h2": {"new\nline", "bad\xffbyte", "back\\slash", "q?x", "br[x]", "trailing\\"},
		"/tmp/h3": {"at@{PROC}", "dollar$x", "caret^x", "tab\tx", "-rf", " lead"},
	}
	var script strings.Builder
	script.WriteString("set -e\n")
	for dir, list := range names {
		fmt.Fprintf(&script, "mkdir -p %s\n", dir)
		for _, n := range list {
			// printf %b turns the octal escapes back into the raw bytes.
			fmt.Fprintf(&script, ": > \"%s/$(printf '%%b' '%s')\"\n", dir, octal(n))
		}
	}
	name := uniqueName("hostile")
	defer removeContainer(name)
	out := t.TempDir()
	code, _, stderr := tailor(t, "record", "-q", "-o", out, "--", "docker", "run", "--rm", "--name", name, "sptest/busybox", "sh", "-c", script.String())
	if code != 0 {
		t.Fatalf("record exited %d: %s\n%s", code, stderr, script.String())
	}
	w := readProfile(t, filepath.Join(out, name)) // parses, fits the recording
	recorded := map[string]bool{}
	files, _ := w.report["files"].([]any)
	for _, f := range files {
		m := f.(map[string]any)
		p, _ := m["path"].(string)
		if b64, ok := m["path_base64"].(string); ok {
			raw, err := base64.StdEncoding.DecodeString(b64)
			if err != nil {
				t.Fatal(err)
			}
			p = string(raw)
		}
		recorded[p] = true
	}
	text, err := os.ReadFile(filepath.Join(out, name, "apparmor.profile"))
	if err != nil {
		t.Fatal(err)
	}
	rules, err := apparmor.ParseFileRules(text)
	if err != nil {
		t.Fatal(err)
	}
	for dir, list := range names {
		for _, n := range list {
			p := dir + "/" + n
			if !recorded[p] {
				t.Errorf("%q is not in report.json's files", p)
			}
			matching := 0
			for _, r := range rules {
				// The baseline's /tmp/** (temporary files) covers every
				// name here; each must also have its own rule, and no
				// other rule may match it.
				if !r.Deny && r.Pattern != "/tmp/**" && r.Matches(p) {
					matching++
				}
			}
			if matching != 1 {
				t.Errorf("%q is matched by %d allow rules, want exactly its own", p, matching)
			}
		}
	}
}

// octal writes every byte that is not a plain letter or digit as a \0NNN
// escape for printf %b, so the shell never sees the raw name.
func octal(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "\\0%03o", c)
		}
	}
	return b.String()
}

// 32-bit code in a container: its syscalls are recorded under their own
// architecture (named by libseccomp for i386), and the profile lists
// SCMP_ARCH_X86 for them. Kernels without IA32 emulation cannot run it.
func TestRecord32BitCode(t *testing.T) {
	requireE2E(t)
	probe := tracertest.BuildProbe32(t)
	if out, err := exec.Command(probe).CombinedOutput(); err != nil {
		// Not a missing prerequisite tailor could install: the kernel
		// was built or booted without CONFIG_IA32_EMULATION.
		t.Skipf("skipping: this kernel cannot run 32-bit x86 code (%v: %s); the test runs where IA32 emulation is on", err, strings.TrimSpace(string(out)))
	}
	dir := t.TempDir()
	b, _ := os.ReadFile(probe)
	os.WriteFile(filepath.Join(dir, "probe32"), b, 0o755)
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nCOPY probe32 /probe32\n"), 0o644)
	image := uniqueName("probe32") + ":latest"
	build := exec.Command("docker", "build", "-q", "-t", image, dir)
	build.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	defer exec.Command("docker", "rmi", "-f", image).Run()
	name := uniqueName("p32")
	defer removeContainer(name)
	out := t.TempDir()
	if code, _, stderr := tailor(t, "record", "-q", "-o", out, "--", "docker", "run", "--rm", "--name", name, image, "/probe32"); code != 0 {
		t.Fatalf("record exited %d: %s", code, stderr)
	}
	w := readProfile(t, filepath.Join(out, name))
	if !slices.Contains(w.seccomp.Architectures, "SCMP_ARCH_X86") {
		t.Errorf("architectures %v lack SCMP_ARCH_X86", w.seccomp.Architectures)
	}
	compat := map[string]bool{}
	for _, s := range w.report["syscalls"].([]any) {
		m := s.(map[string]any)
		if m["arch"] == "SCMP_ARCH_X86" {
			compat[m["name"].(string)] = true
		}
	}
	for _, s := range []string{"getpid", "write", "exit"} {
		if !compat[s] {
			t.Errorf("32-bit %s not recorded under SCMP_ARCH_X86: %v", s, compat)
		}
	}
	if got, err := runHardened(t, w, "", image, "/probe32"); err != nil || !strings.Contains(got, "probe32: done") {
		t.Errorf("hardened 32-bit probe: %v\n%s", err, got)
	}
}

// podman's containers are recorded through its Docker-compatible API
// (podman system service): the kernel side finds them like any other (their
// cgroup is libpod-<id>), the API names them. The profile then works with
// podman run.
// podmanService starts podman's Docker-compatible API for tailor, hands it
// image, and returns tailor's environment (DOCKER_HOST), the image's name
// in podman, and the limits every podman run here needs.
func podmanService(t *testing.T, image string) (env []string, pimage string, limits []string) {
	t.Helper()
	if _, err := exec.LookPath("podman"); err != nil {
		tracertest.SkipOrFail(t, "skipping: podman is not installed (apt-get install podman)")
	}
	sock := filepath.Join(t.TempDir(), "podman.sock")
	svc := exec.Command("podman", "system", "service", "-t", "0", "unix://"+sock)
	if err := svc.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Process.Kill(); svc.Wait() })
	for i := 0; i < 100; i++ {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	// podman keeps its own images: hand it the probe's.
	load := exec.Command("sh", "-c", "docker save "+image+" | podman load -q")
	if out, err := load.CombinedOutput(); err != nil {
		t.Fatalf("podman load: %v\n%s", err, out)
	}
	pimage = "localhost/" + image
	t.Cleanup(func() { exec.Command("podman", "rmi", "-f", pimage).Run() })
	// podman raises these limits to values some hosts forbid even to root;
	// and its default capabilities lack CAP_MKNOD, which the probe uses.
	limits = []string{"--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"}
	return append(os.Environ(), "DOCKER_HOST=unix://"+sock), pimage, limits
}

func TestPodmanContainer(t *testing.T) {
	requireE2E(t)
	if _, err := exec.LookPath("podman"); err != nil {
		tracertest.SkipOrFail(t, "skipping: podman is not installed (apt-get install podman)")
	}
	image, _ := probeImage(t)
	env, pimage, limits := podmanService(t, image)
	name := uniqueName("podman")
	defer exec.Command("podman", "rm", "-f", name).Run()
	out := t.TempDir()
	args := append([]string{"record", "-q", "-o", out, "--", "podman", "run", "--rm", "--cap-add", "MKNOD", "--name", name}, limits...)
	args = append(args, pimage, "/probe", "work")
	if code, stdout, stderr := tailorEnv(t, env, args...); code != 0 {
		t.Fatalf("record exited %d\n%s\n%s", code, stdout, stderr)
	}
	w := readProfile(t, filepath.Join(out, name))
	for _, s := range []string{"getppid", "fchown", "mknodat", "chroot", "setpriority"} {
		if !w.allowed()[s] {
			t.Errorf("the probe's %s is missing from the podman container's profile", s)
		}
	}
	for _, s := range runtimeOnly {
		if w.made()[s] {
			t.Errorf("runtime-only syscall %s leaked into the profile", s)
		}
	}
	flags := w.flags
	if _, err := os.Stat("/sys/kernel/security/apparmor"); err != nil {
		// podman refuses an AppArmor profile where AppArmor is off
		// (Docker ignores it).
		flags = strings.ReplaceAll(flags, "--security-opt=apparmor="+apparmor.ProfileName(&profile.Recording{Container: profile.Container{Name: name}}), "")
	}
	script := fmt.Sprintf("exec podman run --rm %s %s %s /probe work", strings.Join(limits, " "), flags, pimage)
	if got, err := exec.Command("bash", "-c", script).CombinedOutput(); err != nil || !strings.Contains(string(got), "probe: work done") {
		t.Fatalf("hardened podman run: %v\n%s", err, got)
	}
}

// Argument rules: learned from AF_INET/AF_UNIX sockets and a plain fork, the
// profile stops a netlink socket and user namespaces made by clone or
// unshare (EPERM) and answers clone3 with ENOSYS, while the learned work
// still runs. Each of those works without the profile (same capabilities),
// so the profile is what stops it.
func TestArgumentRules(t *testing.T) {
	requireE2E(t)
	image, _ := probeImage(t)
	for _, rt := range runtimes {
		t.Run(rt, func(t *testing.T) {
			requireRuntime(t, rt)
			name := uniqueName("args")
			defer removeContainer(name)
			out := t.TempDir()
			if code, _, stderr := tailor(t, "record", "-q", "-o", out, "--", "docker", "run", "--rm", "--runtime", rt, "--name", name, image, "/probe", "net"); code != 0 {
				t.Fatalf("record exited %d: %s", code, stderr)
			}
			w := readProfile(t, filepath.Join(out, name))
			rt := "--runtime " + rt
			if got, err := runHardened(t, w, rt, image, "/probe", "net"); err != nil || !strings.Contains(got, "probe: net done") {
				t.Fatalf("the learned work fails hardened: %v\n%s", err, got)
			}
			got, err := runHardened(t, w, rt, image, "/probe", "escape")
			if err != nil {
				t.Fatalf("hardened escape: %v\n%s", err, got)
			}
			for _, want := range []string{"netlink=1", "clone_newuser=1", "unshare_newuser=1", "clone3=38"} {
				if !strings.Contains(got, want) {
					t.Errorf("hardened: want %s, got:\n%s", want, got)
				}
			}
			control := w
			control.flags = strings.ReplaceAll(w.flags, "--security-opt=seccomp="+filepath.Join(out, name, "seccomp.json"), "--security-opt=seccomp=unconfined")
			got, err = runHardened(t, control, rt, image, "/probe", "escape")
			if err != nil {
				t.Fatalf("control: %v\n%s", err, got)
			}
			for _, want := range []string{"netlink=0", "clone_newuser=0", "unshare_newuser=0", "clone3=0"} {
				if !strings.Contains(got, want) {
					t.Errorf("without the profile %s should work, got:\n%s", want, got)
				}
			}
		})
	}
}

// tailor check is the release gate: a baseline recorded from `probe work`
// covers another run of it, and does not cover `probe blocked`, whose
// ptrace, unshare and mount it names. Both run without Docker's seccomp
// filter, which would refuse unshare and mount before the recorder sees
// them (they still fail: the container lacks CAP_SYS_ADMIN).
func TestCheckAgainstBaseline(t *testing.T) {
	requireE2E(t)
	image, _ := probeImage(t)
	name := uniqueName("check")
	defer removeContainer(name)
	command := func(mode string) []string {
		return []string{"--", "docker", "run", "--rm", "--name", name, "--security-opt", "seccomp=unconfined", image, "/probe", mode}
	}
	baseline := t.TempDir()
	if code, _, stderr := tailor(t, append([]string{"record", "-q", "-o", baseline}, command("work")...)...); code != 0 {
		t.Fatalf("record exited %d: %s", code, stderr)
	}
	readProfile(t, filepath.Join(baseline, name))

	code, stdout, stderr := tailor(t, append([]string{"check", "-q", "--baseline", baseline}, command("work")...)...)
	if code != 0 || !strings.Contains(stdout, "covered") {
		t.Fatalf("check of the same workload exited %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}

	newProfiles := t.TempDir()
	code, stdout, stderr = tailor(t, append([]string{"check", "-q", "--baseline", baseline, "-o", newProfiles}, command("blocked")...)...)
	if code != exitWidening {
		t.Fatalf("check of probe blocked exited %d, want 1\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	for _, s := range []string{"ptrace", "unshare", "mount", "NOT COVERED", name} {
		if !strings.Contains(stdout, s) {
			t.Errorf("check's list lacks %s:\n%s", s, stdout)
		}
	}
	w := readProfile(t, filepath.Join(newProfiles, name)) // -o wrote the new profile
	if !w.allowed()["ptrace"] {
		t.Errorf("the new profile written by check -o lacks ptrace")
	}
	// --json names the same, machine-readably.
	code, stdout, _ = tailor(t, append([]string{"check", "-q", "--json", "--baseline", baseline}, command("blocked")...)...)
	var report diff.Report
	if err := json.Unmarshal([]byte(stdout), &report); err != nil || code != exitWidening || !report.Widening {
		t.Errorf("check --json: %d %v\n%s", code, err, stdout)
	}

	// A container the baseline has no profile for is not covered.
	other := uniqueName("nobase")
	defer removeContainer(other)
	code, stdout, _ = tailor(t, "check", "-q", "--baseline", baseline, "--", "docker", "run", "--rm", "--name", other, image, "/probe", "work")
	if code != exitWidening || !strings.Contains(stdout, "without a baseline profile") || !strings.Contains(stdout, "not started during this run") {
		t.Errorf("check of a container without baseline exited %d:\n%s", code, stdout)
	}
}

// Containers that join a namespace of the host or of another container
// are recorded: runc joins those by setns before it makes the container's
// mount namespace (--network host; --network and --pid container:X, the
// way Kubernetes pods and compose's network_mode: service:X start).
func TestJoinedNamespaces(t *testing.T) {
	requireE2E(t)
	image, _ := probeImage(t)
	sidecar := uniqueName("sidecar")
	defer removeContainer(sidecar)
	docker(t, "run", "-d", "--name", sidecar, image, "/probe", "sleep", "300")
	modes := [][]string{
		{"--network", "host"},
		{"--network", "container:" + sidecar},
		{"--network", "container:" + sidecar, "--pid", "container:" + sidecar, "--ipc", "host"},
	}
	for i, mode := range modes {
		t.Run(strings.Join(mode, " "), func(t *testing.T) {
			name := uniqueName("joined")
			defer removeContainer(name)
			out := t.TempDir()
			pick := 1 << i
			args := append([]string{"record", "-q", "-o", out, "--", "docker", "run", "--rm", "--name", name}, mode...)
			args = append(args, image, "/probe", "pick", fmt.Sprint(pick))
			if code, stdout, stderr := tailor(t, args...); code != 0 {
				t.Fatalf("tailor record exited %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
			}
			if _, err := os.Stat(filepath.Join(out, name)); err != nil {
				t.Fatalf("no profile for a container started with %v: %v", mode, err)
			}
			checkPicks(t, readProfile(t, filepath.Join(out, name)), pick)
		})
	}
}

// A container that writes to files that exist (> /dev/null) and to files
// it made itself did nothing only root may: it gets --user, and runs with
// it.
func TestOwnAndExistingFilesNeedNoRoot(t *testing.T) {
	requireE2E(t)
	sharedImages(t)
	name := uniqueName("ownfiles")
	defer removeContainer(name)
	out := t.TempDir()
	script := "echo hi > /dev/null; echo x > /tmp/own; echo y >> /tmp/own; echo z > /tmp/own; cat /tmp/own"
	if code, stdout, stderr := tailor(t, "record", "-q", "-o", out, "--", "docker", "run", "--rm", "--name", name,
		"sptest/busybox", "sh", "-c", script); code != 0 {
		t.Fatalf("tailor record exited %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	w := readProfile(t, filepath.Join(out, name))
	if !strings.Contains(w.flags, "--user=") {
		t.Fatalf("flags %q lack --user; identity: %v", w.flags, w.report["identity"])
	}
	got, err := runHardened(t, w, "", "sptest/busybox", "sh", "-c", runflags.ShellQuote(script))
	if err != nil || strings.TrimSpace(got) != "z" {
		t.Fatalf("hardened re-run: %v\n%s", err, got)
	}
}

// --match records only the containers it selects; --name-by names the
// profiles by a label whatever the containers are called, and merges the
// containers that share it.
func TestMatchAndNameBy(t *testing.T) {
	requireE2E(t)
	image, _ := probeImage(t)
	run := fmt.Sprint(rand.Int63())
	var names []string
	defer func() {
		for _, n := range names {
			removeContainer(n)
		}
	}()
	var script strings.Builder
	for i, app := range []string{"alpha", "alpha", "beta", ""} {
		name := uniqueName("match")
		names = append(names, name)
		label := "--label=tailor.test.run=" + run
		if app == "" {
			label = "--label=tailor.test.run=other"
		} else {
			label += " --label=app=" + app
		}
		fmt.Fprintf(&script, "docker run --rm --name %s %s %s /probe pick %d >/dev/null\n", name, label, image, 1<<i)
	}
	out := t.TempDir()
	code, stdout, stderr := tailor(t, "record", "-o", out, "--match", "label=tailor.test.run="+run, "--name-by", "label=app",
		"--", "sh", "-c", script.String())
	if code != 0 {
		t.Fatalf("tailor record exited %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	entries, _ := os.ReadDir(out)
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, " ") != "alpha beta" {
		t.Fatalf("profiles %v, want alpha and beta only\nstdout: %s", got, stdout)
	}
	checkPicks(t, readProfile(t, filepath.Join(out, "alpha")), 1|2)
	checkPicks(t, readProfile(t, filepath.Join(out, "beta")), 4)
	if !strings.Contains(stdout, "(2 containers merged)") || !strings.Contains(stdout, "SYSCALLS") {
		t.Errorf("the summary does not show the table and the merge:\n%s", stdout)
	}
	// tailor show prints the same table for the saved profiles.
	code, shown, stderr := tailor(t, "show", out)
	if code != 0 || !strings.Contains(shown, "alpha") || !strings.Contains(shown, "of 14") {
		t.Errorf("tailor show exited %d:\n%s%s", code, shown, stderr)
	}
}
