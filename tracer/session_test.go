package tracer

import (
	"slices"
	"testing"

	"github.com/docker/docker/api/types/container"

	"github.com/tailorsec/tailor/profile"
)

func TestLearningFromHostConfig(t *testing.T) {
	for _, tc := range []struct {
		hc   container.HostConfig
		want profile.Learning
	}{
		{container.HostConfig{}, profile.Learning{Seccomp: "default"}},
		{container.HostConfig{SecurityOpt: []string{"seccomp=unconfined"}}, profile.Learning{Seccomp: "unconfined"}},
		{container.HostConfig{SecurityOpt: []string{`seccomp={"defaultAction":"SCMP_ACT_ALLOW"}`, "no-new-privileges"}}, profile.Learning{Seccomp: "custom", NoNewPrivileges: true}},
		{container.HostConfig{SecurityOpt: []string{"no-new-privileges:true"}}, profile.Learning{Seccomp: "default", NoNewPrivileges: true}},
		{container.HostConfig{SecurityOpt: []string{"no-new-privileges=false"}}, profile.Learning{Seccomp: "default"}},
		{container.HostConfig{Privileged: true, CapAdd: []string{"NET_ADMIN"}}, profile.Learning{Seccomp: "unconfined", Privileged: true, CapAdd: []string{"NET_ADMIN"}}},
	} {
		got := learningFrom(&tc.hc)
		if got.Seccomp != tc.want.Seccomp || got.NoNewPrivileges != tc.want.NoNewPrivileges || got.Privileged != tc.want.Privileged || !slices.Equal(got.CapAdd, tc.want.CapAdd) {
			t.Errorf("learningFrom(%+v) = %+v, want %+v", tc.hc.SecurityOpt, got, tc.want)
		}
	}
}

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
