package main

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// A column of the matrix is what a group of tests proves. Its cell is
// "yes" when at least one of its tests passed and none failed; otherwise
// "no: " and the first failure's or skip's message.
type column struct {
	Name string
	// Tests matches the names of the column's tests.
	Tests *regexp.Regexp
	// Feature, when set, names the `kernel-feature: NAME=VALUE [(WHY)]`
	// line that says which mechanism the kernel used: VALUE "none" makes
	// the cell "no: WHY" unless a test of the column failed, and with no
	// test of the column run, a VALUE other than "none" makes it "yes".
	Feature string
}

// columns are the matrix's columns, in the table's order. A new kernel
// test joins a column by its name; a new column is one more line here (and
// in the expectations below).
var columns = []column{
	{Name: "loads", Tests: regexp.MustCompile(`^(TestKernelCloseTwice|TestVerifierWorkStaysSmall|TestKernelVariant)$`)},
	{Name: "syscalls", Tests: regexp.MustCompile(`^(TestKernelRecordsNewMountNamespace|TestKernelCountsLiveAndExitedTasks)$`)},
	{Name: "capabilities", Tests: regexp.MustCompile(`(?i)capabilit|capcapable`), Feature: "capabilities"},
	{Name: "files", Tests: regexp.MustCompile(`^TestKernelRecordsFileAccess$`)},
}

// expectations are the columns each kernel must have "yes" in: a kernel
// that does less fails `make kernels`, a known gap (a column not listed)
// only shows as "no: reason". Raise them as the recorder learns: a kernel
// that does more than listed is named in the report ("exceeds its
// expectations") so the line to change is easy to find. A kernel missing
// here must do everything.
var expectations = map[string][]string{
	// The recorder needs BPF task storage (5.11) and bpf_loop (5.17).
	"5.10": {},
	// No cap_capable tracepoint before 6.14.
	"6.1":         {"loads", "syscalls", "files"},
	"6.12":        {"loads", "syscalls", "files"},
	"6.12-trixie": {"loads", "syscalls", "files"},
	// This machine's 6.18 has the tracepoint, but no test reports
	// capabilities yet (add "capabilities" once one does).
	hostName: {"loads", "syscalls", "files"},
}

// hostName is the matrix's name for the kernel the command runs on.
const hostName = "host"

// Cell is one column of one kernel.
type Cell struct {
	Yes    bool
	Reason string // why not, when !Yes
}

func (c Cell) String() string {
	if c.Yes {
		return "yes"
	}
	return "no: " + c.Reason
}

// cellFor decides one column from a kernel's results.
func cellFor(col column, res *Results) Cell {
	var ran, passed int
	var firstFail, firstSkip *TestResult
	for i, t := range res.Tests {
		if !col.Tests.MatchString(t.Name) {
			continue
		}
		ran++
		switch t.Outcome {
		case Pass:
			passed++
		case Fail:
			// go test -v prints a parent's --- FAIL before its
			// subtests': the first failure that says why is the
			// reason.
			if firstFail == nil || len(firstFail.Messages) == 0 && len(t.Messages) > 0 {
				firstFail = &res.Tests[i]
			}
		case Skip:
			if firstSkip == nil {
				firstSkip = &res.Tests[i]
			}
		}
	}
	feature, hasFeature := "", false
	if col.Feature != "" {
		feature, hasFeature = res.Features[col.Feature]
	}
	switch {
	case firstFail != nil:
		return Cell{Reason: "FAIL " + firstFail.Name + ": " + orNothing(firstFail.Reason())}
	case hasFeature && (feature == "none" || feature == ""):
		if why := res.FeatureNotes[col.Feature]; why != "" {
			return Cell{Reason: why}
		}
		return Cell{Reason: col.Feature + "=none"}
	case passed > 0:
		return Cell{Yes: true}
	case ran > 0:
		return Cell{Reason: orNothing(firstSkip.Reason())}
	case hasFeature:
		return Cell{Yes: true}
	default:
		return Cell{Reason: "no " + col.Name + " test ran"}
	}
}

func orNothing(s string) string {
	if s == "" {
		return "(no message)"
	}
	return s
}

// Row is one kernel of the matrix.
type Row struct {
	Kernel  string // "6.1", or hostName
	Release string // uname -r
	Distro  string
	Cells   []Cell // one per column
	// Mechanism lists the kernel-feature lines, "capabilities=fexit
	// variant=compat".
	Mechanism string
	Seconds   float64
	Accel     string // "kvm", "tcg", or "" for the host
	// Problems make the run fail: a failed test, no end marker, a column
	// below expectations.
	Problems []string
	// Exceeds lists the columns that are "yes" beyond the expectations.
	Exceeds []string
}

// judge fills the row's cells and problems from its results. err is the
// run's own error (qemu failed, timed out), which is a problem too.
func judge(row *Row, res *Results, err error) {
	row.Cells = nil
	for _, col := range columns {
		row.Cells = append(row.Cells, cellFor(col, res))
	}
	var mech []string
	for _, name := range res.FeatureOrder {
		mech = append(mech, name+"="+res.Features[name])
	}
	row.Mechanism = strings.Join(mech, " ")
	if err != nil {
		row.Problems = append(row.Problems, err.Error())
	}
	if !res.Ended {
		row.Problems = append(row.Problems, "the tests did not reach their end marker")
	} else if res.Exit != 0 && len(res.Failed()) == 0 {
		row.Problems = append(row.Problems, fmt.Sprintf("the test binary exited with status %d", res.Exit))
	}
	for _, t := range res.Failed() {
		row.Problems = append(row.Problems, fmt.Sprintf("%s failed: %s", t.Name, orNothing(t.Reason())))
	}
	want, known := expectations[row.Kernel]
	for i, col := range columns {
		required := !known || slices.Contains(want, col.Name)
		switch {
		case required && !row.Cells[i].Yes:
			row.Problems = append(row.Problems, fmt.Sprintf("%s: expected yes, got %s", col.Name, row.Cells[i]))
		case !required && row.Cells[i].Yes:
			row.Exceeds = append(row.Exceeds, col.Name)
		}
	}
}
