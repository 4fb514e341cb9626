package profile

import (
	"reflect"
	"slices"
	"testing"
)

func TestMergeRecordingsUnitesFilesAndMore(t *testing.T) {
	a := &Recording{
		Container:     Container{ID: "aaaaaaaaaaaaaaaa", Name: "web"},
		FilesRecorded: true,
		Files: []FileAccess{
			{Path: "/run/x.pid", Access: []string{AccessWrite, AccessCreate}, Mount: MountRootfs},
			{Path: "/etc/a", Access: []string{AccessRead}, Mount: MountRootfs},
		},
		Sockets:         []SocketUse{{Family: "inet", Type: "stream"}},
		SignalsSent:     []string{"term"},
		Mounts:          []MountUse{{Target: "/mnt", FSType: "tmpfs"}},
		ContainerMounts: []ContainerMount{{Type: "volume", Destination: "/data"}},
	}
	b := &Recording{
		Container:     Container{ID: "bbbbbbbbbbbbbbbb", Name: "web"},
		FilesRecorded: true,
		Files: []FileAccess{
			{Path: "/run/x.pid", Access: []string{AccessUnlink, AccessCreate}, Mount: MountRootfs},
			{Path: "/etc/b", Access: []string{AccessRead}, Mount: MountRootfs},
		},
		Sockets:         []SocketUse{{Family: "unix", Type: "dgram"}, {Family: "inet", Type: "stream"}},
		SignalsSent:     []string{"quit", "term"},
		Ptrace:          []string{"read"},
		ContainerMounts: []ContainerMount{{Type: "volume", Destination: "/data"}},
	}
	before := CloneRecording(a)
	m := MergeRecordings(a, b)
	if !reflect.DeepEqual(a, before) {
		t.Error("merging changed its input")
	}
	wantFiles := []FileAccess{
		{Path: "/etc/a", Access: []string{AccessRead}, Mount: MountRootfs},
		{Path: "/etc/b", Access: []string{AccessRead}, Mount: MountRootfs},
		{Path: "/run/x.pid", Access: []string{AccessCreate, AccessUnlink, AccessWrite}, Mount: MountRootfs},
	}
	if !reflect.DeepEqual(m.Files, wantFiles) {
		t.Errorf("files = %+v, want %+v", m.Files, wantFiles)
	}
	if want := []SocketUse{{"inet", "stream"}, {"unix", "dgram"}}; !slices.Equal(m.Sockets, want) {
		t.Errorf("sockets = %v", m.Sockets)
	}
	if !slices.Equal(m.SignalsSent, []string{"quit", "term"}) || !slices.Equal(m.Ptrace, []string{"read"}) {
		t.Errorf("signals %v, ptrace %v", m.SignalsSent, m.Ptrace)
	}
	if len(m.Mounts) != 1 || len(m.ContainerMounts) != 1 || !m.FilesRecorded {
		t.Errorf("mounts %v, container mounts %v, files recorded %v", m.Mounts, m.ContainerMounts, m.FilesRecorded)
	}

	b.FilesRecorded = false
	if MergeRecordings(a, b).FilesRecorded {
		t.Error("files recorded although one input did not record them")
	}
}
