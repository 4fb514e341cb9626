package tracer

import (
	"slices"
	"strings"
	"testing"

	"github.com/tailorsec/tailor/profile"
)

func snapshot(armed ArmedBy, native map[int]uint64) Snapshot {
	s := Snapshot{ArmedBy: armed}
	for abi := range s.Syscalls {
		s.Syscalls[abi] = make([]uint64, maxSyscallNr)
	}
	for nr, n := range native {
		s.Syscalls[ABINative][nr] = n
	}
	return s
}

func syscallNumber(t *testing.T, name string) int {
	t.Helper()
	nr, ok := profile.SyscallNumber(profile.NativeArch(), name)
	if !ok {
		t.Fatalf("no number for %s", name)
	}
	return nr
}

// An unconfined recording carries the runtime's last steps (the arming
// task's tail) as runtime syscalls; a filtered one does not.
func TestBuildRecordingCarriesTheRuntimeTailOnlyWithoutAFilter(t *testing.T) {
	read, capset, getppid := syscallNumber(t, "read"), syscallNumber(t, "capset"), syscallNumber(t, "getppid")
	for _, armed := range []ArmedBy{ArmedExec, ArmedFilter} {
		snap := snapshot(armed, map[int]uint64{read: 5, getppid: 1})
		snap.Tail = []int{read, capset}
		rec := &containerRec{info: ContainerInfo{ID: "abc", Name: "web"}, snaps: []Snapshot{snap}, stopped: true}
		r := buildRecording(rec, profile.Host{Arch: "amd64"}, true, Stats{}, nil)

		sources := map[string]string{}
		counts := map[string]uint64{}
		for _, s := range r.Syscalls {
			sources[s.Name] = s.Source
			counts[s.Name] = s.Count
		}
		if counts["read"] != 5 || sources["read"] != profile.SourceWorkload {
			t.Errorf("%v: read = %d/%q, want 5 as workload", armed, counts["read"], sources["read"])
		}
		_, hasCapset := sources["capset"]
		if want := armed == ArmedExec; hasCapset != want {
			t.Errorf("%v: capset in recording = %v, want %v", armed, hasCapset, want)
		}
		if armed == ArmedExec && sources["capset"] != profile.SourceRuntime {
			t.Errorf("capset source = %q, want runtime", sources["capset"])
		}
		if r.Partial {
			t.Errorf("a stopped container is not partial")
		}
	}
}

// A restarted container spans several namespaces: their counts add up.
func TestBuildRecordingSumsRestarts(t *testing.T) {
	read := syscallNumber(t, "read")
	a, b := snapshot(ArmedFilter, map[int]uint64{read: 2}), snapshot(ArmedFilter, map[int]uint64{read: 3})
	a.CapGranted[0], b.CapGranted[0] = 1, 4 // CAP_CHOWN
	a.CapNoAudit[0], b.CapOtherNS[0] = 1, 2
	a.CapSyscalls[0] = []int{syscallNumber(t, "fchown")}
	b.CapSyscalls[0] = []int{syscallNumber(t, "fchownat")}
	rec := &containerRec{info: ContainerInfo{ID: "abc", Name: "web"}, snaps: []Snapshot{a, b}}
	r := buildRecording(rec, profile.Host{Arch: "amd64"}, true, Stats{EventsLost: 2}, []string{"session warning"})
	if len(r.Syscalls) != 1 || r.Syscalls[0].Count != 5 {
		t.Errorf("syscalls = %+v, want read x5", r.Syscalls)
	}
	if len(r.Capabilities) != 1 || r.Capabilities[0].Name != "CAP_CHOWN" || r.Capabilities[0].Granted != 5 ||
		r.Capabilities[0].NoAudit != 1 || r.Capabilities[0].OtherUserNS != 2 || !slices.Equal(r.Capabilities[0].Syscalls, []string{"fchown", "fchownat"}) {
		t.Errorf("capabilities = %+v", r.Capabilities)
	}
	if !r.Partial || r.EventsLost != 2 || !slices.Contains(r.Warnings, "session warning") {
		t.Errorf("partial=%v lost=%d warnings=%v", r.Partial, r.EventsLost, r.Warnings)
	}
	if r.ArmedBy != profile.ArmedByFilter {
		t.Errorf("armed by %q", r.ArmedBy)
	}
}

// The weakest arming of a restarted container's namespaces is its
// recording's (exec after a filter: the runtime's steps were not counted
// the second time); a 32-bit syscall in any of them means its file access
// was not recorded; peaks are the highest of any.
func TestBuildRecordingTakesTheWeakestArmingAndAnyCompatSyscall(t *testing.T) {
	read := syscallNumber(t, "read")
	a, b := snapshot(ArmedFilter, map[int]uint64{read: 1}), snapshot(ArmedExec, map[int]uint64{read: 1})
	a.PeakTasks, b.PeakTasks = 7, 3
	b.Syscalls[ABICompat][3] = 2
	a.Sockets = []profile.SocketUse{{Family: "inet", Type: "stream"}}
	b.SharedMemory = []string{"read"}
	rec := &containerRec{info: ContainerInfo{ID: "abc", Name: "web"}, snaps: []Snapshot{a, b}, stopped: true,
		settingsUnknown: "gone"}
	r := buildRecording(rec, profile.Host{Arch: "amd64"}, true, Stats{}, nil)
	if r.SettingsUnknown != "gone" {
		t.Errorf("settings unknown %q, want the session's reason", r.SettingsUnknown)
	}
	rec.settingsUnknown = ""
	if r.ArmedBy != profile.ArmedByExec {
		t.Errorf("armed by %q, want %q", r.ArmedBy, profile.ArmedByExec)
	}
	if r.FilesRecorded || !slices.ContainsFunc(r.Warnings, func(w string) bool { return strings.Contains(w, "32-bit syscalls") }) {
		t.Errorf("files recorded = %v, warnings %q: want false and the 32-bit warning", r.FilesRecorded, r.Warnings)
	}
	if r.Resources.PeakTasks != 7 || len(r.Sockets) != 1 || !slices.Equal(r.SharedMemory, []string{"read"}) {
		t.Errorf("peak tasks %d, sockets %+v, shared memory %v", r.Resources.PeakTasks, r.Sockets, r.SharedMemory)
	}

	// Native syscalls only: file access recorded, no warning.
	rec.snaps = []Snapshot{snapshot(ArmedFilter, map[int]uint64{read: 1})}
	if r := buildRecording(rec, profile.Host{Arch: "amd64"}, true, Stats{}, nil); !r.FilesRecorded || len(r.Warnings) != 0 {
		t.Errorf("native only: files recorded = %v, warnings %q", r.FilesRecorded, r.Warnings)
	}
}
