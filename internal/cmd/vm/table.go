package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// printTable prints the matrix as a Markdown table (the README's), then
// what makes the run fail and which kernels do more than expected.
func printTable(w io.Writer, rows []*Row) {
	header := []string{"kernel"}
	for _, c := range columns {
		header = append(header, c.Name)
	}
	header = append(header, "mechanism used", "time")
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', tabwriter.Debug)
	line := func(cells []string) { fmt.Fprintln(tw, "| "+strings.Join(cells, "\t ")+"\t") }
	line(header)
	sep := make([]string, len(header))
	for i := range sep {
		sep[i] = "---"
	}
	line(sep)
	for _, r := range rows {
		line(rowCells(r))
	}
	tw.Flush()
	for _, r := range rows {
		for _, p := range r.Problems {
			fmt.Fprintf(w, "FAIL %s: %s\n", r.Kernel, p)
		}
		if len(r.Exceeds) > 0 {
			fmt.Fprintf(w, "note %s: exceeds its expectations in %s: raise them (expectations in internal/cmd/vm/expect.go)\n", r.Kernel, strings.Join(r.Exceeds, ", "))
		}
	}
}

// rowCells are one row's cells. A reason repeated from an earlier column
// of the same kernel (a recorder that does not load skips every test for
// the same reason) is said once.
func rowCells(r *Row) []string {
	name := r.Kernel
	var detail []string
	if r.Release != "" {
		detail = append(detail, r.Release)
	}
	if r.Distro != "" {
		detail = append(detail, r.Distro)
	}
	if len(detail) > 0 {
		name += " (" + strings.Join(detail, ", ") + ")"
	}
	cells := []string{name}
	said := map[string]string{}
	for i, c := range r.Cells {
		s := c.String()
		if !c.Yes {
			if first, ok := said[c.Reason]; ok {
				s = "no: as for " + first
			} else {
				said[c.Reason] = columns[i].Name
			}
		}
		cells = append(cells, strings.ReplaceAll(s, "|", "/"))
	}
	mech := r.Mechanism
	if mech == "" {
		mech = "-"
	}
	took := fmt.Sprintf("%.0fs", r.Seconds)
	if r.Accel != "" {
		took += " (" + r.Accel + ")"
	}
	return append(cells, mech, took)
}
