package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/profiledir"
	"github.com/tailorsec/tailor/profile/report"
	"github.com/tailorsec/tailor/profile/runflags"
	"github.com/tailorsec/tailor/recorder"
	"github.com/tailorsec/tailor/tracer"
)

const recordAbout = `
Record every container that starts while COMMAND runs (or, without a
command, until Ctrl-C or --duration), then write one profile directory,
OUTPUT/<name>/, with seccomp.json, apparmor.profile, capabilities.json,
docker-run.flags, report.json and recording.json. With a command, tailor
exits with the command's exit code.

Profiles are named by a stable key, so that test suites that give their
containers random names still get the same profile every run: a Compose
service (the com.docker.compose.service label) names its profile;
otherwise --name-by chooses: the container name (default), the image
without its tag, or a label. Containers with the same key (replicas, a
container recreated, test shards) are merged into one profile, as
tailor merge would.

--match selects the containers to record by name glob, image or label
(docker ps --filter style: alternatives within a kind, every kind must
hold); the others are not recorded at all.

On a terminal, a live status shows each container's syscalls,
capabilities and files so far; the command's output then passes through
tailor. -q turns it off (and leaves the terminal to the command).

Examples:
  sudo tailor record -o profiles -- ./run-integration-tests.sh
  sudo tailor record --match image=shop/* -- docker-compose up --abort-on-container-exit
  sudo tailor record --name-by label=app -- go test ./integration/...
  sudo tailor record --container web --duration 2m`

type recordFlags struct {
	output        string
	containers    []string
	match         []string
	nameBy        string
	duration      time.Duration
	maxContainers int
	quiet         bool
	command       []string
}

// register adds the flags record and check share.
func (f *recordFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&f.containers, "container", nil, "record only this container, by name or id (repeatable); it may already be running")
	fs.StringArrayVar(&f.match, "match", nil, "record only containers that match: name=GLOB (or just GLOB), image=GLOB, label=KEY[=GLOB] (repeatable)")
	fs.StringVar(&f.nameBy, "name-by", "name", "name profiles of containers outside Compose by: name, image or label=KEY")
	fs.DurationVarP(&f.duration, "duration", "d", 0, "end the recording after this long, e.g. 90s or 5m (a command still running gets SIGTERM)")
	fs.IntVar(&f.maxContainers, "max-containers", 128, "how many containers can be recorded at the same time")
}

// options checks the shared flags and turns them into recorder options.
func (f *recordFlags) options() (recorder.Options, error) {
	if f.duration < 0 {
		return recorder.Options{}, errors.New("--duration must not be negative")
	}
	if f.maxContainers < 1 {
		return recorder.Options{}, errors.New("--max-containers must be at least 1")
	}
	match, err := profile.ParseMatch(f.match)
	if err != nil {
		return recorder.Options{}, err
	}
	nameBy, err := profile.ParseNameBy(f.nameBy)
	if err != nil {
		return recorder.Options{}, err
	}
	return recorder.Options{
		Containers:    f.containers,
		Match:         match,
		NameBy:        nameBy,
		MaxContainers: f.maxContainers,
		TailorVersion: tailorVersion(),
	}, nil
}

func cmdRecord(args []string, stdout, stderr io.Writer) int {
	var f recordFlags
	fs := newFlags("record", "[flags] [-- COMMAND [ARG...]]", recordAbout, stdout)
	fs.SetInterspersed(false) // everything after the command belongs to it
	fs.StringVarP(&f.output, "output", "o", "profiles", "directory to write one profile directory per container into")
	f.register(fs)
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "print only errors: no live status, no summary")
	if done, code := parseFlags(fs, args, stderr); done {
		return code
	}
	f.command = fs.Args()
	if _, err := f.options(); err != nil {
		fmt.Fprintf(stderr, "tailor record: %v\n", err)
		return exitUsage
	}
	return record(f, stdout, stderr)
}

func record(f recordFlags, stdout, stderr io.Writer) int {
	if err := checkWritable(f.output); err != nil {
		fmt.Fprintf(stderr, "tailor: cannot write profiles to %s: %v (choose another directory with -o)\n", f.output, err)
		return exitOutput
	}
	res, code, fail := recordContainers(f, stderr)
	if fail != 0 {
		return fail
	}
	if len(res.Profiles) == 0 {
		return code
	}
	if err := writeProfiles(f.output, res, f.quiet, stdout, stderr); err != nil {
		return exitOutput
	}
	return code
}

// recordContainers runs the recording f describes (with its command, or
// until a signal or --duration) and returns what was recorded and the
// command's exit code; fail is tailor's exit code when it could not record
// at all. record and check both record through it.
func recordContainers(f recordFlags, stderr io.Writer) (res *recorder.Result, code, fail int) {
	opts, err := f.options()
	if err != nil {
		fmt.Fprintf(stderr, "tailor: %v\n", err)
		return nil, 0, exitUsage
	}
	// The live status needs the terminal to itself: the command's output
	// then passes through tailor (see statusView).
	var view *statusView
	out, errOut := io.Writer(os.Stdout), io.Writer(os.Stderr)
	if !f.quiet && stderr == io.Writer(os.Stderr) && isTerminal(os.Stderr) {
		view = newStatusView(os.Stderr, terminalWidth(int(os.Stderr.Fd())))
		out, errOut = view.writer(os.Stdout), view.writer(os.Stderr)
		stderr = errOut
	}
	logf := func(format string, args ...any) {
		if !f.quiet {
			fmt.Fprintf(stderr, "tailor: "+format+"\n", args...)
		}
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)

	opts.Warnf = func(format string, args ...any) { logf("warning: "+format, args...) }
	rec, err := recorder.Start(context.Background(), opts)
	if err != nil {
		fmt.Fprintf(stderr, "tailor: %v%s\n", err, setupHint(err))
		return nil, 0, exitSetup
	}
	defer rec.Stop() // released on every path, also a panic

	stopStatus := make(chan struct{})
	statusDone := make(chan struct{})
	if view != nil {
		go func() {
			defer close(statusDone)
			showStatus(view, rec, stopStatus)
		}()
	} else {
		close(statusDone)
	}

	code = exitOK
	var interrupted bool
	if len(f.command) > 0 {
		logf("recording while %s runs", strings.Join(f.command, " "))
		code, interrupted = runCommand(f.command, nil, f.duration, out, errOut, sigs, logf)
	} else {
		interrupted = waitForEnd(f.duration, sigs, logf)
	}
	close(stopStatus)
	<-statusDone
	if view != nil {
		view.close()
	}

	res, stopErr := rec.Stop()
	if stopErr != nil {
		logf("warning: releasing the recorder: %v", stopErr)
	}
	if interrupted {
		for _, p := range res.Profiles {
			for _, r := range append([]*profile.Recording{p.Recording}, p.Containers...) {
				if r.Partial && !slices.Contains(r.Warnings, interruptedWarning) {
					r.Warnings = append(r.Warnings, interruptedWarning)
				}
			}
		}
	}
	if len(res.Profiles) == 0 {
		logf("no container started while recording: nothing to write")
	}
	return res, code, 0
}

const interruptedWarning = "recording was interrupted while the container was still running"

// setupHint adds the fix to an error that stops tailor from recording.
func setupHint(err error) string {
	switch {
	case os.Geteuid() != 0:
		return "\n  fix: run tailor as root, e.g. sudo tailor record ..."
	case errors.Is(err, tracer.ErrDocker):
		return "\n  fix: start the Docker daemon (systemctl start docker, or dockerd &) or set DOCKER_HOST"
	case errors.Is(err, tracer.ErrUnsupported):
		return "\n  fix: tailor needs Linux 5.17 or newer with BTF (CONFIG_DEBUG_INFO_BTF=y) and BPF allowed for root"
	}
	return ""
}

// checkWritable makes sure profiles can be written before anything is
// recorded, so a bad -o is found at once and not after a long test run.
func checkWritable(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tailor-write-check-*")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// runCommand runs the recorded command in the foreground, forwarding
// Ctrl-C and SIGTERM to it. A second signal, or --duration running out,
// ends the wait (the command gets SIGTERM, then SIGKILL after 10s). env is
// the command's environment, nil for tailor's own.
func runCommand(argv, env []string, duration time.Duration, stdout, stderr io.Writer, sigs <-chan os.Signal, logf func(string, ...any)) (code int, interrupted bool) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	cmd.Env = env
	// Output through tailor (the live status) goes through pipes; a
	// background process the command left behind may hold them open.
	// Do not wait for it once the command has exited.
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		logf("cannot run %s: %v", argv[0], err)
		return 127, false
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var deadline <-chan time.Time
	if duration > 0 {
		deadline = time.After(duration)
	}
	var kill <-chan time.Time
	signals := 0
	for {
		select {
		case err := <-done:
			return exitCodeOf(err), interrupted
		case sig := <-sigs:
			signals++
			interrupted = true
			if signals == 1 {
				logf("%v: passing it to the command; profiles are written when it ends (again to stop waiting)", sig)
				_ = cmd.Process.Signal(sig)
				continue
			}
			logf("%v again: stopping the command and writing profiles", sig)
			_ = cmd.Process.Kill()
		case <-deadline:
			logf("recording time is up: stopping the command")
			interrupted = true
			_ = cmd.Process.Signal(syscall.SIGTERM)
			kill = time.After(10 * time.Second)
		case <-kill:
			_ = cmd.Process.Kill()
		}
	}
}

func exitCodeOf(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	return 1
}

// waitForEnd records without a command until a signal or the duration.
func waitForEnd(duration time.Duration, sigs <-chan os.Signal, logf func(string, ...any)) (interrupted bool) {
	var deadline <-chan time.Time
	if duration > 0 {
		deadline = time.After(duration)
		logf("recording for %v (Ctrl-C to stop earlier)", duration)
	} else {
		logf("recording; press Ctrl-C to stop and write profiles")
	}
	select {
	case sig := <-sigs:
		logf("%v: writing profiles", sig)
		return true
	case <-deadline:
		return false
	}
}

// writeProfiles writes one directory per profile. If the output directory
// fails, everything is written to a fresh temporary directory instead, so
// nothing recorded is lost.
func writeProfiles(dir string, res *recorder.Result, quiet bool, stdout, stderr io.Writer) error {
	written, err := res.Write(dir)
	var problems *profile.AppArmorProblems
	if err != nil && !errors.As(err, &problems) {
		fmt.Fprintf(stderr, "tailor: writing profiles to %s failed: %v\n", dir, err)
		rescue, terr := os.MkdirTemp("", "tailor-profiles-")
		if terr == nil {
			if _, werr := res.Write(rescue); werr == nil || errors.As(werr, &problems) {
				fmt.Fprintf(stderr, "tailor: the profiles were saved to %s instead\n", rescue)
			} else {
				fmt.Fprintf(stderr, "tailor: saving them to %s failed too: %v\n", rescue, werr)
			}
		}
		return err
	}
	if !quiet {
		printSummary(stdout, res, written)
	}
	if err != nil {
		for _, e := range unjoin(err) {
			fmt.Fprintf(stderr, "tailor: error: %v\n", e)
		}
	}
	return err
}

// runImage is the image for a pasteable docker run line: the recorded one,
// or IMAGE when Docker did not say (a profile merged over several images
// says the first).
func runImage(rec *profile.Recording) string {
	if rec.Container.Image == "" {
		return "IMAGE"
	}
	return runflags.ShellQuote(report.TermSafe(rec.Container.Image))
}

// unjoin lists the errors errors.Join put together.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// printSummary prints the table of profiles against Docker's defaults,
// then for each where it is and how to run it.
func printSummary(w io.Writer, res *recorder.Result, written []profile.Written) {
	var sums []report.Summary
	for i, p := range res.Profiles {
		s := report.Summarize(p.Name, p.Recording)
		if i < len(written) {
			// As written: the user's edits carried over count.
			if fromFiles, err := profiledir.Summarize(p.Name, written[i].Dir, p.Recording); err == nil {
				s = fromFiles
			}
		}
		sums = append(sums, s)
	}
	_ = report.WriteSummaryTable(w, sums)
	// One kernel recorded them all: the first profile says how for all.
	if len(res.Profiles) > 0 {
		if m := res.Profiles[0].Recording.Host.CapabilityMechanism; m != "" {
			fmt.Fprintf(w, "\ncapability checks seen through: %s\n", report.TermSafe(m))
		}
	}
	for i, p := range res.Profiles {
		if i >= len(written) {
			break
		}
		fmt.Fprintf(w, "\n%s: %s", p.Name, written[i].Dir)
		if n := len(p.Containers); n > 1 {
			fmt.Fprintf(w, " (%d containers merged)", n)
		}
		fmt.Fprintf(w, "\n  docker run %s %s\n", written[i].FlagsLine, runImage(p.Recording))
		printEdits(w, written[i])
		for _, line := range report.GeneralizedLines(p.Recording) {
			fmt.Fprintf(w, "  %s\n", report.TermSafe(line))
		}
		for _, warning := range report.New(p.Recording, profile.Capabilities(p.Recording)).Warnings {
			fmt.Fprintf(w, "  note: %s\n", report.TermSafe(warning))
		}
	}
}

// printEdits says which of the user's edits were carried into a profile
// just written, and what needs a look about them.
func printEdits(w io.Writer, written profile.Written) {
	for _, k := range written.Kept {
		fmt.Fprintf(w, "  %s\n", report.TermSafe(k))
	}
	for _, n := range written.EditNotes {
		fmt.Fprintf(w, "  note: %s\n", report.TermSafe(n))
	}
}
