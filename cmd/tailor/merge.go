package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/diff"
	"github.com/tailorsec/tailor/profile/profiledir"
)

const mergeAbout = `
Merge profile directories written by tailor record (test shards, replicas,
several runs of one suite) into one that allows everything any of them
needed, from their recording.json: syscalls, argument values (the union of
the values each run used, not the loosest rule), capabilities, files,
sockets. Each input's report.json is kept in OUT/inputs/. Hand edits of
an input's files (or of OUT's, when it already holds a profile) are
carried into the merged ones, and merge prints each ("kept your edit:
+ptrace in shard1/web/seccomp.json").

The inputs are either profile directories (merged into OUT) or directories
of them as record -o writes (merged container by container into OUT/NAME).

With --check, merge writes nothing: it exits 1 when CANDIDATE needs
anything BASE does not grant (CANDIDATE's recorded file accesses are
checked against BASE's AppArmor rules when it has recording.json).

Exit codes: 0 merged (or covered), 1 not covered (--check), 2 error.

Examples:
  tailor merge -o profiles shard1/profiles shard2/profiles
  tailor merge --check profiles new-run/profiles`

func cmdMerge(args []string, stdout, stderr io.Writer) int {
	var output string
	var check, quiet bool
	var c compareFlags
	fs := newFlags("merge", "-o OUT A B... | --check BASE CANDIDATE", mergeAbout, stdout)
	fs.StringVarP(&output, "output", "o", "", "directory to write the merged profile(s) into")
	fs.BoolVar(&check, "check", false, "only check that CANDIDATE is covered by BASE")
	fs.BoolVarP(&quiet, "quiet", "q", false, "print only errors")
	c.register(fs)
	if done, code := parseFlags(fs, args, stderr); done {
		return code
	}
	opts, err := c.options()
	if err != nil {
		fmt.Fprintf(stderr, "tailor merge: %v\n", err)
		return exitUsage
	}
	if check {
		if fs.NArg() != 2 || output != "" {
			fmt.Fprintln(stderr, "tailor merge: --check takes BASE and CANDIDATE, and no -o (see 'tailor merge --help')")
			return exitUsage
		}
		opts.Coverage = true
		report, err := diff.Paths(fs.Arg(0), fs.Arg(1), opts)
		if err != nil {
			fmt.Fprintf(stderr, "tailor merge: %v\n", err)
			return exitUsage
		}
		report.Coverage = true
		return printReport(report, c.json, true, stdout, stderr)
	}
	if output == "" || fs.NArg() < 1 {
		fmt.Fprintln(stderr, "tailor merge: want -o OUT and at least one input (see 'tailor merge --help')")
		return exitUsage
	}
	results, err := profiledir.Merge(fs.Args(), output)
	var misfit *profile.AppArmorProblems
	if err != nil && !errors.As(err, &misfit) {
		fmt.Fprintf(stderr, "tailor merge: %v\n", err)
		return exitUsage
	}
	if !quiet {
		for _, r := range results {
			fmt.Fprintf(stdout, "%s: merged %d input(s)\n  docker run %s\n", r.Written.Dir, len(r.Inputs), r.Written.FlagsLine)
			printEdits(stdout, r.Written)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "tailor merge: error: %v\n", err)
		return exitUsage
	}
	return exitOK
}
