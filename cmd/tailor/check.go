package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/change"
	"github.com/tailorsec/tailor/profile/diff"
	"github.com/tailorsec/tailor/profile/profiledir"
	"github.com/tailorsec/tailor/recorder"
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
	f.register(fs)
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
	}
	if _, err := f.options(); err != nil {
		fmt.Fprintf(stderr, "tailor check: %v\n", err)
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

	res, code, fail := recordContainers(f, stderr)
	if fail != 0 {
		return fail
	}
	report, err := checkBaseline(baseline, f.output, res, opts)
	if err != nil {
		fmt.Fprintf(stderr, "tailor check: %v\n", err)
		return exitUsage
	}
	if len(f.command) > 0 {
		report.New = "this run of " + strings.Join(f.command, " ")
	}
	result := printReport(report, c.json, true, stdout, stderr)
	if f.output != "" && len(res.Profiles) > 0 {
		if err := writeProfiles(f.output, res, f.quiet || c.json, stderr, stderr); err != nil {
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
func checkBaseline(baseline, output string, res *recorder.Result, opts diff.Options) (*diff.Report, error) {
	profiles := slices.Clone(res.Profiles)
	slices.SortFunc(profiles, func(a, b recorder.Profile) int { return strings.Compare(a.Name, b.Name) })
	report := &diff.Report{Old: baseline, New: "this run", Coverage: true, Changes: []change.Change{}}
	dir := output
	if dir == "" {
		dir = baseline
	}
	for _, p := range profiles {
		name, rec := p.Name, p.Recording
		base := filepath.Join(baseline, name)
		if !profiledir.IsDir(base) {
			report.Changes = append(report.Changes, change.Change{Container: name, Kind: change.KindContainer,
				Op: change.OpAdded, Subject: name, Widening: true, Detail: "no baseline profile in " + base})
			continue
		}
		old, err := profiledir.Load(base)
		if err != nil {
			return nil, err
		}
		seccompPath, _ := filepath.Abs(filepath.Join(dir, name, profile.SeccompFile))
		now, err := profiledir.FromRecording(name, rec, seccompPath)
		if err != nil {
			return nil, err
		}
		changes, err := diff.Compare(old, now, opts)
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
			if e.IsDir() && profiledir.IsDir(filepath.Join(baseline, e.Name())) && !recorded(res, e.Name()) {
				unseen = append(unseen, e.Name())
			}
		}
		if len(unseen) > 0 {
			report.Notes = append(report.Notes, "not started during this run, so not checked: "+strings.Join(unseen, ", "))
		}
	}
	if len(res.Profiles) == 0 {
		report.Notes = append(report.Notes, "no container started during this run: nothing was checked")
	}
	report.Finish()
	return report, nil
}

func recorded(res *recorder.Result, name string) bool {
	_, ok := res.Profile(name)
	return ok
}
