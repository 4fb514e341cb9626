package main

import (
	"testing"

	"github.com/tailorsec/tailor/profile"
)

// Names become directory names: anything that could leave the output
// directory or hide falls back to the container id.
func TestProfileDirName(t *testing.T) {
	id := "0123456789abcdef0123456789abcdef"
	for _, tc := range []struct{ name, want string }{
		{"web", "web"},
		{"my_app.v2-1", "my_app.v2-1"},
		{"", "0123456789ab"},
		{"..", "0123456789ab"},
		{".hidden", "0123456789ab"},
		{"a/../../etc", "0123456789ab"},
		{"new\nline", "0123456789ab"},
		{"-rf", "0123456789ab"},
	} {
		r := &profile.Recording{Container: profile.Container{ID: id, Name: tc.name}}
		if got := profileDirName(r); got != tc.want {
			t.Errorf("profileDirName(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
	if got := profileDirName(&profile.Recording{}); got != "unnamed" {
		t.Errorf("no name, no id: %q", got)
	}
}

func TestExitCodeOf(t *testing.T) {
	if exitCodeOf(nil) != 0 {
		t.Error("nil error is exit 0")
	}
}
