package apparmor

// Check evaluates a profile's file rules the way the kernel would,
// offline, against the recording it was made from. profiledir.Write runs it
// on every profile it writes and reports a failure as an error (the files
// are written all the same): a profile that denies what the container was
// seen doing breaks the container, and one that exposes secrets defeats its
// purpose.

import (
	"fmt"
	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/internal/text"
	"strings"
)

// Check returns the problems of profileText as a profile for rec,
// none when it is fine:
//   - every recorded file access must be allowed: each permission it needs
//     granted by some allow rule and denied by no deny rule (permissions
//     add up over the rules that match a path, and deny always wins);
//   - the sensitive paths (/etc/shadow, root's ssh keys, /proc/kcore,
//     /proc/sysrq-trigger, EFI variables) must be neither readable nor
//     writable, unless the recording shows the container doing just that.
func Check(rec *profile.Recording, profileText []byte) []string {
	rules, err := ParseFileRules(profileText)
	if err != nil {
		return []string{"the AppArmor profile does not parse: " + err.Error()}
	}
	var problems []string
	recorded := map[string]permSet{}
	for _, f := range profile.Normalized(rec).Files {
		if !strings.HasPrefix(f.Path, "/") {
			continue // not mediated by path
		}
		need := neededPerms(f.Access)
		recorded[f.Path] |= parsePerms(need.String()) // w grants append as well
		if missing := need &^ effectivePerms(rules, f.Path); missing != 0 {
			problems = append(problems, fmt.Sprintf("%s: the recording needs %s, which the profile does not allow",
				text.DisplayPath(f.Path), missing))
		}
	}
	for _, s := range appArmorSensitivePaths {
		forbidden := (permRead | permWrite | permAppend) &^ recorded[s]
		if open := effectivePerms(rules, s) & forbidden; open != 0 {
			problems = append(problems, fmt.Sprintf("%s: the profile allows %s, which the container was not recorded doing",
				s, open))
		}
	}
	return problems
}

// effectivePerms is what rules allow on path: the union of the matching
// allow rules less the union of the matching deny rules.
func effectivePerms(rules []Rule, path string) permSet {
	var allow, deny permSet
	for _, r := range rules {
		if !r.Matches(path) {
			continue
		}
		if r.Deny {
			deny |= parsePerms(r.Perms)
		} else {
			allow |= parsePerms(r.Perms)
		}
	}
	return allow &^ deny
}
