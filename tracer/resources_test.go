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

func TestParseOpenFilesLimit(t *testing.T) {
	const limits = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            20000                40000                files
Max locked memory         8388608              8388608              bytes
`
	if got := parseOpenFilesLimit(limits); got != 20000 {
		t.Errorf("soft nofile = %d, want 20000", got)
	}
	for _, text := range []string{"", "Max open files            unlimited            unlimited            files\n", "Max open files\n"} {
		if got := parseOpenFilesLimit(text); got != 0 {
			t.Errorf("parseOpenFilesLimit(%q) = %d, want 0 (unknown)", text, got)
		}
	}
	// This process's own, as the kernel writes it.
	if got := openFilesLimit(os.Getpid()); got <= 0 {
		t.Errorf("openFilesLimit(self) = %d", got)
	}
}
