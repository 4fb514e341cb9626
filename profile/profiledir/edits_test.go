package profiledir_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	moby "github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/apparmor"
	"github.com/tailorsec/tailor/profile/profiledir"
	"github.com/tailorsec/tailor/profile/profiletest"
	"github.com/tailorsec/tailor/profile/runflags"
	"github.com/tailorsec/tailor/profile/seccomp"
)

// rerecording is nginx recorded again: another container, and one more
// syscall.
func rerecording(t *testing.T) *profile.Recording {
	rec := profiletest.NginxRecording(t)
	rec.Container.ID = "9999999999999999999999999999999999999999999999999999999999999999"
	rec.Syscalls = append(rec.Syscalls, profiletest.Use(t, profile.ArchX86_64, "getcwd", 1, profile.SourceWorkload))
	return rec
}

func writeProfile(t *testing.T, dir string, rec *profile.Recording) profile.Written {
	t.Helper()
	w, err := profiledir.Write(dir, rec)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func editFile(t *testing.T, path string, edit func(string) string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := edit(string(data))
	if out == string(data) {
		t.Fatalf("the edit of %s changed nothing", path)
	}
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
}

func editSeccomp(t *testing.T, path string, edit func(p *moby.Seccomp)) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := seccomp.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	edit(p)
	out, err := json.MarshalIndent(p, "", "\t") // a user's editor, not tailor's style
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// fileCase is an edit of one kind of file and how to see it survived.
type fileCase struct {
	file string
	edit func(t *testing.T, path string)
	// check looks at the file written after the edit; kept are the edits
	// tailor must say it kept, note a removal it must report.
	check func(t *testing.T, data []byte)
	kept  []string
	note  string
}

func fileCases() []fileCase {
	return []fileCase{{
		file: profile.SeccompFile,
		edit: func(t *testing.T, path string) {
			editSeccomp(t, path, func(p *moby.Seccomp) {
				p.Architectures = append(p.Architectures, specs.ArchX86)
				for _, s := range p.Syscalls {
					if s.Action == specs.ActAllow && len(s.Args) == 0 {
						s.Names = append(slices.DeleteFunc(s.Names, func(n string) bool { return n == "sysinfo" }), "ptrace")
						break
					}
				}
				// ioctl's TCGETS (0x5401) replaced by FIONREAD (0x541b).
				for _, s := range p.Syscalls {
					if slices.Equal(s.Names, []string{"ioctl"}) && s.Args[0].Value == 0x5401 {
						s.Args[0].Value = 0x541b
					}
				}
			})
		},
		check: func(t *testing.T, data []byte) {
			p, err := seccomp.Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			pol, err := seccomp.Evaluate(p, seccomp.Env{Arch: "amd64"})
			if err != nil {
				t.Fatal(err)
			}
			if s := pol.Syscalls["ptrace"]; s == nil || !s.Any {
				t.Errorf("ptrace added by hand is not allowed: %+v", s)
			}
			if pol.Syscalls["sysinfo"] != nil {
				t.Error("sysinfo removed by hand is allowed again")
			}
			if pol.Syscalls["getcwd"] == nil {
				t.Error("getcwd, which the new recording made, is not allowed")
			}
			if !slices.Contains(p.Architectures, specs.ArchX86) {
				t.Errorf("architecture added by hand is gone: %v", p.Architectures)
			}
			ioctl := pol.Syscalls["ioctl"].Describe()
			if !strings.Contains(ioctl, "0x541b") || strings.Contains(ioctl, "0x5401") || !strings.Contains(ioctl, "0x5421") {
				t.Errorf("ioctl: %s, want 0x541b by hand, 0x5421 recorded, not 0x5401", ioctl)
			}
		},
		kept: []string{"+ptrace", "-sysinfo", "+SCMP_ARCH_X86", "+ioctl (when arg1 == 0x541b)", "-ioctl (when arg1 == 0x5401)"},
		note: "needs sysinfo (tailor would write it), which your edit removed",
	}, {
		file: profile.CapabilitiesFile,
		edit: func(t *testing.T, path string) {
			editFile(t, path, func(s string) string {
				s = strings.Replace(s, `"CAP_CHOWN",`, `"CAP_SYS_PTRACE",`, 1)
				return strings.Replace(s, `"drop": [`, `"drop": ["CAP_CHOWN",`, 1)
			})
		},
		check: func(t *testing.T, data []byte) {
			c, err := runflags.ParseCapabilities(data)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(c.Add, "CAP_SYS_PTRACE") || slices.Contains(c.Add, "CAP_CHOWN") || !slices.Contains(c.Drop, "CAP_CHOWN") {
				t.Errorf("capabilities %+v: want SYS_PTRACE added and CHOWN dropped by hand", c)
			}
		},
		kept: []string{"+CAP_SYS_PTRACE", "-CAP_CHOWN", "+CAP_CHOWN (in drop)"},
		note: "needs CAP_CHOWN (tailor would write it), which your edit removed",
	}, {
		file: profile.FlagsFile,
		edit: func(t *testing.T, path string) {
			editFile(t, path, func(s string) string {
				s = strings.Replace(s, " --read-only", "", 1)
				s = strings.Replace(s, " --tmpfs=/run", "", 1)
				return strings.TrimSpace(s) + " --cap-add SYS_PTRACE -m 256m --network=none\n"
			})
		},
		check: func(t *testing.T, data []byte) {
			f, err := runflags.Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			if f.ReadOnly || slices.Contains(f.Tmpfs, "/run") || !slices.Contains(f.Tmpfs, "/tmp") {
				t.Errorf("read-only %v, tmpfs %v: want --read-only and /run removed by hand, /tmp kept", f.ReadOnly, f.Tmpfs)
			}
			if !slices.Contains(f.CapAdd, "CAP_SYS_PTRACE") || f.MemoryBytes != 256<<20 || !slices.Contains(f.Other, "--network=none") {
				t.Errorf("flags %s: want the capability, memory and network added by hand", data)
			}
			if !strings.Contains(f.Seccomp, "/again/") {
				t.Errorf("seccomp= %s does not name the new directory's seccomp.json", f.Seccomp)
			}
		},
		kept: []string{"+ --cap-add=SYS_PTRACE", "+ --memory=256m", "+ --network=none", "- --read-only", "- --tmpfs=/run"},
		note: "needs --read-only (tailor would write it), which your edit removed",
	}, {
		file: profile.AppArmorFile,
		edit: func(t *testing.T, path string) {
			editFile(t, path, func(s string) string {
				s = strings.Replace(s, "  \"/etc/passwd\" r,\n", "", 1)
				s = strings.Replace(s, "include <tunables/global>\n", "include <tunables/global>\ninclude if exists <local/tailor>\n", 1)
				s = strings.Replace(s, "  # Sockets", "  @{PROC}/@{pid}/{stat,statm} r,\n  # Sockets", 1)
				return strings.Replace(s, "  # Sockets the container created.", "  # TLS certificates, read on a path the tests do not take\n  /etc/ssl/** r,\n\n  # Sockets the container created.", 1)
			})
		},
		check: func(t *testing.T, data []byte) {
			p, err := apparmor.Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			var patterns []string
			for _, r := range p.Files {
				patterns = append(patterns, r.Pattern)
			}
			if !slices.Contains(patterns, "/etc/ssl/**") || !slices.Contains(patterns, "@{PROC}/@{pid}/{stat,statm}") || slices.Contains(patterns, "/etc/passwd") {
				t.Errorf("file rules %v: want /etc/ssl/** added and /etc/passwd removed by hand", patterns)
			}
			if !bytes.Contains(data, []byte("include <tunables/global>\ninclude if exists <local/tailor>\n\nprofile tailor-web")) {
				t.Errorf("the variable defined by hand is not before the profile:\n%s", data)
			}
			if !bytes.Contains(data, []byte("# TLS certificates, read on a path the tests do not take\n  /etc/ssl/** r,")) {
				t.Errorf("the comment above the added rule is gone:\n%s", data)
			}
		},
		kept: []string{"+/etc/ssl/** r,", "+@{PROC}/@{pid}/{stat,statm} r,", "+include if exists <local/tailor>", `-"/etc/passwd" r,`},
		note: `needs "/etc/passwd" r, (tailor would write it), which your edit removed`,
	}}
}

func checkKept(t *testing.T, w profile.Written, fc fileCase, path string) {
	t.Helper()
	for _, k := range fc.kept {
		want := "kept your edit: " + k + " in " + path
		if !slices.ContainsFunc(w.Kept, func(s string) bool { return strings.HasPrefix(s, want) }) {
			t.Errorf("no %q in %q", want, w.Kept)
		}
	}
	if len(w.Kept) != len(fc.kept) {
		t.Errorf("kept %q, want only %q", w.Kept, fc.kept)
	}
	if !slices.ContainsFunc(w.EditNotes, func(s string) bool { return strings.Contains(s, fc.note) && strings.Contains(s, path) }) {
		t.Errorf("notes %q do not report %q from %s", w.EditNotes, fc.note, path)
	}
}

// An edit of each file survives writing a new recording into its
// directory (tailor record -o, check -o), and doing it again.
func TestEditSurvivesRerecord(t *testing.T) {
	for _, fc := range fileCases() {
		t.Run(fc.file, func(t *testing.T) {
			t.Chdir(t.TempDir())
			dir := filepath.Join("again", "web")
			writeProfile(t, dir, profiletest.NginxRecording(t))
			path := filepath.Join(dir, fc.file)
			fc.edit(t, path)
			w := writeProfile(t, dir, rerecording(t))
			data, _ := os.ReadFile(path)
			fc.check(t, data)
			checkKept(t, w, fc, path)
			if _, err := profiledir.Load(dir); err != nil {
				t.Fatal(err)
			}
			// And again: the edit is still known as the user's.
			w = writeProfile(t, dir, rerecording(t))
			again, _ := os.ReadFile(path)
			if !bytes.Equal(again, data) {
				t.Errorf("second re-record changed the file:\n%s\nthen\n%s", data, again)
			}
			checkKept(t, w, fc, path)
		})
	}
}

// An edit of each file survives tailor merge, and is named with the input
// it came from.
func TestEditSurvivesMerge(t *testing.T) {
	for _, fc := range fileCases() {
		t.Run(fc.file, func(t *testing.T) {
			t.Chdir(t.TempDir())
			a, b := filepath.Join("shard1", "web"), filepath.Join("shard2", "web")
			writeProfile(t, a, profiletest.NginxRecording(t))
			writeProfile(t, b, rerecording(t))
			fc.edit(t, filepath.Join(a, fc.file))
			results, err := profiledir.Merge([]string{"shard1", "shard2"}, "again")
			if err != nil {
				t.Fatal(err)
			}
			if len(results) != 1 {
				t.Fatalf("results %+v", results)
			}
			data, _ := os.ReadFile(filepath.Join("again", "web", fc.file))
			fc.check(t, data)
			checkKept(t, results[0].Written, fc, filepath.Join(a, fc.file))
			if !slices.ContainsFunc(results[0].Written.EditNotes, func(s string) bool { return strings.Contains(s, "the recording of "+b) }) {
				t.Errorf("notes %q do not name %s as the recording that used what was removed", results[0].Written.EditNotes, b)
			}
			// Merging the merged profile again keeps the edit, now as
			// the output's own.
			results, err = profiledir.Merge([]string{"again", "shard2"}, "again")
			if err != nil {
				t.Fatal(err)
			}
			again, _ := os.ReadFile(filepath.Join("again", "web", fc.file))
			fc.check(t, again)
		})
	}
}

// A file tailor cannot read is an error naming it and its line, and no
// file of the directory changes.
func TestBrokenEditWritesNothing(t *testing.T) {
	for _, tc := range []struct {
		file, text, want string
	}{
		{profile.SeccompFile, "{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n  \"syscalls\": [\n    {\"names\": [\"read\"] \"action\": \"SCMP_ACT_ALLOW\"}\n  ]\n}\n", "line 4"},
		{profile.CapabilitiesFile, "{\n  \"add\": [\n    \"CAP_CHOWN\",\n  ]\n}\n", "line 4"},
		{profile.FlagsFile, "# mine\n--cap-drop=ALL --tmpfs='/run\n", "line 2"},
		{profile.AppArmorFile, "abi <abi/3.0>,\nprofile tailor-web {\n  /etc/passwd r\n}\n", "line 3"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "web")
			writeProfile(t, dir, profiletest.NginxRecording(t))
			path := filepath.Join(dir, tc.file)
			if err := os.WriteFile(path, []byte(tc.text), 0o644); err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, dir)
			_, err := profiledir.Write(dir, rerecording(t))
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v: want one naming %s, %s", err, path, tc.want)
			}
			if after := snapshot(t, dir); !maps(before, after) {
				t.Error("a file changed")
			}
			other := filepath.Join(t.TempDir(), "other")
			writeProfile(t, other, rerecording(t))
			if _, err := profiledir.Merge([]string{dir, other}, filepath.Join(t.TempDir(), "out")); err == nil || !strings.Contains(err.Error(), path) {
				t.Errorf("merge: %v, want an error naming %s", err, path)
			}
		})
	}
}

func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, e := range entries {
		data, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		m[e.Name()] = string(data)
	}
	return m
}

func maps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// A profile nobody edited has no edits even when what tailor renders from
// its recording changes (a newer tailor): written.json says the files are
// as tailor wrote them.
func TestUneditedHasNoEdits(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "web")
	writeProfile(t, dir, profiletest.NginxRecording(t))
	// Stand-in for a newer emitter: the recording renders differently now.
	data, err := profile.MarshalRecording(rerecording(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, profile.RecordingFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	edits, notes, err := profiledir.Edits(dir)
	if err != nil || len(edits) != 0 || len(notes) != 0 {
		t.Errorf("edits %v, notes %q, err %v: want none", edits, notes, err)
	}
	// Without written.json (a profile from an older tailor) every
	// difference is an edit, and a note says so.
	os.Remove(filepath.Join(dir, profiledir.WrittenFile))
	edits, notes, err = profiledir.Edits(dir)
	if err != nil || len(edits) == 0 || len(notes) == 0 || !strings.Contains(notes[0], "no record") {
		t.Errorf("edits %v, notes %q, err %v: want getcwd's absence as an edit, with a note", edits, notes, err)
	}
}

// A directory with profile files but no recording.json is not
// overwritten: tailor cannot tell an edit there from its own.
func TestNoRecordingNoOverwrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "web")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, profile.SeccompFile), []byte(`{"defaultAction":"SCMP_ACT_ALLOW"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := profiledir.Write(dir, rerecording(t)); err == nil || !strings.Contains(err.Error(), "no recording.json") {
		t.Errorf("error %v", err)
	}
}
