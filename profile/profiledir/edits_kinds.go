package profiledir

// The items of seccomp.json, capabilities.json and docker-run.flags, and
// how edits are put back into a new rendering of each.

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	moby "github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/runflags"
	"github.com/tailorsec/tailor/profile/seccomp"
)

// keptComment marks the seccomp rules that hold only a user's edits.
const keptComment = "kept from your edit of this file (tailor merge and record carry it over)"

// seccompRuleItem is the canonical form of a rule for one name: everything
// that decides what it does, none of its comment.
func seccompRuleItem(s *moby.Syscall, name string) string {
	r := moby.Syscall{LinuxSyscall: specs.LinuxSyscall{Names: []string{name}, Action: s.Action, ErrnoRet: s.ErrnoRet, Args: s.Args}}
	if s.Includes != nil && (len(s.Includes.Caps) > 0 || len(s.Includes.Arches) > 0 || s.Includes.MinKernel != nil) {
		r.Includes = s.Includes
	}
	if s.Excludes != nil && (len(s.Excludes.Caps) > 0 || len(s.Excludes.Arches) > 0 || s.Excludes.MinKernel != nil) {
		r.Excludes = s.Excludes
	}
	if len(r.Args) == 0 {
		r.Args = nil
	}
	b, _ := json.Marshal(r)
	return "rule " + string(b)
}

func ruleNames(s *moby.Syscall) []string {
	if len(s.Names) == 0 && s.Name != "" {
		return []string{s.Name}
	}
	return s.Names
}

func seccompItems(data []byte) ([]item, error) {
	p, err := seccomp.Parse(data)
	if err != nil {
		return nil, err
	}
	var items []item
	errno := ""
	if p.DefaultErrnoRet != nil {
		errno = fmt.Sprintf(" errno %d", *p.DefaultErrnoRet)
	}
	items = append(items, item{Item: "default " + string(p.DefaultAction) + errno})
	for _, a := range p.Architectures {
		items = append(items, item{Item: "arch " + string(a)})
	}
	for _, m := range p.ArchMap {
		items = append(items, item{Item: "arch " + string(m.Arch)})
		for _, a := range m.SubArches {
			items = append(items, item{Item: "arch " + string(a)})
		}
	}
	for _, f := range p.Flags {
		items = append(items, item{Item: "flag " + string(f)})
	}
	for _, s := range p.Syscalls {
		for _, n := range ruleNames(s) {
			items = append(items, item{Item: seccompRuleItem(s, n)})
		}
	}
	return items, nil
}

func parseRuleItem(it string) (*moby.Syscall, bool) {
	js, ok := strings.CutPrefix(it, "rule ")
	if !ok {
		return nil, false
	}
	var s moby.Syscall
	if json.Unmarshal([]byte(js), &s) != nil || len(s.Names) != 1 {
		return nil, false
	}
	return &s, true
}

// plainAllow is a rule that allows its names whatever their arguments.
func plainAllow(s *moby.Syscall) bool {
	return s.Action == specs.ActAllow && len(s.Args) == 0 && s.ErrnoRet == nil && s.Includes == nil && s.Excludes == nil
}

func describeSeccompItem(it string) string {
	if s, ok := parseRuleItem(it); ok {
		if plainAllow(s) {
			return s.Names[0]
		}
		var parts []string
		if s.Action != specs.ActAllow {
			a := strings.TrimPrefix(string(s.Action), "SCMP_ACT_")
			if s.ErrnoRet != nil {
				a += fmt.Sprintf(" %d", *s.ErrnoRet)
			}
			parts = append(parts, a)
		}
		if len(s.Args) > 0 {
			parts = append(parts, "when "+seccomp.ArgMatch(s.Args).String())
		}
		if s.Includes != nil || s.Excludes != nil {
			parts = append(parts, "with includes/excludes")
		}
		return s.Names[0] + " (" + strings.Join(parts, ", ") + ")"
	}
	if a, ok := strings.CutPrefix(it, "arch "); ok {
		return a
	}
	if d, ok := strings.CutPrefix(it, "default "); ok {
		return "defaultAction " + d
	}
	if f, ok := strings.CutPrefix(it, "flag "); ok {
		return "flag " + f
	}
	return it
}

// applySeccomp puts edits into a rendered seccomp.json, keeping its rules
// and comments: a removed name leaves its rule, an added name that is
// allowed with any argument joins the first such rule, any other added
// rule is a rule of its own.
func applySeccomp(rendered []byte, edits []Edit) ([]byte, error) {
	p, err := seccomp.Parse(rendered)
	if err != nil {
		return nil, err
	}
	removed := map[string]int{}
	for _, e := range edits {
		if e.Op == "-" {
			removed[e.Item]++
		}
	}
	for _, e := range edits {
		if e.Op != "+" || !strings.HasPrefix(e.Item, "default ") {
			continue
		}
		var action string
		var errno uint
		if n, _ := fmt.Sscanf(strings.TrimPrefix(e.Item, "default "), "%s errno %d", &action, &errno); n >= 1 {
			p.DefaultAction = specs.LinuxSeccompAction(action)
			p.DefaultErrnoRet = nil
			if n == 2 {
				p.DefaultErrnoRet = &errno
			}
		}
	}
	take := func(it string) bool {
		if removed[it] > 0 {
			removed[it]--
			return true
		}
		return false
	}
	p.Architectures = slices.DeleteFunc(p.Architectures, func(a specs.Arch) bool { return take("arch " + string(a)) })
	p.Flags = slices.DeleteFunc(p.Flags, func(f specs.LinuxSeccompFlag) bool { return take("flag " + string(f)) })
	var rules []*moby.Syscall
	for _, s := range p.Syscalls {
		names := slices.DeleteFunc(slices.Clone(ruleNames(s)), func(n string) bool { return take(seccompRuleItem(s, n)) })
		if len(names) == 0 {
			continue
		}
		s.Names, s.Name = names, ""
		rules = append(rules, s)
	}
	have := map[string]bool{}
	for _, s := range rules {
		for _, n := range s.Names {
			have[seccompRuleItem(s, n)] = true
		}
	}
	for _, e := range edits {
		if e.Op != "+" {
			continue
		}
		if a, ok := strings.CutPrefix(e.Item, "arch "); ok && !slices.Contains(p.Architectures, specs.Arch(a)) {
			p.Architectures = append(p.Architectures, specs.Arch(a))
		}
		if f, ok := strings.CutPrefix(e.Item, "flag "); ok && !slices.Contains(p.Flags, specs.LinuxSeccompFlag(f)) {
			p.Flags = append(p.Flags, specs.LinuxSeccompFlag(f))
		}
		s, ok := parseRuleItem(e.Item)
		if !ok || have[e.Item] {
			continue
		}
		have[e.Item] = true
		name := s.Names[0]
		if plainAllow(s) {
			if i := slices.IndexFunc(rules, plainAllow); i >= 0 {
				rules[i].Names = append(rules[i].Names, name)
				slices.Sort(rules[i].Names)
				continue
			}
		}
		// Added rules alike but for their name share one.
		if i := slices.IndexFunc(rules, func(r *moby.Syscall) bool {
			return r.Comment == keptComment && seccompRuleItem(r, name) == e.Item
		}); i >= 0 {
			rules[i].Names = append(rules[i].Names, name)
			slices.Sort(rules[i].Names)
			continue
		}
		s.Comment = keptComment
		rules = append(rules, s)
	}
	p.Syscalls = rules
	return seccomp.Marshal(p)
}

func capabilityItems(data []byte) ([]item, error) {
	c, err := runflags.ParseCapabilities(data)
	if err != nil {
		return nil, err
	}
	var items []item
	for _, l := range []struct {
		name string
		caps []string
	}{{"add", c.Add}, {"drop", c.Drop}, {"denied", c.Denied}} {
		for _, x := range l.caps {
			items = append(items, item{Item: l.name + " " + x})
		}
	}
	return items, nil
}

func applyCapabilities(rendered []byte, edits []Edit) ([]byte, error) {
	items, err := capabilityItems(rendered)
	if err != nil {
		return nil, err
	}
	c := profile.CapabilitySet{Add: []string{}, Drop: []string{}, Denied: []string{}}
	for _, it := range applyItems(profile.CapabilitiesFile, items, edits) {
		list, x, _ := strings.Cut(it.Item, " ")
		switch list {
		case "add":
			c.Add = append(c.Add, x)
		case "drop":
			c.Drop = append(c.Drop, x)
		case "denied":
			c.Denied = append(c.Denied, x)
		}
	}
	return profile.MarshalCapabilities(c)
}

// ownSeccomp stands for the profile's own seccomp.json in a flag, wherever
// the directory is: the flag names it by its absolute path.
const ownSeccomp = "--security-opt=seccomp=<this profile's seccomp.json>"

func flagItems(data []byte) ([]item, error) {
	tokens, err := runflags.Tokens(data)
	if err != nil {
		return nil, err
	}
	items := make([]item, len(tokens))
	for i, t := range tokens {
		if v, ok := strings.CutPrefix(t, "--security-opt=seccomp="); ok && filepath.Base(v) == profile.SeccompFile {
			t = ownSeccomp
		}
		items[i] = item{Item: t}
	}
	return items, nil
}

// flagKey is the key of a flag docker takes once (the last one given
// wins), "" for one it takes many times.
func flagKey(t string) string {
	name, value, _ := strings.Cut(t, "=")
	switch name {
	case "--user", "--pids-limit", "--memory", "--read-only", "--privileged":
		return name
	case "--ulimit":
		kind, _, _ := strings.Cut(value, "=")
		return name + "=" + kind
	case "--tmpfs":
		path, _, _ := strings.Cut(value, ":")
		return name + "=" + path
	case "--security-opt":
		kind, _, _ := strings.Cut(value, "=")
		if !strings.Contains(value, "=") {
			kind, _, _ = strings.Cut(value, ":")
		}
		switch kind {
		case "seccomp", "apparmor", "no-new-privileges":
			return name + "=" + kind
		}
	}
	return ""
}

func applyFlags(rendered []byte, edits []Edit) ([]byte, error) {
	tokens, err := runflags.Tokens(rendered)
	if err != nil {
		return nil, err
	}
	items, _ := flagItems(rendered)
	own := ""
	for _, t := range tokens {
		if v, ok := strings.CutPrefix(t, "--security-opt=seccomp="); ok && filepath.Base(v) == profile.SeccompFile {
			own = t
		}
	}
	var out []string
	for _, it := range applyItems(profile.FlagsFile, items, edits) {
		t := it.Item
		if t == ownSeccomp {
			if own == "" {
				continue // the rendering names no seccomp.json: nothing to point at
			}
			t = own
		}
		out = append(out, t)
	}
	return []byte(runflags.Line(out) + "\n"), nil
}
