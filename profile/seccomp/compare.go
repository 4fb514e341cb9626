package seccomp

// Comparing argument rules is deciding whether every argument vector one
// set of rules allows is allowed by another. For the rules tailor and
// Docker write (equality, masked equality and ranges on one argument) that
// is decided exactly, with the values that make the difference; for
// anything else a rule counts as covered only when one rule of the other
// side provably implies it. The comparison never calls a widening covered.

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/tailorsec/tailor/profile/change"
	"github.com/tailorsec/tailor/profile/internal/sets"
)

// argDomain is the set of values one argument may take under a
// conjunction of conditions on it: an interval, a masked pattern and
// excluded values.
type argDomain struct {
	lo, hi    uint64
	mask, val uint64 // arg & mask == val
	ne        []uint64
	empty     bool
}

func fullDomain() argDomain { return argDomain{hi: math.MaxUint64} }

func (d *argDomain) add(c specs.LinuxSeccompArg) {
	switch c.Op {
	case specs.OpEqualTo:
		d.lo, d.hi = max(d.lo, c.Value), min(d.hi, c.Value)
	case specs.OpLessThan:
		if c.Value == 0 {
			d.empty = true
		} else {
			d.hi = min(d.hi, c.Value-1)
		}
	case specs.OpLessEqual:
		d.hi = min(d.hi, c.Value)
	case specs.OpGreaterThan:
		if c.Value == math.MaxUint64 {
			d.empty = true
		} else {
			d.lo = max(d.lo, c.Value+1)
		}
	case specs.OpGreaterEqual:
		d.lo = max(d.lo, c.Value)
	case specs.OpNotEqual:
		d.ne = append(d.ne, c.Value)
	case specs.OpMaskedEqual:
		m, v := c.Value, c.ValueTwo
		if v&^m != 0 || (d.val^v)&d.mask&m != 0 {
			d.empty = true // can never hold, or contradicts an earlier mask
		}
		d.mask |= m
		d.val = (d.val &^ m) | (v & m)
	}
	if d.lo > d.hi {
		d.empty = true
	}
}

func (d argDomain) has(v uint64) bool {
	return !d.empty && v >= d.lo && v <= d.hi && v&d.mask == d.val && !slices.Contains(d.ne, v)
}

// members lists the domain's values when there are at most limit
// candidates to try; finite is false otherwise.
func (d argDomain) members(limit uint64) (vals []uint64, finite bool) {
	if d.empty {
		return nil, true
	}
	if d.hi-d.lo < limit {
		for v := d.lo; ; v++ {
			if d.has(v) {
				vals = append(vals, v)
			}
			if v == d.hi {
				break
			}
		}
		return vals, true
	}
	free := ^d.mask
	if n := bits.OnesCount64(free); n <= bits.Len64(limit)-1 {
		// Every value is val with some subset of the free bits.
		for sub := uint64(0); ; sub = (sub - free) & free {
			if v := d.val | sub; d.has(v) {
				vals = append(vals, v)
			}
			if sub == free {
				break
			}
		}
		slices.Sort(vals)
		return vals, true
	}
	return nil, false
}

// implies reports whether every value of d satisfies c.
func (d argDomain) implies(c specs.LinuxSeccompArg) bool {
	if d.empty {
		return true
	}
	switch c.Op {
	case specs.OpEqualTo:
		return d.lo == c.Value && d.hi == c.Value
	case specs.OpLessThan:
		return d.hi < c.Value
	case specs.OpLessEqual:
		return d.hi <= c.Value
	case specs.OpGreaterThan:
		return d.lo > c.Value
	case specs.OpGreaterEqual:
		return d.lo >= c.Value
	case specs.OpNotEqual:
		return !d.has(c.Value)
	case specs.OpMaskedEqual:
		return c.Value&^d.mask == 0 && d.val&c.Value == c.ValueTwo
	}
	return false
}

// domains splits a rule into one domain per argument it constrains.
func (r ArgMatch) domains() map[uint]argDomain {
	out := map[uint]argDomain{}
	for _, c := range r {
		d, ok := out[c.Index]
		if !ok {
			d = fullDomain()
		}
		d.add(c)
		out[c.Index] = d
	}
	return out
}

func (r ArgMatch) holds(args map[uint]uint64) bool {
	for _, c := range r {
		v, ok := args[c.Index]
		if !ok {
			return false
		}
		d := fullDomain()
		d.add(c)
		if !d.has(v) {
			return false
		}
	}
	return true
}

const argEnumLimit = 1 << 16

// coverage is the answer to "does by allow everything r allows?".
type coverage struct {
	covered bool
	// witness: values of one argument that r allows and by does not, when
	// known; index is that argument.
	index   uint
	witness []uint64
}

// covers decides whether the rules by, taken together, allow every
// argument vector r allows.
func covers(by []ArgMatch, r ArgMatch) coverage {
	doms := r.domains()
	for _, d := range doms {
		if d.empty {
			return coverage{covered: true} // r allows nothing
		}
	}
	if len(doms) == 0 {
		// r allows everything: only an unconstrained rule covers it.
		for _, b := range by {
			if len(b) == 0 {
				return coverage{covered: true}
			}
		}
		return coverage{}
	}
	// One single rule that implies r covers it.
	for _, b := range by {
		if impliedBy(doms, b) {
			return coverage{covered: true}
		}
	}
	if len(doms) != 1 {
		return coverage{} // cannot prove it
	}
	var idx uint
	var d argDomain
	for i, dd := range doms {
		idx, d = i, dd
	}
	// The rules of by on this argument alone, as one set of values.
	var same []ArgMatch
	for _, b := range by {
		if bd := b.domains(); len(bd) == 1 {
			if _, ok := bd[idx]; ok {
				same = append(same, b)
			}
		}
	}
	inBy := func(v uint64) bool {
		return slices.ContainsFunc(same, func(b ArgMatch) bool { return b.holds(map[uint]uint64{idx: v}) })
	}
	if vals, finite := d.members(argEnumLimit); finite {
		var missing []uint64
		for _, v := range vals {
			if !inBy(v) {
				missing = append(missing, v)
			}
		}
		return coverage{covered: len(missing) == 0, index: idx, witness: missing}
	}
	if intervalsCover(same, idx, d.lo, d.hi) {
		return coverage{covered: true}
	}
	// Look for a value that makes the difference among the edges.
	for _, v := range edgeValues(d, same) {
		if d.has(v) && !inBy(v) {
			return coverage{index: idx, witness: []uint64{v}}
		}
	}
	return coverage{}
}

func impliedBy(doms map[uint]argDomain, b ArgMatch) bool {
	for _, c := range b {
		d, ok := doms[c.Index]
		if !ok {
			d = fullDomain()
		}
		if !d.implies(c) {
			return false
		}
	}
	return true
}

// intervalsCover: rules made only of range and equality conditions on idx,
// united, contain [lo, hi].
func intervalsCover(rules []ArgMatch, idx uint, lo, hi uint64) bool {
	type span struct{ lo, hi uint64 }
	var spans []span
	for _, r := range rules {
		d := r.domains()[idx]
		if d.empty || d.mask != 0 || len(d.ne) > 0 {
			continue
		}
		spans = append(spans, span{d.lo, d.hi})
	}
	slices.SortFunc(spans, func(a, b span) int {
		if a.lo != b.lo {
			if a.lo < b.lo {
				return -1
			}
			return 1
		}
		return 0
	})
	next := lo
	for _, s := range spans {
		if s.lo > next {
			break
		}
		if s.hi >= hi {
			return true
		}
		if s.hi+1 > next {
			next = s.hi + 1
		}
	}
	return false
}

func edgeValues(d argDomain, rules []ArgMatch) []uint64 {
	vals := []uint64{d.lo, d.hi, d.val}
	for _, r := range rules {
		for _, c := range r {
			for _, v := range []uint64{c.Value, c.ValueTwo} {
				vals = append(vals, v-1, v, v+1)
			}
		}
	}
	slices.Sort(vals)
	return slices.Compact(vals)
}

// disjoint reports whether no argument vector satisfies both a and one of
// by (covered is false when it cannot tell); witness values are those of
// a that by matches, when found.
func disjoint(by []ArgMatch, a ArgMatch) coverage {
	doms := a.domains()
	if len(doms) != 1 {
		return coverage{}
	}
	for idx, d := range doms {
		vals, finite := d.members(argEnumLimit)
		if !finite {
			return coverage{}
		}
		unknown := false // a rule of by on other arguments may match any value
		for _, b := range by {
			if bd := b.domains(); len(bd) != 1 {
				unknown = true
			} else if _, ok := bd[idx]; !ok {
				unknown = true
			}
		}
		var hit []uint64
		for _, v := range vals {
			if slices.ContainsFunc(by, func(b ArgMatch) bool { return b.holds(map[uint]uint64{idx: v}) }) {
				hit = append(hit, v)
			}
		}
		return coverage{covered: len(hit) == 0 && !unknown, index: idx, witness: hit}
	}
	return coverage{}
}

// compareSyscall says what NEW allows of one syscall that OLD did not
// (widening) and the reverse (narrowing), in words.
func compareSyscall(old, new *SyscallPolicy) (widening, narrowing string) {
	switch {
	case new.Any && old.Any:
		return "", ""
	case new.Any:
		return fmt.Sprintf("now allowed with any arguments; before %s", old.Describe()), ""
	case old.Any:
		return "", fmt.Sprintf("now allowed %s; before with any arguments", new.Describe())
	}
	switch {
	case len(new.Allow) > 0 && len(old.Allow) > 0:
		wide := uncovered(old.Allow, new.Allow)
		narrow := uncovered(new.Allow, old.Allow)
		if wide != "" {
			widening = fmt.Sprintf("now allows %s, which before it did not (before %s; now %s)", wide, old.Describe(), new.Describe())
		}
		if narrow != "" {
			narrowing = fmt.Sprintf("no longer allows %s (now %s)", narrow, new.Describe())
		}
		return widening, narrowing
	case len(new.Except) > 0 && len(old.Except) > 0:
		// NEW allows less when it refuses at least what OLD refused.
		if w := uncovered(new.Except, old.Except); w != "" {
			widening = fmt.Sprintf("no longer refuses %s (before %s; now %s)", w, old.Describe(), new.Describe())
		}
		if n := uncovered(old.Except, new.Except); n != "" {
			narrowing = fmt.Sprintf("now also refuses %s", n)
		}
		return widening, narrowing
	case len(new.Except) > 0: // OLD: only some values
		return fmt.Sprintf("now allowed %s; before %s", new.Describe(), old.Describe()), ""
	default: // NEW: only some values; OLD: all but some
		var hits []string
		exact := true
		for _, r := range new.Allow {
			c := disjoint(old.Except, r)
			if !c.covered {
				exact = exact && len(c.witness) > 0
				hits = append(hits, witnessText(r, c))
			}
		}
		if len(hits) > 0 {
			return fmt.Sprintf("now allows %s, which before it refused (before %s; now %s)", strings.Join(hits, ", "), old.Describe(), new.Describe()), ""
		}
		return "", fmt.Sprintf("now allowed %s; before %s", new.Describe(), old.Describe())
	}
}

// uncovered describes the rules of rules that by does not cover, "" when
// it covers them all.
func uncovered(by, rules []ArgMatch) string {
	var out []string
	var values []uint64
	idx := uint(0)
	for _, r := range rules {
		c := covers(by, r)
		if c.covered {
			continue
		}
		if len(c.witness) > 0 && (len(values) == 0 || c.index == idx) {
			idx = c.index
			values = append(values, c.witness...)
			continue
		}
		out = append(out, witnessText(r, c))
	}
	if len(values) > 0 {
		slices.Sort(values)
		values = slices.Compact(values)
		s := make([]string, 0, 8)
		for _, v := range values[:min(len(values), 8)] {
			s = append(s, fmtArg(v))
		}
		text := fmt.Sprintf("arg%d == %s", idx, strings.Join(s, ", "))
		if len(values) > 1 {
			text = fmt.Sprintf("arg%d in {%s", idx, strings.Join(s, ", "))
			if len(values) > 8 {
				text += fmt.Sprintf(", ... %d values in all", len(values))
			}
			text += "}"
		}
		out = append([]string{text}, out...)
	}
	return strings.Join(out, ", ")
}

func witnessText(r ArgMatch, c coverage) string {
	if len(c.witness) > 0 {
		return fmt.Sprintf("arg%d == %s (rule %s)", c.index, fmtArg(c.witness[0]), r)
	}
	return fmt.Sprintf("%s (tailor cannot prove the other side allows it)", r)
}

// Compare says how NEW's seccomp policy differs from OLD's, as changes:
// the default action, the architectures, the syscalls allowed on one side
// only, and for those on both, the argument vectors one allows and the
// other does not. A change is widening when NEW lets through something OLD
// refused.
func Compare(o, n *Policy) []change.Change {
	var out []change.Change
	if AllowsAction(n.DefaultAction) && !AllowsAction(o.DefaultAction) {
		out = append(out, change.Change{Kind: change.KindSeccompDefault, Op: change.OpRelaxed, Subject: string(n.DefaultAction), Widening: true,
			Detail: fmt.Sprintf("syscalls no rule names are let through (before: %s)", o.DefaultAction)})
	} else if AllowsAction(o.DefaultAction) && !AllowsAction(n.DefaultAction) {
		out = append(out, change.Change{Kind: change.KindSeccompDefault, Op: change.OpRestricted, Subject: string(n.DefaultAction),
			Detail: fmt.Sprintf("syscalls no rule names are refused (before: %s)", o.DefaultAction)})
	}
	for _, a := range n.Architectures {
		if !slices.Contains(o.Architectures, a) {
			out = append(out, change.Change{Kind: change.KindArch, Op: change.OpAdded, Subject: string(a), Widening: true})
		}
	}
	for _, a := range o.Architectures {
		if !slices.Contains(n.Architectures, a) {
			out = append(out, change.Change{Kind: change.KindArch, Op: change.OpRemoved, Subject: string(a)})
		}
	}
	for _, name := range sets.SortedKeys(n.Syscalls) {
		ns, os := n.Syscalls[name], o.Syscalls[name]
		if os == nil {
			c := change.Change{Kind: change.KindSyscall, Op: change.OpAdded, Subject: name, Widening: true}
			if !ns.Any {
				c.Detail = "allowed " + ns.Describe()
			}
			out = append(out, c)
			continue
		}
		wide, narrow := compareSyscall(os, ns)
		if wide != "" {
			out = append(out, change.Change{Kind: change.KindArgument, Op: change.OpRelaxed, Subject: name, Detail: wide, Widening: true})
		}
		if narrow != "" {
			out = append(out, change.Change{Kind: change.KindArgument, Op: change.OpRestricted, Subject: name, Detail: narrow})
		}
	}
	for _, name := range sets.SortedKeys(o.Syscalls) {
		if n.Syscalls[name] == nil {
			out = append(out, change.Change{Kind: change.KindSyscall, Op: change.OpRemoved, Subject: name})
		}
	}
	return out
}
