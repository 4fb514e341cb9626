package apparmor

// The rules of an AppArmor profile that are not file rules, as data, so
// that two profiles can be compared rule by rule.

import (
	"github.com/tailorsec/tailor/profile/internal/sets"
	"slices"
	"strings"
)

// OtherRule is one rule that is not a file rule: its kind (network,
// capability, signal, ptrace, mount, umount, unix, ...), its qualifier,
// and its parts. `signal (send) set=(term, kill) peer=foo,` has Access
// [send], Keys set=[kill term] and peer=[foo]; `network inet stream,` has
// Bare [inet stream]; `mount fstype=tmpfs -> "/mnt",` has Target "/mnt".
type OtherRule struct {
	Kind   string              `json:"kind"`
	Deny   bool                `json:"deny,omitempty"`
	Access []string            `json:"access,omitempty"`
	Bare   []string            `json:"bare,omitempty"`
	Keys   map[string][]string `json:"keys,omitempty"`
	Target string              `json:"target,omitempty"`
	Line   int                 `json:"line"`
}

// blockName is the name a block header gives its profile: `profile NAME
// ...`, `hat NAME`, `^NAME` or an attachment path; "" for other blocks.
func blockName(stmt []aaToken) string {
	if len(stmt) == 0 {
		return ""
	}
	if (stmt[0].text == "profile" || stmt[0].text == "hat") && stmt[0].kind == tokWord && len(stmt) > 1 {
		return stmt[1].text
	}
	if stmt[0].kind == tokQuoted || stmt[0].kind == tokWord && (strings.HasPrefix(stmt[0].text, "/") || strings.HasPrefix(stmt[0].text, "^")) {
		return stmt[0].text
	}
	return ""
}

// otherRule reads a statement that is not a file rule (include and abi
// lines, variables and the like give ok false).
func otherRule(stmt []aaToken) (OtherRule, bool) {
	r := OtherRule{Line: stmt[0].line}
	i := 0
	for ; i < len(stmt) && stmt[i].kind == tokWord; i++ {
		switch stmt[i].text {
		case "audit", "allow", "quiet":
			continue
		case "deny":
			r.Deny = true
			continue
		}
		break
	}
	if i >= len(stmt) || stmt[i].kind != tokWord {
		return r, false
	}
	r.Kind = stmt[i].text
	switch {
	case r.Kind == "abi", r.Kind == "include", strings.HasPrefix(r.Kind, "@{"), strings.HasPrefix(r.Kind, "#"):
		return r, false
	}
	rest := stmt[i+1:]
	for j := 0; j < len(rest); j++ {
		t := rest[j]
		switch {
		case t.kind == tokWord && t.text == "->":
			if j+1 < len(rest) {
				r.Target = rest[j+1].text
				j++
			}
		case t.kind == tokParen && t.text == "(":
			group, n := parenGroup(rest[j:])
			r.Access = append(r.Access, group...)
			j += n - 1
		case t.kind == tokWord && strings.Contains(t.text, "="):
			key, value, _ := strings.Cut(t.text, "=")
			if value == "" && j+1 < len(rest) && rest[j+1].kind == tokParen && rest[j+1].text == "(" {
				group, n := parenGroup(rest[j+1:])
				r.addKey(key, group...)
				j += n
				continue
			}
			r.addKey(key, value)
		default:
			r.Bare = append(r.Bare, t.text)
		}
	}
	// `signal send,` and `ptrace read,` name their access without parens.
	if r.Kind == "signal" || r.Kind == "ptrace" || r.Kind == "unix" || r.Kind == "dbus" {
		r.Access = append(r.Access, r.Bare...)
		r.Bare = nil
	}
	r.Access = sets.SortedOrNil(r.Access)
	slices.Sort(r.Bare)
	return r, true
}

func (r *OtherRule) addKey(key string, values ...string) {
	if r.Keys == nil {
		r.Keys = map[string][]string{}
	}
	r.Keys[key] = sets.Sorted(append(r.Keys[key], values...))
}

// parenGroup reads "( a b c )" from toks[0] = "(": the words inside (the
// lexer already dropped their commas) and how many tokens it took.
func parenGroup(toks []aaToken) ([]string, int) {
	var words []string
	depth := 0
	for n, t := range toks {
		if t.kind == tokParen {
			if t.text == "(" {
				depth++
			} else {
				depth--
			}
			if depth == 0 {
				return words, n + 1
			}
			continue
		}
		words = append(words, t.text)
	}
	return words, len(toks)
}

// String writes the rule back, canonically (sorted parts, no final comma).
func (r OtherRule) String() string {
	var b strings.Builder
	if r.Deny {
		b.WriteString("deny ")
	}
	b.WriteString(r.Kind)
	if len(r.Access) > 0 {
		b.WriteString(" (" + strings.Join(r.Access, ", ") + ")")
	}
	for _, w := range r.Bare {
		b.WriteString(" " + w)
	}
	for _, k := range sets.SortedKeys(r.Keys) {
		v := r.Keys[k]
		if len(v) == 1 {
			b.WriteString(" " + k + "=" + v[0])
		} else {
			b.WriteString(" " + k + "=(" + strings.Join(v, ", ") + ")")
		}
	}
	if r.Target != "" {
		b.WriteString(" -> " + r.Target)
	}
	return b.String()
}
