package seccomp

// Argument rules: a syscall whose arguments decide what it can do is
// allowed only with the values the container used. clone without namespace
// flags cannot make namespaces; socket with the recorded families cannot
// open AF_ALG or AF_VSOCK; prctl and ioctl only do what they did. Docker's
// default profile restricts clone and personality the same way; these
// rules are learned instead of fixed.

import (
	"fmt"
	"slices"

	moby "github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/internal/sets"
)

// ArgRuleMaxValues: a syscall whose argument took more distinct values than
// this is allowed with any value (a rule per value would be long and
// brittle, and the next run likely brings another); report.json says so.
const ArgRuleMaxValues = 16

// Verdicts on learned argument values, in report.json.
const (
	ArgRuleExact  = "exact"  // allowed with exactly the recorded values
	ArgRuleAny    = "any"    // allowed with any value (see the reason)
	ArgRuleENOSYS = "enosys" // clone3 without namespaces: answered ENOSYS, clone used instead
)

// ArgRule is what the profile does with one set of learned values.
type ArgRule struct {
	profile.ArgValues
	Rule   string `json:"rule"`
	Reason string `json:"reason,omitempty"`
}

// argRules decides, for each learned argument set of a normalized
// recording, the rule; allowed are the names the profile allows.
func ArgRulesFor(rec *profile.Recording, allowed []string) []ArgRule {
	compat := map[string]bool{} // names also made by 32-bit code: its values were not recorded
	native := recordingNativeArch(rec)
	for _, s := range rec.Syscalls {
		if s.Arch != native && s.Name != "" {
			compat[s.Name] = true
		}
	}
	var out []ArgRule
	for _, a := range rec.SyscallArgs {
		r := ArgRule{ArgValues: a, Rule: ArgRuleExact}
		switch {
		case !slices.Contains(allowed, a.Syscall):
			continue // values of a call the profile does not allow at all
		case a.Overflow:
			r.Rule, r.Reason = ArgRuleAny, "more values than the recorder keeps"
		case len(a.Values) > ArgRuleMaxValues:
			r.Rule, r.Reason = ArgRuleAny, fmt.Sprintf("%d distinct values, more than %d", len(a.Values), ArgRuleMaxValues)
		case compat[a.Syscall]:
			r.Rule, r.Reason = ArgRuleAny, "also made by 32-bit code, whose arguments are not recorded"
		case a.Field != "":
			// clone3 passes its flags in memory, where seccomp cannot
			// look: without namespaces, answer ENOSYS so libc uses clone,
			// whose flags it can check (Docker's default does the same).
			if slices.ContainsFunc(a.Values, func(v uint64) bool { return v&a.Mask != 0 }) {
				r.Rule, r.Reason = ArgRuleAny, "made with namespace flags, which seccomp cannot check in clone3's memory"
			} else {
				r.Rule, r.Reason = ArgRuleENOSYS, "no namespace flags: libc falls back to clone, whose flags the profile checks"
			}
		}
		out = append(out, r)
	}
	return out
}

// applyArgRules takes the syscalls with exact rules out of the
// unconditional allow list and returns one allow entry per value, and the
// names clone3 made to answer ENOSYS.
func applyArgRules(rules []ArgRule, allowed []string) (unconditional []string, entries []*moby.Syscall, enosys []string) {
	exact := map[string]ArgRule{}
	for _, r := range rules {
		switch r.Rule {
		case ArgRuleExact:
			exact[r.Syscall] = r
		case ArgRuleENOSYS:
			enosys = append(enosys, r.Syscall)
			if _, ok := exact["clone"]; !ok && !slices.Contains(allowed, "clone") {
				// The fallback must be there, without namespaces.
				exact["clone"] = ArgRule{ArgValues: profile.ArgValues{Syscall: "clone", Index: 0, Mask: profile.CloneNamespaceMask, Values: []uint64{0}}, Rule: ArgRuleExact}
			}
		}
	}
	for _, name := range allowed {
		if _, ok := exact[name]; !ok && !slices.Contains(enosys, name) {
			unconditional = append(unconditional, name)
		}
	}
	names := make([]string, 0, len(exact))
	for n := range exact {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		r := exact[n]
		for _, v := range r.Values {
			arg := specs.LinuxSeccompArg{Index: uint(r.Index), Value: v, Op: specs.OpEqualTo}
			if r.Mask != 0 {
				// MASKED_EQ compares arg & Value with ValueTwo.
				arg = specs.LinuxSeccompArg{Index: uint(r.Index), Value: r.Mask, ValueTwo: v, Op: specs.OpMaskedEqual}
			}
			entries = append(entries, &moby.Syscall{
				LinuxSyscall: specs.LinuxSyscall{Names: []string{n}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{arg}},
				Comment:      argComment(n, r.Index, arg),
			})
		}
	}
	return unconditional, entries, enosys
}

func argComment(name string, index int, a specs.LinuxSeccompArg) string {
	if a.Op == specs.OpMaskedEqual {
		return fmt.Sprintf("%s as recorded: argument %d & %#x == %#x", name, index, a.Value, a.ValueTwo)
	}
	return fmt.Sprintf("%s as recorded: argument %d == %#x", name, index, a.Value)
}

// ArgRules are the decisions on a recording's learned argument values, for
// the report.
func ArgRules(rec *profile.Recording) []ArgRule {
	rec = profile.Normalized(rec)
	return ArgRulesFor(rec, RecordedNames(rec))
}

func RecordedNames(rec *profile.Recording) []string {
	var names []string
	for _, s := range rec.Syscalls {
		if s.Name != "" {
			names = append(names, s.Name)
		}
	}
	return sets.Sorted(names)
}
