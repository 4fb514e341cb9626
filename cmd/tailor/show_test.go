package main

import (
	"bytes"
	"strings"
	"testing"
)

// tailor show reads saved profiles without root: the table, each
// profile's flags with its image, and a clear error for a directory that
// holds none.
func TestShow(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"show", "../../profile/testdata/golden/nginx"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"PROFILE", "SYSCALLS", "nginx", " of 14", "docker run --cap-drop=ALL"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, " IMAGE\n") {
		t.Errorf("the recorded image is known, yet the line says IMAGE:\n%s", out)
	}

	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"show", t.TempDir()}, &stdout, &stderr); code == 0 || stderr.Len() == 0 {
		t.Errorf("an empty directory: exit %d, stderr %q", code, stderr.String())
	}
}
