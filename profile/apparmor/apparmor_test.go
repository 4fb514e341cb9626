package apparmor

import (
	"bytes"
	"fmt"
	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/profiletest"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// goldenDir is the profile directories every package's golden tests share
// (testdata links to profile/testdata).
const goldenDir = "testdata/golden"

// apparmorParser returns the path of apparmor_parser, or skips the test.
func apparmorParser(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("apparmor_parser"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/apparmor_parser", "/sbin/apparmor_parser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skip("apparmor_parser is not installed: AppArmor's own parser cannot check the profile's syntax")
	return ""
}

// parseWithAppArmor has apparmor_parser compile the profile without
// loading it (-Q: no kernel, -K: no cache); it needs no root.
func parseWithAppArmor(t *testing.T, parser string, profile []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "apparmor.profile")
	if err := os.WriteFile(path, profile, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(parser, "-Q", "-K", path).CombinedOutput()
	if err != nil {
		t.Errorf("apparmor_parser rejects the profile: %v\n%s\n%s", err, out, profile)
	}
}

func TestGoldenAppArmorProfilesLoad(t *testing.T) {
	parser := apparmorParser(t)
	paths, _ := filepath.Glob(filepath.Join(goldenDir, "*", profile.AppArmorFile))
	if len(paths) == 0 {
		t.Fatal("no golden apparmor.profile (run go test ./profile/profiledir -run Golden -update)")
	}
	for _, path := range paths {
		t.Run(filepath.Base(filepath.Dir(path)), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			parseWithAppArmor(t, parser, data)
		})
	}
}

func TestGoldenAppArmorProfilesFitTheirRecordings(t *testing.T) {
	for _, tc := range profiletest.TestCases(t) {
		data, err := os.ReadFile(filepath.Join(goldenDir, tc.Name, profile.AppArmorFile))
		if err != nil {
			t.Fatal(err)
		}
		if problems := Check(tc.Rec, data); len(problems) > 0 {
			t.Errorf("%s: %q", tc.Name, problems)
		}
	}
}

func TestEscapeAppArmor(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/etc/nginx/nginx.conf", "/etc/nginx/nginx.conf"},
		{"/a b", "/a b"},
		{`/quo"te`, `/quo\"te`},
		{`/back\slash`, `/back\\slash`},
		{`/trailing\`, `/trailing\134`},
		{`/two\\`, `/two\\\134`},
		{"/star*x", `/star\*x`},
		{"/q?x", `/q\?x`},
		{"/br[x]", `/br\[x\]`},
		{"/brace{x}", `/brace\{x\}`},
		{"/caret^x", `/caret\^x`},
		{"/comma,x", `/comma\,x`},
		{"/at@{PROC}", `/at\@\{PROC\}`},
		{"/dollar$x", `/dollar\$x`},
		{"/hash#x", "/hash#x"},
		{"/nl\nx", `/nl\012x`},
		{"/tab\tx", `/tab\011x`},
		{"/del\x7fx", `/del\177x`},
		{"/nonutf\xffx", `/nonutf\377x`},
		{"/é", `/\303\251`},
		{"/x->y", "/x->y"},
	} {
		if got := escapeAppArmor(tc.in); got != tc.want {
			t.Errorf("escapeAppArmor(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestAppArmorProfileName(t *testing.T) {
	for _, tc := range []struct {
		c    profile.Container
		want string
	}{
		{profile.Container{Name: "web", ID: "abc"}, "tailor-web"},
		{profile.Container{Name: "/web", ID: "abc"}, "tailor-web"},
		{profile.Container{Name: "my.app_1-x"}, "tailor-my.app_1-x"},
		{profile.Container{Name: "a b/c{d}\n,é"}, "tailor-a_b_c_d_____"},
		{profile.Container{ID: "0123456789abcdef0123"}, "tailor-0123456789ab"},
		{profile.Container{}, "tailor-unnamed"},
	} {
		if got := ProfileName(&profile.Recording{Container: tc.c}); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.c, got, tc.want)
		}
	}
	// A profile filed under a stable key (a Compose service) is named
	// after the key, not after this run's container.
	rec := &profile.Recording{Container: profile.Container{Name: "example_cache_1"}, ProfileName: "cache"}
	if got := ProfileName(rec); got != "tailor-cache" {
		t.Errorf("filed under cache: %q, want tailor-cache", got)
	}
	if got := ProfileName(&profile.Recording{ProfileName: "my svc"}); got != "tailor-my_svc" {
		t.Errorf("filed under %q: %q", "my svc", got)
	}
}

// fileRulesOf builds the recorded file rules for files, as map pattern ->
// perms.
func fileRulesOf(t *testing.T, files ...profile.FileAccess) map[string]string {
	t.Helper()
	p := New(&profile.Recording{FilesRecorded: true, Files: files})
	m := map[string]string{}
	for _, r := range p.Files {
		m[r.Path] = r.Perms
	}
	return m
}

func numbered(dir string, n int, access []string, mount string) []profile.FileAccess {
	var out []profile.FileAccess
	for i := range n {
		out = append(out, profile.FileAccess{Path: fmt.Sprintf("%sfile-%c", dir, 'a'+i), Access: access, Mount: mount})
	}
	return out
}

func TestAppArmorFilePermissions(t *testing.T) {
	for _, tc := range []struct {
		access []string
		want   string
	}{
		{[]string{profile.AccessRead}, "r"},
		{[]string{profile.AccessWrite}, "w"},
		{[]string{profile.AccessAppend}, "a"},
		{[]string{profile.AccessAppend, profile.AccessCreate}, "w"},
		{[]string{profile.AccessAppend, profile.AccessWrite}, "w"},
		{[]string{profile.AccessTruncate}, "w"},
		{[]string{profile.AccessChmod, profile.AccessChown}, "w"},
		{[]string{profile.AccessRename}, "rw"},
		{[]string{profile.AccessMmapExec}, "m"},
		{[]string{profile.AccessExec}, "mrix"},
		{[]string{profile.AccessLink}, "l"},
		{[]string{profile.AccessLock, profile.AccessRead}, "rk"},
		{[]string{profile.AccessConnect}, "w"},
		{[]string{profile.AccessExec, profile.AccessLink, profile.AccessLock}, "mrlkix"},
	} {
		got := fileRulesOf(t, profile.FileAccess{Path: "/srv/x", Access: tc.access})["/srv/x"]
		if got != tc.want {
			t.Errorf("%v: perms %q, want %q", tc.access, got, tc.want)
		}
	}
	if got := fileRulesOf(t, profile.FileAccess{Path: "/srv/d/", Access: []string{profile.AccessMkdir}}); got["/srv/d/"] != "w" {
		t.Errorf("directory: %v, want /srv/d/ w", got)
	}
}

func TestAppArmorGeneralisation(t *testing.T) {
	create := []string{profile.AccessCreate, profile.AccessWrite}
	for _, tc := range []struct {
		name  string
		files []profile.FileAccess
		want  map[string]string
	}{
		{"proc pids", []profile.FileAccess{
			{Path: "/proc/12/stat", Access: profiletest.ReadOnly},
			{Path: "/proc/12", Access: profiletest.ReadOnly},
			{Path: "/proc/12/task/13/comm", Access: []string{profile.AccessWrite}},
			{Path: "/proc/0123/x", Access: profiletest.ReadOnly},
			{Path: "/proc/meminfo", Access: profiletest.ReadOnly},
			{Path: "/proc/", Access: profiletest.ReadOnly},
			{Path: "/procx/1", Access: profiletest.ReadOnly},
		}, map[string]string{
			"@{PROC}/@{pid}/stat":             "r",
			"@{PROC}/@{pid}":                  "r",
			"@{PROC}/@{pid}/task/@{tid}/comm": "w",
			"@{PROC}/0123/x":                  "r",
			"@{PROC}/meminfo":                 "r",
			"@{PROC}/":                        "r",
			"/procx/1":                        "r",
		}},
		{"random names", []profile.FileAccess{
			{Path: "/tmp/tmp.aB3dE9", Access: create},
			{Path: "/tmp/tmp.Zx9y8W", Access: create},
			{Path: "/data/temp-1234.rdb", Access: []string{profile.AccessCreate, profile.AccessRename, profile.AccessWrite}},
			{Path: "/tmp/0000000001", Access: []string{profile.AccessCreate, profile.AccessUnlink}},
			{Path: "/tmp/a1b2c3-99999.d/", Access: []string{profile.AccessMkdir}},
			{Path: "/data/0000000001", Access: create},                   // would be /data/*: too shallow
			{Path: "/1234", Access: create},                              // never in /
			{Path: "/etc/abc123x.conf", Access: profiletest.ReadOnly},    // not profiletest.Created
			{Path: "/srv/a/b/sha256.sum", Access: create},                // sha256: letters and digits
			{Path: "/srv/a/b/v12.log", Access: create},                   // too short to be random
			{Path: "/root/.ssh/id_rsa1234", Access: create},              // would cover id_rsa
			{Path: "/var/lib/x/0000000001", Access: create},              // deep enough
			{Path: "/var/lib/0000000001", Access: create},                // not deep enough
			{Path: "/var/lib/x/y/abc1234", Access: profiletest.ReadOnly}, // read only
			{Path: "/var/lib/x/y/abc12345", Access: create},              // mixed run of 8
			{Path: "/var/lib/x/y/12-3456-78", Access: create},            // one digit run of 4, two pids
		}, map[string]string{
			"/tmp/tmp.*":                   "w",
			"/data/temp-*.rdb":             "rw",
			"/tmp/*":                       "w",
			"/tmp/*-*.d/":                  "w",
			"/data/0000000001":             "w",
			"/1234":                        "w",
			"/etc/abc123x.conf":            "r",
			"/srv/a/b/*.sum":               "w",
			"/srv/a/b/v12.log":             "w",
			"/root/.ssh/id_rsa1234":        "w",
			"/var/lib/x/*":                 "w",
			"/var/lib/0000000001":          "w",
			"/var/lib/x/y/abc1234":         "r",
			"/var/lib/x/y/*":               "w",
			"/var/lib/x/y/@{pid}-*-@{pid}": "w",
		}},
		{"pid-like numbers", []profile.FileAccess{
			{Path: "/data/temp-23.rdb", Access: []string{profile.AccessCreate, profile.AccessRename, profile.AccessWrite}},
			{Path: "/tmp/hsperfdata_root/7", Access: create},
			{Path: "/var/crash/core.123", Access: create},                          // not a scratch root: @{pid} is no glob
			{Path: "/srv/a/b/v12.log", Access: create},                             // a letter's suffix
			{Path: "/srv/a/b/log.01", Access: create},                              // a leading zero is no pid
			{Path: "/srv/a/b/0", Access: create},                                   // nor is 0
			{Path: "/usr/lib/lua5.4/", Access: []string{profile.AccessMkdir}},      // a version
			{Path: "/usr/lib/libx.so.1.2", Access: create},                         // a version
			{Path: "/usr/lib/python3.11/x/y.pyc", Access: create},                  // a version in a directory
			{Path: "/usr/lib/python3.11/os.py", Access: profiletest.ReadOnly},      // neither created nor removed
			{Path: "/proc/12/task/13/comm", Access: []string{profile.AccessWrite}}, // /proc's own
			{Path: "/run/x/12.pid", Access: []string{profile.AccessCreate, profile.AccessUnlink}},
		}, map[string]string{
			"/data/temp-@{pid}.rdb":           "rw",
			"/tmp/hsperfdata_root/@{pid}":     "w",
			"/var/crash/core.@{pid}":          "w",
			"/srv/a/b/v12.log":                "w",
			"/srv/a/b/log.01":                 "w",
			"/srv/a/b/0":                      "w",
			"/usr/lib/lua5.4/":                "w",
			"/usr/lib/libx.so.1.2":            "w",
			"/usr/lib/python3.11/x/y.pyc":     "w",
			"/usr/lib/python3.11/os.py":       "r",
			"@{PROC}/@{pid}/task/@{tid}/comm": "w",
			"/run/x/@{pid}.pid":               "w",
		}},
		{"seven files stay", numbered("/usr/share/x/", 7, profiletest.ReadOnly, ""), map[string]string{
			"/usr/share/x/file-a": "r", "/usr/share/x/file-b": "r", "/usr/share/x/file-c": "r",
			"/usr/share/x/file-d": "r", "/usr/share/x/file-e": "r", "/usr/share/x/file-f": "r",
			"/usr/share/x/file-g": "r",
		}},
		{"eight files collapse", numbered("/usr/share/x/", 8, profiletest.ReadOnly, ""), map[string]string{
			"/usr/share/x/*": "r",
		}},
		{"eight reads in / stay", numbered("/", 8, profiletest.ReadOnly, ""), map[string]string{
			"/file-a": "r", "/file-b": "r", "/file-c": "r", "/file-d": "r",
			"/file-e": "r", "/file-f": "r", "/file-g": "r", "/file-h": "r",
		}},
		{"eight writes two deep stay", numbered("/var/lib/", 8, []string{profile.AccessWrite}, ""), map[string]string{
			"/var/lib/file-a": "w", "/var/lib/file-b": "w", "/var/lib/file-c": "w", "/var/lib/file-d": "w",
			"/var/lib/file-e": "w", "/var/lib/file-f": "w", "/var/lib/file-g": "w", "/var/lib/file-h": "w",
		}},
		{"eight writes three deep collapse", numbered("/var/lib/app/", 8, []string{profile.AccessWrite}, ""), map[string]string{
			"/var/lib/app/*": "w",
		}},
		{"eight appends in /run collapse", numbered("/run/", 8, []string{profile.AccessAppend}, ""), map[string]string{
			"/run/*": "a",
		}},
		{"eight links in /data stay", numbered("/data/", 8, []string{profile.AccessLink}, ""), map[string]string{
			"/data/file-a": "l", "/data/file-b": "l", "/data/file-c": "l", "/data/file-d": "l",
			"/data/file-e": "l", "/data/file-f": "l", "/data/file-g": "l", "/data/file-h": "l",
		}},
		{"mixed permissions stay", append(numbered("/usr/lib/x/", 4, profiletest.ReadOnly, ""), numbered("/usr/lib/y/", 4, profiletest.Mapped, "")...), nil},
		{"a directory with a secret stays", numbered("/etc/", 8, profiletest.ReadOnly, ""), map[string]string{
			"/etc/file-a": "r", "/etc/file-b": "r", "/etc/file-c": "r", "/etc/file-d": "r",
			"/etc/file-e": "r", "/etc/file-f": "r", "/etc/file-g": "r", "/etc/file-h": "r",
		}},
		{"proc collapses by pid", numbered("/proc/7/", 8, profiletest.ReadOnly, ""), map[string]string{
			"@{PROC}/@{pid}/*": "r",
		}},
		{"proc itself stays (kcore)", numbered("/proc/", 8, profiletest.ReadOnly, ""), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := fileRulesOf(t, tc.files...)
			if tc.want == nil { // each file its own rule
				if len(got) != len(tc.files) {
					t.Errorf("got %v, want one rule per file", got)
				}
				return
			}
			if len(got) != len(tc.want) {
				t.Errorf("got %d rules, want %d:\n%v", len(got), len(tc.want), got)
			}
			for p, perms := range tc.want {
				if got[p] != perms {
					t.Errorf("rule %q: perms %q, want %q (all: %v)", p, got[p], perms, got)
				}
			}
			rec := &profile.Recording{FilesRecorded: true, Files: tc.files}
			if problems := Check(rec, New(rec).Render()); len(problems) > 0 {
				t.Errorf("Check: %q", problems)
			}
		})
	}
}

// isGlob reports whether an escaped pattern holds unescaped glob syntax.
func isGlob(pattern string) bool {
	for i := 0; i < len(pattern); i++ {
		switch pattern[i] {
		case '\\':
			i++
		case '*', '?', '[', '{', '@':
			return true
		}
	}
	return false
}

// broadWriteProblems returns the glob rules of profile that allow writing
// and could match a top-level directory, or a file or directory directly
// in one of probes.
func broadWriteProblems(t *testing.T, profile []byte, probes []string) []string {
	t.Helper()
	rules, err := ParseFileRules(profile)
	if err != nil {
		t.Fatal(err)
	}
	var bad []string
	for _, r := range rules {
		if r.Deny || r.Pattern == "" || parsePerms(r.Perms)&(permWrite|permAppend|permLink) == 0 || !isGlob(r.Pattern) {
			continue
		}
		if slices.Contains([]string{"/**", "/*", "/{,**}"}, r.Pattern) {
			bad = append(bad, r.Pattern)
			continue
		}
		for _, p := range probes {
			if r.Matches(p) || r.Matches(p+"/") {
				bad = append(bad, fmt.Sprintf("%s matches %s", r.Pattern, p))
			}
		}
	}
	return bad
}

var topLevelProbes = []string{"/bin", "/data", "/etc", "/home", "/lib", "/opt", "/root", "/srv", "/tmp", "/usr", "/var", "/x", "/1234", "/tmp.aB3dE9"}

func TestAppArmorNeverABroadWriteRule(t *testing.T) {
	all := []string{profile.AccessCreate, profile.AccessWrite, profile.AccessUnlink, profile.AccessRename, profile.AccessLink, profile.AccessAppend}
	var f []profile.FileAccess
	for _, dir := range []string{"/", "/data/", "/var/", "/var/lib/", "/etc/", "/usr/bin/", "/srv/"} {
		f = append(f, numbered(dir, 12, all, "")...)
		for i := range 12 {
			f = append(f, profile.FileAccess{Path: fmt.Sprintf("%s%08d", dir, i), Access: all})
			f = append(f, profile.FileAccess{Path: fmt.Sprintf("%stmp.%dx%dy%d", dir, i, i, i), Access: all})
			f = append(f, profile.FileAccess{Path: fmt.Sprintf("%sdir%05d/", dir, i), Access: []string{profile.AccessMkdir}})
		}
	}
	rec := &profile.Recording{FilesRecorded: true, Files: f}
	profile := New(rec).Render()
	if bad := broadWriteProblems(t, profile, topLevelProbes); len(bad) > 0 {
		t.Errorf("broad write rules: %q", bad)
	}
	if problems := Check(rec, profile); len(problems) > 0 {
		t.Errorf("Check: %q", problems)
	}
}

func TestAppArmorHostileNames(t *testing.T) {
	rec := profiletest.HostileRecording(t)
	profile := New(rec).Render()

	if problems := Check(rec, profile); len(problems) > 0 {
		t.Errorf("Check: %q", problems)
	}
	rules, err := ParseFileRules(profile)
	if err != nil {
		t.Fatalf("the profile does not parse: %v\n%s", err, profile)
	}
	var recorded []Rule
	for _, r := range rules {
		if !r.Deny && !slices.ContainsFunc(appArmorBaseline, func(b FileRule) bool { return b.Path == r.Pattern }) {
			recorded = append(recorded, r)
		}
	}
	paths := profiletest.HostilePaths()
	if len(recorded) != len(paths) {
		t.Errorf("%d file rules for %d hostile paths: a name added or merged rules", len(recorded), len(paths))
	}
	for _, p := range paths {
		n := 0
		for _, r := range recorded {
			if r.Matches(p) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%q is matched by %d rules, want 1", p, n)
		}
	}
	// The header quotes the container's name and image; no line of it may
	// be anything but a comment.
	for line := range bytes.Lines(profile) {
		if bytes.HasPrefix(line, []byte("abi ")) {
			break
		}
		if !bytes.HasPrefix(line, []byte("# ")) {
			t.Errorf("header line is not a comment: %q", line)
		}
	}
	t.Run("apparmor_parser", func(t *testing.T) {
		parseWithAppArmor(t, apparmorParser(t), profile)
	})
}

func TestAppArmorWithoutFileRecording(t *testing.T) {
	rec := profiletest.UnconfinedRecording(t)
	p := New(rec)
	if p.FilesRecorded || len(p.Baseline) != 0 || len(p.Files) != 0 {
		t.Errorf("file rules without a file recording: %+v", p)
	}
	text := string(p.Render())
	for _, want := range []string{"\n  file,\n", "deny /etc/shadow rwklx,", "deny @{PROC}/kcore rwklx,",
		"mount fstype=tmpfs -> \"/mnt/scratch{,/}\",", "ptrace (trace,tracedby) peer=tailor-admin-shell,",
		"signal (send) set=(kill, rtmin+3) peer=tailor-admin-shell,"} {
		if !strings.Contains(text, want) {
			t.Errorf("profile lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "deny mount,") {
		t.Error("deny mount despite recorded mounts")
	}
	if problems := Check(rec, []byte(text)); len(problems) > 0 {
		t.Errorf("Check: %q", problems)
	}
}

// Shared memory with no path gets a rule on "/", the name AppArmor gives
// its disconnected pseudo file, with only the permissions its mappings
// used; without such mappings there is none.
func TestAppArmorSharedMemory(t *testing.T) {
	for _, tc := range []struct {
		prot []string
		want string // the rule, "" for none
	}{
		{nil, ""},
		{[]string{"read"}, `"/" r,`},
		{[]string{"write", "read"}, `"/" rw,`},
		{[]string{"exec", "read", "write"}, `"/" mrw,`},
	} {
		rec := profiletest.NginxRecording(t)
		rec.SharedMemory = tc.prot
		text := string(New(rec).Render())
		has := strings.Contains(text, "\n  \"/\" ")
		if tc.want == "" {
			if has {
				t.Errorf("%v: a rule on \"/\" without shared memory:\n%s", tc.prot, text)
			}
			continue
		}
		if !strings.Contains(text, "\n  "+tc.want+"\n") {
			t.Errorf("%v: profile lacks %s:\n%s", tc.prot, tc.want, text)
		}
	}
}

func TestAppArmorDropsDenyRulesTheRecordingNeeds(t *testing.T) {
	rec := &profile.Recording{FilesRecorded: true, Files: []profile.FileAccess{
		{Path: "/proc/sys/net/core/somaxconn", Access: []string{profile.AccessWrite}, Mount: profile.MountProc},
		{Path: "/etc/shadow", Access: profiletest.ReadOnly},
		{Path: "/root/.ssh/known_hosts", Access: profiletest.ReadOnly},
	}}
	p := New(rec)
	text := p.Render()
	for _, gone := range []string{"@{PROC}/sys/[^k]**", "/etc/shadow", "/root/.ssh/**"} {
		if slices.ContainsFunc(p.Deny, func(r FileRule) bool { return r.Path == gone }) {
			t.Errorf("deny rule %s kept", gone)
		}
		if !slices.ContainsFunc(p.Warnings, func(w string) bool { return strings.Contains(w, "`deny "+gone+" ") }) {
			t.Errorf("no warning about %s: %q", gone, p.Warnings)
		}
	}
	if len(p.Deny) != len(dockerDefaultDenies)+len(tailorDenies)-3 {
		t.Errorf("%d deny rules left, want all but three", len(p.Deny))
	}
	if problems := Check(rec, text); len(problems) > 0 {
		t.Errorf("Check: %q", problems)
	}
	// /etc/shadow was read, not written: it stays unwritable.
	rules, _ := ParseFileRules(text)
	if effectivePerms(rules, "/etc/shadow") != permRead || effectivePerms(rules, "/root/.ssh/id_rsa") != 0 {
		t.Errorf("/etc/shadow: %s, /root/.ssh/id_rsa: %s", effectivePerms(rules, "/etc/shadow"), effectivePerms(rules, "/root/.ssh/id_rsa"))
	}
	if !bytes.Contains(text, []byte("# Warning: deny rule `deny /etc/shadow rwklx,` left out")) {
		t.Errorf("the profile does not say why:\n%s", text)
	}
}

func TestAppArmorNamesAppArmorCannotSpell(t *testing.T) {
	rec := &profile.Recording{
		Container:            profile.Container{Name: "odd"},
		CapabilitiesRecorded: true,
		Sockets:              []profile.SocketUse{{Family: "inet", Type: "stream"}, {Family: "bogus,\n", Type: "stream"}},
		SignalsSent:          []string{"term", "lost"},
		Mounts:               []profile.MountUse{{Target: "/mnt/a b", FSType: "fuse.sshfs"}, {Target: "/mnt/c", FSType: "odd type,"}, {Target: "rel"}},
	}
	p := New(rec)
	if !p.AllNetwork || !p.AllSignals || len(p.Warnings) != 4 {
		t.Errorf("all network %v, all signals %v, warnings %q", p.AllNetwork, p.AllSignals, p.Warnings)
	}
	text := string(p.Render())
	for _, want := range []string{"\n  network,\n", "signal (send,receive) peer=tailor-odd,", `mount fstype=fuse.sshfs -> "/mnt/a b{,/}",`, `mount -> "/mnt/c{,/}",`} {
		if !strings.Contains(text, want) {
			t.Errorf("profile lacks %q:\n%s", want, text)
		}
	}
	t.Run("apparmor_parser", func(t *testing.T) {
		parseWithAppArmor(t, apparmorParser(t), []byte(text))
	})
}

func TestCheckAppArmorFindsProblems(t *testing.T) {
	rec := profiletest.NginxRecording(t)
	good := New(rec).Render()
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"missing rule", "  \"/run/nginx.pid\" w,\n", "", "/run/nginx.pid: the recording needs w"},
		{"weaker rule", "  \"/usr/sbin/nginx\" mrix,\n", "  \"/usr/sbin/nginx\" r,\n", "/usr/sbin/nginx: the recording needs mx"},
		{"denied", "  deny mount,\n", "  deny mount,\n  deny /etc/nginx/** r,\n", "/etc/nginx/mime.types: the recording needs r"},
		{"secret exposed", "  deny /etc/shadow rwklx,  # password hashes\n", "  /etc/* r,\n", "/etc/shadow: the profile allows r"},
		{"garbage", "profile ", "profile {", "does not parse"},
	} {
		bad := bytes.Replace(good, []byte(tc.old), []byte(tc.new), 1)
		if bytes.Equal(bad, good) {
			t.Fatalf("%s: %q is not in the profile", tc.name, tc.old)
		}
		problems := Check(rec, bad)
		if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, tc.want) }) {
			t.Errorf("%s: problems %q, want one mentioning %q", tc.name, problems, tc.want)
		}
	}
}

// randomRecording makes a recording of random file accesses in a small
// tree, with names that repeat, look random, or hold hostile bytes.
func randomRecording(r *rand.Rand) *profile.Recording {
	dirs := []string{"/", "/etc/", "/etc/app/", "/tmp/", "/run/", "/var/lib/", "/var/lib/app/", "/data/",
		"/proc/", "/proc/17/", "/proc/17/task/18/", "/proc/sys/net/", "/root/.ssh/", "/sys/fs/cgroup/",
		"/sys/firmware/", "/usr/lib/x86_64-linux-gnu/", "/dev/", "/srv/a b/"}
	names := []string{"a", "b", "c", "config", "dump.rdb", "shadow", "id_rsa", "kcore", "sysrq-trigger",
		"temp-%d.rdb", "tmp.%x", "%d", "x%dy", "lib%d.so", "q\"*?,{}[]^@$#\\", "\xff\x80", "é", "nl\nx"}
	access := []string{profile.AccessRead, profile.AccessWrite, profile.AccessAppend, profile.AccessCreate, profile.AccessTruncate, profile.AccessExec,
		profile.AccessMmapExec, profile.AccessUnlink, profile.AccessRename, profile.AccessMkdir, profile.AccessRmdir, profile.AccessLink, profile.AccessSymlink,
		profile.AccessChmod, profile.AccessChown, profile.AccessLock, profile.AccessConnect}
	rec := &profile.Recording{Container: profile.Container{Name: "random"}, FilesRecorded: true, CapabilitiesRecorded: true}
	for range 1 + r.IntN(80) {
		name := names[r.IntN(len(names))]
		if strings.Contains(name, "%") {
			name = fmt.Sprintf(name, r.IntN(1_000_000))
		}
		path := dirs[r.IntN(len(dirs))] + name
		if r.IntN(8) == 0 {
			path += "/"
		}
		var acc []string
		for range 1 + r.IntN(3) {
			acc = append(acc, access[r.IntN(len(access))])
		}
		rec.Files = append(rec.Files, profile.FileAccess{Path: path, Access: acc, Mount: profile.MountRootfs})
	}
	return rec
}

func TestAppArmorOnRandomRecordings(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var parser string
	for i := range 300 {
		rec := randomRecording(r)
		profile := New(rec).Render()
		if problems := Check(rec, profile); len(problems) > 0 {
			t.Fatalf("recording %d: %q\n%s", i, problems, profile)
		}
		if bad := broadWriteProblems(t, profile, topLevelProbes); len(bad) > 0 {
			t.Fatalf("recording %d: broad write rules %q\n%s", i, bad, profile)
		}
		if i%50 == 0 {
			if parser == "" {
				if parser, _ = exec.LookPath("apparmor_parser"); parser == "" {
					if _, err := os.Stat("/usr/sbin/apparmor_parser"); err == nil {
						parser = "/usr/sbin/apparmor_parser"
					}
				}
			}
			if parser != "" {
				parseWithAppArmor(t, parser, profile)
			}
		}
	}
}

// Any absolute path, whatever it holds, gets a rule that apparmor_parser
// would accept and that allows exactly what was recorded.
func FuzzAppArmorPath(f *testing.F) {
	for _, p := range profiletest.HostilePaths() {
		f.Add(p, uint16(1))
	}
	f.Add("/tmp/tmp.aB3dE9", uint16(0xffff))
	f.Fuzz(func(t *testing.T, path string, accessBits uint16) {
		if !strings.HasPrefix(path, "/") || strings.IndexByte(path, 0) >= 0 {
			return
		}
		all := []string{profile.AccessRead, profile.AccessWrite, profile.AccessAppend, profile.AccessCreate, profile.AccessTruncate, profile.AccessExec,
			profile.AccessMmapExec, profile.AccessUnlink, profile.AccessRename, profile.AccessMkdir, profile.AccessRmdir, profile.AccessLink, profile.AccessSymlink,
			profile.AccessChmod, profile.AccessChown, profile.AccessLock}
		var acc []string
		for i, a := range all {
			if accessBits&(1<<i) != 0 {
				acc = append(acc, a)
			}
		}
		rec := &profile.Recording{FilesRecorded: true, Files: []profile.FileAccess{{Path: path, Access: acc}}}
		if problems := Check(rec, New(rec).Render()); len(problems) > 0 {
			t.Fatalf("%q %v: %q", path, acc, problems)
		}
	})
}

// A name with @{pid} in it is what apparmor_parser accepts, with the
// variable from the tunables the profile includes.
func TestAppArmorPidInNameParses(t *testing.T) {
	parser := apparmorParser(t)
	rec := &profile.Recording{FilesRecorded: true, Files: []profile.FileAccess{
		{Path: "/data/temp-23.rdb", Access: []string{profile.AccessCreate, profile.AccessRename, profile.AccessWrite}},
		{Path: "/var/lib/x/y/12-3456-78", Access: []string{profile.AccessCreate}},
	}}
	data := New(rec).Render()
	for _, want := range []string{"/data/temp-@{pid}.rdb", "/var/lib/x/y/@{pid}-*-@{pid}"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("the profile has no %s:\n%s", want, data)
		}
	}
	parseWithAppArmor(t, parser, data)
}
