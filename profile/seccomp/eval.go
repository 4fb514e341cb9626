package seccomp

// A seccomp profile is compared by what it lets through, not by its text:
// Docker's default profile lists ptrace three times under conditions on the
// kernel version and CAP_SYS_PTRACE, tailor's lists it once or not at all.
// Resolve does what dockerd does to a profile before it hands it to
// the runtime (archMap, includes and excludes by architecture, capability
// and kernel, "name" and "names"), and Evaluate what runc and
// libseccomp make of the result: for each syscall, whether it is allowed,
// and under which argument conditions. Everything that compares or
// converts seccomp profiles goes through these two.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	moby "github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/internal/jsonfile"
	"github.com/tailorsec/tailor/profile/internal/sets"
)

// Parse reads a seccomp profile in Docker's format (which includes
// the OCI runtime spec's linux.seccomp object). Like dockerd it ignores
// fields it does not know; unlike it, it also refuses values that would
// only fail later, in the runtime: unknown actions, operators and
// architectures, argument indices beyond 5, an entry without a name.
func Parse(data []byte) (*moby.Seccomp, error) {
	var p moby.Seccomp
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("seccomp profile: %w", jsonfile.Error(data, err))
	}
	if dec.More() {
		return nil, errors.New("seccomp profile: data after the JSON object")
	}
	if err := validateSeccomp(&p); err != nil {
		return nil, fmt.Errorf("seccomp profile: %w", err)
	}
	return &p, nil
}

var seccompActions = []specs.LinuxSeccompAction{
	specs.ActKill, specs.ActKillProcess, specs.ActKillThread, specs.ActTrap, specs.ActErrno,
	specs.ActTrace, specs.ActAllow, specs.ActLog, specs.ActNotify,
}

var seccompOperators = []specs.LinuxSeccompOperator{
	specs.OpNotEqual, specs.OpLessThan, specs.OpLessEqual, specs.OpEqualTo,
	specs.OpGreaterEqual, specs.OpGreaterThan, specs.OpMaskedEqual,
}

// seccompArchNative maps seccomp architectures to the names Docker's
// includes and excludes use for them (moby profiles/seccomp nativeToSeccomp).
var seccompArchNative = map[specs.Arch]string{
	specs.ArchX86: "x86", specs.ArchX86_64: "amd64", specs.ArchX32: "x32", specs.ArchARM: "arm",
	specs.ArchAARCH64: "arm64", specs.ArchLOONGARCH64: "loongarch64", specs.ArchMIPS: "mips",
	specs.ArchMIPS64: "mips64", specs.ArchMIPS64N32: "mips64n32", specs.ArchMIPSEL: "mipsel",
	specs.ArchMIPSEL64: "mipsel64", specs.ArchMIPSEL64N32: "mips3l64n32", specs.ArchPPC: "ppc",
	specs.ArchPPC64: "ppc64", specs.ArchPPC64LE: "ppc64le", specs.ArchS390: "s390",
	specs.ArchS390X: "s390x", specs.ArchPARISC: "parisc", specs.ArchPARISC64: "parisc64",
	specs.ArchRISCV64: "riscv64",
}

func validateSeccomp(p *moby.Seccomp) error {
	if p.DefaultAction == "" {
		return errors.New("no defaultAction")
	}
	if !slices.Contains(seccompActions, p.DefaultAction) {
		return fmt.Errorf("unknown defaultAction %q", p.DefaultAction)
	}
	if len(p.Architectures) > 0 && len(p.ArchMap) > 0 {
		return errors.New("both 'architectures' and 'archMap' are given (dockerd refuses that)")
	}
	for _, a := range p.Architectures {
		if _, ok := seccompArchNative[a]; !ok {
			return fmt.Errorf("unknown architecture %q", a)
		}
	}
	for _, m := range p.ArchMap {
		for _, a := range append([]specs.Arch{m.Arch}, m.SubArches...) {
			if _, ok := seccompArchNative[a]; !ok {
				return fmt.Errorf("archMap: unknown architecture %q", a)
			}
		}
	}
	for i, s := range p.Syscalls {
		if s == nil {
			return fmt.Errorf("syscalls[%d] is null", i)
		}
		if s.Name != "" && len(s.Names) > 0 {
			return fmt.Errorf("syscalls[%d]: both 'name' and 'names' (dockerd refuses that)", i)
		}
		if s.Name == "" && len(s.Names) == 0 {
			return fmt.Errorf("syscalls[%d]: no syscall names", i)
		}
		if slices.Contains(s.Names, "") {
			return fmt.Errorf("syscalls[%d]: an empty syscall name", i)
		}
		if !slices.Contains(seccompActions, s.Action) {
			return fmt.Errorf("syscalls[%d]: unknown action %q", i, s.Action)
		}
		for _, a := range s.Args {
			if a.Index > 5 {
				return fmt.Errorf("syscalls[%d]: argument index %d (seccomp numbers them 0 to 5)", i, a.Index)
			}
			if !slices.Contains(seccompOperators, a.Op) {
				return fmt.Errorf("syscalls[%d]: unknown operator %q", i, a.Op)
			}
		}
	}
	return nil
}

// Env is what a Docker profile's conditions are evaluated against.
type Env struct {
	// Arch is the host's native architecture (archMap and the "arches" of
	// includes and excludes depend on it). "": the first of the profile's
	// architectures, else the one tailor runs on.
	Arch profile.Arch
	// Capabilities are the container's bounding set (includes and excludes
	// by "caps"); nil means Docker's default capabilities.
	Capabilities []string
	// Kernel is the host kernel as "major.minor" (includes and excludes by
	// "minKernel"); "" assumes a kernel newer than any the profile names.
	Kernel string
}

func (env Env) native(p *moby.Seccomp) profile.Arch {
	if env.Arch != "" {
		return env.Arch
	}
	if len(p.Architectures) > 0 {
		return profile.Arch(p.Architectures[0])
	}
	return profile.NativeArch()
}

// Resolve applies p's conditions for env, as dockerd does before it
// gives the profile to the runtime, and returns the OCI object the runtime
// gets. p is not changed.
func Resolve(p *moby.Seccomp, env Env) (*specs.LinuxSeccomp, error) {
	if err := validateSeccomp(p); err != nil {
		return nil, err
	}
	native := env.native(p)
	nativeName := seccompArchNative[specs.Arch(native)]
	caps := env.Capabilities
	if caps == nil {
		caps = profile.DockerDefaultCapabilities()
	}
	for i, c := range caps {
		caps[i] = profile.CanonicalCapability(c)
	}
	kernelAtLeast := func(k *moby.KernelVersion) (bool, error) {
		if env.Kernel == "" {
			return true, nil
		}
		var have moby.KernelVersion
		if err := have.UnmarshalJSON([]byte(fmt.Sprintf("%q", env.Kernel))); err != nil {
			return false, err
		}
		return have.Kernel > k.Kernel || have.Kernel == k.Kernel && have.Major >= k.Major, nil
	}

	out := p.LinuxSeccomp
	out.Architectures = slices.Clone(p.Architectures)
	out.Flags = slices.Clone(p.Flags)
	out.Syscalls = nil
	for _, m := range p.ArchMap {
		if profile.Arch(m.Arch) == native {
			out.Architectures = append([]specs.Arch{m.Arch}, m.SubArches...)
			break
		}
	}
	for _, call := range p.Syscalls {
		names := call.Names
		if call.Name != "" {
			names = []string{call.Name}
		}
		if ex := call.Excludes; ex != nil {
			if slices.Contains(ex.Arches, nativeName) {
				continue
			}
			if slices.ContainsFunc(ex.Caps, func(c string) bool { return slices.Contains(caps, profile.CanonicalCapability(c)) }) {
				continue
			}
			if ex.MinKernel != nil {
				ok, err := kernelAtLeast(ex.MinKernel)
				if err != nil {
					return nil, err
				}
				if ok {
					continue
				}
			}
		}
		if in := call.Includes; in != nil {
			if len(in.Arches) > 0 && !slices.Contains(in.Arches, nativeName) {
				continue
			}
			if slices.ContainsFunc(in.Caps, func(c string) bool { return !slices.Contains(caps, profile.CanonicalCapability(c)) }) {
				continue
			}
			if in.MinKernel != nil {
				ok, err := kernelAtLeast(in.MinKernel)
				if err != nil {
					return nil, err
				}
				if !ok {
					continue
				}
			}
		}
		sc := call.LinuxSyscall
		sc.Names = slices.Clone(names)
		sc.Args = slices.Clone(sc.Args)
		out.Syscalls = append(out.Syscalls, sc)
	}
	return &out, nil
}

// Policy is what a seccomp profile lets through, for one host.
type Policy struct {
	Native profile.Arch
	// Architectures are those whose syscalls the filter admits (the
	// others are killed), sorted; a profile without any admits the
	// native one only.
	Architectures []profile.Arch
	DefaultAction specs.LinuxSeccompAction
	// Syscalls holds every syscall that is allowed at least for some
	// arguments. A name is allowed on each of Architectures that knows it
	// (see AllowSet).
	Syscalls map[string]*SyscallPolicy
}

// SyscallPolicy says under which arguments a syscall is allowed: Any, or
// when one of Allow matches, or unless one of Except matches.
type SyscallPolicy struct {
	Any    bool       `json:"any,omitempty"`
	Allow  []ArgMatch `json:"allow,omitempty"`
	Except []ArgMatch `json:"except,omitempty"`
}

// ArgMatch is a conjunction of argument conditions, as one libseccomp rule.
type ArgMatch []specs.LinuxSeccompArg

// AllowsAction reports whether a syscall answered with action runs (or may
// run): ALLOW and LOG let it through; NOTIFY and TRACE hand the decision to
// an agent or a tracer, which may let it through too. The others refuse it.
func AllowsAction(a specs.LinuxSeccompAction) bool {
	switch a {
	case specs.ActAllow, specs.ActLog, specs.ActNotify, specs.ActTrace:
		return true
	}
	return false
}

// Evaluate resolves p for env (see Resolve) and evaluates the
// result as runc compiles it with libseccomp: an entry's argument conditions
// are one rule (all must hold) unless two of them name the same argument,
// in which case each condition is a rule of its own (any may hold); a
// syscall's rules without conditions decide what happens when none of its
// conditional rules matches, and the default action decides when it has
// none.
func Evaluate(p *moby.Seccomp, env Env) (*Policy, error) {
	resolved, err := Resolve(p, env)
	if err != nil {
		return nil, err
	}
	return evaluateResolved(resolved, env.native(p)), nil
}

func evaluateResolved(r *specs.LinuxSeccomp, native profile.Arch) *Policy {
	pol := &Policy{Native: native, DefaultAction: r.DefaultAction, Syscalls: map[string]*SyscallPolicy{}}
	for _, a := range r.Architectures {
		pol.Architectures = append(pol.Architectures, profile.Arch(a))
	}
	if len(pol.Architectures) == 0 {
		pol.Architectures = []profile.Arch{native}
	}
	slices.Sort(pol.Architectures)
	pol.Architectures = slices.Compact(pol.Architectures)

	type entry struct {
		action specs.LinuxSeccompAction
		rules  []ArgMatch // nil: unconditional
	}
	byName := map[string][]entry{}
	for _, sc := range r.Syscalls {
		e := entry{action: sc.Action, rules: runcRules(sc.Args)}
		for _, n := range sc.Names {
			byName[n] = append(byName[n], e)
		}
	}
	defaultAllows := AllowsAction(r.DefaultAction)
	names := sets.SortedKeys(byName)
	if defaultAllows {
		for _, a := range pol.Architectures {
			names = append(names, knownSyscalls(a)...)
		}
		names = sets.Sorted(names)
	}
	for _, name := range names {
		fallback, unconditional := defaultAllows, false
		var allow, deny []ArgMatch
		for _, e := range byName[name] {
			switch {
			case e.rules == nil && !unconditional:
				fallback, unconditional = AllowsAction(e.action), true
			case e.rules == nil:
				// Two unconditional rules with different actions: libseccomp
				// refuses the second. Count the syscall as allowed if either
				// allows it: a comparison must not miss a grant.
				fallback = fallback || AllowsAction(e.action)
			case AllowsAction(e.action):
				allow = append(allow, e.rules...)
			default:
				deny = append(deny, e.rules...)
			}
		}
		switch {
		case fallback && len(deny) == 0:
			pol.Syscalls[name] = &SyscallPolicy{Any: true}
		case fallback:
			pol.Syscalls[name] = &SyscallPolicy{Except: deny}
		case len(allow) > 0:
			pol.Syscalls[name] = &SyscallPolicy{Allow: allow}
		}
	}
	return pol
}

// runcRules turns one entry's conditions into libseccomp rules the way runc
// does: nil without conditions.
func runcRules(args []specs.LinuxSeccompArg) []ArgMatch {
	if len(args) == 0 {
		return nil
	}
	seen := map[uint]bool{}
	repeated := false
	for _, a := range args {
		repeated = repeated || seen[a.Index]
		seen[a.Index] = true
	}
	if !repeated {
		return []ArgMatch{slices.Clone(args)}
	}
	rules := make([]ArgMatch, len(args))
	for i, a := range args {
		rules[i] = ArgMatch{a}
	}
	return rules
}

// AllowSet lists, sorted, the syscalls allowed (for some arguments at
// least) on arch: none when the filter does not admit arch.
func (p *Policy) AllowSet(arch profile.Arch) []string {
	if !slices.Contains(p.Architectures, arch) {
		return nil
	}
	var out []string
	for _, name := range sets.SortedKeys(p.Syscalls) {
		if syscallKnown(arch, name) {
			out = append(out, name)
		}
	}
	return out
}

// syscallKnown reports whether libseccomp can resolve name on arch
// (pseudo-syscalls such as socket on 32-bit x86 included: a rule for them
// compiles into one for socketcall).
func syscallKnown(arch profile.Arch, name string) bool {
	if _, ok := profile.SyscallNumber(arch, name); ok {
		return true
	}
	return arch == profile.ArchX86 && slices.Contains(knownSyscalls(profile.ArchX86), name)
}

var knownSyscallsCache sync.Map // Arch -> []string

// knownSyscalls lists, sorted, every syscall libseccomp names on arch.
func knownSyscalls(arch profile.Arch) []string {
	if v, ok := knownSyscallsCache.Load(arch); ok {
		return v.([]string)
	}
	var names []string
	add := func(lo, hi int) {
		for nr := lo; nr < hi; nr++ {
			if n, ok := profile.SyscallName(arch, nr); ok {
				names = append(names, n)
			}
		}
	}
	add(0, 2048)
	if arch == profile.ArchARM {
		add(0xf0000, 0xf0010) // ARM's private syscalls (cacheflush, set_tls, ...)
	}
	names = sets.Sorted(names)
	knownSyscallsCache.Store(arch, names)
	return names
}

// Describe spells a policy for people: "any arguments", "only when arg0 ==
// 1 or arg0 == 2", "unless arg0 & 0x7e020000 != 0".
func (s *SyscallPolicy) Describe() string {
	switch {
	case s == nil:
		return "never"
	case s.Any:
		return "with any arguments"
	case len(s.Allow) > 0:
		return "only when " + describeRules(s.Allow)
	}
	return "unless " + describeRules(s.Except)
}

func describeRules(rules []ArgMatch) string {
	// Equality rules on one argument read better as a set.
	if idx, vals, ok := equalitySet(rules); ok {
		if len(vals) == 1 {
			return fmt.Sprintf("arg%d == %s", idx, fmtArg(vals[0]))
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = fmtArg(v)
		}
		return fmt.Sprintf("arg%d in {%s}", idx, strings.Join(parts, ", "))
	}
	parts := make([]string, len(rules))
	for i, r := range rules {
		parts[i] = r.String()
	}
	return strings.Join(parts, " or ")
}

// equalitySet: every rule is a single arg == value on one index.
func equalitySet(rules []ArgMatch) (uint, []uint64, bool) {
	var idx uint
	var vals []uint64
	for i, r := range rules {
		if len(r) != 1 || r[0].Op != specs.OpEqualTo || (i > 0 && r[0].Index != idx) {
			return 0, nil, false
		}
		idx = r[0].Index
		vals = append(vals, r[0].Value)
	}
	slices.Sort(vals)
	return idx, slices.Compact(vals), len(rules) > 0
}

func (r ArgMatch) String() string {
	parts := make([]string, len(r))
	for i, c := range r {
		parts[i] = condString(c)
	}
	s := strings.Join(parts, " && ")
	if len(r) > 1 {
		s = "(" + s + ")"
	}
	return s
}

func condString(c specs.LinuxSeccompArg) string {
	op := map[specs.LinuxSeccompOperator]string{
		specs.OpNotEqual: "!=", specs.OpLessThan: "<", specs.OpLessEqual: "<=", specs.OpEqualTo: "==",
		specs.OpGreaterEqual: ">=", specs.OpGreaterThan: ">",
	}[c.Op]
	if c.Op == specs.OpMaskedEqual {
		return fmt.Sprintf("arg%d & %#x == %s", c.Index, c.Value, fmtArg(c.ValueTwo))
	}
	return fmt.Sprintf("arg%d %s %s", c.Index, op, fmtArg(c.Value))
}

// fmtArg writes small values in decimal, flag-like ones in hex.
func fmtArg(v uint64) string {
	if v < 4096 {
		return fmt.Sprint(v)
	}
	return fmt.Sprintf("%#x", v)
}
