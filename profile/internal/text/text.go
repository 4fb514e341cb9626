package text

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// DisplayPath returns p for a message: as it is when it is printable UTF-8,
// else Go-quoted.
func DisplayPath(p string) string {
	if utf8.ValidString(p) && strings.IndexFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f }) < 0 {
		return p
	}
	return strconv.Quote(p)
}

// Plural is "1 what" or "n whats".
func Plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// TermSafe makes s safe to print on a terminal: control characters
// (escape sequences, carriage returns, C1 controls) and invalid UTF-8 are
// shown escaped, as Go quotes them.
func TermSafe(s string) string {
	if utf8.ValidString(s) && strings.IndexFunc(s, unsafeRune) < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unsafeRune(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
		i += n
	}
	return b.String()
}

// unsafeRune is a control or format character, or a line or paragraph
// separator: anything that moves the cursor, changes what follows, or
// hides text.
func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029'
}

// Duration spells how long a recording was: to the second, or to
// the millisecond under a second ("1m30s", "350ms").
func Duration(d time.Duration) string {
	switch {
	case d >= time.Second:
		d = d.Round(time.Second)
	case d >= time.Millisecond:
		d = d.Round(time.Millisecond)
	default:
		return "under 1ms"
	}
	return d.String()
}

// OrNone is s, or "nothing" when s is empty.
func OrNone(s string) string {
	if s == "" {
		return "nothing"
	}
	return s
}

// Itoa64 is n in decimal.
func Itoa64(n int64) string { return fmt.Sprintf("%d", n) }

// Bytes spells a size in binary units: "512 KiB", "96 MiB", "1.5 GiB".
func Bytes(b int64) string {
	switch {
	case b >= 1<<30:
		return trimZero(fmt.Sprintf("%.1f", float64(b)/(1<<30))) + " GiB"
	case b >= 1<<20:
		return trimZero(fmt.Sprintf("%.1f", float64(b)/(1<<20))) + " MiB"
	case b >= 1<<10:
		return trimZero(fmt.Sprintf("%.1f", float64(b)/(1<<10))) + " KiB"
	}
	return fmt.Sprintf("%d B", b)
}

func trimZero(s string) string { return strings.TrimSuffix(s, ".0") }

// ShortID is a container id cut to the 12 characters docker ps shows.
func ShortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
