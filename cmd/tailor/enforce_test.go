package main

// tailor enforce without Docker: its errors before the command starts,
// the command's environment, and the create hook's choice of profile.

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tailorsec/tailor/enforce/harden"
	"github.com/tailorsec/tailor/enforce/proxy"
	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/profiledir"
	"github.com/tailorsec/tailor/profile/runflags"
)

func TestEnforceErrorsBeforeTheCommand(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "ran")
	cmd := []string{"--", "touch", marker}
	broken := filepath.Join(dir, "broken")
	os.MkdirAll(filepath.Join(broken, "web"), 0o755)
	os.WriteFile(filepath.Join(broken, "web", profile.SeccompFile), []byte(`{"defaultAction":`), 0o644)
	badFlags := filepath.Join(dir, "badflags")
	os.MkdirAll(filepath.Join(badFlags, "db"), 0o755)
	os.WriteFile(filepath.Join(badFlags, "db", profile.FlagsFile), []byte("--cap-add=CHOWN; rm -rf /\n"), 0o644)
	single := filepath.Join(dir, "single")
	os.MkdirAll(single, 0o755)
	os.WriteFile(filepath.Join(single, profile.FlagsFile), []byte("--cap-drop=ALL\n"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{cmd, "--profiles is required"},
		{[]string{"--profiles", dir}, "no COMMAND"},
		{append([]string{"--profiles", broken}, cmd...), filepath.Join(broken, "web", profile.SeccompFile)},
		{append([]string{"--profiles", badFlags}, cmd...), filepath.Join(badFlags, "db", profile.FlagsFile)},
		{append([]string{"--profiles", single}, cmd...), "is one profile directory"},
		{append([]string{"--profiles", filepath.Join(dir, "none")}, cmd...), "no such file"},
		{append([]string{"--profiles", dir, "--name-by", "colour"}, cmd...), "--name-by"},
	} {
		code, _, stderr := tailor(t, append([]string{"enforce"}, tc.args...)...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.args, code, stderr, tc.want)
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the command ran although the profiles were broken")
	}
}

func TestEnforceEnv(t *testing.T) {
	env := enforceEnv([]string{"PATH=/bin", "DOCKER_HOST=tcp://x:2376", "DOCKER_TLS_VERIFY=1", "DOCKER_CONTEXT=remote", "DOCKER_CERT_PATH=/c", "DOCKER_API_VERSION=1.40"}, "unix:///tmp/p/docker.sock")
	want := []string{"PATH=/bin", "DOCKER_API_VERSION=1.40", "DOCKER_HOST=unix:///tmp/p/docker.sock"}
	if !slices.Equal(env, want) {
		t.Errorf("%v, want %v", env, want)
	}
}

func TestEnforcerChoosesTheProfile(t *testing.T) {
	web := &profiledir.Profile{Name: "web", Path: "/p/web"}
	var err error
	if web.Capabilities, err = runflagsCapabilities(`{"add":["CAP_CHOWN"]}`); err != nil {
		t.Fatal(err)
	}
	match, _ := profile.ParseMatch([]string{"image=shop/*"})
	nameBy, _ := profile.ParseNameBy("image")
	e := &enforcer{dir: "/p", profiles: map[string]*profiledir.Profile{"web": web, "shop-api": web}, match: match, nameBy: nameBy}
	for _, tc := range []struct {
		name, body, profile, reason string
	}{
		{"x1", `{"Image":"shop/api:1.2","HostConfig":{"Privileged":true}}`, "shop-api", ""},
		{"x2", `{"Image":"shop/api","Labels":{"com.docker.compose.service":"web"}}`, "web", ""},
		{"x3", `{"Image":"shop/cart"}`, "shop-cart", "no profile /p/shop-cart"},
		{"x4", `{"Image":"other/web"}`, "", "not selected by --match"},
	} {
		c := &proxy.Create{Target: "/v1.41/containers/create", Query: url.Values{"name": {tc.name}}, Body: []byte(tc.body)}
		if err := e.create(c); err != nil {
			t.Fatal(err)
		}
		c.Done(201, []byte(`{"Id":"0123456789abcdef"}`))
		got := e.created[len(e.created)-1]
		if got.Profile != tc.profile || got.Reason != tc.reason || got.Covered != (tc.reason == "") || got.ID != "0123456789abcdef" {
			t.Errorf("%s: %+v", tc.name, got)
		}
		req, err := harden.Decode(c.Body)
		if err != nil {
			t.Fatal(err)
		}
		hardened := req.HostConfig != nil && slices.Equal(req.HostConfig.CapDrop, []string{"ALL"})
		if hardened != got.Covered {
			t.Errorf("%s: covered %v, but the body sent on is %s", tc.name, got.Covered, c.Body)
		}
		if !got.Covered && string(c.Body) != tc.body {
			t.Errorf("%s: a container without a profile was changed: %s", tc.name, c.Body)
		}
	}
	s := e.summary("/p", []string{"true"}, 0, nil)
	if b, _ := json.Marshal(s); !strings.Contains(string(b), `"covered":true`) || len(s.Unused) != 0 {
		t.Errorf("summary %s", b)
	}
	var out strings.Builder
	printEnforceSummary(&out, s)
	for _, want := range []string{"4 container(s) created, 2 hardened, 2 not covered", "x1 (image shop/api:1.2, id 0123456789ab): profile shop-api",
		"replaced  privileged", "x3 (image shop/cart, id 0123456789ab): not covered: no profile /p/shop-cart; runs as asked"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the table lacks %q:\n%s", want, out.String())
		}
	}
}

func runflagsCapabilities(s string) (*profile.CapabilitySet, error) {
	return runflags.ParseCapabilities([]byte(s))
}
