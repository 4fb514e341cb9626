package apparmor

import (
	"slices"
	"strings"

	"github.com/moby/sys/capability"
	"github.com/tailorsec/tailor/profile/change"
	"github.com/tailorsec/tailor/profile/internal/sets"
)

// The rules that are not file rules are compared by what they grant:
// capabilities and network families by the set each side allows, the
// others (signal, ptrace, mount, unix, ...) rule by rule, a NEW rule being
// covered when some OLD rule allows at least as much.

// allAppArmorCapabilities are the names capability rules use.
func allAppArmorCapabilities() []string {
	var out []string
	for _, c := range capability.ListKnown() {
		out = append(out, c.String())
	}
	slices.Sort(out)
	return out
}

// capabilityGrants is what a profile's capability rules allow.
func capabilityGrants(rules []OtherRule) map[string]bool {
	allowed, denied := map[string]bool{}, map[string]bool{}
	for _, r := range rules {
		if r.Kind != "capability" {
			continue
		}
		target := allowed
		if r.Deny {
			target = denied
		}
		names := r.Bare
		if len(names) == 0 {
			names = allAppArmorCapabilities()
		}
		for _, n := range names {
			target[n] = true
		}
	}
	for n := range denied {
		delete(allowed, n)
	}
	return allowed
}

func CompareCapabilityRules(oldRules, newRules []OtherRule) []change.Change {
	var out []change.Change
	o, n := capabilityGrants(oldRules), capabilityGrants(newRules)
	for _, c := range sets.SortedKeys(n) {
		if !o[c] {
			out = append(out, change.Change{Kind: change.KindAppArmorRule, Op: change.OpAdded, Subject: "capability " + c, Widening: true})
		}
	}
	for _, c := range sets.SortedKeys(o) {
		if !n[c] {
			out = append(out, change.Change{Kind: change.KindAppArmorRule, Op: change.OpRemoved, Subject: "capability " + c})
		}
	}
	return out
}

// networkGrants is what a profile's network rules allow, as family/type
// pairs (type "" standing for the types AppArmor has no name for).
func networkGrants(rules []OtherRule) map[string]bool {
	types := append([]string{""}, aaSocketTypes...)
	protocols := map[string]string{"tcp": "stream", "udp": "dgram", "icmp": "raw"}
	allowed, denied := map[string]bool{}, map[string]bool{}
	for _, r := range rules {
		if r.Kind != "network" {
			continue
		}
		var fams, typs []string
		for _, w := range r.Bare {
			switch {
			case slices.Contains(aaNetworkFamilies, w):
				fams = append(fams, w)
			case slices.Contains(aaSocketTypes, w):
				typs = append(typs, w)
			case protocols[w] != "":
				typs = append(typs, protocols[w])
			}
		}
		if len(fams) == 0 {
			fams = aaNetworkFamilies
		}
		if len(typs) == 0 {
			typs = types
		}
		target := allowed
		if r.Deny {
			target = denied
		}
		for _, f := range fams {
			for _, t := range typs {
				target[f+" "+t] = true
			}
		}
	}
	for k := range denied {
		delete(allowed, k)
	}
	return allowed
}

func CompareNetworkRules(oldRules, newRules []OtherRule) []change.Change {
	o, n := networkGrants(oldRules), networkGrants(newRules)
	diff := func(a, b map[string]bool) []string {
		byFamily := map[string][]string{}
		for k := range a {
			if !b[k] {
				f, t, _ := strings.Cut(k, " ")
				byFamily[f] = append(byFamily[f], t)
			}
		}
		var out []string
		for _, f := range sets.SortedKeys(byFamily) {
			ts := sets.Sorted(byFamily[f])
			if len(ts) == len(aaSocketTypes)+1 {
				out = append(out, "network "+f)
				continue
			}
			for _, t := range ts {
				if t == "" {
					t = "(other types)"
				}
				out = append(out, "network "+f+" "+t)
			}
		}
		return out
	}
	var out []change.Change
	all := len(aaNetworkFamilies) * (len(aaSocketTypes) + 1)
	added := diff(n, o)
	if len(n) == all && len(added) > 0 {
		added = []string{"network (all families)"}
	}
	for _, s := range added {
		out = append(out, change.Change{Kind: change.KindNetworkRule, Op: change.OpAdded, Subject: s, Widening: true})
	}
	removed := diff(o, n)
	if len(o) == all && len(removed) > 0 {
		removed = []string{"network (all families)"}
	}
	for _, s := range removed {
		out = append(out, change.Change{Kind: change.KindNetworkRule, Op: change.OpRemoved, Subject: s})
	}
	return out
}

// ruleCovers reports whether allow rule o allows everything allow rule n
// does: same kind, o's parts each a superset of n's (a part o leaves out
// means "any").
func ruleCovers(o, n OtherRule) bool {
	if o.Kind != n.Kind || o.Deny || n.Deny {
		return false
	}
	subset := func(a, b []string) bool { // a ⊆ b
		for _, x := range a {
			if !slices.Contains(b, x) {
				return false
			}
		}
		return true
	}
	if len(o.Access) > 0 && (len(n.Access) == 0 || !subset(n.Access, o.Access)) {
		return false
	}
	if len(o.Bare) > 0 && !slices.Equal(o.Bare, n.Bare) {
		return false
	}
	for k, ov := range o.Keys {
		nv, ok := n.Keys[k]
		if !ok || !subset(nv, ov) {
			return false
		}
	}
	return o.Target == "" || o.Target == n.Target
}

func CompareOtherRules(oldRules, newRules []OtherRule) []change.Change {
	var out []change.Change
	other := func(r OtherRule) bool { return r.Kind != "capability" && r.Kind != "network" }
	oldText, newText := map[string]bool{}, map[string]bool{}
	for _, r := range oldRules {
		oldText[r.String()] = true
	}
	for _, r := range newRules {
		newText[r.String()] = true
	}
	for _, r := range newRules {
		if !other(r) || oldText[r.String()] {
			continue
		}
		c := change.Change{Kind: change.KindAppArmorRule, Op: change.OpAdded, Subject: r.String()}
		if !r.Deny {
			c.Widening = !slices.ContainsFunc(oldRules, func(o OtherRule) bool { return ruleCovers(o, r) })
			if !c.Widening {
				c.Detail = "OLD's rules already allow it"
			}
		}
		out = append(out, c)
	}
	for _, r := range oldRules {
		if !other(r) || newText[r.String()] {
			continue
		}
		c := change.Change{Kind: change.KindAppArmorRule, Op: change.OpRemoved, Subject: r.String()}
		if r.Deny {
			c.Widening = true
			c.Detail = "a deny rule protects against any allow rule, present or future"
		}
		out = append(out, c)
	}
	return change.Dedup(out)
}
