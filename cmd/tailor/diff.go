package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/diff"
)

// Exit codes of diff, merge --check and check.
const (
	exitWidening = 1 // NEW grants what OLD did not; CANDIDATE or the run is not covered
)

const diffAbout = `
Compare two profiles and say what NEW grants that OLD did not. OLD and NEW
are profile directories (as tailor record writes them: one per container,
compared by name, or a single one), or single files: seccomp JSON (tailor's
or Docker's own, such as its default profile), an AppArmor profile,
capabilities.json or docker-run.flags.

Docker profiles' conditions (architecture, capabilities, kernel) are
evaluated for the container's capabilities (capabilities.json or the flags
of its directory), or --caps; Docker's default capabilities otherwise.

Exit codes: 0 NEW grants nothing OLD did not, 1 NEW widens privileges
(listed), 2 error.

Examples:
  tailor diff profiles-v1.4 profiles-v1.5
  tailor diff --json default.json profiles/web/seccomp.json`

// compareFlags are the flags every comparing command takes.
type compareFlags struct {
	json   bool
	arch   string
	kernel string
	caps   []string
}

func (c *compareFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&c.json, "json", false, "print the changes as JSON")
	fs.StringVar(&c.arch, "arch", "", "host architecture for Docker profiles' conditions (amd64, arm64; default: from the profiles, else this host)")
	fs.StringVar(&c.kernel, "kernel", "", "host kernel major.minor for Docker profiles' minKernel conditions (default: a recent kernel)")
	fs.StringSliceVar(&c.caps, "caps", nil, "capabilities to evaluate a lone seccomp file's conditions with (default: Docker's defaults)")
}

func (c *compareFlags) options() (diff.Options, error) {
	opts := diff.Options{Kernel: c.kernel, Capabilities: c.caps}
	if c.arch != "" {
		a := profile.ParseArch(c.arch)
		if a == "" {
			return opts, fmt.Errorf("unknown architecture %q (amd64 or arm64)", c.arch)
		}
		opts.Arch = a
	}
	return opts, nil
}

func cmdDiff(args []string, stdout, stderr io.Writer) int {
	var c compareFlags
	fs := newFlags("diff", "[flags] OLD NEW", diffAbout, stdout)
	c.register(fs)
	if done, code := parseFlags(fs, args, stderr); done {
		return code
	}
	if fs.NArg() != 2 {
		fmt.Fprintf(stderr, "tailor diff: want OLD and NEW, got %d arguments (see 'tailor diff --help')\n", fs.NArg())
		return exitUsage
	}
	opts, err := c.options()
	if err != nil {
		fmt.Fprintf(stderr, "tailor diff: %v\n", err)
		return exitUsage
	}
	report, err := diff.Paths(fs.Arg(0), fs.Arg(1), opts)
	if err != nil {
		fmt.Fprintf(stderr, "tailor diff: %v\n", err)
		return exitUsage
	}
	return printReport(report, c.json, false, stdout, stderr)
}

// printReport prints a comparison and returns its exit code. onlyWidening
// lists the other changes in the JSON only.
func printReport(r *diff.Report, asJSON, onlyWidening bool, stdout, stderr io.Writer) int {
	if asJSON {
		b, err := diff.Marshal(r)
		if err != nil {
			fmt.Fprintf(stderr, "tailor: %v\n", err)
			return exitUsage
		}
		stdout.Write(b)
	} else {
		shown := *r
		if onlyWidening {
			shown.Changes = nil
			others := 0
			for _, c := range r.Changes {
				if c.Widening {
					shown.Changes = append(shown.Changes, c)
				} else {
					others++
				}
			}
			if others > 0 {
				shown.Notes = append(shown.Notes, fmt.Sprintf("%d other changes narrow the baseline (--json lists them)", others))
			}
		}
		if err := shown.WriteText(stdout, colourful(stdout)); err != nil {
			fmt.Fprintf(stderr, "tailor: %v\n", err)
			return exitUsage
		}
	}
	if r.Widening {
		return exitWidening
	}
	return exitOK
}

// colourful: colour only on a terminal, and never with NO_COLOR set.
func colourful(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("NO_COLOR") != "" || strings.EqualFold(os.Getenv("TERM"), "dumb") {
		return false
	}
	return term.IsTerminal(int(f.Fd()))
}
