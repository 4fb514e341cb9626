package apparmor

import (
	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/profiletest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var matchCases = []struct {
	pattern, path string
	want          bool
}{
	{"/etc/passwd", "/etc/passwd", true},
	{"/etc/passwd", "/etc/passwdx", false},
	{"/etc/passwd", "/etc/passw", false},

	// * and **: a whole component must not be empty.
	{"/etc/*", "/etc/passwd", true},
	{"/etc/*", "/etc/", false},
	{"/etc/*", "/etc/a/b", false},
	{"/etc/*", "/etcx", false},
	{"/etc/**", "/etc/a/b", true},
	{"/etc/**", "/etc/", false},
	{"/etc/**/", "/etc/a/b/", true},
	{"/*", "/etc", true},
	{"/*", "/", false},
	{"/tmp/tmp.*", "/tmp/tmp.", true},
	{"/tmp/tmp.*", "/tmp/tmp.aB3dE9", true},
	{"/tmp/tmp.*", "/tmp/tmp.x/y", false},
	{"/data/temp-*.rdb", "/data/temp-1.rdb", true},
	{"/data/temp-*.rdb", "/data/temp-.rdb", true},
	{"/data/temp-*.rdb", "/data/temp-1/.rdb", false},
	{"/a**", "/a", true},
	{"/a**", "/ab/c", true},

	// ? and classes; [^...] includes '/', as in apparmor_parser.
	{"/a?c", "/abc", true},
	{"/a?c", "/a/c", false},
	{"/a?c", "/ac", false},
	{"/[a-c]x", "/bx", true},
	{"/[a-c]x", "/dx", false},
	{"/[^a-c]x", "/dx", true},
	{"/[^a-c]x", "/ax", false},
	{"/x[^a]y", "/x/y", true},
	{"/[0-9/]x", "//x", true}, // runs of slashes fold in the path too
	{`/[\]]`, "/]", true},
	{"/dev/pts/[0-9]*", "/dev/pts/0", true},
	{"/dev/pts/[0-9]*", "/dev/pts/17", true},
	{"/dev/pts/[0-9]*", "/dev/pts/ptmx", false},

	// Alternation, nested, with empty branches.
	{"/{a,b}/x", "/a/x", true},
	{"/{a,b}/x", "/c/x", false},
	{"/{a,b{c,d}}/x", "/bd/x", true},
	{"/{a,b{c,d}}/x", "/b/x", false},
	{"/x{,/}", "/x", true},
	{"/x{,/}", "/x/", true},
	{"/x{,/}", "/x//", true},

	// Escapes.
	{`/a\*b`, "/a*b", true},
	{`/a\*b`, "/axb", false},
	{`/a\,b`, "/a,b", true},
	{`/q\"x`, `/q"x`, true},
	{`/b\\s`, `/b\s`, true},
	{`/b\\s`, `/bs`, false},
	{`/n\012x`, "/n\nx", true},
	{`/\377`, "/\xff", true},
	{`/\303\251`, "/é", true},
	{`/\x41`, "/A", true},
	{`/\@\{PROC\}`, "/@{PROC}", true},
	{"/a\\$b", "/a$b", true},

	// Byte-wise: ? is one byte, not one character.
	{"/?", "/\xff", true},
	{"/?", "/é", false},
	{"/??", "/é", true},

	// Variables.
	{"@{PROC}/@{pid}/stat", "/proc/1/stat", true},
	{"@{PROC}/@{pid}/stat", "/proc/4194304/stat", true},
	{"@{PROC}/@{pid}/stat", "/proc/0/stat", false},
	{"@{PROC}/@{pid}/stat", "/proc/01/stat", false},
	{"@{PROC}/@{pid}/stat", "/proc/5000000/stat", false},
	{"@{PROC}/@{pid}/stat", "/proc/12345678/stat", false},
	{"@{PROC}/@{pid}/stat", "/proc/self/stat", false},
	{"@{PROC}/@{pid}/task/@{tid}/comm", "/proc/3/task/4/comm", true},
	{"@{PROC}/*", "/proc/kcore", true},
	{"@{PROC}/*", "/proc/", false},
	{"@{PROC}/", "/proc/", true},
	{"@{sys}/x", "/sys/x", true},

	// docker-default's deny rules.
	{"@{PROC}/{[^1-9],[^1-9][^0-9],[^1-9s][^0-9y][^0-9s],[^1-9][^0-9][^0-9][^0-9/]*}/**", "/proc/1/x", false},
	{"@{PROC}/{[^1-9],[^1-9][^0-9],[^1-9s][^0-9y][^0-9s],[^1-9][^0-9][^0-9][^0-9/]*}/**", "/proc/12345/attr/current", false},
	{"@{PROC}/{[^1-9],[^1-9][^0-9],[^1-9s][^0-9y][^0-9s],[^1-9][^0-9][^0-9][^0-9/]*}/**", "/proc/sys/kernel/x", false},
	{"@{PROC}/{[^1-9],[^1-9][^0-9],[^1-9s][^0-9y][^0-9s],[^1-9][^0-9][^0-9][^0-9/]*}/**", "/proc/fs/x", true},
	{"@{PROC}/{[^1-9],[^1-9][^0-9],[^1-9s][^0-9y][^0-9s],[^1-9][^0-9][^0-9][^0-9/]*}/**", "/proc/self/x", true},
	{"@{PROC}/{[^1-9],[^1-9][^0-9],[^1-9s][^0-9y][^0-9s],[^1-9][^0-9][^0-9][^0-9/]*}/**", "/proc/driver/rtc", true},
	{"@{PROC}/sys/[^k]**", "/proc/sys/net/core/somaxconn", true},
	{"@{PROC}/sys/[^k]**", "/proc/sys/kernel/hostname", false},
	{"@{PROC}/sys/kernel/{?,??,[^s][^h][^m]**}", "/proc/sys/kernel/shmmax", false},
	{"@{PROC}/sys/kernel/{?,??,[^s][^h][^m]**}", "/proc/sys/kernel/hostname", true},
	{"@{PROC}/sys/kernel/{?,??,[^s][^h][^m]**}", "/proc/sys/kernel/ab", true},
	{"/sys/[^f]*/**", "/sys/kernel/mm/x", true},
	{"/sys/[^f]*/**", "/sys/fs/cgroup/x", false},
	{"/sys/fs/cg[^r]*/**", "/sys/fs/cgroup/x", false},

	// Folding of slashes.
	{"/a//b", "/a/b", true},
	{"/a/b", "/a//b", true},

	// Invalid patterns match nothing.
	{"/a{b}", "/ab", false},
	{"/a{b", "/ab", false},
	{"/a}", "/a}", false},
	{"/a[", "/a[", false},
	{"/a]", "/a]", false},
	{"/a[]", "/a", false},
	{"/a[*]", "/a*", false},
	{"/a\\", "/a\\", false},
	{"@{nope}/x", "/x", false},
	{"@{PROC", "/proc", false},
}

func TestMatchAppArmor(t *testing.T) {
	for _, tc := range matchCases {
		if got := Match(tc.pattern, tc.path); got != tc.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tc.pattern, tc.path, got, tc.want)
		}
	}
}

func TestMatchAppArmorEscapedPath(t *testing.T) {
	for _, c := range profiletest.HostileChars {
		for _, p := range []string{"/tmp/" + c, "/" + c + "/x" + c + c, c} {
			if !Match(escapeAppArmor(p), p) {
				t.Errorf("escaped %q = %q does not match it", p, escapeAppArmor(p))
			}
			if Match(escapeAppArmor(p), p+"x") || Match(escapeAppArmor(p+"x"), p) {
				t.Errorf("escaped %q matches more than itself", p)
			}
		}
	}
}

func TestParseAppArmorRules(t *testing.T) {
	text := `# comment with "quote and , comma
#include <tunables/global>
abi <abi/3.0>,
include <tunables/global>
include if exists <local/x>
profile x flags=(attach_disconnected,mediate_deleted) {
  "/a b" rw,   # trailing comment
  rw /perms/first,
  deny @{PROC}/{[^1-9],[^1-9][^0-9]}/** w,
  audit deny owner /o r,
  /bin/sh px -> other,
  file,
  network inet stream,
  signal (send) set=(quit, term) peer=x,
  ptrace (read,readby) peer=x,
  mount fstype=tmpfs -> "/mnt{,/}",
  umount "/mnt{,/}",
  capability chown,
  deny mount,
  ^hat {
    "/in/hat" r,
  }
}
`
	rules, err := ParseFileRules([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	want := []Rule{
		{Pattern: "/a b", Perms: "rw", Line: 7},
		{Pattern: "/perms/first", Perms: "rw", Line: 8},
		{Deny: true, Pattern: "@{PROC}/{[^1-9],[^1-9][^0-9]}/**", Perms: "w", Line: 9},
		{Deny: true, Owner: true, Pattern: "/o", Perms: "r", Line: 10},
		{Pattern: "/bin/sh", Perms: "px", Line: 11},
		{Pattern: "", Perms: "rwlkmix", Line: 12},
		{Pattern: "/in/hat", Perms: "r", Line: 21},
	}
	if len(rules) != len(want) {
		t.Fatalf("got %d rules, want %d: %+v", len(rules), len(want), rules)
	}
	for i, r := range rules {
		r.matcher = nil
		if r != want[i] {
			t.Errorf("rule %d = %+v, want %+v", i, r, want[i])
		}
	}
	if !rules[2].Matches("/proc/a/x") || rules[2].Matches("/proc/1/x") || !rules[5].Matches("/anything") {
		t.Error("rules do not match as parsed")
	}
}

func TestParseAppArmorRulesErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{`profile x { "/a r, }`, "unterminated quoted string"},
		{`profile x { "/a" r }`, "not terminated by ','"},
		{`profile x { "/a" r,`, "unterminated '{'"},
		{`profile x { "/a" r, } }`, "'}' without '{'"},
		{`profile x { "/a" x, }`, "exec mode"},
		{`profile x { "/a" rwa, }`, "mutually exclusive"},
		{`profile x { "/a" rq, }`, "unknown permission"},
		{`profile x { "/a{b}" r, }`, "at least two alternatives"},
		{`profile x { "/a[" r, }`, "unterminated '['"},
		{`profile x { "@{nope}/a" r, }`, "unknown variable"},
		{`profile x { "/a", }`, "no permissions"},
		{`profile x { "/a" r r, }`, "unexpected"},
		{`profile x { signal (send peer=x, }`, "unterminated '('"},
		{`profile x { /a{b,c r, }`, "unterminated"},
		{`profile x { , }`, "empty rule"},
		{"include <tunables/global\n", "unterminated '<'"},
	} {
		_, err := ParseFileRules([]byte(tc.text))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one mentioning %q", tc.text, err, tc.want)
		}
	}
}

// Every golden profile parses, and its rules are read back as written.
func TestParseGoldenAppArmorProfiles(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join(goldenDir, "*", profile.AppArmorFile))
	if len(paths) == 0 {
		t.Fatal("no golden apparmor.profile (run go test ./profile/profiledir -run Golden -update)")
	}
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rules, err := ParseFileRules(data)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		deny := 0
		for _, r := range rules {
			if r.Deny {
				deny++
			}
		}
		if deny < len(dockerDefaultDenies) {
			t.Errorf("%s: %d deny rules, want at least docker-default's %d", path, deny, len(dockerDefaultDenies))
		}
	}
}

func FuzzMatchAppArmor(f *testing.F) {
	for _, tc := range matchCases {
		f.Add(tc.pattern, tc.path)
	}
	for _, p := range profiletest.HostilePaths() {
		f.Add(p, p)
	}
	f.Fuzz(func(t *testing.T, pattern, path string) {
		Match(pattern, path)
		if !Match(escapeAppArmor(path), path) {
			t.Fatalf("escaped %q = %q does not match it", path, escapeAppArmor(path))
		}
		if !Match(escapeAppArmor(pattern), pattern) {
			t.Fatalf("escaped %q = %q does not match it", pattern, escapeAppArmor(pattern))
		}
	})
}

func FuzzParseAppArmorRules(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join(goldenDir, "*", profile.AppArmorFile))
	for _, path := range paths {
		if data, err := os.ReadFile(path); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`profile x { "/a b" rw, deny @{PROC}/{a,b}/** w, file, } `))
	f.Add([]byte("profile x {\n  \"/\\\"\" r,\n}\n"))
	f.Fuzz(func(t *testing.T, text []byte) {
		rules, err := ParseFileRules(text)
		if err != nil {
			return
		}
		for _, r := range rules {
			r.Matches("/proc/1/x")
		}
		effectivePerms(rules, "/etc/shadow")
	})
}
