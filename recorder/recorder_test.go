package recorder_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/recorder"
	"github.com/tailorsec/tailor/tracer"
	"github.com/tailorsec/tailor/tracer/tracertest"
)

// Every test here, and the example, records real containers: without root,
// BPF or dockerd the package is skipped as a whole (the example cannot
// skip itself), unless TAILOR_REQUIRE_E2E asks for failure instead.
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "" {
		reason := ""
		if err := tracer.CheckSupport(); err != nil {
			reason = fmt.Sprintf("%v (run as root on Linux 5.17+ with BTF)", err)
		} else if err := exec.Command("docker", "info").Run(); err != nil {
			reason = fmt.Sprintf("the Docker daemon does not answer (%v); start dockerd", err)
		}
		if reason != "" {
			if os.Getenv("TAILOR_REQUIRE_E2E") != "" {
				fmt.Fprintln(os.Stderr, "TAILOR_REQUIRE_E2E is set, but:", reason)
				os.Exit(1)
			}
			fmt.Println("skipping the recorder's tests and example:", reason)
			os.Exit(0)
		}
	}
	os.Exit(m.Run())
}

// childEnv makes the test binary play a test that goes wrong with a
// recorder running.
const childEnv = "TAILOR_RECORDER_CHILD"

func TestChildGoesWrong(t *testing.T) {
	how := os.Getenv(childEnv)
	if how == "" {
		return // only TestStopReleasesEverything runs it, as a child
	}
	rec, err := recorder.Start(context.Background(), recorder.Options{Match: noContainer(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Stop()
	fmt.Println("recording")
	switch how {
	case "fatal":
		t.Fatal("the test fails midway")
	case "panic":
		panic("the test panics midway")
	case "timeout":
		select {} // until -test.timeout kills the binary
	}
}

// A test that fails, panics or times out with a recorder running leaves
// nothing of tailor's in the kernel: a failure runs the deferred Stop, and
// when the process dies the kernel frees what it held (nothing is pinned).
func TestStopReleasesEverything(t *testing.T) {
	for _, how := range []string{"fatal", "panic", "timeout"} {
		t.Run(how, func(t *testing.T) {
			mark := tracertest.MarkBPF(t)
			// The child's -test.timeout covers loading the programs too,
			// which takes seconds when go test ./... verifies several
			// packages' programs at once: the timeout case waits for it,
			// the others end as soon as they have started recording.
			timeout := "2m"
			if how == "timeout" {
				timeout = "30s"
			}
			cmd := exec.Command(os.Args[0], "-test.run=^TestChildGoesWrong$", "-test.timeout="+timeout, "-test.v")
			cmd.Env = append(os.Environ(), childEnv+"="+how)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the child test passed:\n%s", out)
			}
			if !strings.Contains(string(out), "recording") {
				t.Fatalf("the child never recorded:\n%s", out)
			}
			tracertest.RequireNoBPFLeft(t, mark)
		})
	}
}

// Stop may be called twice (the deferred call after the explicit one):
// both get the same result, and the programs are released once.
func TestStopTwice(t *testing.T) {
	mark := tracertest.MarkBPF(t)
	rec, err := recorder.Start(context.Background(), recorder.Options{Match: noContainer(t)})
	if err != nil {
		t.Fatal(err)
	}
	first, err1 := rec.Stop()
	second, err2 := rec.Stop()
	if err1 != nil || err2 != nil {
		t.Fatalf("Stop: %v, then %v", err1, err2)
	}
	if first != second || len(first.Profiles) != 0 {
		t.Errorf("Stop twice: %+v then %+v, want the same empty result", first, second)
	}
	tracertest.RequireNoBPFLeft(t, mark)
}

// noContainer selects no container of a user's that may run beside the
// tests.
func noContainer(t *testing.T) profile.Match {
	m, err := profile.ParseMatch([]string{"label=tailor.test.none-" + fmt.Sprint(os.Getpid())})
	if err != nil {
		t.Fatal(err)
	}
	return m
}
