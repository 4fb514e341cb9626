package main

// tailor enforce against the real dockerd: everything the docker CLI and
// docker-compose do passes through the proxy, and a profile recorded by
// tailor record in the same test hardens the container it was recorded
// from, as docker inspect shows.

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tailorsec/tailor/enforce/harden"
	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/runflags"
)

func readSummary(t *testing.T, path string) enforceSummary {
	t.Helper()
	var s enforceSummary
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return s
}

func summaryOf(s enforceSummary, name string) *enforcement {
	for _, c := range s.Containers {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestEnforceThroughTheProxy(t *testing.T) {
	requireE2E(t)
	if _, err := exec.LookPath("docker-compose"); err != nil {
		t.Fatalf("docker-compose (v1) is not installed: %v", err)
	}
	p := strings.ReplaceAll(uniqueName("px"), "-", "")
	w := t.TempDir()
	profiles := filepath.Join(w, "profiles")
	os.MkdirAll(filepath.Join(profiles, "websvc"), 0o755)
	os.WriteFile(filepath.Join(profiles, "websvc", profile.FlagsFile), []byte("--cap-drop=ALL --cap-add=CHOWN --security-opt=no-new-privileges --pids-limit=100\n"), 0o644)
	os.WriteFile(filepath.Join(w, "compose.yml"), []byte(`version: "2.4"
services:
  websvc:
    image: sptest/busybox
    command: ["sh", "-c", "echo websvc-ran"]
  dbsvc:
    image: sptest/busybox
    command: ["sh", "-c", "echo dbsvc-ran"]
`), 0o644)
	os.WriteFile(filepath.Join(w, "in.txt"), []byte("copied in and out\n"), 0o644)
	defer func() {
		removeContainer(p + "-i")
		removeContainer(p + "-d")
		removeContainer(p + "-old")
		_ = exec.Command("docker-compose", "-p", p, "-f", filepath.Join(w, "compose.yml"), "down").Run()
		_ = exec.Command("docker", "rmi", "-f", p+"-img").Run()
	}()
	script := fmt.Sprintf(`set -e
cd %[2]s
echo hello | docker run -i --rm --name %[1]s-i sptest/busybox cat > stdin.out
docker run -d --name %[1]s-d sptest/busybox sh -c 'echo l1; sleep 4; echo l2; sleep 1' > /dev/null
docker exec %[1]s-d echo execd > exec.out
echo piped | docker exec -i %[1]s-d cat > exec-i.out
docker cp in.txt %[1]s-d:/tmp/in.txt
docker cp %[1]s-d:/tmp/in.txt back.txt
docker logs -f %[1]s-d > logs.out
docker rm %[1]s-d > /dev/null
printf 'FROM sptest/busybox\nRUN echo built > /built\n' | docker build -q -t %[1]s-img - > build.out
docker run --rm %[1]s-img cat /built > built.out
docker rmi %[1]s-img > /dev/null
DOCKER_API_VERSION=1.40 docker run --rm --name %[1]s-old sptest/busybox echo old > old.out
DOCKER_API_VERSION=1.40 docker version --format '{{.Client.APIVersion}}' > oldver.out
docker image inspect sptest/busybox > inspect.json
docker-compose -p %[1]s -f compose.yml up > compose-up.out 2>&1
docker inspect --format '{{json .HostConfig}}' %[1]s_websvc_1 > websvc.json
docker inspect --format '{{json .HostConfig}}' %[1]s_dbsvc_1 > dbsvc.json
docker-compose -p %[1]s -f compose.yml down > compose-down.out 2>&1
`, p, w)
	sum := filepath.Join(w, "summary.json")
	code, stdout, stderr := tailor(t, "enforce", "--profiles", profiles, "--summary", sum, "--", "sh", "-c", script)
	if code != 0 {
		logs := ""
		for _, f := range []string{"compose-up.out", "compose-down.out", "build.out"} {
			b, _ := os.ReadFile(filepath.Join(w, f))
			logs += f + ": " + string(b) + "\n"
		}
		t.Fatalf("tailor enforce exited %d\nstdout: %s\nstderr: %s\n%s", code, stdout, stderr, logs)
	}
	read := func(f string) string {
		b, err := os.ReadFile(filepath.Join(w, f))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for f, want := range map[string]string{
		"stdin.out": "hello\n", "exec.out": "execd\n", "exec-i.out": "piped\n", "back.txt": "copied in and out\n",
		"logs.out": "l1\nl2\n", "built.out": "built\n", "old.out": "old\n", "oldver.out": "1.40\n",
	} {
		if got := read(f); got != want {
			t.Errorf("%s: %q, want %q", f, got, want)
		}
	}
	if !strings.HasPrefix(read("build.out"), "sha256:") {
		t.Errorf("build: %q", read("build.out"))
	}
	up := read("compose-up.out")
	if !strings.Contains(up, "websvc-ran") || !strings.Contains(up, "dbsvc-ran") {
		t.Errorf("compose up:\n%s", up)
	}
	// The same answer with and without the proxy.
	direct, err := exec.Command("docker", "image", "inspect", "sptest/busybox").Output()
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	if json.Unmarshal(direct, &a) != nil || json.Unmarshal([]byte(read("inspect.json")), &b) != nil || !reflect.DeepEqual(a, b) {
		t.Errorf("docker image inspect differs through the proxy:\n%s\n%s", direct, read("inspect.json"))
	}
	// The compose service with a profile is hardened, the other not.
	var web, db struct {
		CapDrop, CapAdd, SecurityOpt []string
		PidsLimit                    *int64
	}
	if err := json.Unmarshal([]byte(read("websvc.json")), &web); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(read("dbsvc.json")), &db); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(web.CapDrop, []string{"ALL"}) || !slices.Equal(web.CapAdd, []string{"CAP_CHOWN"}) ||
		!slices.Contains(web.SecurityOpt, "no-new-privileges=true") || web.PidsLimit == nil || *web.PidsLimit != 100 {
		t.Errorf("websvc not hardened: %s", read("websvc.json"))
	}
	if len(db.CapDrop) != 0 || len(db.SecurityOpt) != 0 {
		t.Errorf("dbsvc changed: %s", read("dbsvc.json"))
	}
	s := readSummary(t, sum)
	if c := summaryOf(s, p+"_websvc_1"); c == nil || !c.Covered || c.Profile != "websvc" {
		t.Errorf("websvc in the summary: %+v", c)
	}
	for _, name := range []string{p + "_dbsvc_1", p + "-i", p + "-old"} {
		if c := summaryOf(s, name); c == nil || c.Covered || c.Status != 201 {
			t.Errorf("%s in the summary: %+v", name, c)
		}
	}
	if !strings.Contains(stdout, p+"_dbsvc_1 (image sptest/busybox") || !strings.Contains(stdout, "not covered: no profile") {
		t.Errorf("the table:\n%s", stdout)
	}
}

// A profile recorded by tailor record, enforced on the same workload:
// docker inspect shows the hardening and the container still succeeds; a
// container without a profile in the same run is unchanged and listed as
// not covered.
func TestEnforceRecordedProfile(t *testing.T) {
	requireE2E(t)
	run := fmt.Sprint(rand.Int63())
	app := uniqueName("app")
	rec, hardened, plain := uniqueName("rec"), uniqueName("hard"), uniqueName("plain")
	defer func() {
		for _, n := range []string{rec, hardened, plain} {
			removeContainer(n)
		}
	}()
	workload := `echo hi > /tmp/x && cat /tmp/x && ls / > /dev/null`
	labels := []string{"--label", "tailor.test.run=" + run, "--label", "app=" + app}
	out := t.TempDir()
	args := append([]string{"record", "-q", "-o", out, "--match", "label=tailor.test.run=" + run, "--name-by", "label=app",
		"--", "docker", "run", "--rm", "--name", rec}, labels...)
	if code, stdout, stderr := tailor(t, append(args, "sptest/busybox", "sh", "-c", workload)...); code != 0 {
		t.Fatalf("tailor record exited %d\n%s%s", code, stdout, stderr)
	}
	flags, err := runflags.Parse(mustRead(t, filepath.Join(out, app, profile.FlagsFile)))
	if err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf(`docker run --name %s %s --cap-add NET_ADMIN sptest/busybox sh -c '%s' && docker run --name %s --label tailor.test.run=%s --label app=other sptest/busybox true`,
		hardened, strings.Join(labels, " "), workload, plain, run)
	sum := filepath.Join(t.TempDir(), "summary.json")
	code, stdout, stderr := tailor(t, "enforce", "--profiles", out, "--match", "label=tailor.test.run="+run, "--name-by", "label=app",
		"--summary", sum, "--", "sh", "-c", script)
	if code != 0 {
		logs, _ := exec.Command("docker", "logs", hardened).CombinedOutput()
		t.Fatalf("tailor enforce exited %d\nstdout: %s\nstderr: %s\nlogs of %s: %s", code, stdout, stderr, hardened, logs)
	}
	type hostConfig struct {
		CapDrop, CapAdd, SecurityOpt []string
		ReadonlyRootfs, Privileged   bool
		Tmpfs                        map[string]string
	}
	inspect := func(name string) hostConfig {
		var hc hostConfig
		if err := json.Unmarshal([]byte(docker(t, "inspect", "--format", "{{json .HostConfig}}", name)), &hc); err != nil {
			t.Fatal(err)
		}
		return hc
	}
	hc := inspect(hardened)
	if !slices.Equal(hc.CapDrop, []string{"ALL"}) || slices.Contains(hc.CapAdd, "CAP_NET_ADMIN") {
		t.Errorf("capabilities: drop %v add %v", hc.CapDrop, hc.CapAdd)
	}
	var seccompOpt string
	for _, o := range hc.SecurityOpt {
		if strings.HasPrefix(o, "seccomp=") {
			seccompOpt = strings.TrimPrefix(o, "seccomp=")
		}
	}
	var sc struct {
		DefaultAction string `json:"defaultAction"`
	}
	if err := json.Unmarshal([]byte(seccompOpt), &sc); err != nil || sc.DefaultAction != "SCMP_ACT_ERRNO" {
		t.Errorf("the seccomp profile is not the recorded one inline: %.200s (%v)", seccompOpt, err)
	}
	if flags.NoNewPrivileges != slices.Contains(hc.SecurityOpt, "no-new-privileges=true") {
		t.Errorf("no-new-privileges: flags %v, security opts %v", flags.NoNewPrivileges, hc.SecurityOpt)
	}
	if hc.ReadonlyRootfs != flags.ReadOnly || len(hc.Tmpfs) != len(flags.Tmpfs) {
		t.Errorf("read-only %v tmpfs %v, the flags say %v %v", hc.ReadonlyRootfs, hc.Tmpfs, flags.ReadOnly, flags.Tmpfs)
	}
	if exit := docker(t, "inspect", "--format", "{{.State.ExitCode}}", hardened); exit != "0" {
		t.Errorf("the hardened container exited %s", exit)
	}
	if p := inspect(plain); len(p.CapDrop) != 0 || len(p.SecurityOpt) != 0 || p.ReadonlyRootfs {
		t.Errorf("the container without a profile was changed: %+v", p)
	}
	s := readSummary(t, sum)
	if c := summaryOf(s, hardened); c == nil || !c.Covered || c.Profile != app || !slices.ContainsFunc(c.Changes, func(ch hardenChange) bool {
		return ch.Action == "dropped" && strings.Contains(ch.Detail, "NET_ADMIN")
	}) {
		t.Errorf("%s in the summary: %+v", hardened, c)
	}
	if c := summaryOf(s, plain); c == nil || c.Covered || c.Profile != "other" {
		t.Errorf("%s in the summary: %+v", plain, c)
	}
	if !strings.Contains(stdout, "profile "+app) || !strings.Contains(stdout, plain+" (image sptest/busybox") {
		t.Errorf("the table:\n%s", stdout)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type hardenChange = harden.Change
