package vm

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestRootRecipeHash(t *testing.T) {
	r := GuestRoot()
	h := r.Hash()
	if len(h) != 16 {
		t.Fatalf("hash %q: want 16 hex digits", h)
	}
	shuffled := r
	shuffled.Packages = slices.Clone(r.Packages)
	slices.Reverse(shuffled.Packages)
	if got := shuffled.Hash(); got != h {
		t.Errorf("package order changed the hash: %s, want %s", got, h)
	}
	more := r
	more.Packages = append(slices.Clone(r.Packages), "strace")
	suite := r
	suite.Suite = "trixie"
	for name, other := range map[string]RootRecipe{"a package more": more, "another suite": suite} {
		if other.Hash() == h {
			t.Errorf("%s kept the hash %s", name, h)
		}
	}
	for _, p := range []string{"systemd", "docker.io", "apparmor", "apparmor-utils", "initramfs-tools"} {
		if !slices.Contains(r.Packages, p) {
			t.Errorf("the guest root lacks %s", p)
		}
	}
}

func TestImageHash(t *testing.T) {
	k := GuestKernel{Release: "6.1.0-41-amd64", Package: "linux-image-6.1.0-41-amd64_6.1.158-1"}
	h1, err := ImageHash("root1", k)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := ImageHash("root1", k)
	if again != h1 {
		t.Fatalf("same inputs, two hashes: %s %s", h1, again)
	}
	otherRoot, _ := ImageHash("root2", k)
	rebuilt := k
	rebuilt.Package = "linux-image-6.1.0-41-amd64_6.1.158-2"
	otherBuild, _ := ImageHash("root1", rebuilt)
	if otherRoot == h1 || otherBuild == h1 {
		t.Errorf("a new root (%s) or kernel build (%s) kept the hash %s", otherRoot, otherBuild, h1)
	}
}

func TestGuestKernelOf(t *testing.T) {
	k := &Kernel{Package: "linux-image-6.1.0-41-amd64", Version: "6.1.158-1", Release: "6.1.0-41-amd64",
		Root: "/c/k", Vmlinuz: "/c/k/boot/vmlinuz-6.1.0-41-amd64", ModulesDir: "/c/k/lib/modules/6.1.0-41-amd64"}
	g := GuestKernelOf(k)
	if g.Config != "/c/k/boot/config-6.1.0-41-amd64" || g.Package != "linux-image-6.1.0-41-amd64_6.1.158-1" ||
		g.ModulesDir != k.ModulesDir || g.Vmlinuz != k.Vmlinuz || g.Release != k.Release {
		t.Errorf("GuestKernelOf = %+v", g)
	}
}

func TestInstallGuest(t *testing.T) {
	stage := t.TempDir()
	for _, d := range []string{"etc/initramfs-tools/conf.d"} {
		if err := os.MkdirAll(filepath.Join(stage, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := installGuest(stage); err != nil {
		t.Fatal(err)
	}
	if err := writeInitramfsConfig(stage); err != nil {
		t.Fatal(err)
	}
	for _, unit := range []string{"tailor-vm-setup.service", "tailor-vm.service"} {
		link := filepath.Join(stage, "etc/systemd/system/multi-user.target.wants", unit)
		if target, err := os.Readlink(link); err != nil || target != "/etc/systemd/system/"+unit {
			t.Errorf("%s enabled as %q, %v", unit, target, err)
		}
	}
	for _, unit := range maskedUnits {
		if target, err := os.Readlink(filepath.Join(stage, "etc/systemd/system", unit)); err != nil || target != "/dev/null" {
			t.Errorf("%s masked as %q, %v", unit, target, err)
		}
	}
	for _, script := range []string{"usr/local/lib/tailor-vm/setup", "usr/local/lib/tailor-vm/run"} {
		st, err := os.Stat(filepath.Join(stage, script))
		if err != nil || st.Mode().Perm()&0o111 == 0 {
			t.Errorf("%s: not an executable file (%v)", script, err)
		}
	}
	fstab, _ := os.ReadFile(filepath.Join(stage, "etc/fstab"))
	if !strings.HasPrefix(string(fstab), "LABEL=tailor-root / ext4") {
		t.Errorf("fstab %q does not mount the image's label at /", fstab)
	}
	modules, _ := os.ReadFile(filepath.Join(stage, "etc/initramfs-tools/modules"))
	if got := strings.Fields(string(modules)); !slices.Equal(got, initrdModules) {
		t.Errorf("initrd modules %v, want %v", got, initrdModules)
	}
	// Installing again (a retried build) replaces, it does not fail.
	if err := installGuest(stage); err != nil {
		t.Errorf("second install: %v", err)
	}
}

// The run unit must come after dockerd and power off whatever happens;
// setup must come before dockerd (it writes daemon.json).
func TestGuestUnits(t *testing.T) {
	run, _ := guestFiles.ReadFile("guest/tailor-vm.service")
	setup, _ := guestFiles.ReadFile("guest/tailor-vm-setup.service")
	for _, want := range []string{"After=tailor-vm-setup.service docker.service", "SuccessAction=poweroff", "FailureAction=poweroff"} {
		if !strings.Contains(string(run), want) {
			t.Errorf("tailor-vm.service lacks %q", want)
		}
	}
	for _, want := range []string{"Before=docker.service containerd.service", "FailureAction=poweroff"} {
		if !strings.Contains(string(setup), want) {
			t.Errorf("tailor-vm-setup.service lacks %q", want)
		}
	}
}

func TestKernelCmdline(t *testing.T) {
	got := strings.Fields(KernelCmdline())
	for _, want := range []string{"root=LABEL=tailor-root", "apparmor=1", "security=apparmor", "systemd.unified_cgroup_hierarchy=1", "console=ttyS0", "panic=-1"} {
		if !slices.Contains(got, want) {
			t.Errorf("cmdline %v lacks %s", got, want)
		}
	}
}

func TestShares(t *testing.T) {
	r := GuestRun{Src: "/tree"}
	got := r.Shares("/w/ctl")
	want := []Share{{Tag: "ctl", Path: "/w/ctl", ReadOnly: true}, {Tag: "src", Path: "/tree", ReadOnly: true}}
	if !slices.Equal(got, want) {
		t.Errorf("Shares = %+v, want %+v", got, want)
	}
	r.Shared, r.Out = "/shared", "/out"
	got = r.Shares("/w/ctl")
	want = append(want, Share{Tag: "shared", Path: "/shared"}, Share{Tag: "out", Path: "/out"})
	if !slices.Equal(got, want) {
		t.Errorf("Shares = %+v, want %+v", got, want)
	}
}

func TestSettings(t *testing.T) {
	if got := (GuestRun{}).Settings(); got != "CGROUP_DRIVER='systemd'\n" {
		t.Errorf("default settings %q", got)
	}
	if got := (GuestRun{CgroupDriver: "cgroupfs"}).Settings(); got != "CGROUP_DRIVER='cgroupfs'\n" {
		t.Errorf("cgroupfs settings %q", got)
	}
	if got := shellQuote("it's"); got != `'it'\''s'` {
		t.Errorf("shellQuote = %s", got)
	}
}

func TestPortArgs(t *testing.T) {
	args := strings.Join(PortArgs("/w/out.sock", "/w/events.sock"), " ")
	for _, want := range []string{"socket,id=tailorout,path=/w/out.sock", "name=tailor.out", "socket,id=tailorevents,path=/w/events.sock", "name=tailor.events"} {
		if !strings.Contains(args, want) {
			t.Errorf("port args %q lack %q", args, want)
		}
	}
}

func TestEvents(t *testing.T) {
	var tm Timings
	status, err := Events(strings.NewReader("setup\ndocker\nimages\ncmd\nexit 3\n"), time.Now(), &tm)
	if err != nil || status != 3 {
		t.Fatalf("Events = %d, %v; want 3", status, err)
	}
	if tm.Exit < tm.Cmd || tm.Cmd < tm.Setup {
		t.Errorf("timings out of order: %+v", tm)
	}
	status, err = Events(strings.NewReader("setup\ndocker\n"), time.Now(), &tm)
	if err != nil || status != -1 {
		t.Errorf("a guest that never said exit: %d, %v; want -1", status, err)
	}
	if _, err := Events(strings.NewReader("exit x\n"), time.Now(), &tm); err == nil {
		t.Error("a garbled exit status was accepted")
	}
}

func TestRemoveSiblings(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"6.1.0-41-amd64-old", "6.1.0-41-amd64-new", "6.1.0-41-amd64-x.tmp", "6.12.38+deb12-amd64-other", ".lock"} {
		if err := os.Mkdir(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := removeSiblings(dir, "6.1.0-41-amd64-", filepath.Join(dir, "6.1.0-41-amd64-new")); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if want := []string{".lock", "6.1.0-41-amd64-new", "6.12.38+deb12-amd64-other"}; !slices.Equal(left, want) {
		t.Errorf("left %v, want %v", left, want)
	}
}
