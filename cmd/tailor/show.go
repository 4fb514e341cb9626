package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/profiledir"
	"github.com/tailorsec/tailor/profile/report"
	"github.com/tailorsec/tailor/profile/review"
)

const showAbout = `
Print the summary tailor record prints when it ends, for saved profiles:
per profile the syscalls it allows against Docker's default seccomp
profile, the capabilities it keeps of Docker's 14 defaults, whether the
root filesystem can be read-only, and the docker run flags, all as the
files are now (your edits included, each listed). DIR is an
output directory of tailor record (or merge) or one profile directory in
it.

Example:
  tailor show profiles`

func cmdShow(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("show", "DIR", showAbout, stdout)
	if done, code := parseFlags(fs, args, stderr); done {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(stderr, "tailor show: want one DIR, got %d arguments (see 'tailor show --help')\n", fs.NArg())
		return exitUsage
	}
	dirs, err := review.ProfileDirs(fs.Arg(0))
	if err != nil {
		hint := ""
		if errors.Is(err, review.ErrNoProfiles) {
			hint = "\n  fix: name a directory tailor record wrote (-o), or one profile directory in it"
		}
		fmt.Fprintf(stderr, "tailor show: cannot read profiles: %v%s\n", err, hint)
		return exitUsage
	}
	var sums []report.Summary
	var details strings.Builder
	for _, dir := range dirs {
		rec, src, err := review.ReadRecordingDir(dir)
		if err != nil {
			fmt.Fprintf(stderr, "tailor show: %v\n", err)
			return exitUsage
		}
		name := filepath.Base(filepath.Clean(dir))
		sum, err := profiledir.Summarize(name, dir, rec)
		if err != nil {
			fmt.Fprintf(stderr, "tailor show: %v\n", err)
			return exitUsage
		}
		sums = append(sums, sum)
		fmt.Fprintf(&details, "\n%s: %s\n", report.TermSafe(name), report.TermSafe(dir))
		if flags, err := os.ReadFile(filepath.Join(dir, profile.FlagsFile)); err == nil {
			fmt.Fprintf(&details, "  docker run %s %s\n", report.TermSafe(strings.TrimSpace(string(flags))), runImage(rec))
		}
		if src == profile.RecordingFile {
			edits, notes, err := profiledir.Edits(dir)
			if err != nil {
				fmt.Fprintf(stderr, "tailor show: %v\n", err)
				return exitUsage
			}
			for _, e := range edits {
				fmt.Fprintf(&details, "  your edit: %s in %s\n", report.TermSafe(e.String()), report.TermSafe(filepath.Join(dir, e.File)))
			}
			for _, n := range notes {
				fmt.Fprintf(&details, "  note: %s\n", report.TermSafe(n))
			}
		}
		for _, line := range report.GeneralizedLines(rec) {
			fmt.Fprintf(&details, "  %s\n", report.TermSafe(line))
		}
		for _, w := range report.New(rec, profile.Capabilities(rec)).Warnings {
			fmt.Fprintf(&details, "  note: %s\n", report.TermSafe(w))
		}
	}
	if err := report.WriteSummaryTable(stdout, sums); err != nil {
		return exitOutput
	}
	fmt.Fprint(stdout, details.String())
	return exitOK
}
