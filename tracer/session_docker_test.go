package tracer

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/tailorsec/tailor/tracer/tracertest"
)

// A --rm container that Docker has already removed when its namespace is
// attributed (a short test container on a loaded CI machine) keeps the
// settings it was started with: they were asked for when it was created.
func TestSessionKeepsSettingsOfARemovedContainer(t *testing.T) {
	requireKernel(t)
	if err := exec.Command("docker", "info").Run(); err != nil {
		tracertest.SkipOrFail(t, "skipping: dockerd is not answering (%v)", err)
	}
	image := "tailor-test-tracer-probe:" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "")
	tracertest.ProbeImage(t, image)
	name := "tailor-test-removed-" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "")

	// Hold attribution until the container is gone.
	gone := make(chan struct{})
	testHookAttribute = func(string) { <-gone }
	defer func() { testHookAttribute = nil }()

	s, err := StartSession(context.Background(), SessionOptions{Containers: nil, TailorVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	out, runErr := exec.Command("docker", "run", "--rm", "--name", name, "--network", "host",
		"--cap-drop", "ALL", "--cap-add", "NET_RAW", "--security-opt", "no-new-privileges", image, "/probe", "pick", "1").CombinedOutput()
	// --rm: the container is removed by the time docker run returns.
	if err := exec.Command("docker", "inspect", name).Run(); err == nil {
		t.Errorf("container %s still exists after docker run --rm", name)
	}
	close(gone)
	recs, err := s.Stop()
	if runErr != nil {
		t.Fatalf("docker run: %v\n%s", runErr, out)
	}
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, r := range recs {
		if r.Container.Name != name {
			continue
		}
		found = true
		for _, w := range r.Warnings {
			if strings.Contains(w, "gone before") {
				t.Errorf("warning %q: the settings were known from the create event", w)
			}
		}
		if r.Config.NetworkMode != "host" {
			t.Errorf("network mode %q, want host", r.Config.NetworkMode)
		}
		if !r.Learning.NoNewPrivileges || len(r.Learning.CapAdd) != 1 || r.Learning.CapAdd[0] != "CAP_NET_RAW" {
			t.Errorf("learning settings %+v: want no-new-privileges and cap-add NET_RAW", r.Learning)
		}
	}
	if !found {
		t.Fatalf("no recording of %s among %d", name, len(recs))
	}
}
