package diff

// A diff says what NEW grants that OLD did not ("widening") and what it no
// longer grants. Its unit is one container's profile: the files of a
// profile directory, or a single file of one kind. Every comparison goes
// through CompareProfiles, whatever the command (diff, merge --check,
// check), so that the same change is judged the same everywhere.

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/apparmor"
	"github.com/tailorsec/tailor/profile/change"
	"github.com/tailorsec/tailor/profile/internal/jsonfile"
	"github.com/tailorsec/tailor/profile/internal/sets"
	"github.com/tailorsec/tailor/profile/internal/text"
	"github.com/tailorsec/tailor/profile/profiledir"
	"github.com/tailorsec/tailor/profile/runflags"
	"github.com/tailorsec/tailor/profile/seccomp"
)

// Report is the result of comparing OLD with NEW.
type Report struct {
	Old      string          `json:"old"`
	New      string          `json:"new"`
	Widening bool            `json:"widening"`
	Changes  []change.Change `json:"changes"`
	// Coverage: OLD is a baseline and NEW what a run (or CANDIDATE)
	// needs; widening changes are what the baseline lacks.
	Coverage bool `json:"coverage,omitempty"`
	// Notes say what the comparison assumed or could not compare.
	Notes []string `json:"notes,omitempty"`
}

// Options say how Docker profiles' conditions are evaluated and
// what kind of comparison it is.
type Options struct {
	// Arch is the host architecture; "" takes it from the profiles (the
	// first architecture of one that lists them), else tailor's own.
	Arch profile.Arch
	// Kernel is the host's "major.minor"; "" assumes a recent kernel.
	Kernel string
	// Capabilities are the capability set of a side whose capabilities
	// are not known (a seccomp file alone); nil: Docker's defaults.
	Capabilities []string
	// Coverage: NEW was just recorded and OLD is its baseline. NEW's
	// recorded file accesses are checked against OLD's rules (rather than
	// NEW's generalised rules against OLD's), and a tmpfs NEW needs counts
	// as missing from OLD.
	Coverage bool
}

// Compare lists the changes from old to new. The Container field of
// the changes is left empty.
func Compare(old, new *profiledir.Profile, opts Options) ([]change.Change, error) {
	var out []change.Change
	missing := func(file string, inOld, inNew bool) bool {
		switch {
		case inOld && !inNew:
			out = append(out, change.Change{Kind: change.KindProfileFile, Op: change.OpRemoved, Subject: file, Widening: true,
				Detail: "what it restricted in OLD is not restricted by a tailor profile in NEW"})
		case !inOld && inNew:
			out = append(out, change.Change{Kind: change.KindProfileFile, Op: change.OpAdded, Subject: file})
		}
		return inOld && inNew
	}

	if missing(profile.SeccompFile, old.Seccomp != nil, new.Seccomp != nil) {
		arch := opts.Arch
		if arch == "" {
			for _, p := range []*profiledir.Profile{old, new} {
				if len(p.Seccomp.Architectures) > 0 {
					arch = profile.Arch(p.Seccomp.Architectures[0])
					break
				}
			}
		}
		env := func(p *profiledir.Profile) seccomp.Env {
			caps := p.AddedCapabilities()
			if caps == nil {
				caps = slices.Clone(opts.Capabilities)
			}
			return seccomp.Env{Arch: arch, Capabilities: caps, Kernel: opts.Kernel}
		}
		op, err := seccomp.Evaluate(old.Seccomp, env(old))
		if err != nil {
			return nil, fmt.Errorf("OLD's seccomp profile: %w", err)
		}
		np, err := seccomp.Evaluate(new.Seccomp, env(new))
		if err != nil {
			return nil, fmt.Errorf("NEW's seccomp profile: %w", err)
		}
		out = append(out, seccomp.Compare(op, np)...)
	}

	oc, nc := old.AddedCapabilities(), new.AddedCapabilities()
	if oc != nil && nc != nil {
		for _, c := range nc {
			if !slices.Contains(oc, c) {
				out = append(out, change.Change{Kind: change.KindCapability, Op: change.OpAdded, Subject: c, Widening: true})
			}
		}
		for _, c := range oc {
			if !slices.Contains(nc, c) {
				out = append(out, change.Change{Kind: change.KindCapability, Op: change.OpRemoved, Subject: c})
			}
		}
	}

	if missing(profile.AppArmorFile, old.AppArmor != nil, new.AppArmor != nil) {
		if opts.Coverage && new.Recording != nil {
			if new.Recording.FilesRecorded {
				out = append(out, apparmor.FileNeeds(new.Recording, old.AppArmor.Files)...)
			}
			out = append(out, apparmor.CompareCapabilityRules(old.AppArmor.Rules, new.AppArmor.Rules)...)
			out = append(out, apparmor.CompareNetworkRules(old.AppArmor.Rules, new.AppArmor.Rules)...)
			out = append(out, apparmor.CompareOtherRules(old.AppArmor.Rules, new.AppArmor.Rules)...)
		} else {
			out = append(out, apparmor.Compare(old.AppArmor, new.AppArmor)...)
		}
	}

	if missing(profile.FlagsFile, old.Flags != nil, new.Flags != nil) {
		out = append(out, compareFlagsIn(old.Flags, new.Flags, contextOf(old), contextOf(new), opts.Coverage)...)
	}
	return out, nil
}

// compareFlags compares two flag sets alone, as when no recording is at
// hand.
func compareFlags(o, n *runflags.Flags, coverage bool) []change.Change {
	return compareFlagsIn(o, n, flagsContext{}, flagsContext{}, coverage)
}

// compareFlagsIn compares two flag sets; oc and nc say what each side's
// recording showed (see compareIdentityAndLimits).
func compareFlagsIn(o, n *runflags.Flags, oc, nc flagsContext, coverage bool) []change.Change {
	var out []change.Change
	add := func(op, subject, detail string, widening bool) {
		out = append(out, change.Change{Kind: change.KindRunFlag, Op: op, Subject: subject, Detail: detail, Widening: widening})
	}
	if n.Privileged && !o.Privileged {
		add(change.OpAdded, "--privileged", "every capability, every device, no seccomp or AppArmor profile", true)
	} else if o.Privileged && !n.Privileged {
		add(change.OpRemoved, "--privileged", "", false)
	}
	if o.NoNewPrivileges && !n.NoNewPrivileges {
		add(change.OpRemoved, "--security-opt=no-new-privileges", "programs may gain privileges through exec (setuid, file capabilities)", true)
	} else if n.NoNewPrivileges && !o.NoNewPrivileges {
		add(change.OpAdded, "--security-opt=no-new-privileges", "", false)
	}
	if o.ReadOnly && !n.ReadOnly {
		add(change.OpRemoved, "--read-only", "the root filesystem is writable", true)
	} else if n.ReadOnly && !o.ReadOnly {
		add(change.OpAdded, "--read-only", "", false)
	}
	// Mounts are compared by directory; their options (size=) follow
	// --memory, which is compared on its own.
	tmpfsIn := func(list []string, dir string) (string, bool) {
		for _, t := range list {
			if runflags.TmpfsDir(t) == dir {
				return t, true
			}
		}
		return "", false
	}
	for _, t := range n.Tmpfs {
		dir := runflags.TmpfsDir(t)
		if ot, ok := tmpfsIn(o.Tmpfs, dir); ok {
			if ot != t {
				add(change.OpChanged, "--tmpfs="+t, "before --tmpfs="+ot, false)
			}
			continue
		}
		detail := ""
		wide := coverage && o.ReadOnly && !slices.Contains(nc.conventionalTmpfs, dir)
		if wide {
			detail = "the container writes there: with the baseline's --read-only and no tmpfs, those writes fail"
		} else if slices.Contains(nc.conventionalTmpfs, dir) {
			detail = "a scratch directory mounted empty, which the run did not write to"
		}
		add(change.OpAdded, "--tmpfs="+t, detail, wide)
	}
	for _, t := range o.Tmpfs {
		if _, ok := tmpfsIn(n.Tmpfs, runflags.TmpfsDir(t)); !ok {
			add(change.OpRemoved, "--tmpfs="+t, "", false)
		}
	}
	confinement := func(flag, ov, nv string) {
		switch {
		case nv == "unconfined" && ov != "unconfined":
			add(change.OpChanged, "--security-opt="+flag+"=unconfined", "no "+flag+" profile at all", true)
		case nv == "" && ov != "" && ov != "unconfined":
			add(change.OpRemoved, "--security-opt="+flag+"=", "Docker's default "+flag+" profile applies instead of tailor's", true)
		case ov == "unconfined" && nv != "unconfined":
			add(change.OpChanged, "--security-opt="+flag+"="+nv, "confined again", false)
		case flag == "apparmor" && ov != nv:
			add(change.OpChanged, "--security-opt=apparmor="+nv, "before "+ov+" (compare the profiles themselves)", false)
		}
	}
	confinement("seccomp", o.Seccomp, n.Seccomp)
	confinement("apparmor", o.AppArmor, n.AppArmor)
	compareIdentityAndLimits(o, n, oc, nc, coverage, add)
	for _, f := range n.Other {
		if !slices.Contains(o.Other, f) {
			add(change.OpAdded, f, "tailor cannot tell what this flag grants: review it", true)
		}
	}
	for _, f := range o.Other {
		if !slices.Contains(n.Other, f) {
			add(change.OpRemoved, f, "", false)
		}
	}
	return out
}

// Paths compares the profiles at oldPath and newPath (see
// LoadProfiles). Two directories of profile directories are compared
// container by container; a single profile on one side is compared with
// each container of the other.
func Paths(oldPath, newPath string, opts Options) (*Report, error) {
	olds, oldSingle, err := profiledir.LoadAll(oldPath)
	if err != nil {
		return nil, fmt.Errorf("OLD: %w", err)
	}
	news, newSingle, err := profiledir.LoadAll(newPath)
	if err != nil {
		return nil, fmt.Errorf("NEW: %w", err)
	}
	return Profiles(oldPath, newPath, olds, oldSingle, news, newSingle, opts)
}

// Profiles compares loaded profiles; see DiffPaths.
func Profiles(oldPath, newPath string, olds map[string]*profiledir.Profile, oldSingle bool, news map[string]*profiledir.Profile, newSingle bool, opts Options) (*Report, error) {
	r := &Report{Old: oldPath, New: newPath, Changes: []change.Change{}}
	type pair struct {
		name     string
		old, new *profiledir.Profile
	}
	var pairs []pair
	switch {
	case oldSingle && newSingle:
		var o, n *profiledir.Profile
		for _, p := range olds {
			o = p
		}
		for _, p := range news {
			n = p
		}
		if len(intersect(o.Kinds(), n.Kinds())) == 0 {
			return nil, fmt.Errorf("nothing to compare: OLD has %s, NEW has %s", text.OrNone(strings.Join(o.Kinds(), ", ")), text.OrNone(strings.Join(n.Kinds(), ", ")))
		}
		pairs = append(pairs, pair{"", o, n})
	case oldSingle:
		var o *profiledir.Profile
		for _, p := range olds {
			o = p
		}
		for _, name := range sets.SortedKeys(news) {
			pairs = append(pairs, pair{name, o, news[name]})
		}
	case newSingle:
		var n *profiledir.Profile
		for _, p := range news {
			n = p
		}
		for _, name := range sets.SortedKeys(olds) {
			pairs = append(pairs, pair{name, olds[name], n})
		}
	default:
		for _, name := range sets.SortedKeys(news) {
			if olds[name] == nil {
				r.Changes = append(r.Changes, change.Change{Container: name, Kind: change.KindContainer, Op: change.OpAdded, Subject: name, Widening: true,
					Detail: "a container OLD has no profile for"})
				continue
			}
			pairs = append(pairs, pair{name, olds[name], news[name]})
		}
		for _, name := range sets.SortedKeys(olds) {
			if news[name] == nil {
				r.Changes = append(r.Changes, change.Change{Container: name, Kind: change.KindContainer, Op: change.OpRemoved, Subject: name})
			}
		}
	}
	for _, p := range pairs {
		changes, err := Compare(p.old, p.new, opts)
		if err != nil {
			if p.name != "" {
				err = fmt.Errorf("%s: %w", p.name, err)
			}
			return nil, err
		}
		for _, c := range changes {
			c.Container = p.name
			r.Changes = append(r.Changes, c)
		}
	}
	r.Finish()
	return r, nil
}

func intersect(a, b []string) []string {
	var out []string
	for _, x := range a {
		if slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// Finish sorts the changes and sets Widening.
func (r *Report) Finish() {
	slices.SortStableFunc(r.Changes, change.Compare)
	r.Changes = change.Dedup(r.Changes)
	r.Widening = slices.ContainsFunc(r.Changes, func(c change.Change) bool { return c.Widening })
}

// Marshal renders the report as JSON, in tailor's one JSON style.
func Marshal(r *Report) ([]byte, error) {
	return jsonfile.Marshal(r)
}

// Summary is the report's last line.
func (r *Report) Summary() string {
	wide := 0
	for _, c := range r.Changes {
		if c.Widening {
			wide++
		}
	}
	switch {
	case wide > 0 && r.Coverage:
		if wide == 1 {
			return "NOT COVERED: 1 thing needed is missing from the baseline"
		}
		return fmt.Sprintf("NOT COVERED: %d things needed are missing from the baseline", wide)
	case r.Coverage:
		return "covered: the baseline grants everything needed"
	case wide > 0:
		return fmt.Sprintf("NEW widens privileges: %d of %d changes grant something OLD did not", wide, len(r.Changes))
	case len(r.Changes) > 0:
		return fmt.Sprintf("NEW grants nothing OLD did not (%d changes, none widening)", len(r.Changes))
	}
	return "no changes"
}

// WriteText writes the report for people: changes grouped by container,
// then by kind and change, widening ones marked; with colour, widening in
// red and the rest in green.
func (r *Report) WriteText(w io.Writer, colour bool) error {
	paint := func(code, s string) string {
		if !colour {
			return s
		}
		return "\x1b[" + code + "m" + s + "\x1b[0m"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "OLD: %s\nNEW: %s\n", r.Old, r.New)
	var containersAdded, containersRemoved []string
	for _, c := range r.Changes {
		if c.Kind == change.KindContainer {
			if c.Op == change.OpAdded {
				containersAdded = append(containersAdded, c.Subject)
			} else {
				containersRemoved = append(containersRemoved, c.Subject)
			}
		}
	}
	if len(containersAdded) > 0 {
		head := "containers added (widening: no profile in OLD): "
		if r.Coverage {
			head = "containers without a baseline profile (not covered): "
		}
		fmt.Fprintf(&b, "\n%s\n", paint("31", head+strings.Join(containersAdded, ", ")))
	}
	if len(containersRemoved) > 0 {
		fmt.Fprintf(&b, "\n%s\n", paint("32", "containers removed: "+strings.Join(containersRemoved, ", ")))
	}
	container := "\x00"
	for i := 0; i < len(r.Changes); {
		c := r.Changes[i]
		if c.Kind == change.KindContainer {
			i++
			continue
		}
		j := i
		for j < len(r.Changes) && r.Changes[j].Container == c.Container && r.Changes[j].Kind == c.Kind &&
			r.Changes[j].Op == c.Op && r.Changes[j].Widening == c.Widening {
			j++
		}
		group := r.Changes[i:j]
		i = j
		indent := "  "
		if c.Container != container {
			container = c.Container
			if c.Container != "" {
				fmt.Fprintf(&b, "\n%s:\n", paint("1", c.Container))
			} else {
				b.WriteString("\n")
				indent = ""
			}
		}
		if c.Container == "" {
			indent = ""
		}
		head := groupTitle(c.Kind, c.Op)
		code := "32"
		if c.Widening {
			head += " (widening)"
			code = "31"
		}
		sign := "-"
		if c.Widening {
			sign = "+"
		}
		var names []string
		var detailed []change.Change
		for _, g := range group {
			if groupInline(g.Kind) && g.Detail == "" {
				names = append(names, g.Subject)
			} else {
				detailed = append(detailed, g)
			}
		}
		if len(names) > 0 {
			fmt.Fprintf(&b, "%s%s %s\n", indent, paint(code, sign+" "+head+":"), wrapList(names, len(indent)+len(head)+4, len(indent)+4))
			if len(detailed) == 0 {
				continue
			}
			fmt.Fprintf(&b, "%s  %s\n", indent, paint(code, "and:"))
		} else {
			fmt.Fprintf(&b, "%s%s\n", indent, paint(code, sign+" "+head+":"))
		}
		for _, g := range detailed {
			line := g.Subject
			if g.Detail != "" {
				line += ": " + g.Detail
			}
			fmt.Fprintf(&b, "%s    %s\n", indent, line)
		}
	}
	verdict := paint("32", r.Summary())
	if r.Widening {
		verdict = paint("1;31", r.Summary())
	}
	fmt.Fprintf(&b, "\n%s\n", verdict)
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func groupInline(kind string) bool {
	return kind == change.KindSyscall || kind == change.KindArch || kind == change.KindCapability
}

func groupTitle(kind, op string) string {
	noun := map[string]string{
		change.KindProfileFile: "profile files", change.KindSeccompDefault: "seccomp default action", change.KindArch: "architectures",
		change.KindSyscall: "syscalls", change.KindArgument: "argument rules", change.KindCapability: "capabilities",
		change.KindFileRule: "file rules", change.KindFileAccess: "file accesses not allowed by the baseline",
		change.KindNetworkRule: "network rules", change.KindAppArmorRule: "AppArmor rules", change.KindRunFlag: "docker run flags",
	}[kind]
	if op == change.OpNeeded {
		return noun
	}
	return noun + " " + op
}

// wrapList joins names with ", ", breaking lines before 100 columns.
func wrapList(names []string, start, indent int) string {
	var b strings.Builder
	col := start
	for i, n := range names {
		if i > 0 {
			b.WriteString(",")
			col++
			if col+len(n)+1 > 100 {
				b.WriteString("\n" + strings.Repeat(" ", indent))
				col = indent
			} else {
				b.WriteString(" ")
				col++
			}
		}
		b.WriteString(n)
		col += len(n)
	}
	return b.String()
}
