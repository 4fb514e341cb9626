package diff

// Fuzz targets for every parser of a file tailor reads back (make fuzz runs
// each for a while): no input may panic, and what parses must behave.

import (
	"os"
	"path/filepath"
	"testing"

	moby "github.com/moby/profiles/seccomp"
	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/apparmor"
	"github.com/tailorsec/tailor/profile/report"
	"github.com/tailorsec/tailor/profile/runflags"
	"github.com/tailorsec/tailor/profile/seccomp"
)

func addFiles(f *testing.F, pattern string) {
	files, _ := filepath.Glob(pattern)
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
}

// A profile compared with itself grants nothing new.
func FuzzParseSeccomp(f *testing.F) {
	addFiles(f, "testdata/golden/*/seccomp.json")
	addFiles(f, "testdata/diff/*/*/seccomp.json")
	if def, err := seccomp.Marshal(moby.DefaultProfile()); err == nil {
		f.Add(def)
	}
	f.Add([]byte(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"name":"ptrace","action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":1,"op":"SCMP_CMP_NE"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := seccomp.Parse(data)
		if err != nil {
			return
		}
		pol, err := seccomp.Evaluate(p, seccomp.Env{Arch: profile.ArchX86_64})
		if err != nil {
			return
		}
		if c := seccomp.Compare(pol, pol); len(c) > 0 {
			t.Errorf("a profile differs from itself: %+v", c)
		}
		for _, s := range pol.Syscalls {
			_ = s.Describe()
		}
	})
}

func FuzzParseAppArmor(f *testing.F) {
	addFiles(f, "testdata/golden/*/apparmor.profile")
	addFiles(f, "testdata/diff/*/*/apparmor.profile")
	f.Add([]byte("profile p {\n  owner /a/** rw,\n  deny /a/b w,\n  signal (send) set=(term) peer=x,\n  network inet,\n}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := apparmor.Parse(data)
		if err != nil {
			return
		}
		if len(p.Files) > 40 {
			return // keep each run short
		}
		for _, c := range apparmor.Compare(p, p) {
			if c.Widening {
				t.Errorf("a profile widens itself: %+v", c)
			}
		}
		for _, r := range p.Rules {
			_ = r.String()
		}
	})
}

func FuzzParseCapabilities(f *testing.F) {
	addFiles(f, "testdata/golden/*/capabilities.json")
	f.Add([]byte(`{"add":["chown"],"drop":[],"denied":["CAP_SYS_NICE"]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := runflags.ParseCapabilities(data)
		if err != nil {
			return
		}
		out, err := profile.MarshalCapabilities(*c)
		if err != nil {
			t.Fatal(err)
		}
		back, err := runflags.ParseCapabilities(out)
		if err != nil || len(back.Add) != len(c.Add) {
			t.Errorf("capabilities.json does not read back: %v", err)
		}
	})
}

func FuzzParseRecording(f *testing.F) {
	addFiles(f, "testdata/golden/*/recording.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := profile.ParseRecording(data)
		if err != nil {
			return
		}
		out, err := profile.MarshalRecording(rec)
		if err != nil {
			t.Fatal(err)
		}
		back, err := profile.ParseRecording(out)
		if err != nil {
			t.Fatalf("recording.json written by tailor does not parse: %v", err)
		}
		again, _ := profile.MarshalRecording(back)
		if string(again) != string(out) {
			t.Error("recording.json does not round-trip")
		}
	})
}

func FuzzParseReport(f *testing.F) {
	addFiles(f, "testdata/golden/*/report.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = report.Parse(data)
	})
}

func FuzzParseRunFlags(f *testing.F) {
	addFiles(f, "testdata/golden/*/docker-run.flags")
	addFiles(f, "testdata/diff/*/*/docker-run.flags")
	f.Add([]byte(`--cap-add "SYS_ADMIN" --security-opt 'seccomp=/a b/s.json' --tmpfs=/run\ x`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fl, err := runflags.Parse(data)
		if err != nil {
			return
		}
		for _, c := range compareFlags(fl, fl, false) {
			t.Errorf("flags differ from themselves: %+v", c)
		}
		_ = fl.Capabilities()
	})
}
