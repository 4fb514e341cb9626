package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/tailorsec/tailor/internal/vm"
)

// guestFiles are the host files the matrix's initramfs is made of.
type guestFiles struct {
	Busybox    string // a static busybox (busybox-static)
	Unshare    string // util-linux unshare: the tests check what it does
	TracerTest string // CGO_ENABLED=0 go test -c ./tracer
	Probe      string // tracertest.CompileProbe
	Probe32    string // tracertest.CompileProbe32, or "" where it cannot be built
}

// Paths in the guest.
const (
	guestTracerTest = "/tailor/tracer.test"
	guestProbe      = "/tailor/probe"
	guestProbe32    = "/tailor/probe32"
)

// initScript is the guest's /init: mount what the tests need, run them,
// print the end marker with their exit status, power off. Busybox's
// applets live in /busybox, behind /usr/bin, so util-linux's unshare is
// the one the tests find. TAILOR_REQUIRE_E2E is not passed on: in a guest,
// what a kernel lacks is a skip that the expectations judge (expect.go),
// where the host's run, like the rest of CI, turns skips into failures.
func initScript(pattern string, testTimeout string) (string, error) {
	if strings.ContainsAny(pattern, "'\n") {
		return "", fmt.Errorf("test pattern %q: no quotes or newlines, please", pattern)
	}
	return fmt.Sprintf(`#!/bin/busybox sh
/bin/busybox mkdir -p /busybox
/bin/busybox --install -s /busybox
export PATH=/usr/sbin:/usr/bin:/busybox HOME=/tmp TMPDIR=/tmp
mkdir -p /proc /sys /dev /tmp /run
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t bpf bpf /sys/fs/bpf
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug
mount -t securityfs securityfs /sys/kernel/security
mount -t cgroup2 cgroup2 /sys/fs/cgroup
echo "tailor-kernels: kernel $(uname -r), LSMs $(cat /sys/kernel/security/lsm 2>/dev/null)"
export TAILOR_PROBE=%s
[ -x %s ] && export TAILOR_PROBE32=%s
cd /tmp
%s -test.v -test.run '%s' -test.timeout %s
echo "%s$?"
sync
sleep 1
poweroff -f
`, guestProbe, guestProbe32, guestProbe32, guestTracerTest, pattern, testTimeout, EndMarker), nil
}

// writeInitramfs writes the matrix's initramfs to path.
func writeInitramfs(path string, files guestFiles, init string) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	r := vm.NewInitramfs(f)
	r.HostBinary(files.Busybox) // static: comes alone
	if files.Busybox != "/bin/busybox" {
		r.HostFile("/bin/busybox", files.Busybox)
	}
	r.HostBinary(files.Unshare)
	if files.Unshare != "/usr/bin/unshare" {
		r.HostFile("/usr/bin/unshare", files.Unshare)
	}
	r.HostFile(guestTracerTest, files.TracerTest)
	r.HostFile(guestProbe, files.Probe)
	if files.Probe32 != "" {
		r.HostFile(guestProbe32, files.Probe32)
	}
	r.CharDevice("/dev/console", 0o600, 5, 1)
	r.File("/init", 0o755, []byte(init))
	return r.Close()
}

// findBusybox returns a static busybox: a dynamic one would need its
// libraries, and Debian's busybox-static is the one with every applet.
func findBusybox() (string, error) {
	for _, p := range []string{"/bin/busybox", "/usr/bin/busybox"} {
		if _, err := os.Stat(p); err != nil {
			continue
		}
		out, _ := exec.Command("ldd", p).CombinedOutput()
		if strings.Contains(string(out), "not a dynamic executable") || strings.Contains(string(out), "statically linked") {
			return p, nil
		}
	}
	return "", fmt.Errorf("no static busybox (apt-get install busybox-static)")
}
