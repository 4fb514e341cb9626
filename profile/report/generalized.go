package report

import (
	"fmt"
	"strings"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/seccomp"
)

// GeneralizedLines say, one line per family or lifecycle, which syscalls
// seccomp.json allows that the container did not make, and why: "allowed
// as the same operation as fork: clone (without namespace flags), vfork".
// tailor record and tailor show print them under each profile.
func GeneralizedLines(rec *profile.Recording) []string {
	type key struct{ by, group, because string }
	var order []key
	names := map[key][]string{}
	for _, g := range seccomp.Generalized(rec) {
		k := key{g.By, g.Group, strings.Join(g.Because, ", ")}
		if _, ok := names[k]; !ok {
			order = append(order, k)
		}
		n := g.Name
		if g.Arg != nil {
			n += " (" + argText(*g.Arg) + ")"
		}
		names[k] = append(names[k], n)
	}
	var out []string
	for _, k := range order {
		if k.by == profile.ByLifecycle {
			out = append(out, fmt.Sprintf("allowed to finish what it made (%s: %s): %s", k.group, k.because, strings.Join(names[k], ", ")))
		} else {
			out = append(out, fmt.Sprintf("allowed as the same operation as %s: %s", k.because, strings.Join(names[k], ", ")))
		}
	}
	return out
}

// argText spells the only argument values a generalized syscall is
// allowed with.
func argText(a profile.ArgValues) string {
	switch {
	case a.Syscall == "clone" && a.Mask == profile.CloneNamespaceMask && len(a.Values) == 1 && a.Values[0] == 0:
		return "without namespace flags"
	case a.Mask == profile.ATRemovedir && len(a.Values) == 1 && a.Values[0] == 0:
		return "without AT_REMOVEDIR"
	case a.Mask == profile.ATRemovedir && len(a.Values) == 1:
		return "only with AT_REMOVEDIR"
	}
	var vals []string
	for _, v := range a.Values {
		vals = append(vals, fmt.Sprintf("%#x", v))
	}
	if a.Mask != 0 {
		return fmt.Sprintf("argument %d & %#x in %s", a.Index, a.Mask, strings.Join(vals, ", "))
	}
	return fmt.Sprintf("argument %d in %s", a.Index, strings.Join(vals, ", "))
}
