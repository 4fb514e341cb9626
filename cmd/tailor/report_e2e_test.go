package main

// End-to-end tests of the hardening checklist (issue 9): what docker
// inspect and the recording say about a real container, as `tailor report`
// shows it, and the --user and limit suggestions applied to a real re-run.

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/report"
	"github.com/tailorsec/tailor/profile/review"
	"github.com/tailorsec/tailor/profile/runflags"
)

// reportJSON runs `tailor report --format json DIR` and returns the
// review of the container called name.
func reportJSON(t *testing.T, dir, name string) review.Container {
	t.Helper()
	code, stdout, stderr := tailor(t, "report", "--format", "json", dir)
	if code != exitOK {
		t.Fatalf("tailor report exited %d: %s", code, stderr)
	}
	var r review.Reviews
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("tailor report --format json: %v\n%s", err, stdout)
	}
	for _, c := range r.Containers {
		if c.Container.Name == name {
			return c
		}
	}
	t.Fatalf("no %s in the report: %s", name, stdout)
	return review.Container{}
}

func checklistItem(t *testing.T, r review.Container, id string) report.ChecklistItem {
	t.Helper()
	for _, it := range r.Checklist {
		if it.ID == id {
			return it
		}
	}
	t.Fatalf("no checklist item %s", id)
	return report.ChecklistItem{}
}

// A container that never needs root gets --user (and resource limits),
// and its workload passes again with the flags.
func TestReportNonRootContainerGetsUser(t *testing.T) {
	requireE2E(t)
	image, _ := probeImage(t)
	name := uniqueName("nonroot")
	defer removeContainer(name)
	out := t.TempDir()
	code, stdout, stderr := tailor(t, "record", "-q", "-o", out, "--", "docker", "run", "--rm", "--name", name, image, "/probe", "net")
	if code != 0 {
		t.Fatalf("tailor record exited %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	w := readProfile(t, filepath.Join(out, name))
	if !strings.Contains(w.flags, "--user=65534:65534") {
		r := reportJSON(t, out, name)
		t.Fatalf("flags %q lack --user=65534:65534: %s (%q)", w.flags, r.User.Reason, r.User.Evidence)
	}
	// The limits suggested for the peaks that were observed are in the
	// flags, and the workload passes with them.
	limits := reportJSON(t, out, name).Limits
	for _, l := range []runflags.LimitAdvice{limits.Pids, limits.Memory, limits.Nofile} {
		if l.Peak > 0 && (l.Flag == "" || !strings.Contains(w.flags, l.Flag)) {
			t.Errorf("flags %q lack %q (peak %d)", w.flags, l.Flag, l.Peak)
		}
		if l.Peak == 0 {
			t.Logf("not in the flags: %s", l.Reason)
		}
	}
	if limits.Pids.Peak == 0 {
		t.Error("the peak number of tasks was not recorded")
	}
	for i := 0; i < 3; i++ {
		if got, err := runHardened(t, w, "", image, "/probe", "net"); err != nil || !strings.Contains(got, "probe: net done") {
			t.Fatalf("hardened run as nobody failed: %v\n%s", err, got)
		}
	}
	r := reportJSON(t, out, name)
	if it := checklistItem(t, r, "CIS 4.1"); it.Status != report.StatusFail || !strings.Contains(it.Recommendation, "--user=65534:65534") {
		t.Errorf("4.1: %+v", it)
	}
	if r.User.Decision != runflags.UserNonRoot {
		t.Errorf("user decision %s: %s", r.User.Decision, r.User.Reason)
	}
}

// A container started with --privileged, the Docker socket and the host's
// network is flagged for each of them, in every format.
func TestReportFlagsDangerousContainer(t *testing.T) {
	requireE2E(t)
	if _, err := os.Stat("/var/run/docker.sock"); err != nil {
		t.Skipf("skipping: no /var/run/docker.sock to mount (%v)", err)
	}
	image, _ := probeImage(t)
	name := uniqueName("dangerous")
	defer removeContainer(name)
	out := t.TempDir()
	args := []string{"record", "-q", "-o", out, "--", "docker", "run", "--rm", "--name", name,
		"-v", "/var/run/docker.sock:/var/run/docker.sock", "--network", "host"}
	want := []struct{ id, current string }{
		{"CIS 5.31", "socket is mounted"},
		{"CIS 5.9", "--network=host"},
		{"CIS 5.5", "sensitive host path"},
	}
	// A host whose own bounding set lacks a capability (a sandbox, a
	// nested container) cannot start --privileged containers at all.
	if b, err := exec.Command("docker", "run", "--rm", "--privileged", image, "/probe", "pick", "1").CombinedOutput(); err == nil {
		args = append(args, "--privileged")
		want = append(want, struct{ id, current string }{"CIS 5.4", "--privileged"},
			struct{ id, current string }{"CIS 5.21", "unconfined"})
	} else {
		t.Logf("Docker cannot start --privileged containers on this host (its bounding set lacks a capability), "+
			"so --privileged is checked with podman below: %v: %s", err, strings.TrimSpace(string(b)))
		defer privilegedWithPodman(t, image)
	}
	code, stdout, stderr := tailor(t, append(args, image, "/probe", "pick", "3")...)
	if code != 0 {
		t.Fatalf("tailor record exited %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, name, profile.ReportFile)); err != nil {
		t.Fatalf("tailor record wrote no profile for a --network host container: %v", err)
	}
	r := reportJSON(t, out, name)
	for _, tc := range want {
		it := checklistItem(t, r, tc.id)
		if it.Status != report.StatusFail || !strings.Contains(it.Current, tc.current) {
			t.Errorf("%s %s: %s %q, want fail %q (evidence %q)", tc.id, it.Title, it.Status, it.Current, tc.current, it.Evidence)
		}
	}
	if it := checklistItem(t, r, "CIS 5.31"); !strings.Contains(strings.Join(it.Evidence, "\n"), "never connected to it") {
		t.Errorf("5.31 evidence %q: the probe never used the socket", it.Evidence)
	}

	for _, format := range []string{"text", "markdown", "html"} {
		file := filepath.Join(t.TempDir(), "report."+format)
		if code, _, stderr := tailor(t, "report", "--format", format, "-o", file, out); code != exitOK {
			t.Fatalf("tailor report --format %s exited %d: %s", format, code, stderr)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{name, "5.31", "Docker socket"} {
			if !strings.Contains(string(b), want) {
				t.Errorf("%s report lacks %q", format, want)
			}
		}
	}
}

// privilegedWithPodman records a --privileged container through podman's
// Docker API, for hosts where Docker cannot start one: podman honours
// --cap-drop next to --privileged, so the capability this host lacks can
// be left out (Docker's runc refuses to start at all).
func privilegedWithPodman(t *testing.T, image string) {
	t.Helper()
	env, pimage, limits := podmanService(t, image)
	var drop []string
	if b, err := os.ReadFile("/proc/self/status"); err == nil && !strings.Contains(string(b), "CapBnd:\t000001ffffffffff") {
		drop = []string{"--cap-drop", "SYS_RESOURCE"}
	}
	name := uniqueName("privileged")
	defer exec.Command("podman", "rm", "-f", name).Run()
	out := t.TempDir()
	args := append([]string{"record", "-q", "-o", out, "--", "podman", "run", "--rm", "--privileged", "--name", name}, limits...)
	args = append(append(args, drop...), pimage, "/probe", "pick", "3")
	if code, stdout, stderr := tailorEnv(t, env, args...); code != 0 {
		t.Fatalf("tailor record of a --privileged podman container exited %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	r := reportJSON(t, out, name)
	if it := checklistItem(t, r, "CIS 5.4"); it.Status != report.StatusFail || !strings.Contains(it.Current, "--privileged") {
		t.Errorf("CIS 5.4 %s: %s %q, want fail naming --privileged (evidence %q)", it.Title, it.Status, it.Current, it.Evidence)
	}
}
