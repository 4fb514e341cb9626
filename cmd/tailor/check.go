package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/tailorsec/tailor/profile"
)

const checkAbout = `
Record COMMAND exactly like tailor record, then compare what each container
needed with its baseline profile, BASELINE/<name> (the directory record
would write it to): the release gate. The recorded file accesses are
checked against the baseline's AppArmor rules; syscalls and their argument
values, capabilities, sockets and the docker run flags through the profile
record would write. A container without a baseline profile counts as
missing one.

With -o, the new profiles are written too, as record writes them, so they
can be reviewed and committed.

Exit codes: 0 the baseline covers everything (and the command exited 0),
1 something needed is missing from the baseline (listed), 2 bad flags or
arguments, 3 cannot record here, 4 the new profiles could not be written;
otherwise the command's own exit code.

Example:
  sudo tailor check --baseline profiles -- ./run-integration-tests.sh`

func cmdCheck(args []string, stdout, stderr io.Writer) int {
	var f recordFlags
	var baseline string
	var c compareFlags
	fs := newFlags("check", "--baseline DIR [flags] [-- COMMAND [ARG...]]", checkAbout, stdout)
	fs.SetInterspersed(false)
	fs.StringVar(&baseline, "baseline", "", "directory of baseline profile directories (as record -o writes)")
	fs.StringVarP(&f.output, "output", "o", "", "also write the new profiles here, as record does")
	fs.StringArrayVar(&f.containers, "container", nil, "record only this container, by name or id (repeatable)")
	fs.DurationVarP(&f.duration, "duration", "d", 0, "end the recording after this long (a command still running gets SIGTERM)")
	fs.IntVar(&f.maxContainers, "max-containers", 128, "how many containers can be recorded at the same time")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "print only errors and what is missing")
	c.register(fs)
	if done, code := parseFlags(fs, args, stderr); done {
		return code
	}
	f.command = fs.Args()
	switch {
	case baseline == "":
		fmt.Fprintln(stderr, "tailor check: --baseline is required (see 'tailor check --help')")
		return exitUsage
	case f.duration < 0 || f.maxContainers < 1:
		fmt.Fprintln(stderr, "tailor check: --duration must not be negative, --max-containers at least 1")
		return exitUsage
	}
	if st, err := os.Stat(baseline); err != nil || !st.IsDir() {
		fmt.Fprintf(stderr, "tailor check: baseline %s is not a directory\n", baseline)
		return exitUsage
	}
	opts, err := c.options()
	if err != nil {
		fmt.Fprintf(stderr, "tailor check: %v\n", err)
		return exitUsage
	}
	opts.Coverage = true
	if f.output != "" {
		if err := checkWritable(f.output); err != nil {
			fmt.Fprintf(stderr, "tailor: cannot write profiles to %s: %v (choose another directory with -o)\n", f.output, err)
			return exitOutput
		}
	}

	recs, code, fail := recordContainers(f, stderr)
	if fail != 0 {
		return fail
	}
	report, err := checkBaseline(baseline, f.output, recs, opts)
	if err != nil {
		fmt.Fprintf(stderr, "tailor check: %v\n", err)
		return exitUsage
	}
	if len(f.command) > 0 {
		report.New = "this run of " + strings.Join(f.command, " ")
	}
	result := printReport(report, c.json, true, stdout, stderr)
	if f.output != "" && len(recs) > 0 {
		if err := writeProfiles(f.output, recs, f.quiet || c.json, stderr, stderr); err != nil {
			return exitOutput
		}
	}
	if result != exitOK {
		return result
	}
	if code != 0 {
		fmt.Fprintf(stderr, "tailor check: the command exited %d\n", code)
	}
	return code
}

// checkBaseline compares each recorded container with its baseline.
func checkBaseline(baseline, output string, recs []*profile.Recording, opts profile.CompareOptions) (*profile.DiffReport, error) {
	names, byName := groupByName(recs)
	slices.Sort(names)
	report := &profile.DiffReport{Old: baseline, New: "this run", Coverage: true, Changes: []profile.Change{}}
	dir := output
	if dir == "" {
		dir = baseline
	}
	for _, name := range names {
		rec := profile.MergeRecordings(byName[name]...)
		base := filepath.Join(baseline, name)
		if !profile.IsProfileDir(base) {
			report.Changes = append(report.Changes, profile.Change{Container: name, Kind: profile.KindContainer,
				Op: profile.OpAdded, Subject: name, Widening: true, Detail: "no baseline profile in " + base})
			continue
		}
		old, err := profile.LoadProfileDir(base)
		if err != nil {
			return nil, err
		}
		seccompPath, _ := filepath.Abs(filepath.Join(dir, name, profile.SeccompFile))
		now, err := profile.ProfileFromRecording(name, rec, seccompPath)
		if err != nil {
			return nil, err
		}
		changes, err := profile.CompareProfiles(old, now, opts)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for _, c := range changes {
			c.Container = name
			report.Changes = append(report.Changes, c)
		}
	}
	if entries, err := os.ReadDir(baseline); err == nil {
		var unseen []string
		for _, e := range entries {
			if e.IsDir() && profile.IsProfileDir(filepath.Join(baseline, e.Name())) && byName[e.Name()] == nil {
				unseen = append(unseen, e.Name())
			}
		}
		if len(unseen) > 0 {
			report.Notes = append(report.Notes, "not started during this run, so not checked: "+strings.Join(unseen, ", "))
		}
	}
	if len(recs) == 0 {
		report.Notes = append(report.Notes, "no container started during this run: nothing was checked")
	}
	report.Finish()
	return report, nil
}
