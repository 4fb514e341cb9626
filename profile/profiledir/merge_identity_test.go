package profiledir_test

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/change"
	"github.com/tailorsec/tailor/profile/diff"
	"github.com/tailorsec/tailor/profile/profiledir"
	"github.com/tailorsec/tailor/profile/report"
	"github.com/tailorsec/tailor/profile/runflags"
)

// identityRecording is a recording with everything UserSuggestion needs:
// programs run as uid, nothing used that only root has.
func identityRecording(id string, uid uint32, res profile.Resources, execs ...string) *profile.Recording {
	r := &profile.Recording{Container: profile.Container{ID: id, Name: "web"}, Host: profile.Host{Arch: "x86_64"},
		CapabilitiesRecorded: true, FilesRecorded: true, Resources: res,
		Syscalls: []profile.SyscallUse{{Arch: profile.ArchX86_64, Name: "read", Number: 0, Count: 1}}}
	for _, e := range execs {
		r.Identity.Execs = append(r.Identity.Execs, profile.ExecIdentity{Path: e, UID: uid, GID: uid})
	}
	return r
}

// Merged recordings take the highest peaks, so that the merged limits
// cover every input, and unite who ran what, so that one input needing
// root makes the merge need root.
func TestMergeRecordingsIdentityAndResources(t *testing.T) {
	a := identityRecording("aaaaaaaaaaaaaaaa", 0, profile.Resources{PeakTasks: 10, PeakMemoryBytes: 30 << 20}, "/entrypoint", "/app")
	b := identityRecording("bbbbbbbbbbbbbbbb", 0, profile.Resources{PeakTasks: 40, PeakMemoryBytes: 20 << 20, PeakOpenFiles: 700, OpenFilesLimit: 1024}, "/entrypoint", "/bin/sh")
	b.Identity.Execs = append(b.Identity.Execs, profile.ExecIdentity{Path: "/app", UID: 0, GID: 0})
	beforeA, beforeB := profile.CloneRecording(a), profile.CloneRecording(b)

	m := profile.MergeRecordings(a, b)
	if want := (profile.Resources{PeakTasks: 40, PeakMemoryBytes: 30 << 20, PeakOpenFiles: 700, OpenFilesLimit: 1024}); m.Resources != want {
		t.Errorf("resources %+v, want %+v", m.Resources, want)
	}
	lim := runflags.ResourceLimits(m)
	for _, in := range []*profile.Recording{a, b} {
		if lim.Pids.Suggested < in.Resources.PeakTasks || lim.Memory.Suggested < in.Resources.PeakMemoryBytes || lim.Nofile.Suggested < in.Resources.PeakOpenFiles {
			t.Errorf("merged limits %+v below the peaks of an input %+v", lim, in.Resources)
		}
	}
	// 64 MiB for the processes and 64 MiB for the tmpfs on /tmp that
	// --read-only comes with.
	if got := lim.Flags(); !slices.Equal(got, []string{"--pids-limit=96", "--memory=128m", "--ulimit=nofile=1536:1536"}) {
		t.Errorf("merged limit flags %v", got)
	}
	wantExecs := []profile.ExecIdentity{{Path: "/entrypoint", UID: 0, GID: 0}, {Path: "/app", UID: 0, GID: 0}, {Path: "/bin/sh", UID: 0, GID: 0}}
	if !slices.Equal(m.Identity.Execs, wantExecs) {
		t.Errorf("execs %+v, want %+v", m.Identity.Execs, wantExecs)
	}
	if adv := runflags.UserSuggestion(m); adv.Decision != runflags.UserNonRoot || adv.Flag != "--user="+runflags.NobodyUser {
		t.Errorf("neither needed root, yet: %+v", adv)
	}

	// One input needed root: used a capability, or made an access only
	// root may make. The merge needs root.
	needsCap := profile.CloneRecording(b)
	needsCap.Capabilities = []profile.CapabilityUse{{Name: "CAP_CHOWN", Granted: 2, Syscalls: []string{"fchownat"}}}
	needsFile := profile.CloneRecording(b)
	needsFile.Identity.RootOnly = []profile.RootOnlyAccess{{Path: "/etc/app.key", Access: profile.AccessRead, Owner: 0, Mode: 0o600}}
	for _, root := range []*profile.Recording{needsCap, needsFile} {
		for _, order := range [][]*profile.Recording{{a, root}, {root, a}} {
			adv := runflags.UserSuggestion(profile.MergeRecordings(order...))
			if adv.Decision != runflags.UserRootNeeded || adv.Flag != "" {
				t.Errorf("an input needed root, the merge: %+v", adv)
			}
			line := strings.Join(runflags.New(profile.MergeRecordings(order...), profile.Capabilities(profile.MergeRecordings(order...)), "/s.json"), " ")
			if strings.Contains(line, "--user") {
				t.Errorf("--user in the merged flags: %s", line)
			}
		}
	}
	if m := profile.MergeRecordings(a, needsFile, needsFile); len(m.Identity.RootOnly) != 1 {
		t.Errorf("root-only accesses not united: %+v", m.Identity.RootOnly)
	}
	if !reflect.DeepEqual(a, beforeA) || !reflect.DeepEqual(b, beforeB) {
		t.Error("merging changed its inputs")
	}

	// An input that did not record who its programs ran as: the merge
	// cannot tell.
	older := identityRecording("cccccccccccccccc", 0, profile.Resources{})
	m = profile.MergeRecordings(a, older)
	if adv := runflags.UserSuggestion(m); adv.Decision != runflags.UserUnknown || adv.Flag != "" || m.Identity.Execs != nil {
		t.Errorf("identity of one input unknown: execs %+v, %+v", m.Identity.Execs, adv)
	}
	if !slices.ContainsFunc(m.Warnings, func(w string) bool { return strings.Contains(w, "did not record who") }) {
		t.Errorf("no warning: %q", m.Warnings)
	}
	if m.Resources != a.Resources {
		t.Errorf("an input without peaks changed them: %+v", m.Resources)
	}
}

// --user as the inputs ran: kept when they agree, decided from the
// programs each ran when they do not.
func TestMergeRecordingsUsers(t *testing.T) {
	a := identityRecording("aaaaaaaaaaaaaaaa", 1000, profile.Resources{}, "/app")
	a.Config.User = "1000:1000"
	b := identityRecording("bbbbbbbbbbbbbbbb", 1000, profile.Resources{}, "/app")
	b.Config.User = "1000:1000"
	if adv := runflags.UserSuggestion(profile.MergeRecordings(a, b)); adv.Decision != runflags.UserKeep || adv.Flag != "--user=1000:1000" {
		t.Errorf("same user: %+v", adv)
	}
	root := identityRecording("cccccccccccccccc", 0, profile.Resources{}, "/app")
	m := profile.MergeRecordings(a, root)
	if m.Config.User != "" || !slices.ContainsFunc(m.Warnings, func(w string) bool { return strings.Contains(w, "different users") }) {
		t.Errorf("user %q, warnings %q", m.Config.User, m.Warnings)
	}
	if adv := runflags.UserSuggestion(m); adv.Decision == runflags.UserKeep || adv.Flag == "--user=1000:1000" {
		t.Errorf("one input ran as root, the merge keeps --user: %+v", adv)
	}
	root.Capabilities = []profile.CapabilityUse{{Name: "CAP_NET_BIND_SERVICE", Granted: 1, Syscalls: []string{"bind"}}}
	if adv := runflags.UserSuggestion(profile.MergeRecordings(a, root)); adv.Decision != runflags.UserRootNeeded {
		t.Errorf("the root input needed root, the merge: %+v", adv)
	}
}

// The limits the inputs ran with merge to the loosest: a limit is kept
// as the container's own only when every input ran under it.
func TestMergeRecordingsConfigLimits(t *testing.T) {
	a := identityRecording("aaaaaaaaaaaaaaaa", 0, profile.Resources{PeakTasks: 10})
	b := identityRecording("bbbbbbbbbbbbbbbb", 0, profile.Resources{PeakTasks: 12})
	a.Config = profile.ContainerConfig{PidsLimit: 20, MemoryBytes: 64 << 20, Ulimits: []profile.Ulimit{{Name: "nofile", Soft: 256, Hard: 512}, {Name: "nproc", Soft: 10, Hard: 10}}}
	b.Config = profile.ContainerConfig{PidsLimit: 30, Ulimits: []profile.Ulimit{{Name: "nofile", Soft: 1024, Hard: profile.NoLimit}}}
	m := profile.MergeRecordings(a, b)
	want := profile.ContainerConfig{PidsLimit: 30, Ulimits: []profile.Ulimit{{Name: "nofile", Soft: 1024, Hard: profile.NoLimit}}}
	if !reflect.DeepEqual(m.Config, want) {
		t.Errorf("config %+v, want %+v", m.Config, want)
	}
	if l := runflags.ResourceLimits(m); l.Pids.Suggested != 30 {
		t.Errorf("pids limit %+v: every input ran under 30", l.Pids)
	}
	if a.Config.Ulimits[0].Soft != 256 {
		t.Error("merging changed an input's ulimits")
	}
}

// tailor merge on profile directories: the merged flags lose --user when
// one shard needed root and take limits that cover every shard; each shard
// is covered by the merge, and the merge not by the shard that ran as
// nobody.
func TestMergeProfileDirsUserAndLimits(t *testing.T) {
	tmp := t.TempDir()
	plain := identityRecording("1111111111111111", 0, profile.Resources{PeakTasks: 3, PeakMemoryBytes: 10 << 20, PeakOpenFiles: 20, OpenFilesLimit: 1024}, "/app")
	root := identityRecording("2222222222222222", 0, profile.Resources{PeakTasks: 70, PeakMemoryBytes: 200 << 20, PeakOpenFiles: 900, OpenFilesLimit: 1024}, "/app")
	root.Capabilities = []profile.CapabilityUse{{Name: "CAP_NET_BIND_SERVICE", Granted: 1, Syscalls: []string{"bind"}}}
	a, b, out := filepath.Join(tmp, "a", "web"), filepath.Join(tmp, "b", "web"), filepath.Join(tmp, "out")
	for dir, r := range map[string]*profile.Recording{a: plain, b: root} {
		if _, err := profiledir.Write(dir, r); err != nil {
			t.Fatal(err)
		}
	}
	if f := loadTestProfile(t, a).Flags; f.User != runflags.NobodyUser || f.PidsLimit != 48 {
		t.Fatalf("shard a: user %q, pids limit %d", f.User, f.PidsLimit)
	}
	if _, err := profiledir.Merge([]string{a, b}, out); err != nil {
		t.Fatal(err)
	}
	merged := loadTestProfile(t, out)
	if f := merged.Flags; f.User != "" || f.PidsLimit != 192 || f.MemoryBytes != 1024<<20 || !slices.Equal(f.Ulimits, []profile.Ulimit{{Name: "nofile", Soft: 2048, Hard: 2048}}) {
		t.Errorf("merged flags: user %q, pids %d, memory %d, ulimits %v", f.User, f.PidsLimit, f.MemoryBytes, f.Ulimits)
	}
	if merged.Report.User.Decision != runflags.UserRootNeeded {
		t.Errorf("merged report: %+v", merged.Report.User)
	}
	for _, in := range []string{a, b} {
		r, err := diff.Paths(out, in, diff.Options{Coverage: true})
		if err != nil {
			t.Fatal(err)
		}
		if r.Widening {
			t.Errorf("%s not covered by the merge: %+v", in, r.Changes)
		}
	}
	r, err := diff.Paths(a, out, diff.Options{Coverage: true})
	if err != nil {
		t.Fatal(err)
	}
	var needed []string
	for _, c := range r.Changes {
		if c.Widening && c.Kind == change.KindRunFlag {
			needed = append(needed, c.Subject)
		}
	}
	if want := []string{"--memory=128m", "--pids-limit=48", "--user=65534:65534"}; !slices.Equal(needed, want) {
		t.Errorf("the merge needs %v of shard a's flags, want %v: %+v", needed, want, r.Changes)
	}
	// Plain diff: the merge widens shard a's flags.
	r, err = diff.Paths(a, out, diff.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"--user=65534:65534", "--pids-limit=192", "--memory=1024m"} {
		if !slices.ContainsFunc(r.Changes, func(c change.Change) bool { return c.Subject == want && c.Widening }) {
			t.Errorf("no widening %s: %+v", want, r.Changes)
		}
	}
}

// Program and root-only paths that are not UTF-8 survive recording.json and
// report.json (JSON strings would turn their bytes into U+FFFD).
func TestIdentityPathsRoundTrip(t *testing.T) {
	hostile := "/usr/bin/\xff\xfe run\n"
	rec := &profile.Recording{Container: profile.Container{ID: "2222222222222222", Name: "odd"}, Host: profile.Host{Arch: "x86_64"}}
	rec.Identity.Execs = []profile.ExecIdentity{{Path: hostile, UID: 1000, GID: 1000}, {Path: "/bin/sh", UID: 0, GID: 0}}
	rec.Identity.RootOnly = []profile.RootOnlyAccess{{Path: "/etc/\x80secret", Access: profile.AccessRead, Owner: 0, Mode: 0o600}}

	data, err := profile.MarshalRecording(rec)
	if err != nil {
		t.Fatal(err)
	}
	back, err := profile.ParseRecording(data)
	if err != nil {
		t.Fatal(err)
	}
	if got := back.Identity.Execs[0].Path; got != hostile {
		t.Errorf("exec path came back as %q", got)
	}
	if got := back.Identity.RootOnly[0].Path; got != "/etc/\x80secret" {
		t.Errorf("root-only path came back as %q", got)
	}
	if back.Identity.Execs[1].Path != "/bin/sh" || strings.Contains(string(data), `"path_base64":"L2Jpbi9zaA=="`) {
		t.Errorf("a UTF-8 path gained a base64 copy: %s", data)
	}

	dir := filepath.Join(t.TempDir(), "odd")
	if _, err := profiledir.Write(dir, rec); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, profile.ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	report, err := report.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(report.Identity.Execs) == 0 || report.Identity.Execs[0].Path != hostile {
		t.Errorf("report.json lost the exec path: %+v", report.Identity.Execs)
	}
}
