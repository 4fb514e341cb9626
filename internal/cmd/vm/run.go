package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tailorsec/tailor/internal/vm"
)

// The run subcommand is `make vm`: one command in the Debian 12 guest with
// dockerd and AppArmor (internal/vm's GuestCommand).
func init() {
	subcommands["run"] = struct {
		run  func(ctx context.Context, args []string) int
		help string
	}{runGuest, "run a command as root in a Debian 12 guest with dockerd (cgroup v2) and AppArmor enforcing (make vm)"}
}

// exitNoStatus is run's exit status when the command's own is unknown (the
// build failed, the guest did not boot or timed out), as docker run's.
const exitNoStatus = 125

func runGuest(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	kernel := fs.String("kernel", envOr("KERNEL", "6.1"), "the guest's kernel: "+kernelNames()+" (default $KERNEL, else 6.1)")
	images := fs.String("images", os.Getenv("IMAGES"), "space-separated docker images to copy from the host's dockerd into the guest's (default $IMAGES)")
	src := fs.String("src", ".", "the working tree, shared read-only at /src")
	shared := fs.String("shared", "", "shared at /shared when it exists (default: ../shared beside -src)")
	out := fs.String("out", os.Getenv("VM_OUT"), "a host directory shared read-write at /out (default $VM_OUT; none when empty)")
	tailor := fs.String("tailor", "", "the tailor binary to install in the guest's PATH")
	driver := fs.String("cgroup-driver", envOr("VM_CGROUP_DRIVER", "systemd"), "dockerd's cgroup driver: systemd or cgroupfs (default $VM_CGROUP_DRIVER, else systemd)")
	cache := fs.String("cache", vm.CacheDir(), "where the kernel, root and images are kept (TAILOR_VM_CACHE)")
	logs := fs.String("logs", "", "where build.log and console.log go (default: a new directory in CACHE/logs/vm)")
	disk := fs.Int("disk", 4096, "the guest's disk, MiB")
	memory := fs.Int("memory", 2048, "guest memory, MiB")
	timeout := fs.Duration("timeout", 30*time.Minute, "how long the boot and the command may take")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: tailor-vm run [flags] [--] CMD\n\nRuns CMD (bash -c, as root) in a Debian 12 guest once dockerd is up, with CMD's output on stdout; exits with CMD's status, or 125 when it has none. CMD defaults to $CMD.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cmd := strings.Join(fs.Args(), " ")
	if cmd == "" {
		cmd = os.Getenv("CMD")
	}
	if strings.TrimSpace(cmd) == "" {
		fmt.Fprintln(os.Stderr, "tailor-vm run: no command (CMD='...')")
		return 2
	}
	if *driver != "systemd" && *driver != "cgroupfs" {
		fmt.Fprintf(os.Stderr, "tailor-vm run: cgroup driver %q is neither systemd nor cgroupfs\n", *driver)
		return 2
	}
	absSrc, err := filepath.Abs(*src)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tailor-vm run:", err)
		return 2
	}
	if *shared == "" {
		*shared = filepath.Join(filepath.Dir(absSrc), "shared")
	}
	if *logs == "" {
		// Each run its own directory (runs at the same time, by others on
		// this machine too, keep apart); the last keptRuns stay.
		base := filepath.Join(*cache, "logs", "vm")
		if err := os.MkdirAll(base, 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "tailor-vm run:", err)
			return exitNoStatus
		}
		pruneRuns(base, keptRuns-1)
		*logs = filepath.Join(base, time.Now().UTC().Format("20060102T150405Z")+"-"+strconv.Itoa(os.Getpid())+"-"+*kernel)
	}
	abs := func(p string) string {
		if p == "" {
			return ""
		}
		a, err := filepath.Abs(p)
		if err != nil {
			return p
		}
		return a
	}
	g := vm.GuestCommand{
		Kernel: *kernel, Cmd: cmd, Images: strings.Fields(*images),
		Src: absSrc, Shared: abs(*shared), Out: abs(*out), Tailor: abs(*tailor), CgroupDriver: *driver,
		CacheDir: *cache, LogDir: *logs, DiskMiB: *disk, MemoryMiB: *memory, Timeout: *timeout,
		Stdout: os.Stdout, Stderr: os.Stderr,
	}
	status, err := g.Run(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tailor-vm run:", err)
		return exitNoStatus
	}
	return status
}

func kernelNames() string {
	var names []string
	for _, k := range vm.Kernels {
		names = append(names, k.Name)
	}
	return strings.Join(names, ", ")
}
