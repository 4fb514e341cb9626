package review

// `tailor report` for a terminal (a table, coloured only on a terminal)
// and as Markdown. Everything that comes from a recording is untrusted:
// container names, paths and warnings may hold terminal escape sequences
// or Markdown, so each renderer escapes what it prints.

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/tailorsec/tailor/profile/internal/text"
	"github.com/tailorsec/tailor/profile/report"
	"github.com/tailorsec/tailor/profile/runflags"
)

// ANSI colours of the terminal report.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiBlue   = "\x1b[34m"
	ansiCyan   = "\x1b[36m"
)

// TextOptions shape the terminal report.
type TextOptions struct {
	// Color adds ANSI colours (only for a terminal).
	Color bool
	// Width is the width lines are wrapped to (0: 100).
	Width int
}

// statusOrder is the order statuses are summed up in.
var statusOrder = []string{report.StatusFail, report.StatusWarn, report.StatusPass, report.StatusInfo}

// Text writes the terminal report.
func Text(w io.Writer, reviews []Container, opt TextOptions) error {
	width := opt.Width
	if width <= 0 {
		width = 100
	}
	width = max(width, 60)
	paint := func(code, s string) string {
		if !opt.Color || code == "" {
			return s
		}
		return code + s + ansiReset
	}
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "%s\n", paint(ansiBold, fmt.Sprintf("tailor report: %s", text.Plural(len(reviews), "container"))))
	for _, r := range reviews {
		b.WriteString("\n")
		title := paint(ansiBold, text.TermSafe(reviewName(r)))
		if r.Container.Image != "" {
			title += "  " + paint(ansiDim, text.TermSafe(r.Container.Image))
		}
		fmt.Fprintf(b, "%s %s\n", paint(ansiBold+ansiCyan, "==="), title)
		kv := func(k, v string) {
			if v == "" {
				return
			}
			lines := wrapText(text.TermSafe(v), width-13)
			fmt.Fprintf(b, "  %s %s\n", paint(ansiDim, fmt.Sprintf("%-10s", k)), lines[0])
			for _, l := range lines[1:] {
				fmt.Fprintf(b, "  %-10s %s\n", "", l)
			}
		}
		kv("container", containerLine(r))
		kv("recorded", recordedLine(r))
		kv("profile", r.Dir)
		kv("flags", r.Flags)
		kv("user", userLine(r.User))
		kv("limits", limitsLine(r.Limits))
		var counts []string
		for _, s := range statusOrder {
			counts = append(counts, paint(statusColor(s), fmt.Sprintf("%d %s", summaryCount(r.Summary, s), s)))
		}
		fmt.Fprintf(b, "  %s %s\n\n", paint(ansiDim, fmt.Sprintf("%-10s", "checklist")), strings.Join(counts, "  "))

		titleWidth := 0
		for _, it := range r.Checklist {
			titleWidth = max(titleWidth, utf8.RuneCountInString(it.Title))
		}
		titleWidth = min(titleWidth, 44)
		// STATUS(6) ID(9) TITLE CURRENT
		indent := 2 + 6 + 1 + 9 + 1
		curCol := indent + titleWidth + 2
		fmt.Fprintf(b, "  %s\n", paint(ansiDim, fmt.Sprintf("%-6s %-9s %-*s  %s", "STATUS", "ITEM", titleWidth, "CHECK", "CURRENT")))
		for _, it := range r.Checklist {
			status := fmt.Sprintf("%-6s", strings.ToUpper(it.Status))
			itemTitle := text.TermSafe(it.Title)
			cur := wrapText(text.TermSafe(it.Current), max(width-curCol, 30))
			if utf8.RuneCountInString(itemTitle) > titleWidth {
				fmt.Fprintf(b, "  %s %-9s %s\n", paint(statusColor(it.Status)+ansiBold, status), text.TermSafe(it.ID), itemTitle)
				for _, l := range cur {
					fmt.Fprintf(b, "%s%s\n", strings.Repeat(" ", curCol), l)
				}
			} else {
				fmt.Fprintf(b, "  %s %-9s %-*s  %s\n", paint(statusColor(it.Status)+ansiBold, status), text.TermSafe(it.ID),
					titleWidth, itemTitle, cur[0])
				for _, l := range cur[1:] {
					fmt.Fprintf(b, "%s%s\n", strings.Repeat(" ", curCol), l)
				}
			}
			if it.Recommendation != "" && it.Recommendation != "keep it so" {
				for i, l := range wrapText(text.TermSafe(it.Recommendation), width-indent-2) {
					prefix := "-> "
					if i > 0 {
						prefix = "   "
					}
					fmt.Fprintf(b, "%s%s\n", strings.Repeat(" ", indent), paint(ansiBold, prefix)+l)
				}
			}
			for _, e := range it.Evidence {
				for i, l := range wrapText(text.TermSafe(e), width-indent-2) {
					prefix := "- "
					if i > 0 {
						prefix = "  "
					}
					fmt.Fprintf(b, "%s%s\n", strings.Repeat(" ", indent+1), paint(ansiDim, prefix+l))
				}
			}
		}
	}
	return b.Flush()
}

func statusColor(s string) string {
	switch s {
	case report.StatusFail:
		return ansiRed
	case report.StatusWarn:
		return ansiYellow
	case report.StatusPass:
		return ansiGreen
	case report.StatusInfo:
		return ansiBlue
	}
	return ""
}

func summaryCount(s Summary, status string) int {
	switch status {
	case report.StatusFail:
		return s.Fail
	case report.StatusWarn:
		return s.Warn
	case report.StatusPass:
		return s.Pass
	case report.StatusInfo:
		return s.Info
	}
	return 0
}

// reviewName is the container's name, or its short id.
func reviewName(r Container) string {
	switch {
	case r.Container.Name != "":
		return r.Container.Name
	case r.Container.ID != "":
		return text.ShortID(r.Container.ID)
	}
	return "unnamed"
}

func containerLine(r Container) string {
	var parts []string
	if r.Container.ID != "" {
		parts = append(parts, text.ShortID(r.Container.ID))
	}
	if r.Container.Runtime != "" {
		parts = append(parts, "runtime "+r.Container.Runtime)
	}
	if r.Host.Kernel != "" {
		parts = append(parts, "Linux "+r.Host.Kernel)
	}
	if r.Host.DockerVersion != "" {
		parts = append(parts, "Docker "+r.Host.DockerVersion)
	}
	return strings.Join(parts, ", ")
}

func recordedLine(r Container) string {
	var parts []string
	if r.Start != "" {
		if t := report.ParseTime(r.Start); !t.IsZero() {
			parts = append(parts, t.UTC().Format("2006-01-02 15:04:05 UTC"))
		}
	}
	if r.Duration != "" {
		parts = append(parts, "for "+r.Duration)
	}
	if r.Container.ExitCode != nil {
		parts = append(parts, fmt.Sprintf("exit code %d", *r.Container.ExitCode))
	}
	if r.Partial {
		parts = append(parts, "still running at the end")
	}
	if r.StartMissed {
		parts = append(parts, "start-up missed")
	}
	if r.Host.TailorVersion != "" {
		parts = append(parts, "tailor "+r.Host.TailorVersion)
	}
	return strings.Join(parts, ", ")
}

// recordedShort is when and how long, for the overview.
func recordedShort(r Container) string {
	var parts []string
	if t := report.ParseTime(r.Start); !t.IsZero() {
		parts = append(parts, t.UTC().Format("2006-01-02 15:04 UTC"))
	}
	if r.Duration != "" {
		parts = append(parts, r.Duration)
	}
	return strings.Join(parts, ", ")
}

func userLine(u runflags.UserAdvice) string {
	switch {
	case u.Flag != "":
		return u.Flag + " (in the flags): " + u.Reason
	case u.User != "":
		return "--user=" + u.User + " where the image allows it: " + u.Reason
	}
	return u.Reason
}

func limitsLine(l runflags.LimitsAdvice) string {
	flags := l.Flags()
	if len(flags) == 0 {
		return "none suggested: the peaks were not observed"
	}
	return strings.Join(flags, " ") + " (in the flags)"
}

// wrapText breaks s into lines of at most width runes at spaces; a word
// longer than width gets a line of its own. Never returns no line.
func wrapText(s string, width int) []string {
	width = max(width, 20)
	words := strings.Fields(s)
	if len(words) == 0 {
		return []string{""}
	}
	var lines []string
	cur := words[0]
	for _, w := range words[1:] {
		if utf8.RuneCountInString(cur)+1+utf8.RuneCountInString(w) > width {
			lines = append(lines, cur)
			cur = w
			continue
		}
		cur += " " + w
	}
	return append(lines, cur)
}

// Markdown writes the report as GitHub-flavoured Markdown.
func Markdown(w io.Writer, reviews []Container) error {
	b := bufio.NewWriter(w)
	b.WriteString("# tailor report\n\n")
	fmt.Fprintf(b, "%s recorded by tailor, checked against Docker's hardening advice and the CIS Docker Benchmark "+
		"(section 5, container runtime, and 4.1).\n\n", text.Plural(len(reviews), "container"))
	b.WriteString("| Container | Image | Fail | Warn | Pass | Info |\n|---|---|--:|--:|--:|--:|\n")
	for _, r := range reviews {
		fmt.Fprintf(b, "| %s | %s | %d | %d | %d | %d |\n", mdEscape(reviewName(r)), mdEscape(r.Container.Image),
			r.Summary.Fail, r.Summary.Warn, r.Summary.Pass, r.Summary.Info)
	}
	for _, r := range reviews {
		fmt.Fprintf(b, "\n## %s\n\n", mdEscape(reviewName(r)))
		field := func(k, v string) {
			if v != "" {
				fmt.Fprintf(b, "- **%s:** %s\n", k, mdEscape(v))
			}
		}
		field("Image", r.Container.Image)
		field("Container", containerLine(r))
		field("Recorded", recordedLine(r))
		field("Profile", r.Dir)
		field("User", userLine(r.User))
		field("Limits", limitsLine(r.Limits))
		fmt.Fprintf(b, "- **Checklist:** %d fail, %d warn, %d pass, %d info\n", r.Summary.Fail, r.Summary.Warn, r.Summary.Pass, r.Summary.Info)
		if r.Flags != "" {
			cmd := commandLines(r.Flags, r.Container.Image)
			fence := mdFence(cmd)
			fmt.Fprintf(b, "\nRun it hardened (the flags are in `docker-run.flags`):\n\n%ssh\n%s\n%s\n", fence, cmd, fence)
		}
		b.WriteString("\n| Status | Item | Check | Current | Recommendation | Evidence |\n|---|---|---|---|---|---|\n")
		for _, it := range r.Checklist {
			var ev []string
			for _, e := range it.Evidence {
				ev = append(ev, "• "+arrows(mdEscape(e)))
			}
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", mdStatus(it.Status), mdEscape(it.ID), mdEscape(it.Title),
				mdEscape(it.Current), arrows(mdEscape(it.Recommendation)), strings.Join(ev, "<br>"))
		}
	}
	return b.Flush()
}

func mdStatus(s string) string {
	switch s {
	case report.StatusFail:
		return "❌ **fail**"
	case report.StatusWarn:
		return "⚠️ warn"
	case report.StatusPass:
		return "✅ pass"
	case report.StatusInfo:
		return "ℹ️ info"
	}
	return mdEscape(s)
}

// mdEscape makes s literal text in a Markdown table cell: Markdown's
// punctuation is backslash-escaped, HTML's is written as entities, and
// line breaks and control characters cannot end the row.
func mdEscape(s string) string {
	s = text.TermSafe(s)
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '\\', '`', '*', '_', '[', ']', '|', '~':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mdFence is a code fence longer than any run of backticks in s.
func mdFence(s string) string {
	longest, run := 0, 0
	for _, c := range s {
		if c == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}
