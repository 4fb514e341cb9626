package runflags

import (
	"os/exec"
	"slices"
	"testing"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/profiletest"
)

var quoteCases = []struct{ in, want string }{
	{"abc", "abc"},
	{"--security-opt=seccomp=/profiles/web/seccomp.json", "--security-opt=seccomp=/profiles/web/seccomp.json"},
	{"", "''"},
	{"a b", "'a b'"},
	{"a b'c", `'a b'\''c'`},
	{"'", `''\'''`},
	{`say "hi"`, `'say "hi"'`},
	{"$HOME", "'$HOME'"},
	{"$(id)", "'$(id)'"},
	{"`id`", "'`id`'"},
	{`back\slash`, `'back\slash'`},
	{"two\nlines", "'two\nlines'"},
	{"tab\there", "'tab\there'"},
	{"glob*?[x]", "'glob*?[x]'"},
	{"~user", "'~user'"},
	{"a;b&c|d", "'a;b&c|d'"},
	{"#comment", "'#comment'"},
	{"é", "'é'"},
}

func TestShellQuote(t *testing.T) {
	for _, tc := range quoteCases {
		if got := ShellQuote(tc.in); got != tc.want {
			t.Errorf("ShellQuote(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// The quoted words must come back unchanged through a real POSIX shell.
func TestShellQuoteRoundTripsThroughSh(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	var flags []string
	for _, tc := range quoteCases {
		flags = append(flags, tc.in)
	}
	out, err := exec.Command(sh, "-c", `for a in `+Line(flags)+`; do printf '%s\0' "$a"; done`).Output()
	if err != nil {
		t.Fatal(err)
	}
	got := splitNUL(out)
	if !slices.Equal(got, flags) {
		t.Errorf("sh read\n%q\nwant\n%q", got, flags)
	}
}

func splitNUL(b []byte) []string {
	var out []string
	start := 0
	for i, c := range b {
		if c == 0 {
			out = append(out, string(b[start:i]))
			start = i + 1
		}
	}
	return out
}

func TestDockerRunFlags(t *testing.T) {
	rec := profiletest.NginxRecording(t)
	caps := profile.Capabilities(rec)
	got := New(rec, caps, "/srv/profiles/my web/seccomp.json")
	want := []string{
		"--cap-drop=ALL",
		"--cap-add=CHOWN",
		"--cap-add=NET_BIND_SERVICE",
		"--cap-add=SETGID",
		"--cap-add=SETUID",
		"--security-opt=seccomp=/srv/profiles/my web/seccomp.json",
		"--security-opt=apparmor=tailor-web",
		"--security-opt=no-new-privileges",
		"--read-only",
		"--tmpfs=/run", "--tmpfs=/tmp",
	}
	if !slices.Equal(got, want) {
		t.Errorf("flags =\n%q\nwant\n%q", got, want)
	}
	wantLine := "--cap-drop=ALL --cap-add=CHOWN --cap-add=NET_BIND_SERVICE --cap-add=SETGID --cap-add=SETUID " +
		"'--security-opt=seccomp=/srv/profiles/my web/seccomp.json' --security-opt=apparmor=tailor-web " +
		"--security-opt=no-new-privileges --read-only --tmpfs=/run --tmpfs=/tmp"
	if line := Line(got); line != wantLine {
		t.Errorf("line =\n%s\nwant\n%s", line, wantLine)
	}

	rec.PrivilegedExecs = []string{"/usr/bin/passwd"}
	if slices.Contains(New(rec, caps, "/p.json"), "--security-opt=no-new-privileges") {
		t.Error("no-new-privileges suggested despite a privileged exec")
	}

	rec.Files = append(rec.Files, profile.FileAccess{Path: "/var/tmp/x", Access: profiletest.Created, Mount: profile.MountRootfs},
		profile.FileAccess{Path: "/tmp/y", Access: profiletest.Created, Mount: profile.MountRootfs})
	got = New(rec, caps, "/p.json")
	if want := []string{"--read-only", "--tmpfs=/run", "--tmpfs=/tmp", "--tmpfs=/var/tmp"}; !slices.Equal(got[len(got)-4:], want) {
		t.Errorf("flags end in %q, want %q", got[len(got)-4:], want)
	}
	rec.Files = append(rec.Files, profile.FileAccess{Path: "/data/dump.rdb", Access: profiletest.Created, Mount: profile.MountRootfs})
	if slices.Contains(New(rec, caps, "/p.json"), "--read-only") {
		t.Error("--read-only suggested despite a write to /data")
	}
}
