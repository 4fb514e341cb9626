package main

// The AppArmor profiles tailor writes, enforced by a kernel: this needs a
// host where AppArmor is enabled, which the development machine's kernel
// is not. `make vm-apparmor` runs this test in a guest (Debian 12, its 6.1
// kernel booted with AppArmor, dockerd on cgroup v2), and CI does too.

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tailorsec/tailor/tracer/tracertest"
)

// requireAppArmor skips unless the kernel enforces AppArmor. The skip is
// plain, not SkipOrFail: CI runs this test where AppArmor is (in a guest,
// with TAILOR_REQUIRE_APPARMOR set, which turns the skip into a failure),
// not on its host.
func requireAppArmor(t *testing.T) {
	t.Helper()
	if err := apparmorUsable(); err != nil {
		if os.Getenv("TAILOR_REQUIRE_APPARMOR") != "" {
			t.Fatalf("TAILOR_REQUIRE_APPARMOR is set, but: %v", err)
		}
		t.Skipf("skipping: %v (make vm-apparmor runs this test in a guest with AppArmor)", err)
	}
}

// kmsg reads the kernel log from the moment it was opened: AppArmor's
// audit records go there when no audit daemon takes them. It reads the raw
// descriptor: an *os.File of a non-blocking descriptor waits in Go's poller
// for more records instead of returning EAGAIN at the end of the log.
type kmsg struct{ fd int }

func openKmsg(t *testing.T) *kmsg {
	t.Helper()
	fd, err := syscall.Open("/dev/kmsg", syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := syscall.Seek(fd, 0, io.SeekEnd); err != nil {
		syscall.Close(fd)
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	return &kmsg{fd}
}

// apparmorRecords returns the AppArmor audit records logged since the last
// call that name profile.
func (k *kmsg) apparmorRecords(t *testing.T, profile string) []string {
	t.Helper()
	var out []string
	buf := make([]byte, 8192)
	for {
		n, err := syscall.Read(k.fd, buf)
		if errors.Is(err, syscall.EAGAIN) {
			return out
		}
		if errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.EINTR) {
			continue // records were overwritten before we read them
		}
		if err != nil {
			t.Fatalf("read /dev/kmsg: %v", err)
		}
		if n <= 0 {
			return out
		}
		rec := string(buf[:n])
		if apparmorRecordOf(rec, profile) {
			_, msg, _ := strings.Cut(rec, ";")
			out = append(out, strings.TrimSpace(msg))
		}
	}
}

// apparmorRecordOf reports whether rec, a kernel log record, is an
// AppArmor audit record of profile: one whose profile= or peer= is the
// profile or one of its children (profile//hat, profile//null-PROGRAM),
// so that a refusal made in a child, or of a signal or ptrace that the
// profile was the other side of, counts too.
func apparmorRecordOf(rec, profile string) bool {
	if !strings.Contains(rec, "apparmor=") {
		return false
	}
	for _, field := range []string{` profile="`, ` peer="`} {
		for rest := rec; ; {
			_, after, ok := strings.Cut(rest, field)
			if !ok {
				break
			}
			value, _, _ := strings.Cut(after, `"`)
			if value == profile || strings.HasPrefix(value, profile+"//") {
				return true
			}
			rest = after
		}
	}
	return false
}

// denials are the records of refused accesses (enforce mode) and of those
// a complain-mode profile would have refused.
func denials(records []string) []string {
	var out []string
	for _, r := range records {
		if strings.Contains(r, `apparmor="DENIED"`) || strings.Contains(r, `apparmor="ALLOWED"`) {
			out = append(out, r)
		}
	}
	return out
}

// An AppArmor workload: recorded, then run hardened with the profile
// loaded, then made to do something the recording never did.
type apparmorWorkload struct {
	name string
	// start starts and drives the workload (%s: the docker run
	// arguments); stop stops it and fails unless it exited 0.
	start, stop string
	// detached: the container runs until stopped, so it is checked while
	// it runs; a one-shot container has exited when start returns.
	detached bool
	// deny makes the hardened container (or one like it, with flags) do
	// what the recording never did; it returns the paths AppArmor may
	// name in its refusal (one DENIED record must name one of them).
	deny func(t *testing.T, container, flags string) []string
}

// TestAppArmorEnforced records the shared workloads and a PostgreSQL-like
// server, loads their profiles with `tailor load`, and runs each again
// with exactly its flags: the container must run confined by its profile
// in enforce mode, do its work with no AppArmor denial at all, and an
// access the recording never made must be refused with a DENIED record
// naming the profile.
func TestAppArmorEnforced(t *testing.T) {
	requireE2E(t)
	requireAppArmor(t)
	dir := sharedImages(t)
	pglike := uniqueName("pglike") + ":latest"
	tracertest.PGLikeImage(t, pglike)
	shared := func(app string) (start, stop string) {
		return fmt.Sprintf(". %s/workloads.sh && start_%s %%s >/dev/null && drive_%s", dir, app, app),
			fmt.Sprintf(". %s/workloads.sh && stop_%s", dir, app)
	}
	// A program run in a way the recording never showed, in a container
	// that runs: refused either at the exec of cat or, where the recording
	// ran enough programs of /usr/bin for the profile to allow /usr/bin/*
	// (nginx's and redis's entrypoint scripts do), at its read of
	// /etc/hostname, a file neither server reads.
	execCat := func(t *testing.T, container, _ string) []string {
		if out, err := exec.Command("docker", "exec", container, "cat", "/etc/hostname").CombinedOutput(); err == nil {
			t.Errorf("docker exec cat in the hardened container worked: %q", out)
		}
		return []string{"/usr/bin/cat", "/etc/hostname"}
	}
	busybox := apparmorWorkload{name: "busybox", deny: func(t *testing.T, _, flags string) []string {
		// Not in the image and never read: bind-mounted for this run.
		secret := filepath.Join(t.TempDir(), "unrecorded")
		if err := os.WriteFile(secret, []byte("not yours\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("bash", "-c", fmt.Sprintf("docker run --rm %s -v %s:/tailor-unrecorded:ro sptest/busybox cat /tailor-unrecorded", flags, secret)).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "Permission denied") {
			t.Errorf("reading an unrecorded file: %v, %q; want Permission denied", err, out)
		}
		return []string{"/tailor-unrecorded"}
	}}
	busybox.start, busybox.stop = shared("busybox")
	nginx := apparmorWorkload{name: "nginx", detached: true, deny: execCat}
	nginx.start, nginx.stop = shared("nginx")
	redis := apparmorWorkload{name: "redis", detached: true, deny: execCat}
	redis.start, redis.stop = shared("redis")
	pg := apparmorWorkload{name: "pglike", detached: true, deny: func(t *testing.T, container, _ string) []string {
		out, err := exec.Command("docker", "exec", container, "/pglike", "read", "/etc/pglike.conf").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Permission denied") {
			t.Errorf("pglike read /etc/pglike.conf: %v, %q; want Permission denied", err, out)
		}
		return []string{"/etc/pglike.conf"}
	}}

	for _, w := range []apparmorWorkload{busybox, nginx, redis, pg} {
		t.Run(w.name, func(t *testing.T) {
			prefix := uniqueName(w.name)
			env := workloadEnv(prefix)
			name := prefix + "-" + w.name
			defer removeContainer(name)
			if w.name == "pglike" {
				w.start, w.stop = pglikeStart(name, pglike), pglikeStop(name)
			}
			sh := func(script string) (string, error) {
				cmd := exec.Command("bash", "-c", script)
				cmd.Env = env
				out, err := cmd.CombinedOutput()
				return string(out), err
			}

			out := t.TempDir()
			code, stdout, stderr := tailorEnv(t, env, "record", "-q", "-o", out, "--", "bash", "-c", fmt.Sprintf(w.start, "")+" && "+w.stop)
			if code != 0 {
				t.Fatalf("recording %s exited %d\n%s\n%s", w.name, code, stdout, stderr)
			}
			pdir := filepath.Join(out, name)
			p := readProfile(t, pdir)
			profileName, err := apparmorProfileName(filepath.Join(pdir, "apparmor.profile"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(p.flags, "--security-opt=apparmor="+profileName) {
				t.Fatalf("flags %q do not name the AppArmor profile %s", p.flags, profileName)
			}
			code, stdout, stderr = tailor(t, "load", pdir)
			if code != 0 || !strings.Contains(stdout, profileName+" (enforce)") {
				t.Fatalf("tailor load: exit %d\n%s\n%s", code, stdout, stderr)
			}
			defer tailor(t, "load", "--remove", pdir)

			log := openKmsg(t)
			if got, err := sh(fmt.Sprintf(w.start, p.flags)); err != nil {
				logs, _ := exec.Command("docker", "logs", name).CombinedOutput()
				t.Fatalf("hardened %s failed: %v\n%s\ncontainer logs:\n%s", w.name, err, got, logs)
			}
			if w.detached {
				if got, want := confinement(t, name), profileName+" (enforce)"; got != want {
					t.Errorf("the hardened container runs confined by %q, want %q", got, want)
				}
			} else {
				// Exited, not yet removed: stop removes it.
				if got := docker(t, "inspect", "-f", "{{.AppArmorProfile}}", name); got != profileName {
					t.Errorf("docker inspect: AppArmorProfile %q, want %q", got, profileName)
				}
				if got, err := sh(w.stop); err != nil {
					t.Fatalf("hardened %s: %v\n%s", w.name, err, got)
				}
			}
			if d := denials(log.apparmorRecords(t, profileName)); len(d) > 0 {
				t.Errorf("AppArmor refused what the hardened %s needed:\n%s", w.name, strings.Join(d, "\n"))
			}
			denied := w.deny(t, name, p.flags)
			checkDenied(t, log, profileName, denied)
			if w.detached {
				if got, err := sh(w.stop); err != nil {
					t.Errorf("stopping hardened %s: %v\n%s", w.name, err, got)
				}
				if d := denials(log.apparmorRecords(t, profileName)); len(d) > 0 {
					t.Errorf("AppArmor refused what the hardened %s needed to stop:\n%s", w.name, strings.Join(d, "\n"))
				}
			}
		})
	}
}

// checkDenied waits for the DENIED record of the deliberate access: it
// must name the profile and one of paths.
func checkDenied(t *testing.T, log *kmsg, profileName string, paths []string) {
	t.Helper()
	var seen []string
	ok := waitUntil(5*time.Second, func() bool {
		seen = append(seen, log.apparmorRecords(t, profileName)...)
		for _, r := range seen {
			for _, path := range paths {
				if strings.Contains(r, `apparmor="DENIED"`) && strings.Contains(r, `name="`+path+`"`) {
					t.Logf("refused as it should be: %s", r)
					return true
				}
			}
		}
		return false
	})
	if !ok {
		t.Errorf("no AppArmor DENIED record of profile %s naming %s; records of the profile:\n%s", profileName, strings.Join(paths, " or "), strings.Join(seen, "\n"))
	}
}

// confinement is what the kernel says confines the container's first
// process: "PROFILE (MODE)".
func confinement(t *testing.T, container string) string {
	t.Helper()
	pid := docker(t, "inspect", "-f", "{{.State.Pid}}", container)
	b, err := os.ReadFile("/proc/" + pid + "/attr/current")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(strings.TrimRight(string(b), "\x00"))
}

// pglikeStart starts pglike as container name and talks to it over its
// unix socket from the host, through the container's root; %s is the
// docker run arguments.
func pglikeStart(name, image string) string {
	return fmt.Sprintf(`set -e
docker rm -f %[1]s >/dev/null 2>&1 || true
docker run -d --name %[1]s %%s %[2]s >/dev/null
for i in $(seq 1 120); do docker logs %[1]s 2>&1 | grep -q '^ready' && break; [ "$(docker inspect -f '{{.State.Running}}' %[1]s)" = true ] || break; sleep 0.25; done
docker logs %[1]s 2>&1 | grep -q '^self-check ok' || { docker logs %[1]s; exit 1; }
pid=$(docker inspect -f '{{.State.Pid}}' %[1]s)
for i in 1 2 3; do
	[ "$(TAILOR_PGLIKE_PING=/proc/$pid/root/run/pglike/.s.PGSQL.5432 %[3]s)" = pong ] || { echo "no pong"; exit 1; }
done`, name, image, self())
}

// self is this test binary, which answers TAILOR_PGLIKE_PING (TestMain).
func self() string {
	exe, err := os.Executable()
	if err != nil {
		return os.Args[0]
	}
	return exe
}

func pglikeStop(name string) string {
	return fmt.Sprintf(`docker stop -t 10 %[1]s >/dev/null
code=$(docker inspect -f '{{.State.ExitCode}}' %[1]s); docker rm -f %[1]s >/dev/null
[ "$code" = 0 ] || { echo "pglike exited $code"; exit 1; }
`, name)
}

// pglikePing is the client side: connect to the socket, ping, print the
// answer.
func pglikePing(path string) error {
	c, err := net.DialTimeout("unix", path, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.Write([]byte("ping")); err != nil {
		return err
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil {
		return err
	}
	fmt.Println(string(buf))
	return nil
}

// waitUntil polls cond every 100 ms until it holds or d has passed.
func waitUntil(d time.Duration, cond func() bool) bool {
	for end := time.Now().Add(d); ; time.Sleep(100 * time.Millisecond) {
		if cond() {
			return true
		}
		if time.Now().After(end) {
			return false
		}
	}
}

func TestAppArmorRecordOf(t *testing.T) {
	const p = "tailor-x-web"
	for _, c := range []struct {
		rec  string
		want bool
	}{
		{`6,100,5,-;audit: type=1400 audit(1.2:3): apparmor="DENIED" operation="open" profile="tailor-x-web" name="/etc/hostname" pid=9 comm="cat"`, true},
		{`6,100,5,-;audit: type=1400 audit(1.2:3): apparmor="DENIED" operation="exec" profile="tailor-x-web//null-/usr/bin/cat" name="/etc/hostname"`, true},
		{`6,100,5,-;audit: type=1400 audit(1.2:3): apparmor="DENIED" operation="signal" profile="docker-default" pid=9 comm="sh" requested_mask="send" denied_mask="send" signal=term peer="tailor-x-web"`, true},
		{`6,100,5,-;audit: type=1400 audit(1.2:3): apparmor="DENIED" operation="open" profile="tailor-x-webby" name="/etc/hostname"`, false},
		{`6,100,5,-;audit: type=1400 audit(1.2:3): apparmor="DENIED" operation="open" profile="docker-default" name="/tailor-x-web"`, false},
		{`6,100,5,-;audit: type=1400 audit(1.2:3): apparmor="STATUS" operation="profile_load" profile="unconfined" name="tailor-x-web" pid=9`, false},
		{`6,100,5,-;something profile="tailor-x-web" without the audit field`, false},
	} {
		if got := apparmorRecordOf(c.rec, p); got != c.want {
			t.Errorf("apparmorRecordOf(%q) = %v, want %v", c.rec, got, c.want)
		}
	}
}
