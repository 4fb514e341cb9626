package profiledir_test

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/diff"
	"github.com/tailorsec/tailor/profile/profiledir"
	"github.com/tailorsec/tailor/profile/profiletest"
	"github.com/tailorsec/tailor/profile/report"
)

// Argument values merge as the union of the values each input needed.
func TestMergeArgumentValues(t *testing.T) {
	a := &profile.Recording{Container: profile.Container{ID: "aaaaaaaaaaaaaaaa", Name: "web"},
		Syscalls: []profile.SyscallUse{{Arch: profile.ArchX86_64, Name: "socket", Number: 41, Count: 2}, {Arch: profile.ArchX86_64, Name: "prctl", Number: 157, Count: 1}},
		SyscallArgs: []profile.ArgValues{
			{Arch: profile.ArchX86_64, Syscall: "socket", Index: 0, Values: []uint64{2, 10}},
			{Arch: profile.ArchX86_64, Syscall: "prctl", Index: 0, Values: []uint64{15}},
		}}
	b := &profile.Recording{Container: profile.Container{ID: "bbbbbbbbbbbbbbbb", Name: "web"},
		Syscalls: []profile.SyscallUse{{Arch: profile.ArchX86_64, Name: "socket", Number: 41, Count: 1}, {Arch: profile.ArchX86_64, Name: "clone", Number: 56, Count: 1}},
		SyscallArgs: []profile.ArgValues{
			{Arch: profile.ArchX86_64, Syscall: "socket", Index: 0, Values: []uint64{1, 2}},
			{Arch: profile.ArchX86_64, Syscall: "clone", Index: 0, Mask: 0x7E020000, Values: []uint64{0}},
		}}
	// An older recording: made socket, values not recorded.
	c := &profile.Recording{Container: profile.Container{ID: "cccccccccccccccc", Name: "web"},
		Syscalls: []profile.SyscallUse{{Arch: profile.ArchX86_64, Name: "prctl", Number: 157, Count: 1}}}
	before := profile.CloneRecording(a)

	m := profile.MergeRecordings(a, b)
	want := []profile.ArgValues{
		{Arch: profile.ArchX86_64, Syscall: "clone", Index: 0, Mask: 0x7E020000, Values: []uint64{0}},
		{Arch: profile.ArchX86_64, Syscall: "prctl", Index: 0, Values: []uint64{15}},
		{Arch: profile.ArchX86_64, Syscall: "socket", Index: 0, Values: []uint64{1, 2, 10}},
	}
	if !reflect.DeepEqual(m.SyscallArgs, want) {
		t.Errorf("merged %+v, want %+v", m.SyscallArgs, want)
	}
	if !reflect.DeepEqual(a, before) {
		t.Error("merging changed its input")
	}
	m = profile.MergeRecordings(a, c)
	i := slices.IndexFunc(m.SyscallArgs, func(v profile.ArgValues) bool { return v.Syscall == "prctl" })
	if i < 0 || !m.SyscallArgs[i].Overflow {
		t.Errorf("prctl made without recorded values must allow any value: %+v", m.SyscallArgs)
	}
	if j := slices.IndexFunc(m.SyscallArgs, func(v profile.ArgValues) bool { return v.Syscall == "socket" }); j < 0 || m.SyscallArgs[j].Overflow {
		t.Errorf("socket (not made by c) stays restricted: %+v", m.SyscallArgs)
	}
}

// recording.json gives back exactly the recording, hostile paths included.
func TestRecordingRoundTrip(t *testing.T) {
	for _, tc := range profiletest.TestCases(t) {
		data, err := profile.MarshalRecording(tc.Rec)
		if err != nil {
			t.Fatal(err)
		}
		back, err := profile.ParseRecording(data)
		if err != nil {
			t.Fatalf("%s: %v", tc.Name, err)
		}
		again, err := profile.MarshalRecording(back)
		if err != nil || string(again) != string(data) {
			t.Errorf("%s: round trip differs (%v)", tc.Name, err)
		}
		if !back.Start.Equal(tc.Rec.Start) || len(back.Files) != len(profile.Normalized(tc.Rec).Files) {
			t.Errorf("%s: start or files lost", tc.Name)
		}
		for i, f := range profile.Normalized(tc.Rec).Files {
			if back.Files[i].Path != f.Path {
				t.Errorf("%s: path %q came back as %q", tc.Name, f.Path, back.Files[i].Path)
			}
		}
	}
	for _, bad := range []string{`{}`, `{"schema_version": 2, "recording": {}}`, `{"schema_version": 1}`,
		`{"schema_version": 1, "recording": {"syscalls": [{"arch": "SCMP_ARCH_PDP11", "number": 1, "count": 1}]}}`,
		`{"schema_version": 1, "recording": {"bogus": 1}}`, `{"schema_version": 1, "recording": {}} {}`} {
		if _, err := profile.ParseRecording([]byte(bad)); err == nil {
			t.Errorf("ParseRecording(%s) accepted it", bad)
		}
	}
}

// Reports written by Write parse back.
func TestParseReportGoldens(t *testing.T) {
	for _, tc := range profiletest.TestCases(t) {
		data, err := os.ReadFile(filepath.Join(profiletest.GoldenDir, tc.Name, profile.ReportFile))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := report.Parse(data); err != nil {
			t.Errorf("%s: %v", tc.Name, err)
		}
	}
}

func TestMergeProfileDirs(t *testing.T) {
	tmp := t.TempDir()
	shard := func(name string, recs ...*profile.Recording) string {
		dir := filepath.Join(tmp, name)
		for _, r := range recs {
			if _, err := profiledir.Write(filepath.Join(dir, r.Container.Name), r); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	web1 := &profile.Recording{Container: profile.Container{ID: "1111111111111111", Name: "web"}, Host: profile.Host{Arch: "x86_64"}, CapabilitiesRecorded: true,
		Syscalls:    []profile.SyscallUse{profiletest.Use(t, profile.ArchX86_64, "read", 1, ""), profiletest.Use(t, profile.ArchX86_64, "socket", 1, "")},
		SyscallArgs: []profile.ArgValues{{Arch: profile.ArchX86_64, Syscall: "socket", Index: 0, Values: []uint64{2}}}}
	web2 := &profile.Recording{Container: profile.Container{ID: "2222222222222222", Name: "web"}, Host: profile.Host{Arch: "x86_64"}, CapabilitiesRecorded: true,
		Syscalls:     []profile.SyscallUse{profiletest.Use(t, profile.ArchX86_64, "write", 1, ""), profiletest.Use(t, profile.ArchX86_64, "socket", 1, "")},
		SyscallArgs:  []profile.ArgValues{{Arch: profile.ArchX86_64, Syscall: "socket", Index: 0, Values: []uint64{10}}},
		Capabilities: []profile.CapabilityUse{{Name: "CAP_CHOWN", Granted: 1}}}
	db := &profile.Recording{Container: profile.Container{ID: "3333333333333333", Name: "db"}, Host: profile.Host{Arch: "x86_64"}, CapabilitiesRecorded: true,
		Syscalls: []profile.SyscallUse{profiletest.Use(t, profile.ArchX86_64, "fsync", 1, "")}}
	a, b := shard("a", web1, db), shard("b", web2)
	out := filepath.Join(tmp, "out")
	results, err := profiledir.Merge([]string{a, b}, out)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 2 || results[0].Name != "db" || results[1].Name != "web" || len(results[1].Inputs) != 2 {
		t.Fatalf("results %+v", results)
	}
	merged := loadTestProfile(t, filepath.Join(out, "web"))
	want := profile.MergeRecordings(web1, web2)
	if !slices.Equal(merged.Recording.SyscallArgs[0].Values, []uint64{2, 10}) || len(merged.Recording.Syscalls) != len(want.Syscalls) {
		t.Errorf("merged recording %+v", merged.Recording)
	}
	if !slices.Equal(merged.Capabilities.Add, []string{"CAP_CHOWN"}) {
		t.Errorf("capabilities %v", merged.Capabilities.Add)
	}
	kept, _ := filepath.Glob(filepath.Join(out, "web", profiledir.InputsDir, "*.report.json"))
	if len(kept) != 2 || !strings.HasPrefix(filepath.Base(kept[0]), "1-") {
		t.Errorf("kept reports %v", kept)
	}
	// Both inputs are covered by the merge; the merge is not covered by one.
	for _, in := range []string{a, b} {
		r, err := diff.Paths(out, in, diff.Options{Coverage: true})
		if err != nil {
			t.Fatal(err)
		}
		if r.Widening {
			t.Errorf("%s not covered by the merge: %+v", in, r.Changes)
		}
	}
	r, err := diff.Paths(filepath.Join(a, "web"), filepath.Join(out, "web"), diff.Options{Coverage: true})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Widening {
		t.Error("the merge is covered by one of its inputs")
	}

	if _, err := profiledir.Merge([]string{a, filepath.Join(b, "web")}, out); err == nil {
		t.Error("mixing profile directories and directories of them is accepted")
	}
	os.Remove(filepath.Join(a, "web", profile.RecordingFile))
	if _, err := profiledir.Merge([]string{filepath.Join(a, "web"), filepath.Join(b, "web")}, out); err == nil || !strings.Contains(err.Error(), profile.RecordingFile) {
		t.Errorf("a profile without recording.json: %v", err)
	}
}
