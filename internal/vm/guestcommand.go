package vm

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// GuestCommand is what `make vm` asks: CMD on kernel Kernel in the Debian
// 12 guest, with the host's tree, binaries and images.
type GuestCommand struct {
	Kernel       string // FetchKernel's name: "5.10", "6.1", "6.12"
	Cmd          string
	Images       []string
	Src          string // the working tree, at /src
	Shared       string // at /shared when it exists
	Out          string // at /out when not empty (created)
	Tailor       string // the host-built tailor binary, when not empty
	CgroupDriver string // dockerd's: "systemd" (default) or "cgroupfs"
	CacheDir     string
	LogDir       string // build.log (debootstrap, mkfs) and console.log (the guest's serial console)
	DiskMiB      int    // the image's size (a sparse file)
	MemoryMiB    int
	Timeout      time.Duration // for the boot and CMD; the build has none
	Stdout       io.Writer     // CMD's output
	Stderr       io.Writer     // progress and timings
}

// Run builds what is missing (root, image), boots the guest and returns
// CMD's exit status. An error means CMD's status is unknown: the build
// failed or the guest gave none.
func (g GuestCommand) Run(ctx context.Context) (int, error) {
	say := func(format string, args ...any) { fmt.Fprintf(g.Stderr, "vm: "+format+"\n", args...) }
	if err := os.MkdirAll(g.LogDir, 0o755); err != nil {
		return -1, err
	}
	buildLogPath := filepath.Join(g.LogDir, "build.log")
	buildLog, err := os.Create(buildLogPath)
	if err != nil {
		return -1, err
	}
	defer buildLog.Close()

	start := time.Now()
	k, err := FetchKernel(ctx, g.CacheDir, g.Kernel)
	if err != nil {
		return -1, err
	}
	kernelTime := time.Since(start)
	recipe := GuestRoot()
	root, rootBuilt, err := BuildRoot(ctx, g.CacheDir, recipe, buildLog)
	if err != nil {
		return -1, fmt.Errorf("%w; log: %s", err, buildLogPath)
	}
	rootTime := time.Since(start) - kernelTime
	img, imgBuilt, err := BuildImage(ctx, g.CacheDir, root, recipe.Hash(), GuestKernelOf(k), g.DiskMiB, buildLog)
	if err != nil {
		return -1, fmt.Errorf("%w; log: %s", err, buildLogPath)
	}
	imgTime := time.Since(start) - kernelTime - rootTime
	say("kernel %s (%s) %.1fs; root %s %.1fs; image %s %.1fs", k.Release, k.Package, kernelTime.Seconds(),
		builtOrCached(rootBuilt), rootTime.Seconds(), builtOrCached(imgBuilt), imgTime.Seconds())

	work, err := os.MkdirTemp("", "tailor-vm-")
	if err != nil {
		return -1, err
	}
	defer os.RemoveAll(work)
	shared := ""
	if st, err := os.Stat(g.Shared); err == nil && st.IsDir() {
		shared = g.Shared
	}
	if g.Out != "" {
		if err := os.MkdirAll(g.Out, 0o755); err != nil {
			return -1, err
		}
	}
	consolePath := filepath.Join(g.LogDir, "console.log")
	console, err := os.Create(consolePath)
	if err != nil {
		return -1, err
	}
	defer console.Close()
	accel, why := ChooseAccel()
	prepStart := time.Now()
	run := GuestRun{
		Image: img, Cmd: g.Cmd, Src: g.Src, Shared: shared, Out: g.Out, Tailor: g.Tailor,
		Images: g.Images, CgroupDriver: g.CgroupDriver, Stdout: g.Stdout, WorkDir: work,
	}
	m := Machine{MemoryMiB: g.MemoryMiB, Console: console, Timeout: g.Timeout, Accel: accel}
	say("booting %s with %s (%s); kernel log: %s", k.Release, accel, why, consolePath)
	status, t, err := run.Run(ctx, m, buildLog)
	total := time.Since(prepStart)
	if err != nil {
		return -1, fmt.Errorf("%w; kernel log: %s", err, consolePath)
	}
	say("timings (%s): %s; run %.1fs in all (with docker save and the overlay)", accel, t, total.Seconds())
	say("CMD exited %d", status)
	return status, nil
}

func builtOrCached(built bool) string {
	if built {
		return "built"
	}
	return "cached"
}
