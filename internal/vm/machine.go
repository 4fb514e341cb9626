package vm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Machine is one boot of a kernel under qemu. The zero values of the
// optional fields give a machine with no disk, no network and no shares.
type Machine struct {
	// Kernel is the kernel image to boot (Kernel.Vmlinuz), Initrd the
	// initramfs (optional when Disk holds a root the kernel can mount
	// without modules).
	Kernel string
	Initrd string
	// Disk is attached as a virtio block device (/dev/vda) when set.
	Disk *Disk
	// Append is the kernel command line. Run adds console=ttyS0 unless
	// Append has a console=, and panic=-1 unless it has a panic=, so a
	// guest that panics ends the run instead of hanging.
	Append []string
	// Shares are host directories the guest mounts with
	// `mount -t 9p -o trans=virtio,version=9p2000.L TAG DIR`.
	Shares []Share
	// Network gives the guest qemu's user-mode network (virtio-net, NAT
	// to the host's network, no inbound connections).
	Network bool
	// MemoryMiB defaults to 1024; CPUs to 2 with KVM (at most the host's)
	// and always 1 with TCG.
	MemoryMiB int
	CPUs      int
	// Console receives the serial console (the guest's /dev/ttyS0) and
	// qemu's own messages; nil discards them.
	Console io.Writer
	// Timeout ends the run (qemu is killed) when it has not ended by
	// itself; 0 means only ctx ends it.
	Timeout time.Duration
	// Accel is "kvm", "tcg" or "" for ChooseAccel's choice.
	Accel string
	// QEMUArgs are appended to qemu's command line as they are.
	QEMUArgs []string
}

// Disk is a disk image for the guest.
type Disk struct {
	Path string
	// Format is "raw" or "qcow2"; "" guesses from the name (.qcow2).
	Format string
	// Snapshot discards the guest's writes when the run ends (qemu
	// -snapshot for this drive): the image can be shared by runs.
	Snapshot bool
}

// Share is a host directory exported to the guest over 9p (virtio).
type Share struct {
	Tag      string // the mount tag the guest names
	Path     string // the host directory
	ReadOnly bool
}

// ErrTimeout is returned (wrapped) by Run when Machine.Timeout ended it.
var ErrTimeout = errors.New("qemu timed out")

// Accelerators.
const (
	AccelKVM = "kvm"
	AccelTCG = "tcg"
)

// ChooseAccel decides how guests run here: TAILOR_VM_ACCEL when it is kvm
// or tcg, else KVM when /dev/kvm opens and answers, else TCG. The reason
// says why, for logs.
func ChooseAccel() (accel, reason string) {
	switch v := os.Getenv("TAILOR_VM_ACCEL"); v {
	case AccelKVM, AccelTCG:
		return v, "TAILOR_VM_ACCEL=" + v
	case "":
	default:
		return AccelTCG, fmt.Sprintf("TAILOR_VM_ACCEL=%q is neither kvm nor tcg", v)
	}
	if err := kvmUsable(); err != nil {
		return AccelTCG, "no KVM: " + err.Error()
	}
	return AccelKVM, "/dev/kvm is usable"
}

// kvmUsable opens /dev/kvm and asks its API version: a node that exists
// but is not ours, or a kernel without KVM behind it, fails here. The
// backend must be hardware virtualization (kvm_intel, kvm_amd; KVM on
// arm64 is built in): a /dev/kvm served by kvm_pvm, the paravirtual
// hypervisor of some nested clouds, answers every check but boots only
// PVM-enabled guest kernels, and Debian's hang in their decompressor.
func kvmUsable() error {
	if qemuArch() == "x86_64" {
		hw := false
		for _, m := range []string{"kvm_intel", "kvm_amd"} {
			if _, err := os.Stat("/sys/module/" + m); err == nil {
				hw = true
			}
		}
		if !hw {
			backend := "no kvm_intel or kvm_amd module"
			if _, err := os.Stat("/sys/module/kvm_pvm"); err == nil {
				backend = "/dev/kvm is kvm_pvm, which boots only PVM guest kernels"
			}
			return errors.New(backend)
		}
	}
	f, err := os.OpenFile("/dev/kvm", os.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	const kvmGetAPIVersion = 0xAE00 // _IO(KVMIO, 0x00)
	v, err := unix.IoctlRetInt(int(f.Fd()), kvmGetAPIVersion)
	if err != nil {
		return fmt.Errorf("/dev/kvm: KVM_GET_API_VERSION: %w", err)
	}
	if v != 12 {
		return fmt.Errorf("/dev/kvm: KVM API version %d, want 12", v)
	}
	// The qemu binary must have been built with KVM too.
	out, err := exec.Command(qemuBinary(), "-accel", "help").Output()
	if err != nil {
		return fmt.Errorf("%s -accel help: %v", qemuBinary(), err)
	}
	if !slices.Contains(strings.Fields(string(out)), "kvm") {
		return fmt.Errorf("%s lists no kvm accelerator", qemuBinary())
	}
	return nil
}

// qemuBinary is the qemu for the host's architecture.
func qemuBinary() string { return "qemu-system-" + qemuArch() }

// qemuArch is the qemu-system-* name of the host's architecture.
func qemuArch() string {
	if runtime.GOARCH == "arm64" {
		return "aarch64"
	}
	return "x86_64"
}

// Args returns qemu's command line for the machine (without the binary),
// with accel already chosen.
func (m *Machine) Args(accel string) []string {
	mem := m.MemoryMiB
	if mem <= 0 {
		mem = 1024
	}
	cpus := 1
	if accel == AccelKVM {
		cpus = m.CPUs
		if cpus <= 0 {
			cpus = 2
		}
		cpus = min(cpus, runtime.NumCPU())
	}
	args := []string{"-nodefaults", "-no-user-config", "-nographic", "-no-reboot",
		"-m", strconv.Itoa(mem), "-smp", strconv.Itoa(cpus),
		// The serial console is qemu's stdout; stdin is not read (the
		// guest gets no input), and no monitor shares it.
		"-chardev", "stdio,id=console,signal=off", "-serial", "chardev:console", "-monitor", "none"}
	if qemuArch() == "aarch64" {
		args = append(args, "-machine", "virt")
	}
	if accel == AccelKVM {
		args = append(args, "-accel", "kvm")
	} else {
		// Multi-threaded TCG hung guests; one thread, one vCPU.
		args = append(args, "-accel", "tcg,thread=single")
		if qemuArch() == "aarch64" {
			args = append(args, "-cpu", "max")
		}
	}
	args = append(args, "-kernel", m.Kernel)
	if m.Initrd != "" {
		args = append(args, "-initrd", m.Initrd)
	}
	args = append(args, "-append", strings.Join(m.kernelCommandLine(), " "))
	if m.Disk != nil {
		format := m.Disk.Format
		if format == "" {
			format = "raw"
			if strings.HasSuffix(m.Disk.Path, ".qcow2") {
				format = "qcow2"
			}
		}
		drive := "file=" + qemuEscape(m.Disk.Path) + ",format=" + format + ",if=virtio,cache=unsafe"
		if m.Disk.Snapshot {
			drive += ",snapshot=on"
		}
		args = append(args, "-drive", drive)
	}
	for i, s := range m.Shares {
		id := "share" + strconv.Itoa(i)
		fsdev := "local,id=" + id + ",path=" + qemuEscape(s.Path) + ",security_model=none,multidevs=remap"
		if s.ReadOnly {
			fsdev += ",readonly=on"
		}
		args = append(args, "-fsdev", fsdev, "-device", "virtio-9p-pci,fsdev="+id+",mount_tag="+qemuEscape(s.Tag))
	}
	if m.Network {
		args = append(args, "-nic", "user,model=virtio-net-pci")
	}
	// Randomness for the guest's early boot (without it a guest kernel
	// can wait minutes for entropy under TCG).
	args = append(args, "-device", "virtio-rng-pci")
	return append(args, m.QEMUArgs...)
}

func (m *Machine) kernelCommandLine() []string {
	cmdline := slices.Clone(m.Append)
	has := func(key string) bool {
		return slices.ContainsFunc(cmdline, func(a string) bool { return strings.HasPrefix(a, key) })
	}
	if !has("console=") {
		console := "ttyS0"
		if qemuArch() == "aarch64" {
			console = "ttyAMA0"
		}
		cmdline = append(cmdline, "console="+console)
	}
	if !has("panic=") {
		cmdline = append(cmdline, "panic=-1")
	}
	return cmdline
}

// qemuEscape doubles commas, qemu's escape inside option values.
func qemuEscape(s string) string { return strings.ReplaceAll(s, ",", ",,") }

// Run boots the machine and waits for qemu to end: the guest powered off
// (or its kernel panicked: see Append), ctx ended, or Timeout passed. It
// returns nil when qemu exited by itself with status 0; what the guest did
// is for the caller to read from Console.
func (m *Machine) Run(ctx context.Context) error {
	if m.Kernel == "" {
		return errors.New("vm: Machine.Kernel is not set")
	}
	accel := m.Accel
	if accel == "" {
		accel, _ = ChooseAccel()
	}
	if m.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, m.Timeout, ErrTimeout)
		defer cancel()
	}
	// qemu's stdout and stderr are copied by two goroutines: one lock
	// keeps their writes to Console whole and apart.
	var console io.Writer = io.Discard
	if m.Console != nil {
		console = &lockedWriter{w: m.Console}
	}
	// qemu's own errors go to the console too, and the last of them into
	// the error Run returns.
	var stderr lastBytes
	cmd := exec.CommandContext(ctx, qemuBinary(), m.Args(accel)...)
	cmd.Stdin = nil
	cmd.Stdout = console
	cmd.Stderr = io.MultiWriter(console, &stderr)
	// qemu dies with us (a test binary killed by its timeout leaves no
	// guest running), and on ctx's end gets SIGTERM, then SIGKILL.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if ctxErr := context.Cause(ctx); ctxErr != nil && ctx.Err() != nil {
		if errors.Is(ctxErr, ErrTimeout) {
			return fmt.Errorf("%w after %v (accel %s)", ErrTimeout, m.Timeout, accel)
		}
		return ctxErr
	}
	if err != nil {
		return fmt.Errorf("qemu (accel %s): %v: %s", accel, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// lockedWriter serializes writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// lastBytes keeps the last 4 KiB written to it.
type lastBytes struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lastBytes) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	if over := l.buf.Len() - 4096; over > 0 {
		l.buf.Next(over)
	}
	return len(p), nil
}

func (l *lastBytes) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
