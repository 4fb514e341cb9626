package runflags

import (
	"slices"
	"strings"
	"testing"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/profiletest"
)

func TestReadOnlyRoot(t *testing.T) {
	w := func(path string) profile.FileAccess {
		return profile.FileAccess{Path: path, Access: profiletest.Created, Mount: profile.MountRootfs}
	}
	r := func(path string) profile.FileAccess {
		return profile.FileAccess{Path: path, Access: profiletest.ReadOnly, Mount: profile.MountRootfs}
	}
	mkdir := func(path string) profile.FileAccess {
		return profile.FileAccess{Path: path, Access: []string{profile.AccessMkdir}, Mount: profile.MountRootfs}
	}
	for _, tc := range []struct {
		name      string
		files     []profile.FileAccess
		mounts    []profile.ContainerMount
		suggested bool
		tmpfs     []string
		reason    []string // parts of the reason
	}{
		{"nginx", profiletest.NginxFiles(), nil, true, []string{"/run", "/tmp"}, []string{"--tmpfs=/run holds /run/nginx.pid", "a tmpfs on /tmp too"}},
		{"redis on the root filesystem", []profile.FileAccess{r("/data/"), w("/data/dump.rdb"), w("/data/temp-1234.rdb")}, nil,
			false, nil, []string{"/data/dump.rdb, /data/temp-1234.rdb", "mount a volume there or make it a tmpfs to allow --read-only"}},
		{"redis on a volume", []profile.FileAccess{
			{Path: "/data/dump.rdb", Access: profiletest.Created, Mount: profile.MountVolume, MountPoint: "/data"},
		}, nil, true, []string{"/tmp"}, []string{"did not write to its root filesystem; a tmpfs on /tmp too"}},
		{"a container mount the recorder did not name", []profile.FileAccess{{Path: "/data/dump.rdb", Access: profiletest.Created}},
			[]profile.ContainerMount{{Type: "bind", Destination: "/data/"}}, true, []string{"/tmp"}, nil},
		{"unknown mount counts as the root filesystem", []profile.FileAccess{{Path: "/data/dump.rdb", Access: profiletest.Created}}, nil,
			false, nil, []string{"/data/dump.rdb"}},
		{"a file of the image under /run", []profile.FileAccess{w("/run/nginx.pid"), r("/run/lock/x")}, nil,
			false, nil, []string{"read /run/lock/x from the image", "tmpfs on /run"}},
		{"listing the mount point is fine", []profile.FileAccess{w("/run/nginx.pid"), r("/run/"), r("/run")}, nil,
			true, []string{"/run", "/tmp"}, nil},
		{"files it wrote itself may be read", []profile.FileAccess{
			{Path: "/tmp/x", Access: []string{profile.AccessCreate, profile.AccessRead, profile.AccessWrite}, Mount: profile.MountRootfs},
		}, nil, true, []string{"/tmp"}, nil},
		{"up through directories it made", []profile.FileAccess{
			mkdir("/tmp/a/"), mkdir("/tmp/a/b/"), w("/tmp/a/b/c"),
			mkdir("/var/tmp/app/cache/"), w("/var/tmp/app/cache/f"), r("/var/tmp/other"),
		}, nil, true, []string{"/tmp", "/var/tmp/app"}, []string{"--tmpfs=/tmp holds /tmp/a/, /tmp/a/b/, /tmp/a/b/c"}},
		{"outermost of nested mount points", []profile.FileAccess{w("/tmp/x"), w("/tmp/app/cache/f"), w("/var/run/y")}, nil,
			true, []string{"/tmp", "/var/run"}, nil},
		{"writes elsewhere than the root filesystem", []profile.FileAccess{
			{Path: "/dev/shm/x", Access: profiletest.Created, Mount: profile.MountDev},
			{Path: "/proc/1/oom_score_adj", Access: []string{profile.AccessWrite}, Mount: profile.MountProc},
			{Path: "/sys/fs/cgroup/x", Access: []string{profile.AccessWrite}, Mount: profile.MountSys},
			{Path: "/cache/x", Access: profiletest.Created, Mount: profile.MountTmpfs},
			{Path: "/etc/hosts", Access: []string{profile.AccessAppend}, Mount: profile.MountBind},
			{Path: "/x/y", Access: profiletest.Created, Mount: "other:fuse"},
			{Path: "/dev/shm/unknown-mount", Access: profiletest.Created},
			{Path: "/etc/resolv.conf", Access: []string{profile.AccessWrite}},
		}, nil, true, []string{"/tmp"}, []string{"did not write to its root filesystem"}},
		{"more than three", []profile.FileAccess{w("/a"), w("/b"), w("/c"), w("/d"), w("/e")}, nil,
			false, nil, []string{"at /a, /b, /c and 2 more:"}},
		{"executed from the tmpfs", []profile.FileAccess{
			{Path: "/tmp/tool", Access: []string{profile.AccessCreate, profile.AccessExec, profile.AccessWrite}, Mount: profile.MountRootfs},
		}, nil, false, nil, []string{"executed /tmp/tool", "--tmpfs=/tmp:exec"}},
		{"/run and /var/tmp where they exist", []profile.FileAccess{r("/run/"), r("/var/tmp")}, nil,
			true, []string{"/run", "/tmp", "/var/tmp"}, []string{"a tmpfs on /tmp, /run and /var/tmp too"}},
		{"no tmpfs where it would hide a file of the image", []profile.FileAccess{r("/tmp/seed.db"), r("/run/")}, nil,
			true, []string{"/run"}, nil},
		{"none over the container's own mounts", nil, []profile.ContainerMount{{Type: "volume", Destination: "/tmp"}},
			true, nil, []string{"did not write to its root filesystem"}},
		{"none where it executed a file of the image", []profile.FileAccess{
			{Path: "/var/tmp/helper", Access: []string{profile.AccessExec}, Mount: profile.MountRootfs},
		}, nil, true, []string{"/tmp"}, nil},
		{"a mount point docker cannot name", []profile.FileAccess{r("/tmp/a:b/"), w("/tmp/a:b/c"), mkdir("/tmp/a:b/c/")}, nil,
			false, nil, []string{"/tmp/a:b, which docker run --tmpfs cannot name"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &profile.Recording{FilesRecorded: true, Files: tc.files, ContainerMounts: tc.mounts}
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

	got := ReadOnlyRoot(&profile.Recording{Files: profiletest.NginxFiles()})
	if got.Suggested || got.Reason != "file access was not recorded, so it is not known where the container writes" || got.Tmpfs == nil {
		t.Errorf("without file recording: %+v", got)
	}
}
