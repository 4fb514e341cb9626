package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadedMode(t *testing.T) {
	list := "docker-default (enforce)\ntailor-web (enforce)\ntailor-web-old (complain)\n"
	for name, want := range map[string]string{"tailor-web": "enforce", "tailor-web-old": "complain", "docker-default": "enforce"} {
		if got, err := loadedMode(list, name); err != nil || got != want {
			t.Errorf("loadedMode(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
	if _, err := loadedMode(list, "tailor-we"); err == nil {
		t.Error("a prefix of a loaded name was taken for it")
	}
}

func TestLoadArguments(t *testing.T) {
	if code, _, stderr := tailor(t, "load"); code != exitUsage || !strings.Contains(stderr, "at least one DIR") {
		t.Errorf("no DIR: exit %d, %q", code, stderr)
	}
	if code, _, stderr := tailor(t, "load", t.TempDir()); code != exitUsage || !strings.Contains(stderr, "fix:") {
		t.Errorf("empty DIR: exit %d, %q", code, stderr)
	}
	// A profile directory without its AppArmor profile is named.
	dir := filepath.Join(t.TempDir(), "web")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := tailor(t, "load", dir); code != exitUsage || !strings.Contains(stderr, "apparmor.profile") {
		t.Errorf("no apparmor.profile: exit %d, %q", code, stderr)
	}
}
