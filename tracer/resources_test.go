package tracer

import (
	"os"
	"testing"
)

// A stale pid must not lend the container another cgroup's peak: the
// hierarchy's root is the whole machine, and a path without the
// container's id is someone else's.
func TestContainerCgroup(t *testing.T) {
	id := "4f2a9c0e1b7d4f2a9c0e1b7d4f2a9c0e1b7d4f2a9c0e1b7d4f2a9c0e1b7d4f2a"
	for _, tc := range []struct {
		path, id string
		want     bool
	}{
		{"/docker/" + id, id, true},
		{"/system.slice/docker-" + id + ".scope", id, true},
		{"/machine.slice/libpod-" + id + ".scope/container", id, true},
		{"/", id, false},
		{"", id, false},
		{"/user.slice/user-0.slice/session-3.scope", id, false},
		{"/", "", false},
		{"/some/runtime/cgroup", "", true},
	} {
		if got := containerCgroup(tc.path, tc.id); got != tc.want {
			t.Errorf("containerCgroup(%q, %.12s) = %v, want %v", tc.path, tc.id, got, tc.want)
		}
	}
	// This test's own process is no container's.
	if dir, err := cgroupDirs(os.Getpid(), id); err == nil {
		t.Errorf("the test process was taken for the container: %s", dir)
	}
}
