package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/tracer"
)

const recordAbout = `
Record every container that starts while COMMAND runs (or, without a
command, until Ctrl-C or --duration), then write for each container
OUTPUT/<name>/ with seccomp.json, apparmor.profile, capabilities.json,
docker-run.flags, report.json and recording.json. With a command, tailor
exits with the command's exit code.

Examples:
  sudo tailor record -o profiles -- ./run-integration-tests.sh
  sudo tailor record --container web --duration 2m`

type recordFlags struct {
	output        string
	containers    []string
	duration      time.Duration
	maxContainers int
	quiet         bool
	command       []string
}

func cmdRecord(args []string, stdout, stderr io.Writer) int {
	var f recordFlags
	fs := newFlags("record", "[flags] [-- COMMAND [ARG...]]", recordAbout, stdout)
	fs.SetInterspersed(false) // everything after the command belongs to it
	fs.StringVarP(&f.output, "output", "o", "profiles", "directory to write one profile directory per container into")
	fs.StringArrayVar(&f.containers, "container", nil, "record only this container, by name or id (repeatable); it may already be running")
	fs.DurationVarP(&f.duration, "duration", "d", 0, "end the recording after this long, e.g. 90s or 5m (a command still running gets SIGTERM)")
	fs.IntVar(&f.maxContainers, "max-containers", 128, "how many containers can be recorded at the same time")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "print only errors")
	if done, code := parseFlags(fs, args, stderr); done {
		return code
	}
	f.command = fs.Args()
	if f.duration < 0 {
		fmt.Fprintln(stderr, "tailor record: --duration must not be negative")
		return exitUsage
	}
	if f.maxContainers < 1 {
		fmt.Fprintln(stderr, "tailor record: --max-containers must be at least 1")
		return exitUsage
	}
	return record(f, stdout, stderr)
}

func record(f recordFlags, stdout, stderr io.Writer) int {
	if err := checkWritable(f.output); err != nil {
		fmt.Fprintf(stderr, "tailor: cannot write profiles to %s: %v (choose another directory with -o)\n", f.output, err)
		return exitOutput
	}
	recs, code, fail := recordContainers(f, stderr)
	if fail != 0 {
		return fail
	}
	if len(recs) == 0 {
		return code
	}
	if err := writeProfiles(f.output, recs, f.quiet, stdout, stderr); err != nil {
		return exitOutput
	}
	return code
}

// recordContainers runs the recording f describes (with its command, or
// until a signal or --duration) and returns what was recorded and the
// command's exit code; fail is tailor's exit code when it could not record
// at all. record and check both record through it.
func recordContainers(f recordFlags, stderr io.Writer) (recs []*profile.Recording, code, fail int) {
	logf := func(format string, args ...any) {
		if !f.quiet {
			fmt.Fprintf(stderr, "tailor: "+format+"\n", args...)
		}
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)

	session, err := tracer.StartSession(context.Background(), tracer.SessionOptions{
		Containers:    f.containers,
		MaxContainers: f.maxContainers,
		TailorVersion: tailorVersion(),
		Warnf:         func(format string, args ...any) { logf("warning: "+format, args...) },
	})
	if err != nil {
		fmt.Fprintf(stderr, "tailor: %v%s\n", err, setupHint(err))
		return nil, 0, exitSetup
	}

	code = exitOK
	var interrupted bool
	if len(f.command) > 0 {
		logf("recording while %s runs", strings.Join(f.command, " "))
		code, interrupted = runCommand(f.command, f.duration, sigs, logf)
	} else {
		interrupted = waitForEnd(f.duration, sigs, logf)
	}

	recs, stopErr := session.Stop()
	if stopErr != nil {
		logf("warning: releasing the recorder: %v", stopErr)
	}
	if interrupted {
		for _, r := range recs {
			if r.Partial {
				r.Warnings = append(r.Warnings, "recording was interrupted while the container was still running")
			}
		}
	}
	if len(recs) == 0 {
		logf("no container started while recording: nothing to write")
	}
	return recs, code, 0
}

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
// ends the wait (the command gets SIGTERM, then SIGKILL after 10s).
func runCommand(argv []string, duration time.Duration, sigs <-chan os.Signal, logf func(string, ...any)) (code int, interrupted bool) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
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

var safeName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// profileDirName is the container's name when it is a safe directory name
// (Docker names always are), else its short id.
func profileDirName(r *profile.Recording) string {
	if safeName.MatchString(r.Container.Name) {
		return r.Container.Name
	}
	if id := r.Container.ID; len(id) >= 12 {
		return id[:12]
	}
	return "unnamed"
}

// groupByName groups recordings by the directory name their profile gets,
// names in order of first appearance.
func groupByName(recs []*profile.Recording) (names []string, byName map[string][]*profile.Recording) {
	byName = map[string][]*profile.Recording{}
	for _, r := range recs {
		n := profileDirName(r)
		if byName[n] == nil {
			names = append(names, n)
		}
		byName[n] = append(byName[n], r)
	}
	return names, byName
}

// writeProfiles writes one directory per container name. If the output
// directory fails, everything is written to a fresh temporary directory
// instead, so nothing recorded is lost.
func writeProfiles(dir string, recs []*profile.Recording, quiet bool, stdout, stderr io.Writer) error {
	names, byName := groupByName(recs)
	var misfits []error // written, but the AppArmor check failed
	write := func(base string) ([]profile.Written, error) {
		var out []profile.Written
		misfits = nil
		for _, n := range names {
			w, err := profile.WriteProfileDir(filepath.Join(base, n), profile.MergeRecordings(byName[n]...))
			var problems *profile.AppArmorProblems
			if errors.As(err, &problems) {
				misfits = append(misfits, err)
				err = nil
			}
			if err != nil {
				return out, err
			}
			out = append(out, w)
		}
		return out, nil
	}
	written, err := write(dir)
	if err != nil {
		fmt.Fprintf(stderr, "tailor: writing profiles to %s failed: %v\n", dir, err)
		rescue, terr := os.MkdirTemp("", "tailor-profiles-")
		if terr == nil {
			if _, werr := write(rescue); werr == nil {
				fmt.Fprintf(stderr, "tailor: the profiles were saved to %s instead\n", rescue)
			} else {
				fmt.Fprintf(stderr, "tailor: saving them to %s failed too: %v\n", rescue, werr)
			}
		}
		return err
	}
	if !quiet {
		printSummary(stdout, names, byName, written)
	}
	for _, m := range misfits {
		fmt.Fprintf(stderr, "tailor: error: %v\n", m)
	}
	return errors.Join(misfits...)
}

func printSummary(w io.Writer, names []string, byName map[string][]*profile.Recording, written []profile.Written) {
	for i, n := range names {
		rec := profile.MergeRecordings(byName[n]...)
		caps := profile.Capabilities(rec)
		allowed := 0
		for _, s := range profile.Seccomp(rec).Syscalls {
			if s.Action == "SCMP_ACT_ALLOW" {
				allowed += len(s.Names)
			}
		}
		state := ""
		if rec.Partial {
			state = ", partial (still running)"
		}
		fmt.Fprintf(w, "%s (%s): %d syscalls allowed, capabilities kept: %s, %d file rules, read-only root: %s%s\n",
			n, rec.Container.Image, allowed, capsList(caps.Add), len(profile.AppArmor(rec).Files), readOnlyWord(profile.ReadOnlyRoot(rec)), state)
		fmt.Fprintf(w, "  %s\n  docker run %s\n", written[i].Dir, written[i].FlagsLine)
		for _, warning := range profile.NewReport(rec, caps).Warnings {
			fmt.Fprintf(w, "  note: %s\n", warning)
		}
	}
}

func readOnlyWord(ro profile.ReadOnly) string {
	if !ro.Suggested {
		return "no"
	}
	if len(ro.Tmpfs) == 0 {
		return "yes"
	}
	return "yes, with tmpfs " + strings.Join(ro.Tmpfs, " ")
}

func capsList(caps []string) string {
	if len(caps) == 0 {
		return "none"
	}
	short := make([]string, len(caps))
	for i, c := range caps {
		short[i] = strings.TrimPrefix(c, "CAP_")
	}
	return strings.Join(short, " ")
}
