package compose

// The README's flow, end to end: record the suite (docker-compose up,
// drive, down) with the tailor CLI, convert the profiles to a compose
// override, run the suite again with it, and check with docker inspect
// and /proc that the hardened containers really run with its settings.
//
// It runs in a copy of this directory (so that nothing is written into
// the source tree and two runs never meet), under compose project names
// of its own, and removes their containers, networks and volumes on every
// path. It needs root (eBPF), dockerd, docker-compose, the sptest/nginx
// and sptest/redis images (../../../shared/images/build.sh, or make
// images), curl and redis-tools; it skips without them, and fails instead
// when TAILOR_REQUIRE_E2E is set.
//
//	sudo go test -count=1 -v ./examples/compose

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/profiledir"
	"github.com/tailorsec/tailor/profile/runflags"
	"github.com/tailorsec/tailor/tracer"
	"github.com/tailorsec/tailor/tracer/tracertest"
)

// services are the example's compose services: each gets a profile.
var services = []string{"cache", "web"}

// projectPrefix starts every compose project name the test uses; the
// process id follows it.
const projectPrefix = "tailor-e2e-compose-"

// live are the projects and directories of this process: removed on
// SIGINT and SIGTERM too. The projects a killed run leaves (SIGKILL, go
// test -timeout) the next run removes (sweepDeadRuns).
var live struct {
	sync.Mutex
	projects, dirs []string
}

func TestMain(m *testing.M) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-sigs
		live.Lock()
		for _, p := range live.projects {
			removeProject(p)
		}
		for _, d := range live.dirs {
			os.RemoveAll(d)
		}
		fmt.Fprintf(os.Stderr, "%v: removed compose projects %v\n", sig, live.projects)
		os.Exit(1)
	}()
	os.Exit(m.Run())
}

// newProjects returns n compose project names of this run's own, removed
// when the test ends.
func newProjects(t *testing.T, suffixes ...string) []string {
	id := fmt.Sprintf("%s%d-%d", projectPrefix, os.Getpid(), rand.IntN(1_000_000))
	var names []string
	for _, s := range suffixes {
		names = append(names, id+"-"+s)
	}
	live.Lock()
	live.projects = append(live.projects, names...)
	live.Unlock()
	t.Cleanup(func() {
		for _, p := range names {
			if left := removeProject(p); left != "" {
				t.Errorf("project %s: could not remove %s", p, left)
			}
		}
	})
	return names
}

// sweepDeadRuns removes the projects of earlier runs of this test whose
// process is gone.
func sweepDeadRuns(t *testing.T) {
	seen := map[string]bool{}
	for _, kind := range kinds {
		projects, _ := dockerLs(kind, "label=com.docker.compose.project", `{{.Label "com.docker.compose.project"}}`)
		for _, p := range projects {
			seen[p] = true
		}
	}
	for p := range seen {
		rest, ok := strings.CutPrefix(p, projectPrefix)
		pid, _, _ := strings.Cut(rest, "-")
		if !ok || pid == strconv.Itoa(os.Getpid()) {
			continue
		}
		if _, err := os.Stat("/proc/" + pid); err == nil {
			continue // still running
		}
		if left := removeProject(p); left != "" {
			t.Logf("project %s of an earlier run: could not remove %s", p, left)
		} else {
			t.Logf("removed project %s of an earlier run", p)
		}
	}
}

func TestRecordConvertRunHardened(t *testing.T) {
	requireEverything(t)
	work := t.TempDir()
	live.Lock()
	live.dirs = append(live.dirs, filepath.Dir(work))
	live.Unlock()
	for _, f := range []string{"docker-compose.yml", "suite.sh"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(work, f), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tailor := tracertest.BuildTailor(t, t.TempDir())

	sweepDeadRuns(t)
	projects := newProjects(t, "rec", "hard")
	recorded, hardened := projects[0], projects[1]

	// 1. Record the suite. --match: only this run's containers, when
	// other tests start containers at the same time.
	start := time.Now()
	run(t, work, 5*time.Minute, tailor, "record", "-q", "-o", "profiles",
		"--match", "label=com.docker.compose.project="+recorded, "--", "./suite.sh", "-p", recorded)
	t.Logf("record around the suite: %v", time.Since(start).Round(time.Millisecond))
	requireProjectGone(t, recorded)

	entries, err := os.ReadDir(filepath.Join(work, "profiles"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if !slices.Equal(got, services) {
		t.Fatalf("profiles %v, want one per service: %v", got, services)
	}
	flags := map[string]*runflags.Flags{}
	for _, svc := range services {
		dir := filepath.Join(work, "profiles", svc)
		p, err := profiledir.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		if p.Seccomp == nil || p.Flags == nil || p.Report == nil {
			t.Fatalf("%s lacks seccomp.json, docker-run.flags or report.json", dir)
		}
		if l := p.Report.Container.Labels; l["com.docker.compose.service"] != svc || l["com.docker.compose.project"] != recorded {
			t.Errorf("%s is the profile of %s", dir, l)
		}
		if p.Report.Partial || p.Report.StartMissed {
			t.Errorf("%s: partial %v, start missed %v", svc, p.Report.Partial, p.Report.StartMissed)
		}
		flags[svc] = p.Flags
		b, _ := os.ReadFile(filepath.Join(dir, profile.FlagsFile))
		t.Logf("%s: %s", svc, bytes.TrimSpace(b))
	}
	// redis writes only to its volume: the example's read-only service.
	if !flags["cache"].ReadOnly {
		t.Errorf("cache: --read-only not suggested")
	}

	// 2. Convert, naming the profiles relative to the project directory.
	run(t, work, time.Minute, tailor, "convert", "--to", "compose", "--relative-to", ".", "-o", "docker-compose.tailor.yml", "profiles")
	override, err := os.ReadFile(filepath.Join(work, "docker-compose.tailor.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, svc := range services {
		if !strings.Contains(string(override), "- seccomp=./profiles/"+svc+"/seccomp.json\n") {
			t.Errorf("the override does not name %s's seccomp.json relatively:\n%s", svc, override)
		}
	}

	// 3. The suite again, hardened, in steps: inspect the containers
	// while they run.
	files := []string{"-p", hardened, "-f", "docker-compose.yml", "-f", "docker-compose.tailor.yml"}
	start = time.Now()
	run(t, work, 3*time.Minute, "./suite.sh", append(files, "up")...)
	for _, svc := range services {
		checkHardened(t, work, hardened, svc, flags[svc])
	}
	run(t, work, 3*time.Minute, "./suite.sh", append(files, "drive")...)
	run(t, work, 3*time.Minute, "./suite.sh", append(files, "down")...)
	t.Logf("hardened suite: %v", time.Since(start).Round(time.Millisecond))
	requireProjectGone(t, hardened)
}

// inspected is what docker inspect says of a container, the parts checked.
type inspected struct {
	State struct {
		Pid int
	}
	Config struct {
		User string
	}
	HostConfig struct {
		CapAdd, CapDrop, SecurityOpt []string
		ReadonlyRootfs               bool
		Tmpfs                        map[string]string
		PidsLimit                    *int64
		Memory                       int64
		Ulimits                      []struct {
			Name       string
			Soft, Hard int64
		}
	}
}

// checkHardened checks that service svc of project runs with what its
// docker-run.flags say.
func checkHardened(t *testing.T, work, project, svc string, f *runflags.Flags) {
	t.Helper()
	id := strings.TrimSpace(output(t, "docker", "ps", "-q", "--filter", "label=com.docker.compose.project="+project,
		"--filter", "label=com.docker.compose.service="+svc))
	if id == "" || strings.Contains(id, "\n") {
		t.Fatalf("%s: want one running container, got %q", svc, id)
	}
	var list []inspected
	if err := json.Unmarshal([]byte(output(t, "docker", "inspect", id)), &list); err != nil || len(list) != 1 {
		t.Fatalf("docker inspect %s: %v", id, err)
	}
	c, h := list[0], list[0].HostConfig

	if !slices.Equal(h.CapDrop, []string{"ALL"}) {
		t.Errorf("%s: CapDrop %v, want [ALL]", svc, h.CapDrop)
	}
	if got, want := shortCaps(h.CapAdd), shortCaps(f.CapAdd); !slices.Equal(got, want) {
		t.Errorf("%s: CapAdd %v, want %v", svc, got, want)
	}
	// docker-compose passes the profile itself, as docker run does.
	var seccomp any
	for _, o := range h.SecurityOpt {
		if js, ok := strings.CutPrefix(o, "seccomp="); ok {
			if err := json.Unmarshal([]byte(js), &seccomp); err != nil {
				t.Errorf("%s: security opt %.80s...: %v", svc, o, err)
			}
		}
	}
	var want any
	b, err := os.ReadFile(filepath.Join(work, "profiles", svc, profile.SeccompFile))
	if err == nil {
		err = json.Unmarshal(b, &want)
	}
	if err != nil || seccomp == nil || !reflect.DeepEqual(seccomp, want) {
		t.Errorf("%s: the container's seccomp profile is not profiles/%s/seccomp.json (SecurityOpt: %.200v)", svc, svc, h.SecurityOpt)
	}
	// The AppArmor profile is named after the service, not after this
	// run's container (example_web_1), so the override stays valid.
	if f.AppArmor != "tailor-"+svc {
		t.Errorf("%s: the flags name AppArmor profile %q, want tailor-%s", svc, f.AppArmor, svc)
	}
	if f.NoNewPrivileges && !slices.Contains(h.SecurityOpt, "no-new-privileges:true") {
		t.Errorf("%s: SecurityOpt %.200v lacks no-new-privileges", svc, h.SecurityOpt)
	}
	if h.ReadonlyRootfs != f.ReadOnly {
		t.Errorf("%s: ReadonlyRootfs %v, want %v", svc, h.ReadonlyRootfs, f.ReadOnly)
	}
	for _, dir := range f.Tmpfs {
		dir, _, _ = strings.Cut(dir, ":")
		if _, ok := h.Tmpfs[dir]; !ok {
			t.Errorf("%s: no tmpfs on %s: %v", svc, dir, h.Tmpfs)
		}
	}
	if f.User != "" && c.Config.User != f.User {
		t.Errorf("%s: User %q, want %q", svc, c.Config.User, f.User)
	}
	if f.PidsLimit == 0 || f.MemoryBytes == 0 {
		t.Errorf("%s: no --pids-limit or --memory suggested: %+v", svc, f)
	}
	if h.PidsLimit == nil || *h.PidsLimit != f.PidsLimit {
		t.Errorf("%s: PidsLimit %v, want %d", svc, h.PidsLimit, f.PidsLimit)
	}
	if h.Memory != f.MemoryBytes {
		t.Errorf("%s: Memory %d, want %d", svc, h.Memory, f.MemoryBytes)
	}
	for _, u := range f.Ulimits {
		i := slices.IndexFunc(h.Ulimits, func(g struct {
			Name       string
			Soft, Hard int64
		}) bool {
			return g.Name == u.Name
		})
		if i < 0 || h.Ulimits[i].Soft != u.Soft || h.Ulimits[i].Hard != u.Hard {
			t.Errorf("%s: Ulimits %v, want %s=%d:%d", svc, h.Ulimits, u.Name, u.Soft, u.Hard)
		}
	}

	// And the kernel agrees: the container's first process runs under a
	// seccomp filter, with no_new_privs.
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.State.Pid))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(status), "\nSeccomp:\t2\n") {
		t.Errorf("%s: pid %d runs without a seccomp filter", svc, c.State.Pid)
	}
	if f.NoNewPrivileges && !strings.Contains(string(status), "\nNoNewPrivs:\t1\n") {
		t.Errorf("%s: pid %d runs without no_new_privs", svc, c.State.Pid)
	}
	t.Logf("%s: CapAdd %v, read-only %v, tmpfs %v, pids %d, memory %d, ulimits %v, user %q",
		svc, h.CapAdd, h.ReadonlyRootfs, h.Tmpfs, *h.PidsLimit, h.Memory, h.Ulimits, c.Config.User)
}

func shortCaps(caps []string) []string {
	out := []string{}
	for _, c := range caps {
		out = append(out, strings.TrimPrefix(strings.ToUpper(c), "CAP_"))
	}
	slices.Sort(out)
	return out
}

// requireEverything skips (or fails, with TAILOR_REQUIRE_E2E) unless all
// the test needs is here.
func requireEverything(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		tracertest.SkipOrFail(t, "skipping: recording needs root (sudo go test ./examples/compose)")
	}
	if err := tracer.CheckSupport(); err != nil {
		tracertest.SkipOrFail(t, "skipping: this kernel cannot record: %v (Linux 5.17+ with BTF)", err)
	}
	if err := exec.Command("docker", "info").Run(); err != nil {
		tracertest.SkipOrFail(t, "skipping: the Docker daemon does not answer (%v); start dockerd", err)
	}
	for _, tool := range []string{"docker-compose", "curl", "redis-cli", "redis-benchmark"} {
		if _, err := exec.LookPath(tool); err != nil {
			tracertest.SkipOrFail(t, "skipping: %s is not installed (apt-get install docker-compose curl redis-tools)", tool)
		}
	}
	for _, img := range []string{"sptest/nginx", "sptest/redis"} {
		if exec.Command("docker", "image", "inspect", img).Run() != nil {
			tracertest.SkipOrFail(t, "skipping: image %s is missing; build it with ../shared/images/build.sh (make images)", img)
		}
	}
}

// run runs a command in dir and fails the test, with its output, unless
// it exits 0 within timeout.
func run(t *testing.T, dir string, timeout time.Duration, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v (timeout %v)\n%s", name, strings.Join(args, " "), err, timeout, out)
	}
}

func output(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return string(out)
}

// kinds are what a compose project makes, in the order they are removed.
var kinds = []string{"container", "network", "volume"}

// dockerLs lists the containers (all), networks or volumes that match
// filter: their ids, or format.
func dockerLs(kind, filter, format string) ([]string, error) {
	args := []string{kind, "ls", "--filter", filter}
	if kind == "container" {
		args = append(args, "-a")
	}
	if format == "" {
		args = append(args, "-q")
	} else {
		args = append(args, "--format", format)
	}
	out, err := exec.Command("docker", args...).Output()
	if err != nil {
		return nil, fmt.Errorf("docker %s: %w", strings.Join(args, " "), err)
	}
	return strings.Fields(string(out)), nil
}

// projectLeft names what project still has: containers, networks,
// volumes ("" when nothing).
func projectLeft(project string) string {
	var left []string
	for _, kind := range kinds {
		ids, err := dockerLs(kind, "label=com.docker.compose.project="+project, "")
		if err != nil {
			left = append(left, err.Error())
		}
		for _, id := range ids {
			left = append(left, kind+" "+id)
		}
	}
	return strings.Join(left, ", ")
}

// removeProject removes project's containers, then its networks and
// volumes, and returns what is left ("" when nothing).
func removeProject(project string) string {
	rm := map[string][]string{"container": {"rm", "-f", "-v"}, "network": {"rm"}, "volume": {"rm", "-f"}}
	for _, kind := range kinds {
		if ids, _ := dockerLs(kind, "label=com.docker.compose.project="+project, ""); len(ids) > 0 {
			_ = exec.Command("docker", append(append([]string{kind}, rm[kind]...), ids...)...).Run()
		}
	}
	return projectLeft(project)
}

// requireProjectGone fails unless the suite removed everything of
// project itself.
func requireProjectGone(t *testing.T, project string) {
	t.Helper()
	if left := projectLeft(project); left != "" {
		t.Errorf("the suite left project %s's %s", project, left)
	}
}
