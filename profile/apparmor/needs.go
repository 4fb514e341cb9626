package apparmor

import (
	"fmt"
	"strings"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/change"
	"github.com/tailorsec/tailor/profile/internal/text"
)

// Coverage: whether a profile allows what a recording did, as `tailor
// check` asks of a baseline.

// FileNeeds lists the recorded file accesses rules do not allow: the
// coverage check of `tailor check`. Rules with `owner` do not count (the
// recording does not say who owned a file).
func FileNeeds(rec *profile.Recording, rules []Rule) []change.Change {
	var out []change.Change
	for _, f := range profile.Normalized(rec).Files {
		if !strings.HasPrefix(f.Path, "/") {
			continue
		}
		need := neededPerms(f.Access)
		var allow, deny permSet
		for _, r := range rules {
			if !r.Matches(f.Path) {
				continue
			}
			switch {
			case r.Deny:
				deny |= parsePerms(r.Perms)
			case !r.Owner:
				allow |= parsePerms(r.Perms)
			}
		}
		if missing := need &^ (allow &^ deny); missing != 0 {
			out = append(out, change.Change{Kind: change.KindFileAccess, Op: change.OpNeeded, Subject: text.DisplayPath(f.Path), Widening: true,
				Detail: fmt.Sprintf("the container needs %s (%s); the baseline allows %s", missing, strings.Join(f.Access, ", "), text.OrNone((allow &^ deny).String()))})
		}
	}
	return out
}
