package main

// Fault tests: tailor attached to real workloads when things go wrong:
// signals, dying containers, a restarting dockerd, reused identifiers, a
// second tailor, a full disk. Root, dockerd, the probe image.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tailorsec/tailor/tracer/tracertest"
)

// buildBinary builds tailor for tests that need it as a process.
func buildBinary(t testing.TB) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "tailor")
	if msg, err := exec.Command("go", "build", "-o", out, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, msg)
	}
	return out
}

// Ctrl-C, SIGTERM and SIGKILL in the middle of a recording: with the first
// two the profiles are written (a container still running marked partial);
// after any of them nothing of tailor's stays in the kernel.
func TestSignalsLeaveNothingBehind(t *testing.T) {
	requireE2E(t)
	image, _ := probeImage(t)
	bin := buildBinary(t)
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			mark := tracertest.MarkBPF(t)
			done, running := uniqueName("sig-done"), uniqueName("sig-running")
			defer removeContainer(done)
			defer removeContainer(running)
			out := t.TempDir()
			cmd := exec.Command(bin, "record", "-o", out)
			stderr, _ := cmd.StderrPipe()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			waitForLine(t, stderr, "press Ctrl-C")
			docker(t, "run", "--name", done, image, "/probe", "pick", "3")
			docker(t, "run", "-d", "--name", running, "sptest/busybox", "sleep", "60")
			time.Sleep(500 * time.Millisecond)
			cmd.Process.Signal(sig)
			err := cmd.Wait()
			if sig == syscall.SIGKILL {
				tracertest.RequireNoBPFLeft(t, mark)
				return
			}
			if err != nil {
				t.Fatalf("tailor after %v: %v", sig, err)
			}
			if w := readProfile(t, filepath.Join(out, done)); w.report["partial"] == true {
				t.Errorf("%s had ended, it is not partial", done)
			}
			if w := readProfile(t, filepath.Join(out, running)); w.report["partial"] != true {
				t.Errorf("%s still ran: it must be marked partial", running)
			}
			tracertest.RequireNoBPFLeft(t, mark)
		})
	}
}

// A container the OOM killer ends still gets its profile, with a note.
func TestContainerOOMKilled(t *testing.T) {
	requireE2E(t)
	sharedImages(t)
	name := uniqueName("oom")
	defer removeContainer(name)
	out := t.TempDir()
	// dd's 64 MiB buffer cannot fit in 16 MiB.
	code, _, stderr := tailor(t, "record", "-q", "-o", out, "--", "docker", "run", "--name", name, "--memory", "16m", "--memory-swap", "16m",
		"sptest/busybox", "dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=4")
	if code != 137 {
		t.Fatalf("the OOM-killed container's docker run should exit 137, got %d: %s", code, stderr)
	}
	w := readProfile(t, filepath.Join(out, name))
	if !strings.Contains(fmt.Sprint(w.report["warnings"]), "OOM killer") {
		t.Errorf("no note of the OOM kill: %v", w.report["warnings"])
	}
	if !w.allowed()["read"] || !w.allowed()["execve"] {
		t.Errorf("what dd did before it was killed is missing: %v", w.allowed())
	}
}

// Containers started one after another reuse mount namespace inode
// numbers and pids; each profile must hold its own container's syscalls
// and none of the others'.
func TestIdentifierReuse(t *testing.T) {
	requireE2E(t)
	image, _ := probeImage(t)
	out := t.TempDir()
	var script strings.Builder
	names := map[int]string{}
	for i := 0; i < 6; i++ {
		n := 1 << i
		names[n] = uniqueName(fmt.Sprintf("reuse%d", i))
		defer removeContainer(names[n])
		fmt.Fprintf(&script, "docker run --rm --name %s %s /probe pick %d >/dev/null\n", names[n], image, n)
	}
	if code, _, stderr := tailor(t, "record", "-q", "-o", out, "--", "sh", "-ec", script.String()); code != 0 {
		t.Fatalf("record exited %d: %s", code, stderr)
	}
	for n, name := range names {
		checkPicks(t, readProfile(t, filepath.Join(out, name)), n)
	}
}

// checkPicks: the profile of `probe pick n` has exactly the pick syscalls
// of n's bits.
func checkPicks(t *testing.T, w written, n int) {
	t.Helper()
	for i, s := range tracertest.PickSyscalls {
		if want := n&(1<<i) != 0; w.allowed()[s] != want {
			t.Errorf("pick %d: %s allowed=%v, want %v (another container's syscall, or its own lost)", n, s, w.allowed()[s], want)
		}
	}
}

// Two tailors at once record independently: each gets complete profiles.
func TestTwoInstances(t *testing.T) {
	requireE2E(t)
	image, _ := probeImage(t)
	bin := buildBinary(t)
	outA, outB := t.TempDir(), t.TempDir()
	a := exec.Command(bin, "record", "-o", outA)
	stderr, _ := a.StderrPipe()
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	waitForLine(t, stderr, "press Ctrl-C")
	name := uniqueName("twice")
	defer removeContainer(name)
	b := exec.Command(bin, "record", "-q", "-o", outB, "--", "docker", "run", "--rm", "--name", name, image, "/probe", "pick", "5")
	if out, err := b.CombinedOutput(); err != nil {
		t.Fatalf("second tailor: %v\n%s", err, out)
	}
	a.Process.Signal(os.Interrupt)
	if err := a.Wait(); err != nil {
		t.Fatalf("first tailor: %v", err)
	}
	for _, dir := range []string{outA, outB} {
		checkPicks(t, readProfile(t, filepath.Join(dir, name)), 5)
	}
}

// The output directory fills up while recording: the error says so, and
// the profiles are saved elsewhere instead of being lost.
func TestOutputDirectoryFull(t *testing.T) {
	requireE2E(t)
	image, _ := probeImage(t)
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k", "tailor-test", dir).CombinedOutput(); err != nil {
		t.Skipf("skipping: cannot mount a small tmpfs: %v %s", err, out)
	}
	defer exec.Command("umount", "-l", dir).Run()
	name := uniqueName("full")
	defer removeContainer(name)
	// The command fills the disk after tailor checked it could write there.
	script := fmt.Sprintf("docker run --rm --name %s %s /probe work >/dev/null && dd if=/dev/zero of=%s/filler bs=4k 2>/dev/null; true", name, image, dir)
	code, _, stderr := tailor(t, "record", "-q", "-o", dir, "--", "sh", "-c", script)
	if code != exitOutput {
		t.Fatalf("exit code %d, want %d: %s", code, exitOutput, stderr)
	}
	i := strings.Index(stderr, "saved to ")
	if !strings.Contains(stderr, "no space left") || i < 0 {
		t.Fatalf("the error should name the cause and where the profiles went: %s", stderr)
	}
	rescue := strings.Fields(stderr[i+len("saved to "):])[0]
	defer os.RemoveAll(rescue)
	readProfile(t, filepath.Join(rescue, name))
}

// restartDockerd stops dockerd and starts it again the way it runs now
// (systemd, or the same command line), and waits until it answers.
func restartDockerd(t *testing.T) {
	t.Helper()
	if out, _ := exec.Command("systemctl", "is-active", "docker").Output(); strings.TrimSpace(string(out)) == "active" {
		if out, err := exec.Command("systemctl", "restart", "docker").CombinedOutput(); err != nil {
			t.Fatalf("systemctl restart docker: %v\n%s", err, out)
		}
	} else {
		pid, err := exec.Command("pidof", "dockerd").Output()
		if err != nil {
			t.Fatalf("no dockerd to restart: %v", err)
		}
		p := strings.Fields(string(pid))[0]
		cmdline, err := os.ReadFile("/proc/" + p + "/cmdline")
		if err != nil {
			t.Fatal(err)
		}
		args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
		exec.Command("kill", p).Run()
		for i := 0; i < 300 && exec.Command("kill", "-0", p).Run() == nil; i++ {
			time.Sleep(100 * time.Millisecond)
		}
		log, err := os.OpenFile("/var/log/tailor-test-dockerd.log", os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer log.Close()
		d := exec.Command(args[0], args[1:]...)
		d.Stdout, d.Stderr = log, log
		d.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // outlives the test
		if err := d.Start(); err != nil {
			t.Fatalf("start %v: %v", args, err)
		}
		d.Process.Release()
	}
	for i := 0; i < 120; i++ {
		if exec.Command("docker", "info").Run() == nil {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatal("dockerd did not come back")
}

// dockerd restarts in the middle of a recording: tailor reconnects, keeps
// the container it knew (which dockerd stopped), and records the one
// started afterwards.
func TestDockerdRestart(t *testing.T) {
	requireE2E(t)
	if os.Getenv("TAILOR_TEST_RESTART_DOCKERD") == "" {
		t.Skip("skipping: restarts dockerd, which stops running containers; set TAILOR_TEST_RESTART_DOCKERD=1 (CI does)")
	}
	image, _ := probeImage(t)
	bin := buildBinary(t)
	out := t.TempDir()
	cmd := exec.Command(bin, "record", "-o", out)
	stderrPipe, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	lines := make(chan string, 100)
	go func() {
		b := make([]byte, 4096)
		for {
			n, err := stderrPipe.Read(b)
			if n > 0 {
				lines <- string(b[:n])
			}
			if err != nil {
				close(lines)
				return
			}
		}
	}()
	waitFor := func(want string) {
		deadline := time.After(30 * time.Second)
		for !strings.Contains(stderr.String(), want) {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("tailor ended before %q: %s", want, stderr.String())
				}
				stderr.WriteString(l)
			case <-deadline:
				t.Fatalf("no %q: %s", want, stderr.String())
			}
		}
	}
	waitFor("press Ctrl-C")
	before, after := uniqueName("before-restart"), uniqueName("after-restart")
	defer removeContainer(before)
	defer removeContainer(after)
	docker(t, "run", "-d", "--stop-timeout", "1", "--name", before, "sptest/busybox", "sh", "-c", "cat /etc/passwd >/dev/null; sleep 60")
	time.Sleep(time.Second)
	restartDockerd(t)
	waitFor("reconnecting")
	docker(t, "run", "--name", after, image, "/probe", "pick", "6")
	time.Sleep(500 * time.Millisecond)
	cmd.Process.Signal(os.Interrupt)
	for l := range lines {
		stderr.WriteString(l)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("tailor: %v\n%s", err, stderr.String())
	}
	if w := readProfile(t, filepath.Join(out, before)); !w.allowed()["sendfile"] && !w.allowed()["read"] {
		t.Errorf("the container from before the restart lost what it did: %v", w.allowed())
	}
	checkPicks(t, readProfile(t, filepath.Join(out, after)), 6)
}
