package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tailorsec/tailor/internal/vm"
)

// guestOutput is what a guest's console gives: \r\n line ends, a kernel
// message in between, a skip whose reason streams before its --- line (go
// test -v), a failure, feature lines from t.Log and from fmt.Println, and
// the end marker.
const guestOutput = "SeaBIOS (version 1.16.2)\r\n" +
	"tailor-kernels: kernel 5.10.0-32-amd64, LSMs capability,apparmor\r\n" +
	"=== RUN   TestKernelRecordsNewMountNamespace\r\n" +
	"    kernel_test.go:23: skipping: the BPF recorder cannot run here (kernel 5.10.0-32-amd64 lacks BPF task storage (Linux 5.11))\r\n" +
	"--- SKIP: TestKernelRecordsNewMountNamespace (0.01s)\r\n" +
	"[    3.141592] random: crng init done\r\n" +
	"=== RUN   TestKernelCloseTwice\r\n" +
	"    kernel_test.go:23: skipping: the BPF recorder cannot run here (kernel 5.10.0-32-amd64 lacks BPF task storage (Linux 5.11))\r\n" +
	"--- SKIP: TestKernelCloseTwice (0.00s)\r\n" +
	"=== RUN   TestKernelRecordsFileAccess\r\n" +
	"    kernel_test.go:300: kernel-feature: variant=compat\r\n" +
	"    kernel_test.go:310: log: recorded [read] want [read write]\r\n" +
	"    kernel_test.go:311: second line\r\n" +
	"--- FAIL: TestKernelRecordsFileAccess (1.20s)\r\n" +
	"kernel-feature: capabilities=kprobe\r\n" +
	"=== RUN   TestKernelRecordsCapabilities\r\n" +
	"--- PASS: TestKernelRecordsCapabilities (0.50s)\r\n" +
	"FAIL\r\n" +
	EndMarker + "1\r\n"

func TestParseResults(t *testing.T) {
	res, err := ParseResults(strings.NewReader(guestOutput))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Ended || res.Exit != 1 {
		t.Errorf("end marker: ended %v exit %d, want true 1", res.Ended, res.Exit)
	}
	var got []string
	for _, r := range res.Tests {
		got = append(got, string(r.Outcome)+" "+r.Name)
	}
	want := []string{"SKIP TestKernelRecordsNewMountNamespace", "SKIP TestKernelCloseTwice", "FAIL TestKernelRecordsFileAccess", "PASS TestKernelRecordsCapabilities"}
	if !slices.Equal(got, want) {
		t.Fatalf("tests %v, want %v", got, want)
	}
	skip, _ := res.Test("TestKernelCloseTwice")
	if r := skip.Reason(); r != "the BPF recorder cannot run here (kernel 5.10.0-32-amd64 lacks BPF task storage (Linux 5.11))" {
		t.Errorf("skip reason %q", r)
	}
	fail, _ := res.Test("TestKernelRecordsFileAccess")
	if !slices.Equal(fail.Messages, []string{"log: recorded [read] want [read write]", "second line"}) {
		t.Errorf("failure messages %q (a feature line is not a message)", fail.Messages)
	}
	if res.Features["variant"] != "compat" || res.Features["capabilities"] != "kprobe" || !slices.Equal(res.FeatureOrder, []string{"variant", "capabilities"}) {
		t.Errorf("features %v in order %v", res.Features, res.FeatureOrder)
	}
}

// Without -v, go test prints a test's log after its --- line.
func TestParseResultsWithoutVerbose(t *testing.T) {
	out := "--- FAIL: TestKernelCloseTwice (0.00s)\n    kernel_test.go:222: second close: bad file descriptor\nFAIL\n"
	res, err := ParseResults(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if res.Ended {
		t.Error("no end marker, but Ended")
	}
	r, ok := res.Test("TestKernelCloseTwice")
	if !ok || r.Outcome != Fail || r.Reason() != "second close: bad file descriptor" {
		t.Fatalf("got %+v", r)
	}
}

func cellsOf(row *Row) map[string]string {
	m := map[string]string{}
	for i, c := range row.Cells {
		m[columns[i].Name] = c.String()
	}
	return m
}

func TestJudgeKnownGap(t *testing.T) {
	// 5.10 today: nothing loads, every test skips. The expectations
	// allow it; the table says why.
	out := ""
	for _, name := range []string{"TestKernelRecordsNewMountNamespace", "TestKernelCountsLiveAndExitedTasks", "TestKernelCloseTwice", "TestKernelRecordsFileAccess", "TestVerifierWorkStaysSmall"} {
		out += "=== RUN   " + name + "\n    kernel_test.go:23: skipping: task storage needs 5.11\n--- SKIP: " + name + " (0.00s)\n"
	}
	res, _ := ParseResults(strings.NewReader(out + "PASS\n" + EndMarker + "0\n"))
	row := &Row{Kernel: "5.10"}
	judge(row, res, nil)
	if len(row.Problems) != 0 {
		t.Fatalf("a known gap is a problem: %v", row.Problems)
	}
	cells := cellsOf(row)
	if cells["loads"] != "no: task storage needs 5.11" || cells["capabilities"] != "no: no capabilities test ran" {
		t.Errorf("cells %v", cells)
	}
	got := rowCells(row)
	if got[2] != "no: as for loads" || got[4] != "no: as for loads" {
		t.Errorf("repeated reasons are not folded: %q", got)
	}
}

func TestJudgeRegression(t *testing.T) {
	// 6.1 with a recorder that no longer loads: every test skips, which
	// its expectations do not allow.
	out := "=== RUN   TestKernelCloseTwice\n    kernel_test.go:23: skipping: cannot load\n--- SKIP: TestKernelCloseTwice (0.00s)\n" + EndMarker + "0\n"
	res, _ := ParseResults(strings.NewReader(out))
	row := &Row{Kernel: "6.1"}
	judge(row, res, nil)
	want := []string{"loads: expected yes, got no: cannot load", "syscalls: expected yes, got no: no syscalls test ran", "files: expected yes, got no: no files test ran"}
	if !slices.Equal(row.Problems, want) {
		t.Errorf("problems %q, want %q", row.Problems, want)
	}
}

func TestJudgeFailuresAndMissingEnd(t *testing.T) {
	res, _ := ParseResults(strings.NewReader(guestOutput))
	row := &Row{Kernel: "5.10"}
	judge(row, res, nil)
	if !slices.Contains(row.Problems, "TestKernelRecordsFileAccess failed: log: recorded [read] want [read write]") {
		t.Errorf("a failed test is not a problem: %q", row.Problems)
	}
	cells := cellsOf(row)
	if cells["capabilities"] != "yes" || !strings.HasPrefix(cells["files"], "no: FAIL TestKernelRecordsFileAccess") {
		t.Errorf("cells %v", cells)
	}
	if !slices.Equal(row.Exceeds, []string{"capabilities"}) || row.Mechanism != "variant=compat capabilities=kprobe" {
		t.Errorf("exceeds %v, mechanism %q", row.Exceeds, row.Mechanism)
	}

	// A guest that hangs after its tests passed still fails the run.
	res, _ = ParseResults(strings.NewReader("--- PASS: TestKernelCloseTwice (0.00s)\n"))
	row = &Row{Kernel: "5.10"}
	judge(row, res, nil)
	if !slices.Contains(row.Problems, "the tests did not reach their end marker") {
		t.Errorf("no end marker is not a problem: %q", row.Problems)
	}
}

func TestCapabilitiesFeatureNone(t *testing.T) {
	var capCol column
	for _, c := range columns {
		if c.Name == "capabilities" {
			capCol = c
		}
	}
	for _, tc := range []struct{ line, want string }{
		{"kernel-feature: capabilities=none", "capabilities=none"},
		{"kernel-feature: capabilities=none (no hook loads: fexit refused by lockdown)", "no hook loads: fexit refused by lockdown"},
	} {
		out := tc.line + "\n=== RUN   TestKernelRecordsCapabilities\n=== RUN   TestKernelRecordsCapabilities/fexit\n" +
			"        kernel_test.go:430: skipping: this kernel does not offer it\n    --- SKIP: TestKernelRecordsCapabilities/fexit (0.1s)\n" +
			"--- PASS: TestKernelRecordsCapabilities (0.1s)\n" + EndMarker + "0\n"
		res, _ := ParseResults(strings.NewReader(out))
		if c := cellFor(capCol, res); c.Yes || c.Reason != tc.want {
			t.Errorf("%s gave %v, want no: %s", tc.line, c, tc.want)
		}
		if res.Features["capabilities"] != "none" {
			t.Errorf("%s: value %q, want none", tc.line, res.Features["capabilities"])
		}
		if r, _ := res.Test("TestKernelRecordsCapabilities/fexit"); r.Reason() != "this kernel does not offer it" {
			t.Errorf("subtest reason %q", r.Reason())
		}
	}
}

func TestExpectationsNameKnownColumnsAndKernels(t *testing.T) {
	names := map[string]bool{}
	for _, c := range columns {
		names[c.Name] = true
	}
	for kernel, cols := range expectations {
		if kernel != hostName {
			if _, err := vm.LookupKernel(kernel); err != nil {
				t.Errorf("expectations name kernel %q: %v", kernel, err)
			}
		}
		for _, c := range cols {
			if !names[c] {
				t.Errorf("expectations of %s name column %q, which does not exist", kernel, c)
			}
		}
	}
}

func TestKernelList(t *testing.T) {
	got, err := kernelList("", true)
	if err != nil || !slices.Equal(got, []string{"5.10", "6.1", "6.12", "6.12-trixie", "host"}) {
		t.Errorf("default = %v, %v", got, err)
	}
	got, err = kernelList(" 6.1,host ,", false)
	if err != nil || !slices.Equal(got, []string{"6.1", "host"}) {
		t.Errorf("6.1,host = %v, %v", got, err)
	}
	if _, err := kernelList("4.19", true); err == nil {
		t.Error("an unknown kernel is accepted")
	}
}

func TestInitScript(t *testing.T) {
	s, err := initScript("Kernel|Verifier", "9m30s")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"#!/bin/busybox sh\n", "mount -t bpf bpf /sys/fs/bpf", "mount -t tracefs", "TAILOR_PROBE=" + guestProbe,
		guestTracerTest + " -test.v -test.run 'Kernel|Verifier' -test.timeout 9m30s", `echo "` + EndMarker + `$?"`, "poweroff -f"} {
		if !strings.Contains(s, want) {
			t.Errorf("/init lacks %q:\n%s", want, s)
		}
	}
	if _, err := initScript("it's", "1m"); err == nil {
		t.Error("a pattern with a quote is accepted")
	}
}

func TestWriteInitramfs(t *testing.T) {
	dir := t.TempDir()
	// Stand-ins that ldd calls "not a dynamic executable", as it does a
	// static binary.
	files := guestFiles{Busybox: filepath.Join(dir, "busybox"), Unshare: filepath.Join(dir, "unshare"),
		TracerTest: filepath.Join(dir, "tracer.test"), Probe: filepath.Join(dir, "probe")}
	for _, p := range []string{files.Busybox, files.Unshare, files.TracerTest, files.Probe} {
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "initramfs.cpio")
	if err := writeInitramfs(out, files, "#!/bin/busybox sh\n"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"bin/busybox", "usr/bin/unshare", "tailor/tracer.test", "tailor/probe", "dev/console", "init"} {
		if !bytes.Contains(b, []byte(name+"\x00")) {
			t.Errorf("initramfs lacks %s", name)
		}
	}
}

// go test -v prints a parent's --- FAIL line before its subtests': the
// reason is the subtest's message, and the parent is not a problem of its
// own.
func TestSubtestFailure(t *testing.T) {
	out := "=== RUN   TestKernelRecordsCapabilities\n" +
		"kernel-feature: capabilities=fexit\n" +
		"=== RUN   TestKernelRecordsCapabilities/fexit\n" +
		"    kernel_test.go:480: CAP_CHOWN: granted 2, want 1\n" +
		"=== RUN   TestKernelRecordsCapabilities/tracepoint\n" +
		"    kernel_test.go:430: skipping: this kernel does not offer it\n" +
		"--- FAIL: TestKernelRecordsCapabilities (2.00s)\n" +
		"    --- FAIL: TestKernelRecordsCapabilities/fexit (1.00s)\n" +
		"    --- SKIP: TestKernelRecordsCapabilities/tracepoint (0.10s)\n" +
		"FAIL\n" + EndMarker + "1\n"
	res, err := ParseResults(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	row := &Row{Kernel: "6.1"}
	judge(row, res, nil)
	if got := cellsOf(row)["capabilities"]; got != "no: FAIL TestKernelRecordsCapabilities/fexit: CAP_CHOWN: granted 2, want 1" {
		t.Errorf("capabilities cell %q", got)
	}
	want := []string{"TestKernelRecordsCapabilities/fexit failed: CAP_CHOWN: granted 2, want 1"}
	var got []string
	for _, p := range row.Problems {
		if strings.Contains(p, "failed") {
			got = append(got, p)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("failures %q, want %q", got, want)
	}
}

func TestPruneRuns(t *testing.T) {
	base := t.TempDir()
	for _, run := range []string{"20261207T030000Z-1", "20261207T040000Z-2", "20261206T230000Z-3", "20261207T050000Z-4"} {
		if err := os.Mkdir(filepath.Join(base, run), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	pruneRuns(base, 2)
	entries, _ := os.ReadDir(base)
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if want := []string{"20261207T040000Z-2", "20261207T050000Z-4"}; !slices.Equal(left, want) {
		t.Errorf("left %v, want %v", left, want)
	}
}
