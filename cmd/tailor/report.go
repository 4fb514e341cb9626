package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/tailorsec/tailor/profile/profiledir"
	"github.com/tailorsec/tailor/profile/review"
)

const reportAbout = `
Show, for each recorded container, the hardening checklist: Docker's
hardening advice and the CIS Docker Benchmark's container runtime section
(and its 4.1, a non-root user), each item with how the container ran, what
tailor recommends and the evidence from the recording, and the flags that
apply it. DIR is one profile directory (OUTPUT/<name>, as tailor record
writes it) or the output directory holding several.

The report is built from recording.json, or from report.json when a
profile has no recording.json.

Formats: text (a table; coloured on a terminal), markdown, html (one
self-contained page, no script), json.

Examples:
  tailor report profiles
  tailor report --format html -o report.html profiles
  tailor report --format markdown profiles/web >>review.md`

type reportFlags struct {
	format string
	output string
	color  string
}

func cmdReport(args []string, stdout, stderr io.Writer) int {
	var f reportFlags
	fs := newFlags("report", "[flags] DIR", reportAbout, stdout)
	fs.StringVar(&f.format, "format", "text", "text, markdown, html or json")
	fs.StringVarP(&f.output, "output", "o", "", "write the report to FILE instead of standard output")
	fs.StringVar(&f.color, "color", "auto", "colour the text report: auto (on a terminal, without NO_COLOR), always or never")
	if done, code := parseFlags(fs, args, stderr); done {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(stderr, "tailor report: want one DIR, got %d arguments (see 'tailor report --help')\n", fs.NArg())
		return exitUsage
	}
	format := strings.ToLower(f.format)
	switch format {
	case "md":
		format = "markdown"
	case "text", "markdown", "html", "json":
	default:
		fmt.Fprintf(stderr, "tailor report: unknown --format %q (text, markdown, html or json)\n", f.format)
		return exitUsage
	}
	if f.color != "auto" && f.color != "always" && f.color != "never" {
		fmt.Fprintf(stderr, "tailor report: unknown --color %q (auto, always or never)\n", f.color)
		return exitUsage
	}

	if f.output == "-" {
		f.output = ""
	}
	dir := fs.Arg(0)
	reviews, err := review.ReadAll(dir)
	if err != nil {
		hint := ""
		if errors.Is(err, review.ErrNoProfiles) {
			hint = "\n  fix: name a directory tailor record wrote (-o), or one profile directory in it"
		}
		fmt.Fprintf(stderr, "tailor report: cannot read profiles: %v%s\n", err, hint)
		return exitOutput
	}

	var out bytes.Buffer
	switch format {
	case "text":
		opt := review.TextOptions{}
		if f.output == "" {
			opt.Width, opt.Color = terminal(stdout)
		}
		switch f.color {
		case "always":
			opt.Color = true
		case "never":
			opt.Color = false
		}
		err = review.Text(&out, reviews, opt)
	case "markdown":
		err = review.Markdown(&out, reviews)
	case "html":
		err = review.HTML(&out, reviews)
	case "json":
		var data []byte
		data, err = review.Marshal(reviews)
		out.Write(data)
	}
	if err != nil {
		fmt.Fprintf(stderr, "tailor report: %v\n", err)
		return exitOutput
	}

	if f.output == "" {
		if _, err := stdout.Write(out.Bytes()); err != nil {
			fmt.Fprintf(stderr, "tailor report: %v\n", err)
			return exitOutput
		}
		return exitOK
	}
	if err := profiledir.WriteFileAtomic(f.output, out.Bytes(), 0o644); err != nil {
		fmt.Fprintf(stderr, "tailor report: cannot write the report: %v\n", err)
		return exitOutput
	}
	return exitOK
}

// terminal returns the width of the terminal w is, and whether it is one
// that should get colour: not with NO_COLOR set, nor TERM=dumb. Width 0
// means the default.
func terminal(w io.Writer) (width int, color bool) {
	f, ok := w.(*os.File)
	if !ok {
		return 0, false
	}
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil {
		return 0, false
	}
	color = os.Getenv("NO_COLOR") == "" && !strings.EqualFold(os.Getenv("TERM"), "dumb")
	return int(ws.Col), color
}
