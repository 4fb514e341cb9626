package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/spf13/pflag"
)

// Exit codes, documented in README.md. With a command, `tailor record`
// otherwise exits with the command's own code.
const (
	exitOK     = 0
	exitUsage  = 2 // bad flags or arguments
	exitSetup  = 3 // cannot record here: not root, no BTF, BPF refused, Docker unreachable
	exitOutput = 4 // profiles could not be written where asked (they were saved elsewhere)
)

// version is set at build time with -ldflags "-X main.version=..."; without
// it the module version or VCS revision is used.
var version = ""

func tailorVersion() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "devel"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return "devel-" + rev
}

const usage = `tailor learns least-privilege security profiles for containers.

Usage:
  tailor record [flags] [-- COMMAND [ARG...]]   record containers, write profiles
  tailor check --baseline DIR [-- COMMAND]      record, then compare with baseline profiles
  tailor enforce --profiles DIR -- COMMAND      run COMMAND with its containers hardened by their profiles
  tailor diff OLD NEW                           what NEW grants that OLD did not
  tailor merge -o OUT A B...                    unite profiles of several runs
  tailor convert --to oci|k8s|compose|flags DIR convert a profile
  tailor report [--format F] DIR                hardening checklist of recorded containers
  tailor show DIR                               summary of saved profiles against Docker's defaults
  tailor load [--remove] DIR...                 load their AppArmor profiles into this host's kernel
  tailor version                                print the version
  tailor help [COMMAND]                         show help

Run 'tailor COMMAND --help' for a command's flags.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "record":
		return cmdRecord(rest, stdout, stderr)
	case "check":
		return cmdCheck(rest, stdout, stderr)
	case "enforce":
		return cmdEnforce(rest, stdout, stderr)
	case "diff":
		return cmdDiff(rest, stdout, stderr)
	case "merge":
		return cmdMerge(rest, stdout, stderr)
	case "convert":
		return cmdConvert(rest, stdout, stderr)
	case "report":
		return cmdReport(rest, stdout, stderr)
	case "show":
		return cmdShow(rest, stdout, stderr)
	case "load":
		return cmdLoad(rest, stdout, stderr)
	case "version", "--version":
		return cmdVersion(rest, stdout, stderr)
	case "help", "-h", "--help":
		if len(rest) > 0 {
			return run([]string{rest[0], "--help"}, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "tailor: unknown command %q\n\n%s", cmd, usage)
		return exitUsage
	}
}

// newFlags makes a GNU-style flag set whose --help prints the command's
// usage to stdout.
func newFlags(name, synopsis, about string, stdout io.Writer) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SortFlags = false
	fs.SetOutput(io.Discard) // errors are reported by parseFlags
	fs.Usage = func() {
		fmt.Fprintf(stdout, "Usage: tailor %s %s\n\n%s\n\nFlags:\n%s", name, synopsis, strings.TrimSpace(about), fs.FlagUsages())
	}
	return fs
}

// parseFlags parses args; done means the caller should return code.
func parseFlags(fs *pflag.FlagSet, args []string, stderr io.Writer) (done bool, code int) {
	help := fs.BoolP("help", "h", false, "show this help")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fs.Usage()
			return true, exitOK
		}
		fmt.Fprintf(stderr, "tailor %s: %v (see 'tailor %s --help')\n", fs.Name(), err, fs.Name())
		return true, exitUsage
	}
	if *help {
		fs.Usage()
		return true, exitOK
	}
	return false, 0
}

func cmdVersion(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("version", "", "Print tailor's version.", stdout)
	if done, code := parseFlags(fs, args, stderr); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "tailor version: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	fmt.Fprintf(stdout, "tailor %s\n", tailorVersion())
	return exitOK
}
