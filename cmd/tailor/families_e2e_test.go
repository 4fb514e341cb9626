package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/report"
	"github.com/tailorsec/tailor/profile/seccomp"
)

// Families and lifecycles, end to end: the learning run starts a child
// with clone and only ever makes a directory and creates a file in it
// (`probe lifecycle learn`); the next run starts its child with vfork
// (on x86-64; arm64 has none) and removes the file and the directory again
// (`probe lifecycle use`). It passes hardened with exactly the profile
// tailor wrote, and fails with the exact profile of the same recording
// (seccomp.NewExact: only the names that were made), so the test proves
// that the families are what lets it through. The summary names what
// was added.
func TestFamiliesAndLifecyclesHardened(t *testing.T) {
	requireE2E(t)
	image, _ := probeImage(t)
	name := uniqueName("families")
	defer removeContainer(name)
	out := t.TempDir()
	code, stdout, stderr := tailor(t, "record", "-o", out, "--", "docker", "run", "--rm", "--name", name, image, "/probe", "lifecycle", "learn", "/work")
	if code != 0 {
		t.Fatalf("record exited %d: %s", code, stderr)
	}
	dir := filepath.Join(out, name)
	w := readProfile(t, dir)
	made := map[string]bool{}
	for _, s := range w.report["syscalls"].([]any) {
		made[s.(map[string]any)["name"].(string)] = true
	}
	for _, s := range []string{"vfork", "unlink", "rmdir", "unlinkat"} {
		if made[s] {
			t.Fatalf("the learning run made %s: the test would prove nothing", s)
		}
	}
	want := []string{"unlinkat", "rmdir"}
	if runtime.GOARCH == "amd64" {
		want = append(want, "vfork", "fork")
	}
	for _, s := range want {
		if !w.allowed()[s] {
			t.Errorf("%s not allowed by family or lifecycle", s)
		}
	}

	got, err := runHardened(t, w, "", image, "/probe", "lifecycle", "use", "/work")
	if err != nil || !strings.Contains(got, "probe: lifecycle done") {
		t.Fatalf("hardened with the generalized profile: %v\n%s", err, got)
	}

	// The exact profile of the same recording refuses what the next run
	// needs: vfork (on x86-64), unlinkat.
	raw, err := os.ReadFile(filepath.Join(dir, profile.RecordingFile))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := profile.ParseRecording(raw)
	if err != nil {
		t.Fatal(err)
	}
	data, err := seccomp.Marshal(seccomp.NewExact(rec))
	if err != nil {
		t.Fatal(err)
	}
	exactPath := filepath.Join(dir, "seccomp-exact.json")
	if err := os.WriteFile(exactPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	exact := w
	exact.flags = strings.ReplaceAll(w.flags, "--security-opt=seccomp="+filepath.Join(dir, "seccomp.json"), "--security-opt=seccomp="+exactPath)
	if exact.flags == w.flags {
		t.Fatalf("no seccomp path to replace in %s", w.flags)
	}
	got, err = runHardened(t, exact, "", image, "/probe", "lifecycle", "use", "/work")
	if err == nil {
		t.Fatalf("the exact profile let the next run through: the families prove nothing\n%s", got)
	}
	for _, s := range []string{"unlink=1", "rmdir=1"} { // 1 = EPERM
		if !strings.Contains(got, s) {
			t.Errorf("with the exact profile: want %s, got:\n%s", s, got)
		}
	}
	if runtime.GOARCH == "amd64" && !strings.Contains(got, "vfork=1") {
		t.Errorf("with the exact profile: want vfork=1, got:\n%s", got)
	}

	// record's summary and show name what was added, and why.
	for what, text := range map[string]string{"record": stdout, "show": showOutput(t, dir)} {
		for _, s := range []string{"allowed as the same operation as clone:", "allowed to finish what it made"} {
			if !strings.Contains(text, s) {
				t.Errorf("%s does not say %q:\n%s", what, s, text)
			}
		}
	}
	if len(report.GeneralizedLines(rec)) == 0 {
		t.Error("no generalized lines")
	}
}

func showOutput(t *testing.T, dir string) string {
	t.Helper()
	code, stdout, stderr := tailor(t, "show", dir)
	if code != 0 {
		t.Fatalf("show exited %d: %s", code, stderr)
	}
	return stdout
}

// TestAppArmorLifecycle: under an enforcing AppArmor (make vm-apparmor),
// the profile of a run that only made a directory and created a file in
// it lets the next run unlink the file and remove the directory, with no
// rule of its own: AppArmor's w, which creating needed, covers deleting.
// Run hardened with the loaded profile, `probe lifecycle use` must pass
// with no AppArmor denial in the kernel log.
func TestAppArmorLifecycle(t *testing.T) {
	requireE2E(t)
	requireAppArmor(t)
	image, _ := probeImage(t)
	name := uniqueName("aalife")
	defer removeContainer(name)
	out := t.TempDir()
	if code, _, stderr := tailor(t, "record", "-q", "-o", out, "--", "docker", "run", "--rm", "--name", name, image, "/probe", "lifecycle", "learn", "/work"); code != 0 {
		t.Fatalf("record exited %d: %s", code, stderr)
	}
	pdir := filepath.Join(out, name)
	w := readProfile(t, pdir)
	profileName, err := apparmorProfileName(filepath.Join(pdir, "apparmor.profile"))
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := tailor(t, "load", pdir)
	if code != 0 || !strings.Contains(stdout, profileName+" (enforce)") {
		t.Fatalf("tailor load: exit %d\n%s\n%s", code, stdout, stderr)
	}
	defer tailor(t, "load", "--remove", pdir)
	log := openKmsg(t)
	got, err := runHardened(t, w, "", image, "/probe", "lifecycle", "use", "/work")
	if err != nil || !strings.Contains(got, "probe: lifecycle done") {
		t.Errorf("hardened with AppArmor enforcing: %v\n%s", err, got)
	}
	if d := denials(log.apparmorRecords(t, profileName)); len(d) > 0 {
		t.Errorf("AppArmor refused removing what the container created:\n%s", strings.Join(d, "\n"))
	}
}
