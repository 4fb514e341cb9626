package harden

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"

	"github.com/tailorsec/tailor/profile/apparmor"
	"github.com/tailorsec/tailor/profile/profiledir"
	"github.com/tailorsec/tailor/profile/runflags"
	"github.com/tailorsec/tailor/profile/seccomp"
)

const testSeccomp = `{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,"architectures":["SCMP_ARCH_X86_64"],"syscalls":[{"names":["read","write","exit_group"],"action":"SCMP_ACT_ALLOW"}]}`

const testAppArmor = `abi <abi/3.0>,
include <tunables/global>
profile tailor-web flags=(attach_disconnected,mediate_deleted) {
  file,
}
`

// testProfile builds a profile from a flags line ("" for none) and
// whether it has seccomp.json and apparmor.profile.
func testProfile(t *testing.T, flags string, withSeccomp, withAppArmor bool) *profiledir.Profile {
	t.Helper()
	p := &profiledir.Profile{Name: "web", Path: "/profiles/web"}
	var err error
	if flags != "" {
		if p.Flags, err = runflags.Parse([]byte(flags)); err != nil {
			t.Fatal(err)
		}
	}
	if withSeccomp {
		if p.Seccomp, err = seccomp.Parse([]byte(testSeccomp)); err != nil {
			t.Fatal(err)
		}
	}
	if withAppArmor {
		if p.AppArmor, err = apparmor.Parse([]byte(testAppArmor)); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

const webFlags = "--cap-drop=ALL --cap-add=CHOWN --cap-add=NET_BIND_SERVICE --cap-add=SETUID --security-opt=seccomp=/profiles/web/seccomp.json --security-opt=apparmor=tailor-web --security-opt=no-new-privileges --read-only --tmpfs=/run --tmpfs=/tmp --user=65534:65534 --pids-limit=64 --memory=64m --ulimit=nofile=4096:8192"

func hasChange(changes []Change, setting, action, detailPart string) bool {
	return slices.ContainsFunc(changes, func(c Change) bool {
		return c.Setting == setting && c.Action == action && strings.Contains(c.Detail, detailPart)
	})
}

func seccompOpt(opts []string) string {
	for _, o := range opts {
		if strings.HasPrefix(o, "seccomp=") {
			return strings.TrimPrefix(o, "seccomp=")
		}
	}
	return ""
}

func TestApply(t *testing.T) {
	pids := func(n int64) *int64 { return &n }
	type want struct {
		setting, action, detail string
	}
	tests := []struct {
		name     string
		profile  *profiledir.Profile
		host     Host
		hc       container.HostConfig
		user     string
		check    func(t *testing.T, cfg *container.Config, hc *container.HostConfig)
		changes  []want
		noChange []want
	}{
		{
			name:    "plain request gets the whole profile",
			profile: testProfile(t, webFlags, true, true),
			check: func(t *testing.T, cfg *container.Config, hc *container.HostConfig) {
				if !slices.Equal(hc.CapDrop, []string{"ALL"}) || !slices.Equal(hc.CapAdd, []string{"CAP_CHOWN", "CAP_NET_BIND_SERVICE", "CAP_SETUID"}) {
					t.Errorf("caps: drop %v add %v", hc.CapDrop, hc.CapAdd)
				}
				var s map[string]any
				if err := json.Unmarshal([]byte(seccompOpt(hc.SecurityOpt)), &s); err != nil || s["defaultAction"] != "SCMP_ACT_ERRNO" {
					t.Errorf("seccomp option not the profile inline: %v %v", hc.SecurityOpt, err)
				}
				if !slices.Contains(hc.SecurityOpt, "no-new-privileges=true") {
					t.Errorf("no no-new-privileges: %v", hc.SecurityOpt)
				}
				if slices.ContainsFunc(hc.SecurityOpt, func(o string) bool { return strings.HasPrefix(o, "apparmor") }) {
					t.Errorf("AppArmor applied on a host without it: %v", hc.SecurityOpt)
				}
				if !hc.ReadonlyRootfs || len(hc.Tmpfs) != 2 || hc.Tmpfs["/tmp"] != "" {
					t.Errorf("read-only %v tmpfs %v", hc.ReadonlyRootfs, hc.Tmpfs)
				}
				if cfg.User != "65534:65534" {
					t.Errorf("user %q", cfg.User)
				}
				if hc.PidsLimit == nil || *hc.PidsLimit != 64 || hc.Memory != 64<<20 {
					t.Errorf("pids %v memory %d", hc.PidsLimit, hc.Memory)
				}
				if len(hc.Ulimits) != 1 || hc.Ulimits[0].Name != "nofile" || hc.Ulimits[0].Soft != 4096 || hc.Ulimits[0].Hard != 8192 {
					t.Errorf("ulimits %v", hc.Ulimits)
				}
			},
			changes: []want{{SettingAppArmor, Skipped, "no AppArmor"}, {SettingSeccomp, Set, "inline"}, {SettingCapabilities, Set, "cap-drop ALL, cap-add CHOWN, NET_BIND_SERVICE, SETUID"},
				{SettingUser, Set, "65534:65534"}, {SettingTmpfs, Set, "/run"}, {SettingReadOnly, Set, ""}, {SettingPidsLimit, Set, "64"}},
		},
		{
			name:    "AppArmor by name where the host holds it",
			profile: testProfile(t, webFlags, true, true),
			host:    Host{AppArmor: true, AppArmorLoaded: map[string]bool{"tailor-web": true}},
			hc:      container.HostConfig{SecurityOpt: []string{"apparmor=unconfined", "label=disable"}},
			check: func(t *testing.T, cfg *container.Config, hc *container.HostConfig) {
				if !slices.Contains(hc.SecurityOpt, "apparmor=tailor-web") || slices.Contains(hc.SecurityOpt, "apparmor=unconfined") || !slices.Contains(hc.SecurityOpt, "label=disable") {
					t.Errorf("security opts %v", hc.SecurityOpt)
				}
			},
			changes: []want{{SettingAppArmor, Replaced, "apparmor=unconfined"}, {SettingAppArmor, Set, "tailor-web"}},
		},
		{
			name:    "AppArmor not loaded is skipped, the caller's kept",
			profile: testProfile(t, "", false, true),
			host:    Host{AppArmor: true},
			hc:      container.HostConfig{SecurityOpt: []string{"apparmor:docker-default"}},
			check: func(t *testing.T, cfg *container.Config, hc *container.HostConfig) {
				if !slices.Equal(hc.SecurityOpt, []string{"apparmor:docker-default"}) {
					t.Errorf("security opts %v", hc.SecurityOpt)
				}
			},
			changes: []want{{SettingAppArmor, Skipped, "not loaded"}, {SettingAppArmor, Kept, "docker-default"}, {SettingCapabilities, Kept, "neither"}, {SettingSeccomp, Kept, "no seccomp.json"}},
		},
		{
			name:    "a cap-add outside the profile is dropped, one inside kept, a drop narrows",
			profile: testProfile(t, webFlags, true, false),
			hc:      container.HostConfig{CapAdd: []string{"NET_ADMIN", "CAP_SETUID"}, CapDrop: []string{"chown"}},
			check: func(t *testing.T, cfg *container.Config, hc *container.HostConfig) {
				if !slices.Equal(hc.CapAdd, []string{"CAP_NET_BIND_SERVICE", "CAP_SETUID"}) {
					t.Errorf("cap-add %v", hc.CapAdd)
				}
			},
			changes: []want{{SettingCapabilities, Dropped, "--cap-add NET_ADMIN: not in the profile"}, {SettingCapabilities, Kept, "leaves out CHOWN"}},
		},
		{
			name:    "privileged is replaced, the profile's capabilities all granted",
			profile: testProfile(t, webFlags, true, false),
			hc:      container.HostConfig{Privileged: true, CapAdd: []string{"ALL"}},
			check: func(t *testing.T, cfg *container.Config, hc *container.HostConfig) {
				if hc.Privileged || len(hc.CapAdd) != 3 {
					t.Errorf("privileged %v cap-add %v", hc.Privileged, hc.CapAdd)
				}
			},
			changes: []want{{SettingPrivileged, Replaced, "--privileged"}, {SettingCapabilities, Dropped, "--cap-add ALL"}},
		},
		{
			name:    "the caller's seccomp and no-new-privileges=false are replaced",
			profile: testProfile(t, webFlags, true, false),
			hc:      container.HostConfig{SecurityOpt: []string{"seccomp=unconfined", "no-new-privileges=false"}},
			check: func(t *testing.T, cfg *container.Config, hc *container.HostConfig) {
				if len(hc.SecurityOpt) != 2 || seccompOpt(hc.SecurityOpt) == "unconfined" || !slices.Contains(hc.SecurityOpt, "no-new-privileges=true") {
					t.Errorf("security opts %v", hc.SecurityOpt)
				}
			},
			changes: []want{{SettingSeccomp, Replaced, "seccomp=unconfined"}, {SettingNoNewPrivileges, Replaced, "false"}},
		},
		{
			name:    "a profile without seccomp.json keeps the caller's",
			profile: testProfile(t, webFlags, false, false),
			hc:      container.HostConfig{SecurityOpt: []string{`seccomp={"defaultAction":"SCMP_ACT_ALLOW"}`}},
			check: func(t *testing.T, cfg *container.Config, hc *container.HostConfig) {
				if seccompOpt(hc.SecurityOpt) != `{"defaultAction":"SCMP_ACT_ALLOW"}` {
					t.Errorf("security opts %v", hc.SecurityOpt)
				}
			},
			changes: []want{{SettingSeccomp, Kept, "<a profile of 34 bytes>"}},
		},
		{
			name:    "no-new-privileges left off when the flags leave it off; the caller's own kept",
			profile: testProfile(t, "--cap-drop=ALL", true, false),
			hc:      container.HostConfig{SecurityOpt: []string{"no-new-privileges"}},
			check: func(t *testing.T, cfg *container.Config, hc *container.HostConfig) {
				if !slices.Contains(hc.SecurityOpt, "no-new-privileges") || len(hc.CapAdd) != 0 {
					t.Errorf("security opts %v cap-add %v", hc.SecurityOpt, hc.CapAdd)
				}
			},
			changes: []want{{SettingNoNewPrivileges, Kept, "the caller's"}, {SettingCapabilities, Set, "cap-add none"}},
		},
		{
			name:     "flags without no-new-privileges add none",
			profile:  testProfile(t, "--cap-drop=ALL --cap-add=SETUID", false, false),
			changes:  []want{{SettingNoNewPrivileges, Kept, "leaves it off"}},
			noChange: []want{{SettingNoNewPrivileges, Set, ""}},
		},
		{
			name:    "the caller's tmpfs and mounts are kept, read-only kept",
			profile: testProfile(t, webFlags, false, false),
			hc: container.HostConfig{ReadonlyRootfs: true, Tmpfs: map[string]string{"/tmp": "size=1m"},
				Mounts: []mount.Mount{{Type: mount.TypeVolume, Source: "data", Target: "/run"}}},
			check: func(t *testing.T, cfg *container.Config, hc *container.HostConfig) {
				if hc.Tmpfs["/tmp"] != "size=1m" || len(hc.Tmpfs) != 1 {
					t.Errorf("tmpfs %v", hc.Tmpfs)
				}
			},
			changes: []want{{SettingReadOnly, Kept, ""}, {SettingTmpfs, Kept, "/tmp"}, {SettingTmpfs, Kept, "mount on /run"}},
		},
		{
			name:    "a non-root user of the caller's is kept, root replaced",
			profile: testProfile(t, webFlags, false, false),
			user:    "1000",
			check: func(t *testing.T, cfg *container.Config, hc *container.HostConfig) {
				if cfg.User != "1000" {
					t.Errorf("user %q", cfg.User)
				}
			},
			changes: []want{{SettingUser, Kept, "non-root 1000"}},
		},
		{
			name:    "root is replaced by the profile's user",
			profile: testProfile(t, webFlags, false, false),
			user:    "root:root",
			check: func(t *testing.T, cfg *container.Config, hc *container.HostConfig) {
				if cfg.User != "65534:65534" {
					t.Errorf("user %q", cfg.User)
				}
			},
			changes: []want{{SettingUser, Replaced, "root:root by 65534:65534"}},
		},
		{
			name:    "of two limits the lower wins",
			profile: testProfile(t, webFlags, false, false),
			hc: container.HostConfig{Resources: container.Resources{PidsLimit: pids(32), Memory: 1 << 30,
				Ulimits: []*container.Ulimit{{Name: "nofile", Soft: 1024, Hard: 65536}, {Name: "core", Soft: 0, Hard: 0}}}},
			check: func(t *testing.T, cfg *container.Config, hc *container.HostConfig) {
				if *hc.PidsLimit != 32 || hc.Memory != 64<<20 {
					t.Errorf("pids %d memory %d", *hc.PidsLimit, hc.Memory)
				}
				if len(hc.Ulimits) != 2 || hc.Ulimits[0].Soft != 1024 || hc.Ulimits[0].Hard != 8192 {
					t.Errorf("ulimits %+v", hc.Ulimits)
				}
			},
			changes: []want{{SettingPidsLimit, Kept, "32"}, {SettingMemory, Replaced, "1073741824 by 67108864"}, {SettingUlimit, Replaced, "nofile=1024:65536 by 1024:8192"}},
		},
		{
			name:    "an unlimited caller pids limit gets the profile's",
			profile: testProfile(t, webFlags, false, false),
			hc:      container.HostConfig{Resources: container.Resources{PidsLimit: pids(-1)}},
			check: func(t *testing.T, cfg *container.Config, hc *container.HostConfig) {
				if *hc.PidsLimit != 64 {
					t.Errorf("pids %d", *hc.PidsLimit)
				}
			},
			changes: []want{{SettingPidsLimit, Replaced, "unlimited by 64"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hc := tt.hc
			orig, _ := json.Marshal(hc)
			req := container.CreateRequest{Config: &container.Config{Image: "nginx", User: tt.user}, HostConfig: &hc}
			out, changes, err := Apply(tt.profile, req, tt.host)
			if err != nil {
				t.Fatal(err)
			}
			if after, _ := json.Marshal(hc); string(after) != string(orig) {
				t.Errorf("Apply modified its argument:\n%s\n%s", orig, after)
			}
			if req.Config.User != tt.user {
				t.Errorf("Apply modified the argument's Config")
			}
			if tt.check != nil {
				tt.check(t, out.Config, out.HostConfig)
			}
			for _, w := range tt.changes {
				if !hasChange(changes, w.setting, w.action, w.detail) {
					t.Errorf("no change %s %s %q in:\n%s", w.action, w.setting, w.detail, changesText(changes))
				}
			}
			for _, w := range tt.noChange {
				if hasChange(changes, w.setting, w.action, w.detail) {
					t.Errorf("unexpected change %s %s %q in:\n%s", w.action, w.setting, w.detail, changesText(changes))
				}
			}
		})
	}
}

func changesText(changes []Change) string {
	var b strings.Builder
	for _, c := range changes {
		b.WriteString("  " + c.String() + "\n")
	}
	return b.String()
}

func TestApplyNilConfigs(t *testing.T) {
	out, _, err := Apply(testProfile(t, webFlags, true, false), container.CreateRequest{}, Host{})
	if err != nil {
		t.Fatal(err)
	}
	if out.Config == nil || out.HostConfig == nil || out.Config.User != "65534:65534" || !out.HostConfig.ReadonlyRootfs {
		t.Errorf("%+v %+v", out.Config, out.HostConfig)
	}
}

func TestAppArmorName(t *testing.T) {
	tests := []struct {
		flags    string
		apparmor bool
		want     string
	}{
		{webFlags, false, "tailor-web"},
		{"--cap-drop=ALL --security-opt=apparmor=unconfined", true, ""},
		{"--cap-drop=ALL", true, "tailor-web"},
		{"", true, "tailor-web"},
		{"", false, ""},
	}
	for _, tt := range tests {
		if got := AppArmorName(testProfile(t, tt.flags, false, tt.apparmor)); got != tt.want {
			t.Errorf("%q %v: %q, want %q", tt.flags, tt.apparmor, got, tt.want)
		}
	}
}
