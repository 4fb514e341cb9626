package apparmor

// AppArmor has its own globbing. apparmor_parser expands variables, folds
// repeated slashes, turns the glob into a regular expression
// (convert_aaregex_to_pcre in parser_regex.c) and compiles all rules into one
// DFA. This file reimplements that for the constructs tailor emits or copies
// from docker-default, so that a profile can be checked offline against the
// recording it came from: no kernel, no root, no apparmor_parser.
//
// Matching is byte-wise (AppArmor knows nothing of UTF-8) and runs a small
// Thompson NFA, so it takes time linear in the path whatever the pattern.

import (
	"errors"
	"fmt"
	"math/bits"
	"strings"
)

// Match reports whether the AppArmor glob pattern matches path:
//
//   - any run of bytes but '/'
//     **       any run of bytes, '/' included
//     ?        one byte but '/'
//     {a,b}    alternation, nestable, at least two branches (one may be empty)
//     [..]     a byte class, [^..] its complement ('/' included!)
//     \c       c itself; \ooo, \xhh and \n, \t, \r are bytes
//     @{PROC}  /proc/, @{sys} /sys/, @{pid} and @{tid} a process id: 1 to 7
//     digits without a leading zero, as AppArmor 3's tunables define
//
// Like apparmor_parser, a * or ** that makes up a whole path component
// (after a '/', before a '/' or the end) must match at least one byte, so
// /dir/* does not match /dir/. Runs of slashes are folded into one, in
// pattern and path alike. An invalid pattern matches nothing.
func Match(pattern, path string) bool {
	m, err := compileAppArmor(pattern)
	if err != nil {
		return false
	}
	return m.match(path)
}

// aaPid is @{pid} of AppArmor 3's tunables/kernelvars: pid_max is at most
// 4194304, so seven digits start with 1 to 4.
const aaPid = "{[1-9],[1-9][0-9],[1-9][0-9][0-9],[1-9][0-9][0-9][0-9]," +
	"[1-9][0-9][0-9][0-9][0-9],[1-9][0-9][0-9][0-9][0-9][0-9],[1-4][0-9][0-9][0-9][0-9][0-9][0-9]}"

// aaVariables are the tunables' variables a profile may use here.
var aaVariables = map[string]string{
	"PROC": "/proc/",
	"sys":  "/sys/",
	"pid":  aaPid,
	"pids": aaPid,
	"tid":  aaPid,
}

// aaMaxAltDepth is apparmor_parser's MAX_ALT_DEPTH: deeper {} nesting is an
// error there, and here it also bounds the parser's recursion.
const aaMaxAltDepth = 50

// byteSet is a set of bytes.
type byteSet [4]uint64

func (s *byteSet) add(c byte)      { s[c>>6] |= 1 << (c & 63) }
func (s *byteSet) has(c byte) bool { return s[c>>6]&(1<<(c&63)) != 0 }
func (s *byteSet) addRange(lo, hi int) {
	for c := lo; c <= hi; c++ {
		s.add(byte(c))
	}
}
func (s *byteSet) invert() {
	for i := range s {
		s[i] = ^s[i]
	}
}

func singleByte(c byte) byteSet {
	var s byteSet
	s.add(c)
	return s
}

// notSlash is what * and ? match; anyByte what ** matches. Neither includes
// NUL, which the kernel uses to separate the parts of a compound match.
var notSlash, anyByte = func() (byteSet, byteSet) {
	var ns, any byteSet
	ns.addRange(1, 255)
	any = ns
	ns[0] &^= 1 << '/'
	return ns, any
}()

// aaNode is one element of a parsed pattern.
type aaNode struct {
	kind aaKind
	set  byteSet    // aaSet: the bytes it matches
	plus bool       // aaStar, aaDoubleStar: must match at least one byte (the first not '/')
	alts [][]aaNode // aaAlt: the branches
}

type aaKind uint8

const (
	aaSet aaKind = iota
	aaStar
	aaDoubleStar
	aaAlt
)

// compileAppArmor parses pattern into a matcher.
func compileAppArmor(pattern string) (*aaMatcher, error) {
	expanded, err := expandAppArmorVariables(pattern)
	if err != nil {
		return nil, err
	}
	p := &aaParser{s: foldSlashes(expanded)}
	nodes, err := p.seq(0)
	if err != nil {
		return nil, err
	}
	if p.i < len(p.s) { // only a stray '}' stops the top-level sequence
		return nil, fmt.Errorf("unmatched '}' at byte %d", p.i)
	}
	c := &aaCompiler{}
	c.seq(nodes)
	c.emit(aaInst{op: opMatch})
	m := &aaMatcher{prog: c.prog}
	// Most rules are literal paths, and most others start with one: a
	// string comparison settles those without running the NFA.
	var prefix []byte
	for _, n := range nodes {
		b, ok := n.single()
		if !ok {
			break
		}
		prefix = append(prefix, b)
	}
	m.prefix, m.literal = string(prefix), len(prefix) == len(nodes)
	return m, nil
}

// single returns the byte of a node that matches exactly one.
func (n aaNode) single() (byte, bool) {
	if n.kind != aaSet {
		return 0, false
	}
	count, last := 0, byte(0)
	for i, w := range n.set {
		count += bits.OnesCount64(w)
		if w != 0 {
			last = byte(i*64 + 63 - bits.LeadingZeros64(w))
		}
	}
	return last, count == 1
}

// expandAppArmorVariables replaces @{NAME} by its value, as apparmor_parser
// does before anything else. An escaped '@' does not start a variable.
func expandAppArmorVariables(s string) (string, error) {
	if !strings.Contains(s, "@{") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s):
			b.WriteString(s[i : i+2])
			i++
		case s[i] == '@' && i+1 < len(s) && s[i+1] == '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return "", errors.New("unterminated variable @{")
			}
			name := s[i+2 : i+end]
			value, ok := aaVariables[name]
			if !ok {
				return "", fmt.Errorf("unknown variable @{%s}", name)
			}
			b.WriteString(value)
			i += end
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), nil
}

// foldSlashes folds runs of '/' into one, like apparmor_parser's
// filter_slashes (which keeps a leading "//", a namespace, as well).
func foldSlashes(s string) string {
	if !strings.Contains(s, "//") {
		return s
	}
	var b strings.Builder
	start := 0
	if len(s) > 2 && s[0] == '/' && s[1] == '/' && s[2] != '/' {
		b.WriteString("//")
		start = 2
	}
	for i := start; i < len(s); i++ {
		if s[i] == '/' && b.Len() > 0 && strings.HasSuffix(b.String(), "/") {
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

type aaParser struct {
	s string
	i int
	// afterSlash: the last thing parsed was a literal '/' (what
	// apparmor_parser tests as "the regex so far ends in '/'").
	afterSlash bool
}

// seq parses until the end, or an unescaped ',' or '}' inside an
// alternation (depth > 0).
func (p *aaParser) seq(depth int) ([]aaNode, error) {
	var nodes []aaNode
	p.afterSlash = false // after '{', ',' or at the start
	for p.i < len(p.s) {
		c := p.s[p.i]
		slash := false
		switch c {
		case '\\':
			b, n, err := aaEscape(p.s[p.i+1:])
			if err != nil {
				return nil, err
			}
			// apparmor_parser keeps a recognised escape sequence (\ooo,
			// \x..) as such; an unneeded one leaves the bare byte.
			slash = p.s[p.i+1] == '/'
			nodes = append(nodes, aaNode{kind: aaSet, set: singleByte(b)})
			p.i += 1 + n
		case '*':
			run := p.i
			for run < len(p.s) && p.s[run] == '*' {
				run++
			}
			whole := p.afterSlash && (run == len(p.s) || p.s[run] == '/')
			kind, width := aaStar, 1
			if p.i+1 < len(p.s) && p.s[p.i+1] == '*' {
				kind, width = aaDoubleStar, 2
			}
			nodes = append(nodes, aaNode{kind: kind, plus: whole})
			p.i += width
		case '?':
			nodes = append(nodes, aaNode{kind: aaSet, set: notSlash})
			p.i++
		case '[':
			set, err := p.class()
			if err != nil {
				return nil, err
			}
			nodes = append(nodes, aaNode{kind: aaSet, set: set})
		case ']':
			return nil, fmt.Errorf("']' without '[' at byte %d", p.i)
		case '{':
			if depth+1 >= aaMaxAltDepth {
				return nil, errors.New("alternations nested too deeply")
			}
			alt, err := p.alternation(depth + 1)
			if err != nil {
				return nil, err
			}
			nodes = append(nodes, alt)
		case ',', '}':
			if depth > 0 {
				return nodes, nil
			}
			if c == '}' {
				return nodes, nil // the caller reports the stray '}'
			}
			nodes = append(nodes, aaNode{kind: aaSet, set: singleByte(c)})
			p.i++
		default:
			slash = c == '/'
			nodes = append(nodes, aaNode{kind: aaSet, set: singleByte(c)})
			p.i++
		}
		p.afterSlash = slash
	}
	if depth > 0 {
		return nil, errors.New("unterminated '{'")
	}
	return nodes, nil
}

// alternation parses {a,b,...} from its '{'. apparmor_parser rejects a
// group without a ',' ("Invalid number of items between {}").
func (p *aaParser) alternation(depth int) (aaNode, error) {
	p.i++ // '{'
	node := aaNode{kind: aaAlt}
	for {
		branch, err := p.seq(depth)
		if err != nil {
			return aaNode{}, err
		}
		node.alts = append(node.alts, branch)
		if p.i >= len(p.s) {
			return aaNode{}, errors.New("unterminated '{'")
		}
		c := p.s[p.i]
		p.i++
		if c == '}' {
			break
		}
	}
	if len(node.alts) < 2 {
		return aaNode{}, errors.New("'{...}' needs at least two alternatives separated by ','")
	}
	return node, nil
}

// class parses [...] or [^...] from its '['.
func (p *aaParser) class() (byteSet, error) {
	p.i++ // '['
	var set byteSet
	negate := p.i < len(p.s) && p.s[p.i] == '^'
	if negate {
		p.i++
	}
	empty := true
	for {
		if p.i >= len(p.s) {
			return set, errors.New("unterminated '['")
		}
		if p.s[p.i] == ']' {
			p.i++
			break
		}
		lo, err := p.classByte()
		if err != nil {
			return set, err
		}
		hi := lo
		if p.i+1 < len(p.s) && p.s[p.i] == '-' && p.s[p.i+1] != ']' {
			p.i++
			if hi, err = p.classByte(); err != nil {
				return set, err
			}
			if hi < lo {
				return set, fmt.Errorf("reversed range %q-%q in '[...]'", lo, hi)
			}
		}
		set.addRange(int(lo), int(hi))
		empty = false
	}
	if empty {
		return set, errors.New("empty '[]'")
	}
	if negate {
		set.invert()
	}
	set[0] &^= 1 // never NUL
	return set, nil
}

// classByte reads one byte of a class, escaped or not. apparmor_parser does
// not protect * and ? inside a class (they become regex garbage): refuse them.
func (p *aaParser) classByte() (byte, error) {
	c := p.s[p.i]
	switch c {
	case '\\':
		if p.i+1 >= len(p.s) {
			return 0, errors.New("trailing '\\'")
		}
		b, n, err := aaEscape(p.s[p.i+1:])
		p.i += 1 + n
		return b, err
	case '*', '?':
		return 0, fmt.Errorf("unescaped %q inside '[...]'", c)
	}
	p.i++
	return c, nil
}

// aaEscape decodes the escape sequence after a backslash: the byte it
// stands for and how many bytes of s it used.
func aaEscape(s string) (byte, int, error) {
	if s == "" {
		return 0, 0, errors.New("trailing '\\'")
	}
	switch c := s[0]; {
	case '0' <= c && c <= '7':
		v, n := 0, 0
		for n < 3 && n < len(s) && '0' <= s[n] && s[n] <= '7' {
			v = v*8 + int(s[n]-'0')
			n++
		}
		if v > 255 {
			return 0, 0, fmt.Errorf("octal escape \\%s is not a byte", s[:n])
		}
		return byte(v), n, nil
	case c == 'x':
		v, n := 0, 1
		for n < 3 && n < len(s) && isHex(s[n]) {
			v = v*16 + hexValue(s[n])
			n++
		}
		if n == 1 {
			return 'x', 1, nil
		}
		return byte(v), n, nil
	case c == 'n':
		return '\n', 1, nil
	case c == 't':
		return '\t', 1, nil
	case c == 'r':
		return '\r', 1, nil
	default:
		return c, 1, nil
	}
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func hexValue(c byte) int {
	switch {
	case c <= '9':
		return int(c - '0')
	case c >= 'a':
		return int(c-'a') + 10
	}
	return int(c-'A') + 10
}

// The NFA: opByte consumes one byte of set and goes on to the next
// instruction; opSplit and opJmp move without consuming.
type aaInst struct {
	op   aaOp
	set  byteSet
	x, y int
}

type aaOp uint8

const (
	opByte aaOp = iota
	opSplit
	opJmp
	opMatch
)

type aaCompiler struct{ prog []aaInst }

func (c *aaCompiler) emit(in aaInst) int {
	c.prog = append(c.prog, in)
	return len(c.prog) - 1
}

func (c *aaCompiler) seq(nodes []aaNode) {
	for _, n := range nodes {
		c.node(n)
	}
}

func (c *aaCompiler) node(n aaNode) {
	switch n.kind {
	case aaSet:
		c.emit(aaInst{op: opByte, set: n.set})
	case aaStar, aaDoubleStar:
		loop := notSlash
		if n.kind == aaDoubleStar {
			loop = anyByte
		}
		if n.plus {
			c.emit(aaInst{op: opByte, set: notSlash})
		}
		split := c.emit(aaInst{op: opSplit})
		c.emit(aaInst{op: opByte, set: loop})
		c.emit(aaInst{op: opJmp, x: split})
		c.prog[split].x, c.prog[split].y = split+1, len(c.prog)
	case aaAlt:
		var jumps []int
		for i, branch := range n.alts {
			split := -1
			if i < len(n.alts)-1 {
				split = c.emit(aaInst{op: opSplit})
			}
			c.seq(branch)
			if split >= 0 {
				jumps = append(jumps, c.emit(aaInst{op: opJmp}))
				c.prog[split].x, c.prog[split].y = split+1, len(c.prog)
			}
		}
		for _, j := range jumps {
			c.prog[j].x = len(c.prog)
		}
	}
}

type aaMatcher struct {
	prog    []aaInst
	prefix  string // the literal bytes the pattern starts with
	literal bool   // the pattern is just prefix
}

func (m *aaMatcher) match(path string) bool {
	path = foldSlashes(path)
	if m.literal {
		return path == m.prefix
	}
	if !strings.HasPrefix(path, m.prefix) {
		return false
	}
	seen := make([]int, len(m.prog))
	gen := 0
	var add func(list []int, pc int) []int
	add = func(list []int, pc int) []int {
		if seen[pc] == gen {
			return list
		}
		seen[pc] = gen
		switch in := m.prog[pc]; in.op {
		case opJmp:
			return add(list, in.x)
		case opSplit:
			return add(add(list, in.x), in.y)
		}
		return append(list, pc)
	}
	gen++
	current := add(nil, 0)
	var next []int
	for i := 0; i < len(path) && len(current) > 0; i++ {
		gen++
		next = next[:0]
		for _, pc := range current {
			if in := m.prog[pc]; in.op == opByte && in.set.has(path[i]) {
				next = add(next, pc+1)
			}
		}
		current, next = next, current
	}
	for _, pc := range current {
		if m.prog[pc].op == opMatch {
			return true
		}
	}
	return false
}
