package diff

import (
	"encoding/json"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"

	moby "github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/apparmor"
	"github.com/tailorsec/tailor/profile/change"
	"github.com/tailorsec/tailor/profile/profiledir"
	"github.com/tailorsec/tailor/profile/runflags"
	"github.com/tailorsec/tailor/profile/seccomp"
)

func mustSeccomp(t *testing.T, text string) *moby.Seccomp {
	t.Helper()
	p, err := seccomp.Parse([]byte(text))
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	return p
}

func mustAppArmor(t *testing.T, rules string) *apparmor.Policy {
	t.Helper()
	p, err := apparmor.Parse([]byte("profile test {\n" + rules + "\n}\n"))
	if err != nil {
		t.Fatalf("%v\n%s", err, rules)
	}
	return p
}

func mustFlags(t *testing.T, line string) *runflags.Flags {
	t.Helper()
	f, err := runflags.Parse([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// sc writes a seccomp profile allowing names, with extra entries.
func sc(names string, extra ...string) string {
	entries := []string{`{"names": [` + names + `], "action": "SCMP_ACT_ALLOW"}`}
	entries = append(entries, extra...)
	return `{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [` + strings.Join(entries, ",") + `]}`
}

func eq(name string, index int, values ...int) string {
	var args []string
	for _, v := range values {
		args = append(args, `{"index": `+itoa(index)+`, "value": `+itoa(v)+`, "op": "SCMP_CMP_EQ"}`)
	}
	return `{"names": ["` + name + `"], "action": "SCMP_ACT_ALLOW", "args": [` + strings.Join(args, ",") + `]}`
}

func itoa(v int) string { b, _ := json.Marshal(v); return string(b) }

// Each kind of widening the issue names, and the narrowing counterparts,
// judged by CompareProfiles.
func TestDiffSemantics(t *testing.T) {
	type want struct {
		kind, op, subject string
		widening          bool
		detail            string // substring
	}
	for _, tc := range []struct {
		name     string
		old, new profiledir.Profile
		coverage bool
		want     []want
	}{
		{
			name: "syscall added",
			old:  profiledir.Profile{Seccomp: mustSeccomp(t, sc(`"read"`))},
			new:  profiledir.Profile{Seccomp: mustSeccomp(t, sc(`"read", "ptrace"`))},
			want: []want{{change.KindSyscall, change.OpAdded, "ptrace", true, ""}},
		},
		{
			name: "syscall removed",
			old:  profiledir.Profile{Seccomp: mustSeccomp(t, sc(`"read", "ptrace"`))},
			new:  profiledir.Profile{Seccomp: mustSeccomp(t, sc(`"read"`))},
			want: []want{{change.KindSyscall, change.OpRemoved, "ptrace", false, ""}},
		},
		{
			name: "argument value added",
			old:  profiledir.Profile{Seccomp: mustSeccomp(t, sc(`"read"`, eq("socket", 0, 1), eq("socket", 0, 2)))},
			new:  profiledir.Profile{Seccomp: mustSeccomp(t, sc(`"read"`, eq("socket", 0, 1, 2, 40)))},
			want: []want{{change.KindArgument, change.OpRelaxed, "socket", true, "arg0 == 40"}},
		},
		{
			name: "argument rule dropped: any value",
			old:  profiledir.Profile{Seccomp: mustSeccomp(t, sc(`"read"`, eq("prctl", 0, 15)))},
			new:  profiledir.Profile{Seccomp: mustSeccomp(t, sc(`"read", "prctl"`))},
			want: []want{{change.KindArgument, change.OpRelaxed, "prctl", true, "any arguments"}},
		},
		{
			name: "argument rule added: restricted",
			old:  profiledir.Profile{Seccomp: mustSeccomp(t, sc(`"read", "prctl"`))},
			new:  profiledir.Profile{Seccomp: mustSeccomp(t, sc(`"read"`, eq("prctl", 0, 15)))},
			want: []want{{change.KindArgument, change.OpRestricted, "prctl", false, ""}},
		},
		{
			name: "argument value removed",
			old:  profiledir.Profile{Seccomp: mustSeccomp(t, sc(`"read"`, eq("socket", 0, 1, 2)))},
			new:  profiledir.Profile{Seccomp: mustSeccomp(t, sc(`"read"`, eq("socket", 0, 1)))},
			want: []want{{change.KindArgument, change.OpRestricted, "socket", false, "arg0 == 2"}},
		},
		{
			name: "same values, other spelling (runc ORs same-index conditions; name vs names)",
			old:  profiledir.Profile{Seccomp: mustSeccomp(t, sc(`"read"`, eq("socket", 0, 1, 2)))},
			new: profiledir.Profile{Seccomp: mustSeccomp(t, `{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [
				{"name": "read", "action": "SCMP_ACT_ALLOW"}, `+eq("socket", 0, 2)+`, `+eq("socket", 0, 1)+`]}`)},
		},
		{
			name: "masked value added (namespace flag)",
			old: profiledir.Profile{Seccomp: mustSeccomp(t, sc(`"read"`,
				`{"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]}`))},
			new: profiledir.Profile{Seccomp: mustSeccomp(t, sc(`"read"`,
				`{"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]}`,
				`{"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 2114060288, "valueTwo": 268435456, "op": "SCMP_CMP_MASKED_EQ"}]}`))},
			want: []want{{change.KindArgument, change.OpRelaxed, "clone", true, "0x10000000"}},
		},
		{
			name: "range widened",
			old:  profiledir.Profile{Seccomp: mustSeccomp(t, sc(`"read"`, `{"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 3, "op": "SCMP_CMP_LT"}]}`))},
			new:  profiledir.Profile{Seccomp: mustSeccomp(t, sc(`"read"`, `{"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 5, "op": "SCMP_CMP_LT"}]}`))},
			want: []want{{change.KindArgument, change.OpRelaxed, "socket", true, "arg0 in {3, 4}"}},
		},
		{
			name: "new architecture",
			old:  profiledir.Profile{Seccomp: mustSeccomp(t, sc(`"read"`))},
			new:  profiledir.Profile{Seccomp: mustSeccomp(t, strings.Replace(sc(`"read"`), `["SCMP_ARCH_X86_64"]`, `["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"]`, 1))},
			want: []want{{change.KindArch, change.OpAdded, "SCMP_ARCH_X86", true, ""}},
		},
		{
			name: "default action allows",
			old:  profiledir.Profile{Seccomp: mustSeccomp(t, sc(`"read"`))},
			new:  profiledir.Profile{Seccomp: mustSeccomp(t, `{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [{"names": ["ptrace"], "action": "SCMP_ACT_ERRNO"}]}`)},
			want: []want{{change.KindSeccompDefault, change.OpRelaxed, "SCMP_ACT_ALLOW", true, ""}, {change.KindSyscall, change.OpAdded, "mount", true, ""}},
		},
		{
			name: "capability added",
			old:  profiledir.Profile{Capabilities: &profile.CapabilitySet{Add: []string{"CAP_CHOWN"}}},
			new:  profiledir.Profile{Capabilities: &profile.CapabilitySet{Add: []string{"CAP_CHOWN", "CAP_SYS_ADMIN"}}},
			want: []want{{change.KindCapability, change.OpAdded, "CAP_SYS_ADMIN", true, ""}},
		},
		{
			name: "capability removed",
			old:  profiledir.Profile{Capabilities: &profile.CapabilitySet{Add: []string{"CAP_CHOWN"}}},
			new:  profiledir.Profile{Capabilities: &profile.CapabilitySet{Add: []string{}}},
			want: []want{{change.KindCapability, change.OpRemoved, "CAP_CHOWN", false, ""}},
		},
		{
			name: "AppArmor allow rule added",
			old:  profiledir.Profile{AppArmor: mustAppArmor(t, `"/etc/a" r,`)},
			new:  profiledir.Profile{AppArmor: mustAppArmor(t, `"/etc/a" r, "/etc/b" r,`)},
			want: []want{{change.KindFileRule, change.OpAdded, `"/etc/b" r`, true, "/etc/b"}},
		},
		{
			name: "AppArmor glob broadened",
			old:  profiledir.Profile{AppArmor: mustAppArmor(t, `"/etc/app/*.conf" r,`)},
			new:  profiledir.Profile{AppArmor: mustAppArmor(t, `"/etc/app/**" r,`)},
			want: []want{{change.KindFileRule, change.OpAdded, `"/etc/app/**" r`, true, "allows r on /etc/app/"}, {change.KindFileRule, change.OpRemoved, `"/etc/app/*.conf" r`, false, ""}},
		},
		{
			name: "AppArmor rule already covered by a glob",
			old:  profiledir.Profile{AppArmor: mustAppArmor(t, `"/etc/app/*" r,`)},
			new:  profiledir.Profile{AppArmor: mustAppArmor(t, `"/etc/app/*" r, "/etc/app/x.conf" r,`)},
			want: []want{{change.KindFileRule, change.OpAdded, `"/etc/app/x.conf" r`, false, "already allow"}},
		},
		{
			name: "AppArmor extra permission",
			old:  profiledir.Profile{AppArmor: mustAppArmor(t, `"/var/log/x" r,`)},
			new:  profiledir.Profile{AppArmor: mustAppArmor(t, `"/var/log/x" rw,`)},
			want: []want{{change.KindFileRule, change.OpRelaxed, `"/var/log/x" rw`, true, "allows w"}},
		},
		{
			name: "AppArmor exec mode widened",
			old:  profiledir.Profile{AppArmor: mustAppArmor(t, `"/bin/sh" ix,`)},
			new:  profiledir.Profile{AppArmor: mustAppArmor(t, `"/bin/sh" ux,`)},
			want: []want{{change.KindFileRule, change.OpRelaxed, `"/bin/sh" ux`, true, "ux"}},
		},
		{
			name: "AppArmor deny rule removed",
			old:  profiledir.Profile{AppArmor: mustAppArmor(t, `"/etc/**" r, deny /etc/shadow r,`)},
			new:  profiledir.Profile{AppArmor: mustAppArmor(t, `"/etc/**" r,`)},
			want: []want{{change.KindFileRule, change.OpRelaxed, `"/etc/**" r`, true, "/etc/shadow"}, {change.KindFileRule, change.OpRemoved, `deny "/etc/shadow" r`, true, ""}},
		},
		{
			name: "AppArmor deny rule added",
			old:  profiledir.Profile{AppArmor: mustAppArmor(t, `"/etc/**" r,`)},
			new:  profiledir.Profile{AppArmor: mustAppArmor(t, `"/etc/**" r, deny /etc/shadow r,`)},
			want: []want{{change.KindFileRule, change.OpAdded, `deny "/etc/shadow" r`, false, ""}},
		},
		{
			name: "AppArmor owner rule made general",
			old:  profiledir.Profile{AppArmor: mustAppArmor(t, `owner "/home/**" rw,`)},
			new:  profiledir.Profile{AppArmor: mustAppArmor(t, `"/home/**" rw,`)},
			want: []want{{change.KindFileRule, change.OpAdded, `"/home/**" rw`, true, "/home/"}, {change.KindFileRule, change.OpRemoved, `owner "/home/**" rw`, false, ""}},
		},
		{
			name: "network family added",
			old:  profiledir.Profile{AppArmor: mustAppArmor(t, `network inet stream,`)},
			new:  profiledir.Profile{AppArmor: mustAppArmor(t, `network inet stream, network packet raw,`)},
			want: []want{{change.KindNetworkRule, change.OpAdded, "network packet raw", true, ""}},
		},
		{
			name: "all networking",
			old:  profiledir.Profile{AppArmor: mustAppArmor(t, `network inet stream,`)},
			new:  profiledir.Profile{AppArmor: mustAppArmor(t, `network,`)},
			want: []want{{change.KindNetworkRule, change.OpAdded, "network (all families)", true, ""}},
		},
		{
			name: "signal set widened, narrowed",
			old:  profiledir.Profile{AppArmor: mustAppArmor(t, `signal (send) set=(term, kill) peer=x,`)},
			new:  profiledir.Profile{AppArmor: mustAppArmor(t, `signal (send) set=(term) peer=x, ptrace (trace) peer=x,`)},
			want: []want{{change.KindAppArmorRule, change.OpAdded, "ptrace (trace) peer=x", true, ""}, {change.KindAppArmorRule, change.OpAdded, "signal (send) peer=x set=term", false, ""},
				{change.KindAppArmorRule, change.OpRemoved, "signal (send) peer=x set=(kill, term)", false, ""}},
		},
		{
			name: "deny mount removed",
			old:  profiledir.Profile{AppArmor: mustAppArmor(t, `deny mount,`)},
			new:  profiledir.Profile{AppArmor: mustAppArmor(t, ``)},
			want: []want{{change.KindAppArmorRule, change.OpRemoved, "deny mount", true, ""}},
		},
		{
			name: "no-new-privileges and --read-only dropped, tmpfs added",
			old:  profiledir.Profile{Flags: mustFlags(t, "--cap-drop=ALL --security-opt=no-new-privileges --read-only --tmpfs=/run")},
			new:  profiledir.Profile{Flags: mustFlags(t, "--cap-drop=ALL --tmpfs=/run --tmpfs=/tmp")},
			want: []want{{change.KindRunFlag, change.OpAdded, "--tmpfs=/tmp", false, ""}, {change.KindRunFlag, change.OpRemoved, "--read-only", true, ""},
				{change.KindRunFlag, change.OpRemoved, "--security-opt=no-new-privileges", true, ""}},
		},
		{
			name:     "coverage: a tmpfs needed under the baseline's --read-only",
			old:      profiledir.Profile{Flags: mustFlags(t, "--cap-drop=ALL --read-only --tmpfs=/run")},
			new:      profiledir.Profile{Flags: mustFlags(t, "--cap-drop=ALL --read-only --tmpfs=/run --tmpfs=/tmp")},
			coverage: true,
			want:     []want{{change.KindRunFlag, change.OpAdded, "--tmpfs=/tmp", true, "fail"}},
		},
		{
			name: "coverage: a tmpfs on a scratch directory the run did not write to is not needed",
			old:  profiledir.Profile{Flags: mustFlags(t, "--cap-drop=ALL --read-only --tmpfs=/run")},
			new: profiledir.Profile{Flags: mustFlags(t, "--cap-drop=ALL --read-only --tmpfs=/run --tmpfs=/tmp"),
				Recording: &profile.Recording{FilesRecorded: true, Files: []profile.FileAccess{
					{Path: "/run/app.pid", Access: []string{profile.AccessCreate, profile.AccessWrite}, Mount: profile.MountRootfs}}}},
			coverage: true,
			want:     []want{{change.KindRunFlag, change.OpAdded, "--tmpfs=/tmp", false, "did not write to"}},
		},
		{
			name: "capabilities from flags, unconfined seccomp, unknown flag",
			old:  profiledir.Profile{Flags: mustFlags(t, "--cap-drop=ALL --cap-add=CHOWN --security-opt seccomp=/p/seccomp.json")},
			new:  profiledir.Profile{Flags: mustFlags(t, "--cap-drop=ALL --cap-add=CHOWN --cap-add=NET_ADMIN --security-opt seccomp=unconfined --pid=host")},
			want: []want{{change.KindCapability, change.OpAdded, "CAP_NET_ADMIN", true, ""}, {change.KindRunFlag, change.OpAdded, "--pid=host", true, ""},
				{change.KindRunFlag, change.OpChanged, "--security-opt=seccomp=unconfined", true, ""}},
		},
		{
			name: "profile file missing in NEW",
			old:  profiledir.Profile{Seccomp: mustSeccomp(t, sc(`"read"`)), Capabilities: &profile.CapabilitySet{Add: []string{}}},
			new:  profiledir.Profile{Capabilities: &profile.CapabilitySet{Add: []string{}}},
			want: []want{{change.KindProfileFile, change.OpRemoved, profile.SeccompFile, true, ""}},
		},
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
					return c.Kind == w.kind && c.Op == w.op && c.Subject == w.subject
				})
				if i < 0 {
					t.Errorf("no %s %s %q in %+v", w.kind, w.op, w.subject, r.Changes)
					continue
				}
				if c := r.Changes[i]; c.Widening != w.widening || !strings.Contains(c.Detail, w.detail) {
					t.Errorf("%s %s %q: widening %v, detail %q; want %v, %q", w.kind, w.op, w.subject, c.Widening, c.Detail, w.widening, w.detail)
				}
			}
			wantWide := slices.ContainsFunc(tc.want, func(w want) bool { return w.widening })
			if r.Widening != wantWide {
				t.Errorf("widening = %v, want %v: %+v", r.Widening, wantWide, r.Changes)
			}
			if len(tc.want) == 0 && len(r.Changes) > 0 {
				t.Errorf("changes where none are expected: %+v", r.Changes)
			}
		})
	}
}

// Docker's default profile depends on capabilities, architecture and
// kernel; its evaluation must match what dockerd itself resolves.
func TestEvaluateDockerDefault(t *testing.T) {
	def := moby.DefaultProfile()
	pol := func(env seccomp.Env) *seccomp.Policy {
		p, err := seccomp.Evaluate(def, env)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	plain := pol(seccomp.Env{Arch: profile.ArchX86_64})
	if s := plain.Syscalls["clone"]; s == nil || s.Any || len(s.Allow) != 1 || s.Allow[0][0].Op != specs.OpMaskedEqual {
		t.Errorf("clone without CAP_SYS_ADMIN: %+v", s)
	}
	for _, name := range []string{"mount", "clone3", "bpf", "reboot"} {
		if plain.Syscalls[name] != nil {
			t.Errorf("%s allowed without its capability", name)
		}
	}
	if s := plain.Syscalls["ptrace"]; s == nil || !s.Any {
		t.Errorf("ptrace on a recent kernel: %+v", s)
	}
	if !slices.Equal(plain.Architectures, []profile.Arch{profile.ArchX32, profile.ArchX86, profile.ArchX86_64}) {
		t.Errorf("architectures %v", plain.Architectures)
	}
	if plain.Syscalls["arch_prctl"] == nil {
		t.Error("arch_prctl missing on amd64")
	}
	admin := pol(seccomp.Env{Arch: profile.ArchX86_64, Capabilities: append(profile.DockerDefaultCapabilities(), "CAP_SYS_ADMIN")})
	for _, name := range []string{"mount", "clone3", "clone", "unshare"} {
		if s := admin.Syscalls[name]; s == nil || !s.Any {
			t.Errorf("%s with CAP_SYS_ADMIN: %+v", name, s)
		}
	}
	if old := pol(seccomp.Env{Arch: profile.ArchX86_64, Kernel: "4.4"}); old.Syscalls["ptrace"] != nil {
		t.Error("ptrace allowed on 4.4 (minKernel 4.8)")
	}
	arm := pol(seccomp.Env{Arch: profile.ArchAArch64})
	if arm.Syscalls["arch_prctl"] != nil || !slices.Equal(arm.Architectures, []profile.Arch{profile.ArchAArch64, profile.ArchARM}) {
		t.Errorf("arm64: arch_prctl %v, architectures %v", arm.Syscalls["arch_prctl"], arm.Architectures)
	}
	if got := plain.AllowSet(profile.ArchAArch64); got != nil {
		t.Errorf("allow set of an architecture the filter does not admit: %v", got)
	}
	if got := plain.AllowSet(profile.ArchX86); !slices.Contains(got, "socketcall") || slices.Contains(got, "newfstatat") {
		t.Errorf("x86 allow set: socketcall %v, newfstatat %v", slices.Contains(got, "socketcall"), slices.Contains(got, "newfstatat"))
	}

	// The same as moby's own resolution, for this host.
	if runtime.GOARCH == "amd64" || runtime.GOARCH == "arm64" {
		spec := &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: profile.DockerDefaultCapabilities()}}}
		want, err := moby.GetDefaultProfile(spec)
		if err != nil {
			t.Fatal(err)
		}
		var uts struct{ release string }
		if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
			parts := strings.SplitN(strings.TrimSpace(string(b)), ".", 3)
			uts.release = parts[0] + "." + strings.TrimRightFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' })
		}
		got, err := seccomp.Resolve(moby.DefaultProfile(), seccomp.Env{Kernel: uts.release})
		if err != nil {
			t.Fatal(err)
		}
		gb, _ := json.Marshal(got)
		wb, _ := json.Marshal(want)
		if string(gb) != string(wb) {
			t.Errorf("seccomp.Resolve differs from moby's GetDefaultProfile on this host")
		}
	}
}

func TestFileNeedsCoverage(t *testing.T) {
	rules := mustAppArmor(t, `"/etc/app/*" r, "/var/log/app.log" w, deny /etc/app/secret r,`).Files
	rec := &profile.Recording{FilesRecorded: true, Files: []profile.FileAccess{
		{Path: "/etc/app/x.conf", Access: []string{profile.AccessRead}},
		{Path: "/etc/app/secret", Access: []string{profile.AccessRead}},
		{Path: "/var/log/app.log", Access: []string{profile.AccessAppend}},
		{Path: "/data/db", Access: []string{profile.AccessWrite, profile.AccessCreate}},
	}}
	var got []string
	for _, c := range apparmor.FileNeeds(rec, rules) {
		got = append(got, c.Subject)
		if !c.Widening || c.Op != change.OpNeeded {
			t.Errorf("%+v", c)
		}
	}
	if want := []string{"/data/db", "/etc/app/secret"}; !slices.Equal(got, want) {
		t.Errorf("needed %v, want %v", got, want)
	}
}

func TestDiffSingleFilesOfDifferentKinds(t *testing.T) {
	if _, err := Paths("testdata/diff/v1/web/seccomp.json", "testdata/diff/v1/web/capabilities.json", Options{}); err == nil ||
		!strings.Contains(err.Error(), "nothing to compare") {
		t.Errorf("err = %v", err)
	}
}
