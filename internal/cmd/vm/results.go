package main

import (
	"bufio"
	"io"
	"regexp"
	"strings"
)

// Outcome is how one test ended.
type Outcome string

const (
	Pass Outcome = "PASS"
	Fail Outcome = "FAIL"
	Skip Outcome = "SKIP"
)

// TestResult is one test's end and what it logged (its first line is the
// reason of a skip or failure).
type TestResult struct {
	Name     string
	Outcome  Outcome
	Messages []string
}

// Reason is the test's first logged line without "skipping: ", or "" when
// it logged nothing.
func (r TestResult) Reason() string {
	if len(r.Messages) == 0 {
		return ""
	}
	return strings.TrimPrefix(r.Messages[0], "skipping: ")
}

// Results are what one run of the test binary printed.
type Results struct {
	Tests []TestResult
	// Features are the `kernel-feature: NAME=VALUE [NOTE]` lines: VALUE
	// ends at the first space, and what follows (parentheses removed) is
	// in FeatureNotes, e.g. why a feature is "none". A name printed again
	// keeps its last value.
	Features     map[string]string
	FeatureNotes map[string]string
	// FeatureOrder is the order in which the features were first printed.
	FeatureOrder []string
	// Exit is the test binary's exit status from the end marker; Ended is
	// false when no end marker was printed (the guest hung or panicked).
	Exit  int
	Ended bool
}

// Test returns the result of the named test.
func (r *Results) Test(name string) (TestResult, bool) {
	for _, t := range r.Tests {
		if t.Name == name {
			return t, true
		}
	}
	return TestResult{}, false
}

// Failed lists the tests that failed, without a parent that only failed
// because a subtest did (it logged nothing itself; its subtests, listed,
// say why).
func (r *Results) Failed() []TestResult {
	var out []TestResult
	for _, t := range r.Tests {
		if t.Outcome == Fail && !(len(t.Messages) == 0 && r.subtestFailed(t.Name)) {
			out = append(out, t)
		}
	}
	return out
}

func (r *Results) subtestFailed(parent string) bool {
	for _, t := range r.Tests {
		if t.Outcome == Fail && strings.HasPrefix(t.Name, parent+"/") {
			return true
		}
	}
	return false
}

// EndMarker is what the guest's /init prints after the tests, followed by
// the test binary's exit status.
const EndMarker = "tailor-kernels: tests exited with status "

var (
	// go test -v: "=== RUN   TestName", "=== CONT  TestName".
	runLine = regexp.MustCompile(`^=== (?:RUN|CONT|PAUSE|NAME)\s+(\S+)`)
	// "--- PASS: TestName (0.01s)", indented for subtests.
	endLine = regexp.MustCompile(`^\s*--- (PASS|FAIL|SKIP): (\S+)`)
	// t.Log's "    file_test.go:12: message".
	logLine     = regexp.MustCompile(`^\s+[\w.-]+\.go:\d+: (.*)$`)
	featureLine = regexp.MustCompile(`kernel-feature: ([A-Za-z0-9_.-]+)=(\S*)(.*)$`)
	markerLine  = regexp.MustCompile(regexp.QuoteMeta(EndMarker) + `(\d+)`)
)

// ParseResults reads `go test -v` output, also when it comes over a serial
// console: lines end in \r\n, and kernel messages may stand between them.
// A test's messages are the log lines printed while it was the one running
// (go test -v streams them before its --- line) or right after its ---
// line (without -v they come there).
func ParseResults(r io.Reader) (*Results, error) {
	res := &Results{Features: map[string]string{}, FeatureNotes: map[string]string{}}
	pending := map[string][]string{} // messages of tests not ended yet
	current := ""                    // the test that log lines belong to
	lastEnded := -1                  // index in res.Tests of the test whose --- line came last
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if m := featureLine.FindStringSubmatch(line); m != nil {
			if _, ok := res.Features[m[1]]; !ok {
				res.FeatureOrder = append(res.FeatureOrder, m[1])
			}
			res.Features[m[1]] = m[2]
			note := strings.TrimSpace(m[3])
			if strings.HasPrefix(note, "(") && strings.HasSuffix(note, ")") {
				note = note[1 : len(note)-1]
			}
			res.FeatureNotes[m[1]] = note
			continue // a fact, not a reason
		}
		if m := markerLine.FindStringSubmatch(line); m != nil {
			res.Ended = true
			res.Exit = atoi(m[1])
			continue
		}
		if m := runLine.FindStringSubmatch(line); m != nil {
			current, lastEnded = m[1], -1
			continue
		}
		if m := endLine.FindStringSubmatch(line); m != nil {
			name := m[2]
			res.Tests = append(res.Tests, TestResult{Name: name, Outcome: Outcome(m[1]), Messages: pending[name]})
			delete(pending, name)
			lastEnded = len(res.Tests) - 1
			current = ""
			continue
		}
		if m := logLine.FindStringSubmatch(line); m != nil {
			msg := strings.TrimSpace(m[1])
			switch {
			case lastEnded >= 0:
				res.Tests[lastEnded].Messages = append(res.Tests[lastEnded].Messages, msg)
			case current != "":
				pending[current] = append(pending[current], msg)
			}
		}
	}
	return res, sc.Err()
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}
