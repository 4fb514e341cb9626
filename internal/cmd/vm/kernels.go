package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tailorsec/tailor/internal/vm"
	"github.com/tailorsec/tailor/tracer/tracertest"
)

// defaultTests are the tracer tests that touch the kernel.
const defaultTests = "Kernel|Verifier"

// The kernel command line of the matrix's guests: AppArmor on (Debian's
// kernels have it built in but not always first), quiet so that kernel
// messages stay out of the test output.
var guestAppend = []string{"console=ttyS0", "apparmor=1", "security=apparmor", "quiet", "panic=-1"}

func runKernels(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("kernels", flag.ContinueOnError)
	kernels := fs.String("kernels", os.Getenv("KERNELS"), "comma-separated kernels to run (default: $KERNELS, else "+strings.Join(defaultKernels(), ",")+"); "+hostName+" is the machine itself")
	pattern := fs.String("run", envOr("KERNEL_TESTS", defaultTests), "the tests to run (go test -run; default $KERNEL_TESTS, else "+defaultTests+")")
	host := fs.Bool("host", true, "run the tests on the host too, after the guests")
	timeout := fs.Duration("timeout", 10*time.Minute, "how long one guest (boot and tests) or the host run may take")
	memory := fs.Int("memory", 1024, "guest memory, MiB")
	verbose := fs.Bool("v", false, "print the guests' consoles and the host's test output as they come")
	src := fs.String("src", ".", "the source tree whose ./tracer is tested: the one tailor-vm was built from, whose probe.c it carries")
	cache := fs.String("cache", vm.CacheDir(), "download cache and console logs (TAILOR_VM_CACHE)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: tailor-vm kernels [flags]\n\nRuns the tracer's kernel tests on Debian's kernels under qemu and on the host and prints the matrix; exits 1 when a test fails, a guest does not finish, or a kernel does less than its expectations.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	names, err := kernelList(*kernels, *host)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kernels:", err)
		return 2
	}
	m := &matrix{src: *src, cache: *cache, pattern: *pattern, timeout: *timeout, memory: *memory, verbose: *verbose}
	work, err := os.MkdirTemp("", "tailor-kernels-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "kernels:", err)
		return 1
	}
	defer os.RemoveAll(work)
	m.work = work
	if err := m.build(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "kernels:", err)
		return 1
	}
	var rows []*Row
	for _, name := range names {
		if ctx.Err() != nil {
			break
		}
		var row *Row
		if name == hostName {
			row = m.runHost(ctx)
		} else {
			row = m.runGuest(ctx, name)
		}
		rows = append(rows, row)
	}
	fmt.Println()
	printTable(os.Stdout, rows)
	ok := ctx.Err() == nil
	for _, r := range rows {
		if len(r.Problems) > 0 {
			ok = false
		}
	}
	if !ok {
		return 1
	}
	return 0
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func defaultKernels() []string {
	var names []string
	for _, k := range vm.Kernels {
		if k.Default {
			names = append(names, k.Name)
		}
	}
	return names
}

// kernelList is the kernels to run, in order: the list given (or the
// default kernels), then the host when host is set and the list does not
// name it.
func kernelList(list string, host bool) ([]string, error) {
	var names []string
	if strings.TrimSpace(list) == "" {
		names = defaultKernels()
	} else {
		for _, n := range strings.Split(list, ",") {
			n = strings.TrimSpace(n)
			if n == "" {
				continue
			}
			if n != hostName {
				if _, err := vm.LookupKernel(n); err != nil {
					return nil, err
				}
			}
			names = append(names, n)
		}
	}
	if host && !contains(names, hostName) {
		names = append(names, hostName)
	}
	return names, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// matrix holds what every kernel's run shares.
type matrix struct {
	src, cache, work, pattern string
	timeout                   time.Duration
	memory                    int
	verbose                   bool

	tracerTest, probe, probe32, initrd string
	logDir                             string // this run's console logs
}

// build makes the test binary, the probes and the initramfs, once for
// every kernel.
func (m *matrix) build(ctx context.Context) error {
	t0 := time.Now()
	m.tracerTest = filepath.Join(m.work, "tracer.test")
	gobin := envOr("GO", "go")
	cmd := exec.CommandContext(ctx, gobin, "test", "-c", "-o", m.tracerTest, "./tracer")
	cmd.Dir = m.src
	// Static: the guest has no libc.
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("CGO_ENABLED=0 go test -c ./tracer: %v\n%s", err, out)
	}
	m.probe = filepath.Join(m.work, "probe")
	if err := tracertest.CompileProbe(m.probe); err != nil {
		return err
	}
	// The 32-bit probe needs gcc's 32-bit support; tests that use it
	// build it themselves (and skip or fail) when it is missing.
	if p := filepath.Join(m.work, "probe32"); tracertest.CompileProbe32(p) == nil {
		m.probe32 = p
	}
	busybox, err := findBusybox()
	if err != nil {
		return err
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		return fmt.Errorf("util-linux unshare: %w", err)
	}
	init, err := initScript(m.pattern, (m.timeout - 30*time.Second).String())
	if err != nil {
		return err
	}
	m.initrd = filepath.Join(m.work, "initramfs.cpio")
	files := guestFiles{Busybox: busybox, Unshare: unshare, TracerTest: m.tracerTest, Probe: m.probe, Probe32: m.probe32}
	if err := writeInitramfs(m.initrd, files, init); err != nil {
		return fmt.Errorf("initramfs: %w", err)
	}
	st, _ := os.Stat(m.initrd)
	fmt.Printf("kernels: built the tracer tests, the probe and a %d MiB initramfs in %.1fs (tests: %s)\n", st.Size()>>20, time.Since(t0).Seconds(), m.pattern)
	return nil
}

// keptRuns is how many runs' console logs stay in the cache.
const keptRuns = 10

// logFile opens the console log of one kernel: each run has its own
// directory under the cache's logs/kernels (runs at the same time, by
// others on the same machine too, keep apart), the oldest beyond
// keptRuns are removed.
func (m *matrix) logFile(name string) (*os.File, error) {
	if m.logDir == "" {
		base := filepath.Join(m.cache, "logs", "kernels")
		if err := os.MkdirAll(base, 0o755); err != nil {
			return nil, err
		}
		pruneRuns(base, keptRuns-1)
		run := time.Now().UTC().Format("20060102T150405Z") + "-" + strconv.Itoa(os.Getpid())
		m.logDir = filepath.Join(base, run)
		if err := os.Mkdir(m.logDir, 0o755); err != nil {
			return nil, err
		}
	}
	return os.Create(filepath.Join(m.logDir, name+".log"))
}

// pruneRuns keeps the newest keep run directories in base (their names
// sort by time).
func pruneRuns(base string, keep int) {
	entries, err := os.ReadDir(base)
	if err != nil {
		return
	}
	var runs []string
	for _, e := range entries {
		if e.IsDir() {
			runs = append(runs, e.Name())
		}
	}
	sort.Strings(runs)
	for len(runs) > keep {
		os.RemoveAll(filepath.Join(base, runs[0]))
		runs = runs[1:]
	}
}

// output is where a run's console goes: the log file, a buffer to parse,
// and the terminal with -v.
func (m *matrix) output(log io.Writer, buf *bytes.Buffer) io.Writer {
	ws := []io.Writer{log, buf}
	if m.verbose {
		ws = append(ws, os.Stdout)
	}
	return io.MultiWriter(ws...)
}

func (m *matrix) runGuest(ctx context.Context, name string) *Row {
	row := &Row{Kernel: name}
	src, _ := vm.LookupKernel(name)
	row.Distro = src.Distro
	t0 := time.Now()
	k, err := vm.FetchKernel(ctx, m.cache, name)
	if err != nil {
		judge(row, &Results{}, err)
		return row
	}
	row.Release = k.Release
	fetched := time.Since(t0)
	accel, why := vm.ChooseAccel()
	row.Accel = accel
	fmt.Printf("kernels: %s: %s %s (%.1fs to fetch or find in the cache); booting with %s (%s)\n", name, k.Package, k.Version, fetched.Seconds(), accel, why)

	log, err := m.logFile(name)
	if err != nil {
		judge(row, &Results{}, err)
		return row
	}
	defer log.Close()
	var buf bytes.Buffer
	machine := vm.Machine{Kernel: k.Vmlinuz, Initrd: m.initrd, Append: guestAppend, MemoryMiB: m.memory,
		Console: m.output(log, &buf), Timeout: m.timeout, Accel: accel}
	t1 := time.Now()
	runErr := machine.Run(ctx)
	row.Seconds = time.Since(t1).Seconds()
	res, err := ParseResults(&buf)
	judge(row, res, errors.Join(runErr, err))
	m.report(row, res, log.Name(), &buf)
	return row
}

func (m *matrix) runHost(ctx context.Context) *Row {
	row := &Row{Kernel: hostName, Distro: "this machine"}
	var uts unix.Utsname
	if unix.Uname(&uts) == nil {
		row.Release = unix.ByteSliceToString(uts.Release[:])
	}
	log, err := m.logFile(hostName)
	if err != nil {
		judge(row, &Results{}, err)
		return row
	}
	defer log.Close()
	fmt.Printf("kernels: %s: running the tests on %s\n", hostName, row.Release)
	var buf bytes.Buffer
	ctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	dir, err := os.MkdirTemp(m.work, "host-")
	if err != nil {
		judge(row, &Results{}, err)
		return row
	}
	cmd := exec.CommandContext(ctx, m.tracerTest, "-test.v", "-test.run", m.pattern, "-test.timeout", (m.timeout - 30*time.Second).String())
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), tracertest.ProbeEnv+"="+m.probe)
	if m.probe32 != "" {
		cmd.Env = append(cmd.Env, tracertest.Probe32Env+"="+m.probe32)
	}
	out := m.output(log, &buf)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	t0 := time.Now()
	runErr := cmd.Run()
	row.Seconds = time.Since(t0).Seconds()
	res, err := ParseResults(&buf)
	// The host's end marker is the process's own exit.
	var exit *exec.ExitError
	switch {
	case runErr == nil:
		res.Ended = true
	case errors.As(runErr, &exit) && exit.Exited():
		res.Ended, res.Exit, runErr = true, exit.ExitCode(), nil
	}
	judge(row, res, errors.Join(runErr, err))
	m.report(row, res, log.Name(), &buf)
	return row
}

// report prints one kernel's outcome as it ends, with the end of its
// output when something went wrong.
func (m *matrix) report(row *Row, res *Results, logName string, out *bytes.Buffer) {
	var pass, fail, skip int
	for _, t := range res.Tests {
		switch t.Outcome {
		case Pass:
			pass++
		case Fail:
			fail++
		case Skip:
			skip++
		}
	}
	fmt.Printf("kernels: %s: %.1fs, %d passed, %d failed, %d skipped (log: %s)\n", row.Kernel, row.Seconds, pass, fail, skip, logName)
	for _, p := range row.Problems {
		fmt.Printf("kernels: %s: PROBLEM: %s\n", row.Kernel, p)
	}
	if len(row.Problems) > 0 && !m.verbose {
		fmt.Printf("kernels: %s: the last lines of its output:\n%s\n", row.Kernel, lastLines(out.String(), 40))
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(strings.ReplaceAll(s, "\r", ""), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "    " + strings.Join(lines, "\n    ")
}
