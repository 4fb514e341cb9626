package diff

import (
	"slices"
	"strings"
	"testing"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/change"
	"github.com/tailorsec/tailor/profile/profiledir"
	"github.com/tailorsec/tailor/profile/runflags"
)

func TestParseRunFlagsUserAndLimits(t *testing.T) {
	for _, tc := range []struct {
		line   string
		user   string
		pids   int64
		memory int64
		ulimit []profile.Ulimit
		given  []string
	}{
		{line: "--user=1000:1000", user: "1000:1000", given: []string{"--user=1000:1000"}},
		{line: "-u 1000", user: "1000", given: []string{"--user=1000"}},
		{line: "-u1000:50", user: "1000:50"},
		{line: "-u=app", user: "app"},
		{line: "--user 0", user: "0"},
		{line: "--user=", user: ""},
		{line: "--pids-limit=96", pids: 96, given: []string{"--pids-limit=96"}},
		{line: "--pids-limit -1", pids: profile.NoLimit},
		{line: "--pids-limit=0", pids: profile.NoLimit},
		{line: "--memory=64m", memory: 64 << 20, given: []string{"--memory=64m"}},
		{line: "-m 67108864", memory: 64 << 20, given: []string{"--memory=67108864"}},
		{line: "-m64M", memory: 64 << 20},
		{line: "--memory=64MiB", memory: 64 << 20},
		{line: "--memory=64mb", memory: 64 << 20},
		{line: "--memory=1.5g", memory: 3 << 29},
		{line: "--memory 1k", memory: 1024},
		{line: "--memory=512b", memory: 512},
		{line: "--memory=0", memory: profile.NoLimit},
		{line: "--ulimit=nofile=1024:2048", ulimit: []profile.Ulimit{{Name: "nofile", Soft: 1024, Hard: 2048}}},
		{line: "--ulimit nofile=1024", ulimit: []profile.Ulimit{{Name: "nofile", Soft: 1024, Hard: 1024}}},
		{line: "--ulimit=nofile=-1", ulimit: []profile.Ulimit{{Name: "nofile", Soft: profile.NoLimit, Hard: profile.NoLimit}}},
		{line: "--ulimit=nproc=10 --ulimit=nofile=1:2 --ulimit=nofile=3:4", ulimit: []profile.Ulimit{{Name: "nofile", Soft: 3, Hard: 4}, {Name: "nproc", Soft: 10, Hard: 10}},
			given: []string{"--ulimit=nproc=10", "--ulimit=nofile=1:2", "--ulimit=nofile=3:4"}},
	} {
		f, err := runflags.Parse([]byte("--cap-drop=ALL " + tc.line))
		if err != nil {
			t.Errorf("%s: %v", tc.line, err)
			continue
		}
		if f.User != tc.user || f.PidsLimit != tc.pids || f.MemoryBytes != tc.memory || !slices.Equal(f.Ulimits, tc.ulimit) {
			t.Errorf("%s: user %q pids %d memory %d ulimits %v; want %q %d %d %v", tc.line, f.User, f.PidsLimit, f.MemoryBytes, f.Ulimits,
				tc.user, tc.pids, tc.memory, tc.ulimit)
		}
		if tc.given != nil && !slices.Equal(f.Given, tc.given) {
			t.Errorf("%s: given %q, want %q", tc.line, f.Given, tc.given)
		}
		if len(f.Other) > 0 {
			t.Errorf("%s: left as unknown: %q", tc.line, f.Other)
		}
	}
	for _, bad := range []string{"--memory=abc", "--memory=-1", "--memory=64x", "--memory=64kib2", "--memory=m", "-m", "--pids-limit=many",
		"--ulimit=nofile", "--ulimit=bogus=1", "--ulimit=nofile=2048:1024", "--ulimit=nofile=1:2:3", "--user"} {
		if _, err := runflags.Parse([]byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

// Docker's units are binary, as go-units' RAMInBytes reads them.
func TestParseDockerBytes(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "1": 1, "1b": 1, "1B": 1, "1k": 1 << 10, "1K": 1 << 10, "1kb": 1 << 10, "1KiB": 1 << 10, "1m": 1 << 20,
		"1g": 1 << 30, "1t": 1 << 40, "1p": 1 << 50, "1.5m": 3 << 19, "32 m": 32 << 20, "67108864": 64 << 20,
	} {
		got, err := runflags.ParseDockerBytes(in)
		if err != nil || got != want {
			t.Errorf("ParseDockerBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "k", "-1", "1x", "1kk", "1kbb", "1ib", "1 2m", "1e3", "99999999999p"} {
		if got, err := runflags.ParseDockerBytes(bad); err == nil {
			t.Errorf("ParseDockerBytes(%q) = %d, want an error", bad, got)
		}
	}
}

// rootNeeded is a recording that needed root: it used CAP_CHOWN.
func rootNeededRecording() *profile.Recording {
	return &profile.Recording{CapabilitiesRecorded: true, FilesRecorded: true,
		Identity:     profile.Identity{Execs: []profile.ExecIdentity{{Path: "/app", UID: 0, GID: 0}}},
		Capabilities: []profile.CapabilityUse{{Name: "CAP_CHOWN", Granted: 3, Syscalls: []string{"fchownat"}}},
		Resources:    profile.Resources{PeakTasks: 10, PeakMemoryBytes: 30 << 20, PeakOpenFiles: 20}}
}

// The identity and limit flags compared by meaning: --user by whether it
// is root, limits by their values (whatever the spelling), and under
// coverage by the peaks the run reached.
func TestDiffUserAndLimits(t *testing.T) {
	type want struct {
		op, subject string
		widening    bool
		detail      string // substring
	}
	withRec := func(line string, rec *profile.Recording) profiledir.Profile {
		return profiledir.Profile{Flags: mustFlags(t, line), Recording: rec}
	}
	fl := func(line string) profiledir.Profile { return profiledir.Profile{Flags: mustFlags(t, line)} }
	imageUser := func(uid uint32) *profile.Recording {
		return &profile.Recording{Identity: profile.Identity{Execs: []profile.ExecIdentity{{Path: "/app", UID: uid, GID: uid}}}}
	}
	for _, tc := range []struct {
		name     string
		old, new profiledir.Profile
		coverage bool
		want     []want
	}{
		{name: "pids limit raised", old: fl("--pids-limit=48"), new: fl("--pids-limit=96"),
			want: []want{{change.OpRelaxed, "--pids-limit=96", true, "pids limit raised 48 -> 96 (widens)"}}},
		{name: "pids limit lowered", old: fl("--pids-limit=96"), new: fl("--pids-limit 48"),
			want: []want{{change.OpRestricted, "--pids-limit=48", false, "pids limit lowered 96 -> 48 (narrows)"}}},
		{name: "pids limit removed", old: fl("--pids-limit=48"), new: fl(""),
			want: []want{{change.OpRemoved, "--pids-limit=48", true, "pids limit removed: 48 -> unlimited (widens)"}}},
		{name: "pids limit lifted", old: fl("--pids-limit=48"), new: fl("--pids-limit=-1"),
			want: []want{{change.OpRelaxed, "--pids-limit=-1", true, "lifted: 48 -> unlimited"}}},
		{name: "pids limit added", old: fl(""), new: fl("--pids-limit=48"),
			want: []want{{change.OpAdded, "--pids-limit=48", false, "pids limit set: unlimited -> 48 (narrows)"}}},
		{name: "unlimited either way", old: fl("--pids-limit=0"), new: fl("--pids-limit=-1 --memory=0")},
		{name: "one size, three spellings", old: fl("--memory=64m"), new: fl("-m 67108864")},
		{name: "one size, binary units", old: fl("--memory=1g"), new: fl("-m1024MiB")},
		{name: "memory raised", old: fl("--memory=64m"), new: fl("--memory=1.5g"),
			want: []want{{change.OpRelaxed, "--memory=1.5g", true, "memory limit raised 64 MiB -> 1.5 GiB (widens)"}}},
		{name: "1k is 1024 bytes", old: fl("--memory=1000"), new: fl("--memory=1k"),
			want: []want{{change.OpRelaxed, "--memory=1k", true, "raised 1000 B -> 1 KiB"}}},
		{name: "memory removed", old: fl("-m 96m"), new: fl(""),
			want: []want{{change.OpRemoved, "--memory=96m", true, "memory limit removed: 96 MiB -> unlimited"}}},
		{name: "nofile: one number is both limits", old: fl("--ulimit=nofile=1024"), new: fl("--ulimit nofile=1024:1024")},
		{name: "nofile hard raised", old: fl("--ulimit=nofile=1024:1024"), new: fl("--ulimit=nofile=1024:2048"),
			want: []want{{change.OpRelaxed, "--ulimit=nofile=1024:2048", true, "nofile ulimit raised 1024:1024 -> 1024:2048 (widens)"}}},
		{name: "nofile unlimited", old: fl("--ulimit=nofile=1024:1024"), new: fl("--ulimit=nofile=-1"),
			want: []want{{change.OpRelaxed, "--ulimit=nofile=-1", true, "-> unlimited:unlimited"}}},
		{name: "nofile soft only", old: fl("--ulimit=nofile=1024:4096"), new: fl("--ulimit=nofile=2048:4096"),
			want: []want{{change.OpChanged, "--ulimit=nofile=2048:4096", false, "soft limit raised 1024 -> 2048, hard limit 4096 unchanged"}}},
		{name: "nofile removed", old: fl("--ulimit=nofile=1024:1024"), new: fl(""),
			want: []want{{change.OpRemoved, "--ulimit=nofile=1024:1024", true, "daemon's default"}}},
		{name: "nofile added, nproc lowered", old: fl("--ulimit=nproc=100"), new: fl("--ulimit=nofile=1024:1024 --ulimit=nproc=50"),
			want: []want{{change.OpAdded, "--ulimit=nofile=1024:1024", false, "narrows"}, {change.OpRestricted, "--ulimit=nproc=50", false, "nproc ulimit lowered 100:100 -> 50:50"}}},

		{name: "--user dropped", old: fl("--user=1000:1000"), new: fl(""),
			want: []want{{change.OpRemoved, "--user=1000:1000", true, "user 1000:1000 -> the image's user (root unless the image sets USER) (widens)"}}},
		{name: "--user changed to root", old: fl("--user=1000:1000"), new: fl("--user=0"),
			want: []want{{change.OpRelaxed, "--user=0", true, "user 1000:1000 -> root (0) (widens)"}}},
		{name: "--user changed to root by name", old: fl("--user=1000:1000"), new: fl("-u root"),
			want: []want{{change.OpRelaxed, "--user=root", true, "-> root (widens)"}}},
		{name: "--user changed to 0:0", old: fl("--user=app"), new: fl("--user=0:0"),
			want: []want{{change.OpRelaxed, "--user=0:0", true, "user app -> root (0:0)"}}},
		{name: "--user added", old: fl(""), new: fl("--user=65534:65534"),
			want: []want{{change.OpAdded, "--user=65534:65534", false, "-> 65534:65534 (narrows)"}}},
		{name: "root to non-root", old: fl("--user=0"), new: fl("--user=65534:65534"),
			want: []want{{change.OpRestricted, "--user=65534:65534", false, "user root (0) -> 65534:65534 (narrows)"}}},
		{name: "one non-root user for another", old: fl("--user=1000:1000"), new: fl("--user=1001:1001"),
			want: []want{{change.OpChanged, "--user=1001:1001", false, "user 1000:1000 -> 1001:1001 (another non-root user: does not widen)"}}},
		{name: "group becomes root", old: fl("--user=1000:1000"), new: fl("--user=1000:0"),
			want: []want{{change.OpChanged, "--user=1000:0", true, "the group becomes root"}}},
		{name: "root, spelled two ways", old: fl("--user=0"), new: fl("--user=root:root")},
		{name: "root, as the image's user", old: fl("--user=0:0"), new: fl("")},
		{name: "--user dropped, the image's user is that user", old: fl("--user=1000:1000"), new: withRec("", imageUser(1000)),
			want: []want{{change.OpRemoved, "--user=1000:1000", false, "the image's user, 1000:1000 as recorded (the same user"}}},
		{name: "--user dropped, the image's user is another non-root user", old: fl("--user=1000:1000"), new: withRec("", imageUser(999)),
			want: []want{{change.OpChanged, "--user=1000:1000", false, "another non-root user"}}},
		{name: "the image's user became root", old: withRec("", imageUser(1000)), new: withRec("", imageUser(0)),
			want: []want{{change.OpChanged, "--user", true, "user the image's user, 1000:1000 as recorded -> the image's user, root as recorded (widens)"}}},

		{name: "coverage: a peak above the baseline's limit", coverage: true,
			old: fl("--pids-limit=48 --memory=64m --ulimit=nofile=1024:1024"),
			new: withRec("--pids-limit=128 --memory=256m --ulimit=nofile=8192:8192", &profile.Recording{Resources: profile.Resources{PeakTasks: 60, PeakMemoryBytes: 100 << 20, PeakOpenFiles: 3000}}),
			want: []want{{change.OpNeeded, "--pids-limit=48", true, "this run peaked at 60 tasks, above the baseline's pids limit of 48 (record would write --pids-limit=128)"},
				{change.OpNeeded, "--memory=64m", true, "peaked at 100 MiB, above the baseline's memory limit of 64 MiB"},
				{change.OpNeeded, "--ulimit=nofile=1024:1024", true, "3000 open files in one process, above the baseline's nofile limit of 1024"}}},
		{name: "coverage: peaks within the baseline's limits", coverage: true,
			old: fl("--pids-limit=48 --memory=64m --ulimit=nofile=1024:1024 --ulimit=nproc=50"),
			new: withRec("--pids-limit=64 --memory=96m --ulimit=nofile=2048:2048", &profile.Recording{Resources: profile.Resources{PeakTasks: 30, PeakMemoryBytes: 40 << 20, PeakOpenFiles: 1000}}),
			want: []want{{change.OpRelaxed, "--pids-limit=64", false, "pids limit raised 48 -> 64 (widens); this run peaked at 30 tasks, within the baseline's 48 (covered)"},
				{change.OpRelaxed, "--memory=96m", false, "within the baseline's 64 MiB (covered)"},
				{change.OpRelaxed, "--ulimit=nofile=2048:2048", false, "at most 1000 open files"},
				{change.OpRemoved, "--ulimit=nproc=50", false, "tailor does not observe this limit (covered)"}}},
		{name: "coverage: peaks not observed", coverage: true,
			old: fl("--pids-limit=48"), new: withRec("", &profile.Recording{}),
			want: []want{{change.OpRemoved, "--pids-limit=48", false, "peak was not observed"}}},
		{name: "coverage: no recording, the flags decide", coverage: true,
			old: fl("--pids-limit=48 --user=1000"), new: fl("--pids-limit=64"),
			want: []want{{change.OpRelaxed, "--pids-limit=64", true, "raised"}, {change.OpRemoved, "--user=1000", true, "widens"}}},
		{name: "coverage: the run needed root", coverage: true,
			old: fl("--user=1000:1000"), new: withRec("", rootNeededRecording()),
			want: []want{{change.OpNeeded, "--user=1000:1000", true, "the baseline runs it as 1000:1000, but this run needed root: it used what only root has"}}},
		{name: "coverage: root not needed, start missed", coverage: true,
			old:  fl("--user=65534:65534"),
			new:  withRec("", &profile.Recording{StartMissed: true, CapabilitiesRecorded: true, FilesRecorded: true, Identity: profile.Identity{Execs: []profile.ExecIdentity{{Path: "/app"}}}}),
			want: []want{{change.OpRemoved, "--user=65534:65534", false, "nothing in this run needed root (covered)"}}},
		{name: "coverage: a baseline running as root covers anything", coverage: true,
			old: fl(""), new: withRec("", rootNeededRecording())},
	} {
		t.Run(tc.name, func(t *testing.T) {
			changes, err := Compare(&tc.old, &tc.new, Options{Coverage: tc.coverage})
			if err != nil {
				t.Fatal(err)
			}
			r := &Report{Changes: changes}
			r.Finish()
			for _, w := range tc.want {
				i := slices.IndexFunc(r.Changes, func(c change.Change) bool {
					return c.Kind == change.KindRunFlag && c.Op == w.op && c.Subject == w.subject
				})
				if i < 0 {
					t.Errorf("no %s %q in %+v", w.op, w.subject, r.Changes)
					continue
				}
				if c := r.Changes[i]; c.Widening != w.widening || !strings.Contains(c.Detail, w.detail) {
					t.Errorf("%s %q: widening %v, detail %q; want %v, %q", w.op, w.subject, c.Widening, c.Detail, w.widening, w.detail)
				}
			}
			if len(r.Changes) != len(tc.want) {
				t.Errorf("%d changes, want %d: %+v", len(r.Changes), len(tc.want), r.Changes)
			}
			if wantWide := slices.ContainsFunc(tc.want, func(w want) bool { return w.widening }); r.Widening != wantWide {
				t.Errorf("widening = %v, want %v", r.Widening, wantWide)
			}
			// Each side compared with itself: no change.
			for _, p := range []*profiledir.Profile{&tc.old, &tc.new} {
				if same, _ := Compare(p, p, Options{Coverage: tc.coverage}); len(same) > 0 {
					t.Errorf("a side differs from itself: %+v", same)
				}
			}
		})
	}
}
