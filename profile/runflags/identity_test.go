package runflags

import (
	"slices"
	"strings"
	"testing"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/profiletest"
)

func TestUserSuggestion(t *testing.T) {
	root := func(path string) profile.ExecIdentity { return profile.ExecIdentity{Path: path} }
	as := func(path string, uid uint32) profile.ExecIdentity {
		return profile.ExecIdentity{Path: path, UID: uid, GID: uid}
	}
	base := func(execs ...profile.ExecIdentity) *profile.Recording {
		return &profile.Recording{CapabilitiesRecorded: true, FilesRecorded: true, Identity: profile.Identity{Execs: execs},
			Config: profile.ContainerConfig{NetworkMode: "bridge"}}
	}
	withCaps := func(rec *profile.Recording, caps ...profile.CapabilityUse) *profile.Recording {
		rec.Capabilities = caps
		return rec
	}
	withRootOnly := func(rec *profile.Recording, a ...profile.RootOnlyAccess) *profile.Recording {
		rec.Identity.RootOnly = a
		return rec
	}
	chown := profile.CapabilityUse{Name: "CAP_CHOWN", Granted: 12, Syscalls: []string{"fchownat"}}
	setuid := profile.CapabilityUse{Name: "CAP_SETUID", Granted: 1, Syscalls: []string{"setuid"}}
	setgid := profile.CapabilityUse{Name: "CAP_SETGID", Granted: 2, Syscalls: []string{"setgid", "setgroups"}}
	bind := profile.CapabilityUse{Name: "CAP_NET_BIND_SERVICE", Granted: 1, Syscalls: []string{"bind"}}
	probe := profile.CapabilityUse{Name: "CAP_SYS_ADMIN", Denied: 30, Syscalls: []string{"mmap", "brk"}}

	tests := []struct {
		name     string
		rec      *profile.Recording
		decision string
		user     string
		flag     string
		evidence []string // substrings, each in some evidence line
		reason   string   // substring of the reason
	}{
		{
			name:     "(a) a capability: root needed",
			rec:      withCaps(base(root("/usr/sbin/nginx")), bind, probe),
			decision: UserRootNeeded,
			evidence: []string{"CAP_NET_BIND_SERVICE: granted 1 time during bind", "ran as root: /usr/sbin/nginx"},
		},
		{
			name: "(a) a root-only file: root needed",
			rec: withRootOnly(base(root("/app")),
				profile.RootOnlyAccess{Path: "/etc/app/secret.key", Access: profile.AccessRead, Owner: 0, Mode: 0o100600}),
			decision: UserRootNeeded,
			evidence: []string{"read /etc/app/secret.key: only root may (owner uid 0, mode 0600)"},
		},
		{
			name:     "(a) a server that switches users without exec",
			rec:      withCaps(base(root("/usr/sbin/nginx")), setuid, setgid),
			decision: UserRootNeeded,
			evidence: []string{"switches users itself"},
		},
		{
			name: "(b) gosu entrypoint: start as the user, report only",
			rec: withRootOnly(withCaps(base(root("/entrypoint.sh"), root("/usr/bin/find"), root("/usr/sbin/gosu"),
				as("/usr/bin/redis-server", 999)), chown, setuid, setgid, probe),
				profile.RootOnlyAccess{Path: "/data/", Access: profile.AccessChown, Mode: 0o40755}),
			decision: UserDropsInEntrypoint,
			user:     "999:999",
			evidence: []string{
				"CAP_CHOWN: granted 12 times during fchownat: the entrypoint chown-ing its data",
				"CAP_SETUID: granted 1 time during setuid: the entrypoint's switch to uid 999",
				"chown /data/: only root may",
				"ran as uid 999:999: /usr/bin/redis-server",
			},
			reason: "Not in docker-run.flags",
		},
		{
			name: "(b) with a docker exec as root after the drop",
			rec: withCaps(base(root("/entrypoint.sh"), as("/usr/bin/redis-server", 100), root("/usr/bin/redis-cli")),
				setuid, setgid),
			decision: UserDropsInEntrypoint,
			user:     "100:100",
			evidence: []string{"also ran as root after the drop: /usr/bin/redis-cli"},
		},
		{
			name:     "(b) two other users: not a drop",
			rec:      withCaps(base(root("/init"), as("/a", 100), as("/b", 101)), setuid, setgid),
			decision: UserRootNeeded,
		},
		{
			name: "(b) but also a privileged port: root needed",
			rec: withCaps(base(root("/entrypoint.sh"), as("/usr/bin/server", 999)),
				setuid, setgid, bind),
			decision: UserRootNeeded,
			evidence: []string{"CAP_NET_BIND_SERVICE: granted 1 time during bind", "the entrypoint's switch to uid 999"},
			reason:   "drops to uid 999:999",
		},
		{
			name:     "(c) never needed root: nobody, in the flags",
			rec:      withCaps(base(root("/bin/sh"), root("/usr/local/bin/job")), probe),
			decision: UserNonRoot,
			user:     NobodyUser,
			flag:     "--user=65534:65534",
			evidence: []string{"no capability was used", "ran as root: /bin/sh, /usr/local/bin/job"},
		},
		{
			name:     "(c) never needed root, started late: not in the flags",
			rec:      func() *profile.Recording { r := base(root("/job")); r.StartMissed = true; return r }(),
			decision: UserNonRoot,
			user:     NobodyUser,
			reason:   "not in docker-run.flags",
		},
		{
			name:     "already non-root by --user: kept",
			rec:      func() *profile.Recording { r := base(as("/app", 1000)); r.Config.User = "app"; return r }(),
			decision: UserKeep,
			user:     "app",
			flag:     "--user=app",
		},
		{
			name:     "--user 0 is root",
			rec:      func() *profile.Recording { r := base(root("/app")); r.Config.User = "0:0"; return r }(),
			decision: UserNonRoot,
			user:     NobodyUser,
			flag:     "--user=65534:65534",
		},
		{
			name:     "non-root from the first exec (the image's USER): kept",
			rec:      base(as("/app", 1000)),
			decision: UserKeep,
			evidence: []string{"ran as uid 1000:1000: /app"},
		},
		{
			name:     "capabilities not recorded: unknown",
			rec:      func() *profile.Recording { r := base(root("/app")); r.CapabilitiesRecorded = false; return r }(),
			decision: UserUnknown,
			reason:   "capability checks",
		},
		{
			name:     "files not recorded: unknown",
			rec:      func() *profile.Recording { r := base(root("/app")); r.FilesRecorded = false; return r }(),
			decision: UserUnknown,
			reason:   "file access was not recorded",
		},
		{
			name:     "identity not recorded (an older recording): unknown",
			rec:      base(),
			decision: UserUnknown,
			reason:   "who its processes ran as was not recorded",
		},
		{
			name:     "several users without a capability: unknown",
			rec:      base(root("/a"), as("/b", 5), as("/c", 6)),
			decision: UserUnknown,
			reason:   "several users",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := UserSuggestion(tc.rec)
			if got.Decision != tc.decision || got.User != tc.user || got.Flag != tc.flag {
				t.Errorf("decision %q user %q flag %q, want %q %q %q\nreason: %s\nevidence: %q",
					got.Decision, got.User, got.Flag, tc.decision, tc.user, tc.flag, got.Reason, got.Evidence)
			}
			for _, want := range tc.evidence {
				if !slices.ContainsFunc(got.Evidence, func(e string) bool { return strings.Contains(e, want) }) {
					t.Errorf("no evidence has %q: %q", want, got.Evidence)
				}
			}
			if !strings.Contains(got.Reason, tc.reason) {
				t.Errorf("reason %q lacks %q", got.Reason, tc.reason)
			}
			if got.Evidence == nil || got.Current == "" || got.Reason == "" {
				t.Errorf("incomplete advice: %+v", got)
			}
		})
	}
}

// The user flag comes right after the capability flags, and only for a
// container that never needed root.
func TestDockerRunFlagsUser(t *testing.T) {
	rec := profiletest.BatchRecording(t)
	flags := New(rec, profile.Capabilities(rec), "/p/seccomp.json")
	i := slices.Index(flags, "--user=65534:65534")
	if i != 1 || flags[0] != "--cap-drop=ALL" {
		t.Errorf("flags %q: want --user=65534:65534 right after the capability flags", flags)
	}
	for _, rec := range []*profile.Recording{profiletest.RedisRecording(t), profiletest.DangerousRecording(t), profiletest.NginxRecording(t)} {
		for _, f := range New(rec, profile.Capabilities(rec), "/p/seccomp.json") {
			if strings.HasPrefix(f, "--user") {
				t.Errorf("%s: %s in the flags", rec.Container.Name, f)
			}
		}
	}
	rec = profiletest.BatchRecording(t)
	rec.FilesRecorded = false
	if slices.ContainsFunc(New(rec, profile.Capabilities(rec), "/p/seccomp.json"), func(f string) bool { return strings.HasPrefix(f, "--user") }) {
		t.Error("--user suggested although file access was not recorded")
	}
}
