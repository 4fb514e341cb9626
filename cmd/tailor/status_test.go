package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/recorder"
)

// The block is erased before the command's output and drawn again after
// it, never in the middle of the command's line, and never wider than the
// terminal.
func TestStatusView(t *testing.T) {
	var term bytes.Buffer
	v := newStatusView(&term, func() int { return 12 })
	v.update([]string{"head", "a very long status line"})
	if got, want := term.String(), "head\x1b[K\na very lon…\x1b[K\n"; got != want {
		t.Fatalf("first draw %q, want %q", got, want)
	}
	term.Reset()
	var redirected bytes.Buffer
	out := v.writer(&redirected)
	out.Write([]byte("test 1 ok\n"))
	if got, want := term.String(), "\r\x1b[2A\x1b[Jhead\x1b[K\na very lon…\x1b[K\n"; got != want {
		t.Errorf("around output: %q, want %q", got, want)
	}
	if redirected.String() != "test 1 ok\n" {
		t.Errorf("the output became %q", redirected.String())
	}

	term.Reset()
	tty := v.writer(&term)
	tty.Write([]byte("running..."))
	v.update([]string{"head"})
	if got, want := term.String(), "\r\x1b[2A\x1b[Jrunning..."; got != want {
		t.Errorf("mid-line: %q, want %q (no block inside the command's line)", got, want)
	}
	term.Reset()
	tty.Write([]byte(" done\n"))
	v.close()
	if got, want := term.String(), " done\nhead\x1b[K\n\r\x1b[1A\x1b[J"; got != want {
		t.Errorf("line ended, then close: %q, want %q", got, want)
	}
	term.Reset()
	v.update([]string{"late"})
	if term.Len() != 0 {
		t.Errorf("drawn after close: %q", term.String())
	}
}

func TestStatusLines(t *testing.T) {
	by, _ := profile.ParseNameBy("name")
	st := []recorder.ContainerStatus{
		{Name: "shop-web-1", Labels: map[string]string{profile.ComposeServiceLabel: "web"}, Syscalls: 80, Capabilities: 2, Files: 40, Running: false},
		{Name: "db\x1b[2J", Syscalls: 50, Running: true},
	}
	for i := 0; i < 10; i++ {
		st = append(st, recorder.ContainerStatus{Name: "job", Running: true})
	}
	lines := statusLines(by.ProfileName, st, 61*time.Second)
	if len(lines) != 1+maxStatusLines {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), 1+maxStatusLines, strings.Join(lines, "\n"))
	}
	text := strings.Join(lines, "\n")
	for _, want := range []string{"1m1s, 12 containers (11 running)", `db--2J (db\x1b[2J) running: 50 syscalls`, "and 5 more"} {
		if !strings.Contains(text, want) {
			t.Errorf("status lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "\x1b") {
		t.Errorf("a container name's escape sequence reached the terminal:\n%q", text)
	}
	// A compose container is named by its service; running ones first.
	short := statusLines(by.ProfileName, st[:2], time.Second)
	if !strings.Contains(strings.Join(short, "\n"), "web (shop-web-1) ended: 80 syscalls, 2 capabilities, 40 files") {
		t.Errorf("compose container line:\n%s", strings.Join(short, "\n"))
	}
}
