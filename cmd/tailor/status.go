package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/report"
	"github.com/tailorsec/tailor/recorder"
)

// statusView keeps a live block of lines at the bottom of a terminal, one
// per recorded container, below whatever the recorded command prints. The
// command's output passes through it (see writer), so the block is taken
// away before each piece of output and drawn again after: the two never
// mix on one line.
type statusView struct {
	mu      sync.Mutex
	out     io.Writer // the terminal
	width   func() int
	drawn   int      // lines of the block on the screen now
	lines   []string // the block's current text
	midLine bool     // the command's last output did not end a line
	closed  bool
}

// maxStatusLines bounds the block; more containers are summed up in its
// last line.
const maxStatusLines = 8

func newStatusView(out io.Writer, width func() int) *statusView {
	return &statusView{out: out, width: width}
}

// terminalWidth is the width of the terminal on fd, 80 when unknown.
func terminalWidth(fd int) func() int {
	return func() int {
		if w, _, err := term.GetSize(fd); err == nil && w > 0 {
			return w
		}
		return 80
	}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// erase removes the block; the cursor ends where it began.
func (v *statusView) erase() {
	if v.drawn == 0 {
		return
	}
	fmt.Fprintf(v.out, "\r\x1b[%dA\x1b[J", v.drawn)
	v.drawn = 0
}

// draw writes the block below the command's last line. Not while the
// command is in the middle of a line: the block would split it.
func (v *statusView) draw() {
	if v.midLine || v.closed || len(v.lines) == 0 {
		return
	}
	width := v.width()
	var b bytes.Buffer
	for _, l := range v.lines {
		if r := []rune(l); len(r) >= width {
			l = string(r[:max(width-2, 1)]) + "…"
		}
		b.WriteString(l)
		b.WriteString("\x1b[K\n")
	}
	v.out.Write(b.Bytes())
	v.drawn = len(v.lines)
}

// update replaces the block's text.
func (v *statusView) update(lines []string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.erase()
	v.lines = lines
	v.draw()
}

// close takes the block away for good.
func (v *statusView) close() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.erase()
	v.closed = true
}

// writer passes output to dst (the terminal, or what the command's output
// was redirected to) with the block out of the way.
func (v *statusView) writer(dst io.Writer) io.Writer {
	return writerFunc(func(p []byte) (int, error) {
		v.mu.Lock()
		defer v.mu.Unlock()
		v.erase()
		n, err := dst.Write(p)
		if len(p) > 0 {
			v.midLine = p[len(p)-1] != '\n'
		}
		v.draw()
		return n, err
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// statusLines renders the containers' progress, the running ones first.
func statusLines(nameOf func(profile.Container) string, st []recorder.ContainerStatus, elapsed time.Duration) []string {
	var running, done []string
	for _, c := range st {
		name := nameOf(profile.Container{Name: c.Name, Image: c.Image, Labels: c.Labels})
		if c.Name != name {
			name += " (" + c.Name + ")"
		}
		state := "running"
		if !c.Running {
			state = "ended"
		}
		line := fmt.Sprintf("  %s %s: %s, %s, %s", report.TermSafe(name), state,
			count(c.Syscalls, "syscall", "syscalls"), count(c.Capabilities, "capability", "capabilities"), count(c.Files, "file", "files"))
		if c.Running {
			running = append(running, line)
		} else {
			done = append(done, line)
		}
	}
	all := append(running, done...)
	head := fmt.Sprintf("tailor: recording for %s, %s (%d running)", elapsed.Round(time.Second), count(len(st), "container", "containers"), len(running))
	if len(all) > maxStatusLines {
		rest := len(all) - (maxStatusLines - 1)
		all = append(all[:maxStatusLines-1], fmt.Sprintf("  … and %d more", rest))
	}
	return append([]string{head}, all...)
}

// showStatus redraws the block every second until stop is closed.
func showStatus(v *statusView, rec *recorder.Recorder, stop <-chan struct{}) {
	since := time.Now()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		v.update(statusLines(rec.ProfileName, rec.Status(), time.Since(since)))
		select {
		case <-stop:
			return
		case <-tick.C:
		}
	}
}

// count is "1 file", "2 files".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
