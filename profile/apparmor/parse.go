package apparmor

// ParseFileRules reads back the file rules of a profile, so that what
// tailor wrote can be checked against what it recorded (Check). It
// understands the AppArmor syntax tailor writes and docker-default uses:
// comments, quoted and unquoted patterns, include and abi lines, nested
// blocks, rule qualifiers; every rule that is not a file rule is skipped.

import (
	"errors"
	"fmt"
	"strings"
)

// Rule is one file rule of an AppArmor profile.
type Rule struct {
	Deny  bool
	Owner bool // applies only to files the process owns
	// Pattern is the AppArmor glob as written, escapes included, without
	// the quotes; "" for a bare `file,` rule, which covers every path.
	Pattern string
	// Perms as written: r w a l k m and exec modes (ix, px, ...).
	Perms string
	Line  int

	matcher *aaMatcher
}

// Matches reports whether the rule covers path.
func (r Rule) Matches(path string) bool {
	if r.Pattern == "" {
		return true
	}
	if r.matcher == nil {
		return Match(r.Pattern, path)
	}
	return r.matcher.match(path)
}

// ParseFileRules returns the file rules of profileText in order. It
// fails on text that apparmor_parser would reject in ways that matter here:
// an unterminated quote or rule, unbalanced braces, an invalid pattern or
// permission string.
func ParseFileRules(profileText []byte) ([]Rule, error) {
	p, err := Parse(profileText)
	if err != nil {
		return nil, err
	}
	return p.Files, nil
}

// Policy is a parsed AppArmor profile: its file rules and, as
// OtherRule, every other rule (network, capability, signal, ptrace,
// mount, ...).
type Policy struct {
	// Names are the names of the profiles (and hats) the text defines.
	Names []string
	Files []Rule
	Rules []OtherRule
}

// Parse parses a profile the way ParseFileRules does, keeping
// the rules that are not file rules too.
func Parse(profileText []byte) (*Policy, error) {
	toks, err := lexAppArmor(string(profileText))
	if err != nil {
		return nil, err
	}
	pol := &Policy{}
	var rules []Rule
	depth := 0
	var stmt []aaToken
	for _, t := range toks {
		switch t.kind {
		case tokOpen:
			depth++
			if name := blockName(stmt); name != "" {
				pol.Names = append(pol.Names, name)
			}
			stmt = nil // a block header: profile NAME flags=(...) {
			continue
		case tokClose:
			if len(stmt) > 0 {
				return nil, fmt.Errorf("line %d: rule not terminated by ','", stmt[0].line)
			}
			if depth == 0 {
				return nil, fmt.Errorf("line %d: '}' without '{'", t.line)
			}
			depth--
			continue
		case tokComma:
			if len(stmt) == 0 {
				return nil, fmt.Errorf("line %d: empty rule", t.line)
			}
			if depth > 0 {
				r, ok, err := fileRule(stmt)
				if err != nil {
					return nil, fmt.Errorf("line %d: %w", stmt[0].line, err)
				}
				if ok {
					rules = append(rules, r)
				} else if o, ok := otherRule(stmt); ok {
					pol.Rules = append(pol.Rules, o)
				}
			}
			stmt = nil
			continue
		}
		stmt = append(stmt, t)
		// include <...> and include "..." end without a comma.
		if len(stmt) == 2 && stmt[0].kind == tokWord && (stmt[0].text == "include" || stmt[0].text == "#include") &&
			(stmt[1].kind == tokAngle || stmt[1].kind == tokQuoted) {
			stmt = nil
		}
		if len(stmt) == 4 && stmt[0].text == "include" && stmt[1].text == "if" && stmt[2].text == "exists" {
			stmt = nil
		}
	}
	if len(stmt) > 0 {
		return nil, fmt.Errorf("line %d: rule not terminated by ','", stmt[0].line)
	}
	if depth != 0 {
		return nil, errors.New("unterminated '{' block")
	}
	pol.Files = rules
	return pol, nil
}

// fileRule interprets one statement; ok is false for rules of other kinds.
func fileRule(stmt []aaToken) (Rule, bool, error) {
	r := Rule{Line: stmt[0].line}
	i := 0
	for ; i < len(stmt) && stmt[i].kind == tokWord; i++ {
		switch stmt[i].text {
		case "audit", "allow":
			continue
		case "deny":
			r.Deny = true
			continue
		case "owner":
			r.Owner = true
			continue
		}
		break
	}
	rest := stmt[i:]
	if len(rest) > 0 && rest[0].kind == tokWord && rest[0].text == "file" {
		rest = rest[1:]
		if len(rest) == 0 { // `file,`: everything
			r.Perms = "rwlkmix"
			return r, true, nil
		}
	}
	if len(rest) == 0 {
		return r, false, nil // e.g. `deny` alone is an error apparmor_parser reports; not a file rule
	}
	var pattern, perms aaToken
	switch {
	case isPathToken(rest[0]):
		if len(rest) < 2 || rest[1].kind != tokWord {
			return r, false, fmt.Errorf("file rule %q has no permissions", rest[0].text)
		}
		pattern, perms = rest[0], rest[1]
	case len(rest) >= 2 && rest[0].kind == tokWord && isPathToken(rest[1]) && strings.Trim(rest[0].text, "rwalkmixupcPUCI") == "":
		perms, pattern = rest[0], rest[1] // `rw /path,` is valid too
	default:
		return r, false, nil // network, capability, signal, mount, link, ...
	}
	// Anything after the permissions is an exec target (`px -> name`).
	if extra := rest[2:]; len(extra) > 0 && !(extra[0].kind == tokWord && extra[0].text == "->") {
		return r, false, fmt.Errorf("unexpected %q after file rule", extra[0].text)
	}
	if err := checkPerms(perms.text, r.Deny); err != nil {
		return r, false, err
	}
	m, err := compileAppArmor(pattern.text)
	if err != nil {
		return r, false, fmt.Errorf("pattern %q: %w", pattern.text, err)
	}
	r.Pattern, r.Perms, r.matcher = pattern.text, perms.text, m
	if r.Pattern == "" {
		return r, false, errors.New("empty pattern")
	}
	return r, true, nil
}

func isPathToken(t aaToken) bool {
	if t.kind == tokQuoted {
		return true
	}
	return t.kind == tokWord && t.text != "" && strings.ContainsRune("/@{", rune(t.text[0]))
}

// checkPerms validates a permission string the way apparmor_parser does for
// the letters tailor uses: known letters, w and a not together, and in an
// allow rule x only after an exec mode (i, p, c, u, or upper case).
func checkPerms(perms string, deny bool) error {
	if perms == "" {
		return errors.New("empty permissions")
	}
	for i := 0; i < len(perms); i++ {
		c := perms[i]
		switch c {
		case 'r', 'w', 'a', 'l', 'k', 'm':
		case 'x':
			if !deny && (i == 0 || !strings.ContainsRune("ipcuIPCU", rune(perms[i-1]))) {
				return fmt.Errorf("permissions %q: 'x' must be preceded by an exec mode (i, p, c or u)", perms)
			}
		case 'i', 'p', 'c', 'u', 'I', 'P', 'C', 'U':
			if i+1 >= len(perms) || !strings.ContainsRune("xipcuIPCU", rune(perms[i+1])) {
				return fmt.Errorf("permissions %q: exec mode %q without x", perms, c)
			}
		default:
			return fmt.Errorf("permissions %q: unknown permission %q", perms, c)
		}
	}
	if strings.ContainsRune(perms, 'w') && strings.ContainsRune(perms, 'a') {
		return fmt.Errorf("permissions %q: 'w' and 'a' are mutually exclusive", perms)
	}
	return nil
}

// Tokens of the profile language, as far as rule boundaries go.
type aaToken struct {
	kind aaTokKind
	text string // tokQuoted: the content between the quotes, escapes kept
	line int
}

type aaTokKind uint8

const (
	tokWord aaTokKind = iota
	tokQuoted
	tokAngle // <abi/3.0>, <tunables/global>
	tokComma
	tokOpen
	tokClose
	tokParen // ( or ), kept only to balance commas inside them
)

// lexAppArmor splits a profile into tokens. Commas inside (...) (signal
// sets, flags) are part of their rule; commas inside {...} of an unquoted
// pattern are alternations.
func lexAppArmor(s string) ([]aaToken, error) {
	var toks []aaToken
	line, parens := 1, 0
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\n':
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case c == '#':
			if strings.HasPrefix(s[i:], "#include") && (len(s) == i+8 || s[i+8] == ' ' || s[i+8] == '\t') {
				toks = append(toks, aaToken{kind: tokWord, text: "#include", line: line})
				i += 8
				continue
			}
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '"':
			end := quotedEnd(s, i)
			if end < 0 {
				return nil, fmt.Errorf("line %d: unterminated quoted string", line)
			}
			toks = append(toks, aaToken{kind: tokQuoted, text: s[i+1 : end], line: line})
			line += strings.Count(s[i:end], "\n")
			i = end + 1
		case c == '<':
			end := strings.IndexAny(s[i:], ">\n")
			if end < 0 || s[i+end] != '>' {
				return nil, fmt.Errorf("line %d: unterminated '<'", line)
			}
			toks = append(toks, aaToken{kind: tokAngle, text: s[i+1 : i+end], line: line})
			i += end + 1
		case c == ',':
			if parens == 0 {
				toks = append(toks, aaToken{kind: tokComma, line: line})
			}
			i++
		case c == '(' || c == ')':
			if c == '(' {
				parens++
			} else if parens--; parens < 0 {
				return nil, fmt.Errorf("line %d: ')' without '('", line)
			}
			toks = append(toks, aaToken{kind: tokParen, text: string(c), line: line})
			i++
		case c == '{':
			toks = append(toks, aaToken{kind: tokOpen, line: line})
			i++
		case c == '}':
			toks = append(toks, aaToken{kind: tokClose, line: line})
			i++
		default:
			end, err := wordEnd(s, i, parens > 0)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", line, err)
			}
			toks = append(toks, aaToken{kind: tokWord, text: s[i:end], line: line})
			i = end
		}
	}
	if parens != 0 {
		return nil, errors.New("unterminated '('")
	}
	return toks, nil
}

// quotedEnd returns the index of the quote that closes the string opened
// at i, or -1. It reads as apparmor_parser's flex lexer does, whose quoted
// string is the longest match of "([^\0"]|\\")*": a quote right after a
// backslash may go on, even after an escaped backslash ("a\\" does not
// end there). So the string ends at the first quote that follows anything
// but a backslash or, failing that, at the last quote.
func quotedEnd(s string, i int) int {
	last := -1
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case 0:
			return last
		case '"':
			if s[j-1] != '\\' {
				return j
			}
			last = j
		}
	}
	return last
}

// wordEnd finds the end of an unquoted word starting at i. A word that is
// a pattern may hold {a,b} and [...]: those commas and braces belong to it.
func wordEnd(s string, i int, inParens bool) (int, error) {
	braces, class := 0, false
	for ; i < len(s); i++ {
		c := s[i]
		if c == '\\' {
			i++
			if i >= len(s) {
				return 0, errors.New("trailing '\\'")
			}
			continue
		}
		if class {
			class = c != ']'
			if c == '\n' {
				return 0, errors.New("unterminated '['")
			}
			continue
		}
		switch c {
		case ' ', '\t', '\r', '\n', '"', '(', ')':
			if braces > 0 {
				return 0, errors.New("unterminated '{' in pattern")
			}
			return i, nil
		case ',':
			if braces == 0 || inParens {
				return i, nil
			}
		case '[':
			class = true
		case '{':
			braces++
		case '}':
			if braces == 0 {
				return i, nil
			}
			braces--
		}
	}
	if braces > 0 || class {
		return 0, errors.New("unterminated pattern")
	}
	return i, nil
}
