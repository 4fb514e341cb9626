package apparmor

// Two AppArmor profiles are compared by what they allow, as the kernel
// decides it: all file rules of a profile compile into one automaton, a
// path gets the union of the permissions of the allow rules that match it
// less those of the deny rules that match it. fileWidening explores the
// automaton of both profiles' rules together, path prefix by path prefix,
// and finds for each allow rule of NEW the permissions it grants on some
// path that OLD does not grant there, with the shortest such path as the
// example. Only prefixes some allow rule of NEW can still match are
// explored, so the search stays small.

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tailorsec/tailor/profile/change"
	"github.com/tailorsec/tailor/profile/internal/text"
)

// aaPerm is a file permission set for comparison: like permSet, with each
// exec mode a permission of its own (ux gives more than ix).
type aaPerm uint16

const (
	aaRead aaPerm = 1 << iota
	aaWrite
	aaAppend
	aaLink
	aaLock
	aaMmap
	aaExecInherit   // ix
	aaExecProfile   // px, Px
	aaExecChild     // cx, Cx
	aaExecUnconfine // ux, Ux
)

const aaExecAny = aaExecInherit | aaExecProfile | aaExecChild | aaExecUnconfine

// parseAAPerms reads a rule's permission string. In a deny rule a bare x
// denies every exec mode.
func parseAAPerms(s string, deny bool) aaPerm {
	var p aaPerm
	modes := aaPerm(0)
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case 'r':
			p |= aaRead
		case 'w':
			p |= aaWrite | aaAppend
		case 'a':
			p |= aaAppend
		case 'l':
			p |= aaLink
		case 'k':
			p |= aaLock
		case 'm':
			p |= aaMmap
		case 'i', 'I':
			modes |= aaExecInherit
		case 'p', 'P':
			modes |= aaExecProfile
		case 'c', 'C':
			modes |= aaExecChild
		case 'u', 'U':
			modes |= aaExecUnconfine
		case 'x':
			if deny || modes == 0 {
				modes = aaExecAny
			}
			p |= modes
			if modes&aaExecInherit != 0 {
				p |= aaMmap // apparmor_parser adds m to ix
			}
			modes = 0
		}
	}
	return p
}

func (p aaPerm) String() string {
	var b strings.Builder
	for _, l := range []struct {
		bit aaPerm
		s   string
	}{{aaMmap, "m"}, {aaRead, "r"}, {aaWrite, "w"}, {aaAppend, "a"}, {aaLink, "l"}, {aaLock, "k"},
		{aaExecInherit, "ix"}, {aaExecProfile, "px"}, {aaExecChild, "cx"}, {aaExecUnconfine, "ux"}} {
		if p&l.bit != 0 {
			if b.Len() > 0 && len(l.s) > 1 {
				b.WriteByte(' ')
			}
			b.WriteString(l.s)
		}
	}
	if p&aaWrite != 0 { // w implies a: say w
		return strings.Replace(b.String(), "wa", "w", 1)
	}
	return b.String()
}

// fileGrant is what one rule of NEW allows that OLD does not.
type fileGrant struct {
	perms   aaPerm
	example string // the shortest path where it does
}

// aaMaxStates bounds the exploration; beyond it the comparison gives up
// (and the caller counts every new rule as widening).
const aaMaxStates = 200_000

var errAATooComplex = errors.New("the profiles' file rules are too complex to compare exactly")

// fileWidening returns, by index into newRules, what each allow rule of
// newRules grants on some path that oldRules do not.
func fileWidening(oldRules, newRules []Rule) (map[int]fileGrant, error) {
	type nfaRule struct {
		prog  []aaInst
		isNew bool
		deny  bool
		owner bool
		perms aaPerm
		index int // in newRules, for new allow rules
	}
	var rules []nfaRule
	addRules := func(rs []Rule, isNew bool) error {
		for i, r := range rs {
			prog := anyPathProg // a bare `file,` rule
			if r.Pattern != "" {
				m, err := compileAppArmor(r.Pattern)
				if err != nil {
					return fmt.Errorf("pattern %q: %w", r.Pattern, err)
				}
				prog = m.prog
			}
			rules = append(rules, nfaRule{prog: prog, isNew: isNew, deny: r.Deny, owner: r.Owner,
				perms: parseAAPerms(r.Perms, r.Deny), index: i})
		}
		return nil
	}
	if err := addRules(oldRules, false); err != nil {
		return nil, err
	}
	if err := addRules(newRules, true); err != nil {
		return nil, err
	}

	// A DFA state is a sorted set of (rule, pc) pairs.
	type pos struct{ rule, pc int }
	closure := func(set map[pos]bool, p pos) {
		var visit func(p pos)
		visit = func(p pos) {
			if set[p] {
				return
			}
			set[p] = true
			in := rules[p.rule].prog[p.pc]
			switch in.op {
			case opJmp:
				visit(pos{p.rule, in.x})
			case opSplit:
				visit(pos{p.rule, in.x})
				visit(pos{p.rule, in.y})
			}
		}
		visit(p)
	}
	key := func(set map[pos]bool) (string, []pos) {
		list := make([]pos, 0, len(set))
		for p := range set {
			in := rules[p.rule].prog[p.pc]
			if in.op == opByte || in.op == opMatch {
				list = append(list, p)
			}
		}
		slices.SortFunc(list, func(a, b pos) int {
			if a.rule != b.rule {
				return a.rule - b.rule
			}
			return a.pc - b.pc
		})
		var b strings.Builder
		for _, p := range list {
			fmt.Fprintf(&b, "%d.%d,", p.rule, p.pc)
		}
		return b.String(), list
	}

	// Byte classes: bytes no instruction tells apart behave alike.
	var sets []byteSet
	for _, r := range rules {
		for _, in := range r.prog {
			if in.op == opByte && !slices.Contains(sets, in.set) {
				sets = append(sets, in.set)
			}
		}
	}
	classOf := map[string][]byte{}
	var classKeys []string
	for c := 1; c < 256; c++ {
		var sig strings.Builder
		for _, s := range sets {
			if s.has(byte(c)) {
				sig.WriteByte('1')
			} else {
				sig.WriteByte('0')
			}
		}
		k := sig.String()
		if _, ok := classOf[k]; !ok {
			classKeys = append(classKeys, k)
		}
		classOf[k] = append(classOf[k], byte(c))
	}
	var classes [][]byte
	for _, k := range classKeys {
		classes = append(classes, classOf[k])
	}

	type state struct {
		list   []pos
		parent int
		via    byte
	}
	start := map[pos]bool{}
	for i := range rules {
		closure(start, pos{i, 0})
	}
	k0, l0 := key(start)
	states := []state{{list: l0, parent: -1}}
	seen := map[string]int{k0: 0}
	grants := map[int]fileGrant{}

	path := func(i int) string {
		var b []byte
		for ; states[i].parent >= 0; i = states[i].parent {
			b = append(b, states[i].via)
		}
		slices.Reverse(b)
		return string(b)
	}
	for i := 0; i < len(states); i++ {
		st := states[i]
		// What each side allows on the paths that end here.
		var newAllow, newOwner, newDeny, newDenyOwner, oldAllow, oldOwner, oldDeny, oldDenyOwner aaPerm
		alive := false
		for _, p := range st.list {
			r := rules[p.rule]
			if r.isNew && !r.deny {
				alive = true
			}
			if r.prog[p.pc].op != opMatch {
				continue
			}
			switch {
			case r.isNew && !r.deny && r.owner:
				newOwner |= r.perms
			case r.isNew && !r.deny:
				newAllow |= r.perms
			case r.isNew && r.owner:
				newDenyOwner |= r.perms
			case r.isNew:
				newDeny |= r.perms
			case !r.deny && r.owner:
				oldOwner |= r.perms
			case !r.deny:
				oldAllow |= r.perms
			case r.owner:
				oldDenyOwner |= r.perms
			default:
				oldDeny |= r.perms
			}
		}
		if !alive {
			continue
		}
		// Files the process does not own see only the rules without
		// owner; files it owns see all of them.
		notOwned := (newAllow &^ newDeny) &^ (oldAllow &^ oldDeny)
		owned := ((newAllow | newOwner) &^ (newDeny | newDenyOwner)) &^ ((oldAllow | oldOwner) &^ (oldDeny | oldDenyOwner))
		if wide := notOwned | owned; wide != 0 {
			for _, p := range st.list {
				r := rules[p.rule]
				if !r.isNew || r.deny || r.prog[p.pc].op != opMatch {
					continue
				}
				got := r.perms & wide
				if !r.owner {
					got = r.perms & (notOwned | owned)
				} else {
					got = r.perms & owned
				}
				if got == 0 {
					continue
				}
				g, ok := grants[r.index]
				if !ok {
					g.example = path(i)
				}
				g.perms |= got
				grants[r.index] = g
			}
		}
		prev := byte(0)
		if i > 0 {
			prev = st.via
		}
		for _, class := range classes {
			c := readableByte(class, prev == '/')
			if c == 0 || i == 0 && !slices.Contains(class, '/') {
				continue // paths start with '/'
			}
			if i == 0 {
				c = '/'
			}
			next := map[pos]bool{}
			for _, p := range st.list {
				in := rules[p.rule].prog[p.pc]
				if in.op == opByte && in.set.has(c) {
					closure(next, pos{p.rule, p.pc + 1})
				}
			}
			if len(next) == 0 {
				continue
			}
			k, l := key(next)
			if _, ok := seen[k]; ok {
				continue
			}
			if len(states) >= aaMaxStates {
				return nil, errAATooComplex
			}
			seen[k] = len(states)
			states = append(states, state{list: l, parent: i, via: c})
		}
	}
	return grants, nil
}

// anyPathProg matches every path: what a bare `file,` rule covers.
var anyPathProg = []aaInst{
	{op: opByte, set: anyByte},
	{op: opSplit, x: 2, y: 4},
	{op: opByte, set: anyByte},
	{op: opJmp, x: 1},
	{op: opMatch},
}

// readableByte picks the byte that stands for a class in an example path:
// a letter or digit when there is one. After a '/', another '/' is avoided
// (the kernel never shows a path with "//").
func readableByte(class []byte, afterSlash bool) byte {
	best, bestRank := byte(0), 100
	for _, c := range class {
		rank := 6
		switch {
		case afterSlash && c == '/':
			continue
		case c >= 'a' && c <= 'z':
			rank = 0
		case c >= '0' && c <= '9':
			rank = 1
		case c == '.' || c == '-' || c == '_':
			rank = 2
		case c >= 'A' && c <= 'Z':
			rank = 3
		case c == '/':
			rank = 4
		case c > 0x20 && c < 0x7f:
			rank = 5
		}
		if rank < bestRank {
			best, bestRank = c, rank
		}
	}
	return best
}

// aaFileRuleText writes a file rule for messages.
func aaFileRuleText(r Rule) string {
	var b strings.Builder
	if r.Deny {
		b.WriteString("deny ")
	}
	if r.Owner {
		b.WriteString("owner ")
	}
	if r.Pattern == "" {
		b.WriteString("file")
		return b.String()
	}
	fmt.Fprintf(&b, "\"%s\" %s", r.Pattern, r.Perms)
	return b.String()
}

// Compare lists the changes from old to new profile text.
func Compare(old, new *Policy) []change.Change {
	var out []change.Change
	out = append(out, compareFileRules(old.Files, new.Files)...)
	out = append(out, CompareCapabilityRules(old.Rules, new.Rules)...)
	out = append(out, CompareNetworkRules(old.Rules, new.Rules)...)
	out = append(out, CompareOtherRules(old.Rules, new.Rules)...)
	return out
}

func fileRuleKey(r Rule) string {
	return fmt.Sprintf("%v|%v|%s", r.Deny, r.Owner, r.Pattern)
}

func compareFileRules(oldRules, newRules []Rule) []change.Change {
	var out []change.Change
	grants, err := fileWidening(oldRules, newRules)
	if err != nil {
		out = append(out, change.Change{Kind: change.KindFileRule, Op: change.OpChanged, Subject: "file rules", Widening: true,
			Detail: err.Error() + ": every file rule that is not in OLD counts as widening"})
	}
	oldByKey := map[string]Rule{}
	for _, r := range oldRules {
		if have, ok := oldByKey[fileRuleKey(r)]; ok {
			r.Perms = have.Perms + r.Perms
		}
		oldByKey[fileRuleKey(r)] = r
	}
	newByKey := map[string]Rule{}
	for _, r := range newRules {
		if have, ok := newByKey[fileRuleKey(r)]; ok {
			r.Perms = have.Perms + r.Perms
		}
		newByKey[fileRuleKey(r)] = r
	}
	for i, r := range newRules {
		k := fileRuleKey(r)
		o, inOld := oldByKey[k]
		g, wide := grants[i]
		if err != nil {
			wide = !inOld || parseAAPerms(r.Perms, r.Deny)&^parseAAPerms(o.Perms, o.Deny) != 0
		}
		detail := ""
		if wide && g.perms != 0 {
			detail = fmt.Sprintf("allows %s on %s, which OLD does not", g.perms, text.DisplayPath(g.example))
		}
		switch {
		case r.Deny && !inOld:
			out = append(out, change.Change{Kind: change.KindFileRule, Op: change.OpAdded, Subject: aaFileRuleText(r)})
		case r.Deny:
			if lost := parseAAPerms(o.Perms, true) &^ parseAAPerms(r.Perms, true); lost != 0 {
				out = append(out, change.Change{Kind: change.KindFileRule, Op: change.OpRelaxed, Subject: aaFileRuleText(r), Widening: true,
					Detail: fmt.Sprintf("no longer denies %s (was %q)", lost, o.Perms)})
			}
		case !inOld:
			if !wide {
				detail = "OLD's rules already allow it"
			}
			out = append(out, change.Change{Kind: change.KindFileRule, Op: change.OpAdded, Subject: aaFileRuleText(r), Widening: wide, Detail: detail})
		case parseAAPerms(r.Perms, false) != parseAAPerms(o.Perms, false):
			op := change.OpRelaxed
			if parseAAPerms(r.Perms, false)&^parseAAPerms(o.Perms, false) == 0 {
				op = change.OpRestricted
			}
			if detail == "" {
				detail = fmt.Sprintf("permissions %s, before %s", r.Perms, o.Perms)
			} else {
				detail = fmt.Sprintf("permissions %s, before %s: %s", r.Perms, o.Perms, detail)
			}
			out = append(out, change.Change{Kind: change.KindFileRule, Op: op, Subject: aaFileRuleText(r), Widening: wide, Detail: detail})
		case wide:
			out = append(out, change.Change{Kind: change.KindFileRule, Op: change.OpRelaxed, Subject: aaFileRuleText(r), Widening: true,
				Detail: "unchanged, but " + detail + " (a deny rule was removed or narrowed)"})
		}
	}
	for _, r := range oldRules {
		if _, ok := newByKey[fileRuleKey(r)]; ok {
			continue
		}
		c := change.Change{Kind: change.KindFileRule, Op: change.OpRemoved, Subject: aaFileRuleText(r)}
		if r.Deny {
			c.Widening = true
			c.Detail = "a deny rule protects against any allow rule, present or future"
		}
		out = append(out, c)
	}
	return change.Dedup(out)
}
