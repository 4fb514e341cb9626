package profile

import (
	"slices"
	"strings"
	"testing"
)

func TestReadOnlyRoot(t *testing.T) {
	w := func(path string) FileAccess { return FileAccess{Path: path, Access: created, Mount: MountRootfs} }
	r := func(path string) FileAccess { return FileAccess{Path: path, Access: readOnly, Mount: MountRootfs} }
	mkdir := func(path string) FileAccess {
		return FileAccess{Path: path, Access: []string{AccessMkdir}, Mount: MountRootfs}
	}
	for _, tc := range []struct {
		name      string
		files     []FileAccess
		mounts    []ContainerMount
		suggested bool
		tmpfs     []string
		reason    []string // parts of the reason
	}{
		{"nginx", nginxFiles(), nil, true, []string{"/run"}, []string{"--tmpfs=/run holds /run/nginx.pid"}},
		{"redis on the root filesystem", []FileAccess{r("/data/"), w("/data/dump.rdb"), w("/data/temp-1234.rdb")}, nil,
			false, nil, []string{"/data/dump.rdb, /data/temp-1234.rdb", "mount a volume there or make it a tmpfs to allow --read-only"}},
		{"redis on a volume", []FileAccess{
			{Path: "/data/dump.rdb", Access: created, Mount: MountVolume, MountPoint: "/data"},
		}, nil, true, nil, []string{"did not write to its root filesystem"}},
		{"a container mount the recorder did not name", []FileAccess{{Path: "/data/dump.rdb", Access: created}},
			[]ContainerMount{{Type: "bind", Destination: "/data/"}}, true, nil, nil},
		{"unknown mount counts as the root filesystem", []FileAccess{{Path: "/data/dump.rdb", Access: created}}, nil,
			false, nil, []string{"/data/dump.rdb"}},
		{"a file of the image under /run", []FileAccess{w("/run/nginx.pid"), r("/run/lock/x")}, nil,
			false, nil, []string{"read /run/lock/x from the image", "tmpfs on /run"}},
		{"listing the mount point is fine", []FileAccess{w("/run/nginx.pid"), r("/run/"), r("/run")}, nil,
			true, []string{"/run"}, nil},
		{"files it wrote itself may be read", []FileAccess{
			{Path: "/tmp/x", Access: []string{AccessCreate, AccessRead, AccessWrite}, Mount: MountRootfs},
		}, nil, true, []string{"/tmp"}, nil},
		{"up through directories it made", []FileAccess{
			mkdir("/tmp/a/"), mkdir("/tmp/a/b/"), w("/tmp/a/b/c"),
			mkdir("/var/tmp/app/cache/"), w("/var/tmp/app/cache/f"), r("/var/tmp/other"),
		}, nil, true, []string{"/tmp", "/var/tmp/app"}, []string{"--tmpfs=/tmp holds /tmp/a/, /tmp/a/b/, /tmp/a/b/c"}},
		{"outermost of nested mount points", []FileAccess{w("/tmp/x"), w("/tmp/app/cache/f"), w("/var/run/y")}, nil,
			true, []string{"/tmp", "/var/run"}, nil},
		{"writes elsewhere than the root filesystem", []FileAccess{
			{Path: "/dev/shm/x", Access: created, Mount: MountDev},
			{Path: "/proc/1/oom_score_adj", Access: []string{AccessWrite}, Mount: MountProc},
			{Path: "/sys/fs/cgroup/x", Access: []string{AccessWrite}, Mount: MountSys},
			{Path: "/cache/x", Access: created, Mount: MountTmpfs},
			{Path: "/etc/hosts", Access: []string{AccessAppend}, Mount: MountBind},
			{Path: "/x/y", Access: created, Mount: "other:fuse"},
			{Path: "/dev/shm/unknown-mount", Access: created},
			{Path: "/etc/resolv.conf", Access: []string{AccessWrite}},
		}, nil, true, nil, []string{"did not write to its root filesystem"}},
		{"more than three", []FileAccess{w("/a"), w("/b"), w("/c"), w("/d"), w("/e")}, nil,
			false, nil, []string{"at /a, /b, /c and 2 more:"}},
		{"executed from the tmpfs", []FileAccess{
			{Path: "/tmp/tool", Access: []string{AccessCreate, AccessExec, AccessWrite}, Mount: MountRootfs},
		}, nil, false, nil, []string{"executed /tmp/tool", "--tmpfs=/tmp:exec"}},
		{"a mount point docker cannot name", []FileAccess{r("/tmp/a:b/"), w("/tmp/a:b/c"), mkdir("/tmp/a:b/c/")}, nil,
			false, nil, []string{"/tmp/a:b, which docker run --tmpfs cannot name"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &Recording{FilesRecorded: true, Files: tc.files, ContainerMounts: tc.mounts}
			got := ReadOnlyRoot(rec)
			if tc.tmpfs == nil {
				tc.tmpfs = []string{}
			}
			if got.Suggested != tc.suggested || !slices.Equal(got.Tmpfs, tc.tmpfs) {
				t.Errorf("got %+v, want suggested %v, tmpfs %q", got, tc.suggested, tc.tmpfs)
			}
			for _, part := range tc.reason {
				if !strings.Contains(got.Reason, part) {
					t.Errorf("reason %q does not mention %q", got.Reason, part)
				}
			}
		})
	}

	got := ReadOnlyRoot(&Recording{Files: nginxFiles()})
	if got.Suggested || got.Reason != "file access was not recorded, so it is not known where the container writes" || got.Tmpfs == nil {
		t.Errorf("without file recording: %+v", got)
	}
}
