package vm

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// GuestRun is one `make vm` run: CMD in a throw-away overlay of an image,
// with the host's directories shared in.
type GuestRun struct {
	Image  Image
	Cmd    string   // run by bash -c, as root, once dockerd answers
	Src    string   // shared read-only at /src
	Shared string   // shared at /shared when not empty
	Out    string   // shared read-write at /out when not empty
	Tailor string   // binary installed as /usr/local/bin/tailor when not empty
	Images []string // docker images saved on the host and loaded in the guest
	// CgroupDriver is dockerd's: "systemd" (its default on cgroup v2) or
	// "cgroupfs".
	CgroupDriver string
	Stdout       io.Writer // the command's output (stdout and stderr)
	WorkDir      string    // for the overlay, sockets and the control share
}

// Shares lists the host directories the guest mounts over 9p, in a fixed
// order: tag "ctl" at /run/tailor-vm, any other tag T at /T.
func (r GuestRun) Shares(ctl string) []Share {
	s := []Share{{Tag: "ctl", Path: ctl, ReadOnly: true}, {Tag: "src", Path: r.Src, ReadOnly: true}}
	if r.Shared != "" {
		s = append(s, Share{Tag: "shared", Path: r.Shared})
	}
	if r.Out != "" {
		s = append(s, Share{Tag: "out", Path: r.Out})
	}
	return s
}

// KernelCmdline is the guest kernel's command line: root on the virtio
// disk, the kernel log on the first serial port, AppArmor on and enforcing,
// systemd on the unified (v2) cgroup hierarchy, and a panic that ends the
// run instead of hanging it.
func KernelCmdline() string {
	return strings.Join([]string{
		"root=LABEL=tailor-root", "rw", "console=ttyS0",
		"apparmor=1", "security=apparmor",
		"systemd.unified_cgroup_hierarchy=1",
		"panic=-1", "oops=panic",
		"systemd.show_status=auto", "loglevel=4",
	}, " ")
}

// PortArgs are the qemu options for the guest's two virtio ports:
// tailor.out (the command's output) and tailor.events (setup, docker,
// images, cmd, "exit N"), each connected to a unix socket the host listens
// on (qemu connects as it starts, so nothing the guest writes is lost).
func PortArgs(outSock, eventSock string) []string {
	return []string{
		"-device", "virtio-serial-pci",
		"-chardev", "socket,id=tailorout,path=" + outSock,
		"-device", "virtserialport,chardev=tailorout,name=tailor.out",
		"-chardev", "socket,id=tailorevents,path=" + eventSock,
		"-device", "virtserialport,chardev=tailorevents,name=tailor.events",
	}
}

// Settings is the shell file the guest's setup sources.
func (r GuestRun) Settings() string {
	driver := r.CgroupDriver
	if driver == "" {
		driver = "systemd"
	}
	return "CGROUP_DRIVER=" + shellQuote(driver) + "\n"
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Timings are the moments the guest reported, from qemu's start.
type Timings struct {
	Setup, Docker, Images, Cmd, Exit, PowerOff time.Duration
}

func (t Timings) String() string {
	f := func(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }
	return fmt.Sprintf("boot to userspace %s, dockerd up %s, images loaded %s (boot to CMD start %s), CMD %s, shutdown %s",
		f(t.Setup), f(t.Docker-t.Setup), f(t.Images-t.Docker), f(t.Cmd), f(t.Exit-t.Cmd), f(t.PowerOff-t.Exit))
}

// Events reads the guest's event port until it closes, stamping each event
// with the time since start. It returns the exit status the guest sent, or
// -1 when it sent none.
func Events(r io.Reader, start time.Time, t *Timings) (status int, err error) {
	status = -1
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		at := time.Since(start)
		word, arg, _ := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		switch word {
		case "setup":
			t.Setup = at
		case "docker":
			t.Docker = at
		case "images":
			t.Images = at
		case "cmd":
			t.Cmd = at
		case "exit":
			t.Exit = at
			n, err := strconv.Atoi(arg)
			if err != nil {
				return status, fmt.Errorf("guest event %q: %w", sc.Text(), err)
			}
			status = n
		}
	}
	return status, sc.Err()
}

// prepare writes the control share (cmd, settings, tailor, images.tar) and
// the overlay into r.WorkDir and listens on the two sockets.
func (r GuestRun) prepare(ctx context.Context, log io.Writer) (ctl, overlay string, out, events net.Listener, err error) {
	ctl = filepath.Join(r.WorkDir, "ctl")
	if err := os.MkdirAll(ctl, 0o755); err != nil {
		return "", "", nil, nil, err
	}
	if err := os.WriteFile(filepath.Join(ctl, "cmd"), []byte(r.Cmd), 0o644); err != nil {
		return "", "", nil, nil, err
	}
	if err := os.WriteFile(filepath.Join(ctl, "settings"), []byte(r.Settings()), 0o644); err != nil {
		return "", "", nil, nil, err
	}
	if r.Tailor != "" {
		if err := copyFile(r.Tailor, filepath.Join(ctl, "tailor"), 0o755); err != nil {
			return "", "", nil, nil, err
		}
	}
	if len(r.Images) > 0 {
		args := append([]string{"save", "-o", filepath.Join(ctl, "images.tar")}, r.Images...)
		cmd := exec.CommandContext(ctx, "docker", args...)
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Run(); err != nil {
			return "", "", nil, nil, fmt.Errorf("docker save %s: %w", strings.Join(r.Images, " "), err)
		}
	}
	overlay = filepath.Join(r.WorkDir, "overlay.qcow2")
	cmd := exec.CommandContext(ctx, "qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", r.Image.Disk, overlay)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return "", "", nil, nil, fmt.Errorf("qemu-img create overlay: %w", err)
	}
	out, err = net.Listen("unix", filepath.Join(r.WorkDir, "out.sock"))
	if err != nil {
		return "", "", nil, nil, err
	}
	events, err = net.Listen("unix", filepath.Join(r.WorkDir, "events.sock"))
	if err != nil {
		out.Close()
		return "", "", nil, nil, err
	}
	return ctl, overlay, out, events, nil
}

// Run prepares the run, boots the guest on m (whose Kernel, Initrd, Disk,
// Shares and Append it sets; Console, Accel, Timeout, MemoryMiB and CPUs
// are the caller's) and returns the command's exit status and the timings.
// An error means the guest gave no status (it did not boot, crashed or
// timed out).
func (r GuestRun) Run(ctx context.Context, m Machine, log io.Writer) (int, Timings, error) {
	var t Timings
	ctl, overlay, outL, eventsL, err := r.prepare(ctx, log)
	if err != nil {
		return -1, t, err
	}
	defer outL.Close()
	defer eventsL.Close()
	m.Kernel, m.Initrd = r.Image.Vmlinuz, r.Image.Initrd
	m.Disk = &Disk{Path: overlay, Format: "qcow2"}
	m.Shares = r.Shares(ctl)
	m.Append = strings.Fields(KernelCmdline())
	m.QEMUArgs = append(PortArgs(outL.Addr().String(), eventsL.Addr().String()), m.QEMUArgs...)

	var wg sync.WaitGroup
	start := time.Now()
	status := -1
	var eventsErr error
	wg.Add(2)
	go func() {
		defer wg.Done()
		if c, err := outL.Accept(); err == nil {
			io.Copy(r.Stdout, c)
			c.Close()
		}
	}()
	go func() {
		defer wg.Done()
		if c, err := eventsL.Accept(); err == nil {
			status, eventsErr = Events(c, start, &t)
			c.Close()
		}
	}()
	bootErr := m.Run(ctx)
	t.PowerOff = time.Since(start)
	// qemu is gone: its ends of the sockets are closed, or were never
	// opened; closing the listeners ends an Accept still waiting.
	outL.Close()
	eventsL.Close()
	wg.Wait()
	switch {
	case status >= 0:
		return status, t, nil
	case bootErr != nil:
		return -1, t, fmt.Errorf("guest gave no exit status: %w", bootErr)
	case eventsErr != nil:
		return -1, t, fmt.Errorf("guest gave no exit status: %w", eventsErr)
	default:
		return -1, t, errors.New("guest powered off without an exit status")
	}
}

func copyFile(from, to string, mode os.FileMode) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, mode)
}
