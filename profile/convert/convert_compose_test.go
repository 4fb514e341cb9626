package convert

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/profiledir"
	"github.com/tailorsec/tailor/profile/profiletest"
	"sigs.k8s.io/yaml"
)

// With RelativeTo, the override names each seccomp.json by its path from
// the project directory, so that it can be committed with the profiles.
func TestGoldenConvertComposeRelative(t *testing.T) {
	set, _, err := profiledir.LoadAll("testdata/diff/v2")
	if err != nil {
		t.Fatal(err)
	}
	list := []*profiledir.Profile{set["db"], set["web"]}
	out, err := Compose(list, Options{RelativeTo: "testdata/diff"})
	if err != nil {
		t.Fatal(err)
	}
	profiletest.CheckGolden(t, "convert-v2-relative.compose.yaml", out)
	if abs, _ := filepath.Abs("testdata"); strings.Contains(string(out), abs) {
		t.Errorf("an absolute path is left:\n%s", out)
	}

	web := loadTestProfile(t, "testdata/diff/v1/web")
	out, err = Compose([]*profiledir.Profile{web}, Options{RelativeTo: "testdata/diff/v2"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "- seccomp=../v1/web/seccomp.json\n") {
		t.Errorf("a profile outside the directory is not named by ../:\n%s", out)
	}
}

func TestComposeSeccompPath(t *testing.T) {
	for _, tc := range []struct{ abs, relativeTo, want string }{
		{"/p/web/seccomp.json", "", "/p/web/seccomp.json"},
		{"/p/web/seccomp.json", "/p", "./web/seccomp.json"},
		{"/p/web/seccomp.json", "/p/", "./web/seccomp.json"},
		{"/p/web/seccomp.json", "/p/web", "./seccomp.json"},
		{"/p/web/seccomp.json", "/p/compose", "../web/seccomp.json"},
		{"/p/web/seccomp.json", "/q/r", "../../p/web/seccomp.json"},
		// A directory whose name starts with two dots is inside.
		{"/p/..web/seccomp.json", "/p", "./..web/seccomp.json"},
		{"unconfined", "/p", "unconfined"},
	} {
		got, err := composeSeccompPath(tc.abs, Options{RelativeTo: tc.relativeTo})
		if err != nil || got != tc.want {
			t.Errorf("composeSeccompPath(%q, %q) = %q, %v; want %q", tc.abs, tc.relativeTo, got, err, tc.want)
		}
	}
}

func TestComposeMemory(t *testing.T) {
	for n, want := range map[int64]string{0: "", profile.NoLimit: "0", 64 << 20: "64m", 3 << 30: "3072m", 1000: "1000b", 64<<20 + 1: "67108865b"} {
		if got := composeMemory(n); got != want {
			t.Errorf("composeMemory(%d) = %q, want %q", n, got, want)
		}
	}
}

// profileWith writes a profile directory named name: the capabilities
// and seccomp profile of the v1 web fixture, and the given files.
func profileWith(t *testing.T, name string, files map[string]string) *profiledir.Profile {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{profile.CapabilitiesFile, profile.SeccompFile} {
		b, err := os.ReadFile(filepath.Join("testdata/diff/v1/web", f))
		if err != nil {
			t.Fatal(err)
		}
		files[f] = string(b)
	}
	for f, text := range files {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return loadTestProfile(t, dir)
}

// composeDoc decodes an override file as compose does (YAML, so that a
// user that YAML 1.1 reads as a number shows up).
func composeDoc(t *testing.T, out []byte) map[string]map[string]any {
	t.Helper()
	var doc struct {
		Services map[string]map[string]any `json:"services"`
	}
	if err := yaml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return doc.Services
}

// --user, the limits (unlimited included) and tmpfs options reach the
// override; a flag compose has no key for here is named in a comment.
func TestConvertComposeUserAndLimits(t *testing.T) {
	p := profileWith(t, "app", map[string]string{profile.FlagsFile: "--cap-drop=ALL --cap-add=CHOWN --user=33:33 --pids-limit=-1 --memory=0 " +
		"--ulimit=nofile=-1 --ulimit=nproc=10:20 --tmpfs=/tmp:size=1m --cpus=2\n"})
	out, err := Compose([]*profiledir.Profile{p}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "# service app: flags not converted: --cpus=2\n") {
		t.Errorf("--cpus is not named as not converted:\n%s", out)
	}
	if strings.Contains(string(out), "not converted: --user") || strings.Contains(string(out), "--pids-limit") {
		t.Errorf("a converted flag is named as not converted:\n%s", out)
	}
	// 33:33 unquoted is 2013 to YAML 1.1 (docker-compose 1.x): it must
	// be quoted.
	if !strings.Contains(string(out), `user: "33:33"`) {
		t.Errorf("user not quoted:\n%s", out)
	}
	app := composeDoc(t, out)["app"]
	want := map[string]string{
		"user": "33:33", "pids_limit": "-1", "mem_limit": "0", "tmpfs": "[/tmp:size=1m]",
		"ulimits": "map[nofile:-1 nproc:map[hard:20 soft:10]]", "cap_add": "[CHOWN]", "cap_drop": "[ALL]",
	}
	for k, v := range want {
		if got := fmt.Sprint(app[k]); got != v {
			t.Errorf("%s = %s, want %s", k, got, v)
		}
	}
	if _, ok := app["read_only"]; ok {
		t.Errorf("read_only without --read-only: %v", app)
	}

	// Forms without these keys name them instead; flags pass them on.
	k8s, err := K8s([]*profiledir.Profile{p}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(k8s), "# container app: flags not converted: --user=33:33 --pids-limit=-1 --memory=0 --ulimit=nofile=-1 --ulimit=nproc=10:20 --cpus=2\n") {
		t.Errorf("k8s does not name the flags it does not convert:\n%s", k8s)
	}
	line, err := Flags(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"--user=33:33", "--pids-limit=-1", "--memory=0", "--ulimit=nproc=10:20", "--tmpfs=/tmp:size=1m", "--cpus=2"} {
		if !strings.Contains(line, f) {
			t.Errorf("flags lack %s: %s", f, line)
		}
	}
}

// A profile without docker-run.flags takes the suggestions of its
// report.json, as its flags would have.
func TestConvertComposeFromReport(t *testing.T) {
	report := `{"schema_version": 1,
		"user": {"decision": "x", "current": "root", "user": "101:101", "flag": "--user=101:101", "reason": "", "evidence": []},
		"limits": {"pids": {"peak": 6, "current": 0, "suggested": 48, "flag": "--pids-limit=48", "reason": ""},
			"memory": {"peak": 1, "current": 0, "suggested": 67108864, "flag": "--memory=64m", "reason": ""},
			"nofile": {"peak": 58, "current": 0, "suggested": 1024, "flag": "--ulimit=nofile=1024:1024", "reason": ""}},
		"read_only": {"suggested": true, "tmpfs": ["/tmp", "/run"], "reason": ""},
		"no_new_privileges": {"suggested": true, "reason": ""}}`
	p := profileWith(t, "cache", map[string]string{profile.ReportFile: report})
	if p.Report == nil || p.Flags != nil {
		t.Fatalf("fixture: report %v, flags %v", p.Report, p.Flags)
	}
	out, err := Compose([]*profiledir.Profile{p}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cache := composeDoc(t, out)["cache"]
	want := map[string]string{
		"user": "101:101", "pids_limit": "48", "mem_limit": "64m", "ulimits": "map[nofile:1024]",
		"read_only": "true", "tmpfs": "[/run /tmp]",
	}
	for k, v := range want {
		if got := fmt.Sprint(cache[k]); got != v {
			t.Errorf("%s = %s, want %s", k, got, v)
		}
	}
	if !strings.Contains(fmt.Sprint(cache["security_opt"]), "no-new-privileges:true") {
		t.Errorf("security_opt = %v", cache["security_opt"])
	}
	line, err := Flags(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"--read-only", "--tmpfs=/run", "--user=101:101", "--pids-limit=48", "--memory=64m", "--ulimit=nofile=1024:1024"} {
		if !strings.Contains(line, f) {
			t.Errorf("flags lack %s: %s", f, line)
		}
	}
}
