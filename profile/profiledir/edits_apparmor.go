package profiledir

// apparmor.profile is read line by line: each rule line (its comment
// stripped, its spaces collapsed) is an item of its section: before the
// profile (abi, include, variables), the profile line itself, the
// profile's body, or after its closing brace. Added lines keep their text
// and the comment lines right above them; they go back at the end of
// their section.

import (
	"strings"

	"github.com/tailorsec/tailor/profile/apparmor"
)

const (
	sectionPreamble = "preamble"
	sectionHeader   = "header"
	sectionBody     = "body"
	sectionAfter    = "after"
)

// keptAppArmorComment heads the user's lines in the body.
const keptAppArmorComment = "# Kept from your edits of this file (tailor merge and record carry them over)."

// aaLine is one line of a profile, classified.
type aaLine struct {
	raw     string
	norm    string // "" for blank and comment lines
	section string
	close   bool // the profile's own closing brace
}

// stripAAComment removes a comment (# outside quotes, but not #include).
func stripAAComment(line string) string {
	t := strings.TrimSpace(line)
	if strings.HasPrefix(t, "#include") {
		return t
	}
	inQuote := false
	for i := 0; i < len(t); i++ {
		switch t[i] {
		case '\\':
			i++
		case '"':
			inQuote = !inQuote
		case '#':
			if !inQuote {
				return strings.TrimSpace(t[:i])
			}
		}
	}
	return t
}

func braces(s string) (open, close int) {
	inQuote := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			inQuote = !inQuote
		case '{':
			if !inQuote {
				open++
			}
		case '}':
			if !inQuote {
				close++
			}
		}
	}
	return open, close
}

func appArmorLines(text string) []aaLine {
	var lines []aaLine
	depth := 0
	seenHeader, done := false, false
	for _, raw := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		l := aaLine{raw: strings.TrimRight(raw, " \t\r")}
		l.norm = strings.Join(strings.Fields(stripAAComment(raw)), " ")
		open, closing := braces(l.norm)
		switch {
		case done:
			l.section = sectionAfter
		case depth == 0 && !seenHeader && open > closing: // not @{VAR}=...
			l.section, seenHeader = sectionHeader, true
		case depth == 0:
			l.section = sectionPreamble
		case depth == 1 && l.norm == "}":
			l.section, l.close = sectionBody, true
		default:
			l.section = sectionBody
		}
		depth += open - closing
		if seenHeader && depth <= 0 && !done && l.close {
			done = true
			depth = 0
		}
		lines = append(lines, l)
	}
	return lines
}

func appArmorItems(data []byte) ([]item, error) {
	if _, err := apparmor.Parse(data); err != nil {
		return nil, err
	}
	var items []item
	var comments []string
	for _, l := range appArmorLines(string(data)) {
		if l.norm == "" {
			if t := strings.TrimSpace(l.raw); strings.HasPrefix(t, "#") && t != keptAppArmorComment {
				comments = append(comments, l.raw)
			} else {
				comments = nil
			}
			continue
		}
		if l.close {
			comments = nil
			continue
		}
		items = append(items, item{Item: l.norm, Section: l.section, Text: l.raw, Comment: strings.Join(comments, "\n")})
		comments = nil
	}
	return items, nil
}

// applyAppArmor puts edits into a rendered profile: a removed line is
// taken out where it is, an added one goes at the end of its section (in
// the body, under keptAppArmorComment), a new profile line replaces the
// rendered one.
func applyAppArmor(rendered []byte, edits []Edit) ([]byte, error) {
	lines := appArmorLines(string(rendered))
	removed := map[string]int{}
	for _, e := range edits {
		if e.Op == "-" && e.Section != sectionHeader {
			removed[e.key()]++
		}
	}
	var header *Edit
	added := map[string][]string{}
	for i, e := range edits {
		if e.Op != "+" {
			continue
		}
		if e.Section == sectionHeader {
			header = &edits[i]
			continue
		}
		if e.Comment != "" {
			added[e.Section] = append(added[e.Section], strings.Split(e.Comment, "\n")...)
		}
		text := e.Text
		if text == "" {
			text = e.Item
			if e.Section == sectionBody {
				text = "  " + text
			}
		}
		added[e.Section] = append(added[e.Section], text)
	}
	var out []string
	for _, l := range lines {
		if l.norm != "" && !l.close {
			if k := l.section + "\x00" + l.norm; removed[k] > 0 {
				removed[k]--
				continue
			}
		}
		switch {
		case l.section == sectionHeader:
			if pre := added[sectionPreamble]; len(pre) > 0 {
				// After the last line before the profile, not after the
				// blank line that sets the profile apart.
				blank := 0
				for len(out) > 0 && strings.TrimSpace(out[len(out)-1]) == "" {
					out, blank = out[:len(out)-1], blank+1
				}
				out = append(out, pre...)
				for ; blank > 0; blank-- {
					out = append(out, "")
				}
			}
			if header != nil {
				out = append(out, header.Text)
			} else {
				out = append(out, l.raw)
			}
			continue
		case l.close && len(added[sectionBody]) > 0:
			out = append(out, "", "  "+keptAppArmorComment)
			out = append(out, added[sectionBody]...)
		}
		out = append(out, l.raw)
	}
	out = append(out, added[sectionAfter]...)
	text := []byte(strings.Join(out, "\n") + "\n")
	if _, err := apparmor.Parse(text); err != nil {
		return nil, err
	}
	return text, nil
}
