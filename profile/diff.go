package profile

// A diff says what NEW grants that OLD did not ("widening") and what it no
// longer grants. Its unit is one container's profile: the files of a
// profile directory, or a single file of one kind. Every comparison goes
// through CompareProfiles, whatever the command (diff, merge --check,
// check), so that the same change is judged the same everywhere.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/moby/profiles/seccomp"
	"github.com/tailorsec/tailor/profile/change"
	"github.com/tailorsec/tailor/profile/internal/jsonfile"
	"github.com/tailorsec/tailor/profile/internal/sets"
	"github.com/tailorsec/tailor/profile/internal/text"
)

// DiffReport is the result of comparing OLD with NEW.
type DiffReport struct {
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

// Profile is one container's profile, parsed: the files of a profile
// directory (those present) or a single file.
type Profile struct {
	Name         string
	Path         string
	Seccomp      *seccomp.Seccomp
	AppArmor     *AppArmorPolicy
	Capabilities *CapabilitySet
	Flags        *RunFlags
	Recording    *Recording
	Report       *Report
}

func (p *Profile) kinds() []string {
	var k []string
	for _, x := range []struct {
		has  bool
		name string
	}{{p.Seccomp != nil, SeccompFile}, {p.AppArmor != nil, AppArmorFile}, {p.Capabilities != nil, CapabilitiesFile},
		{p.Flags != nil, FlagsFile}} {
		if x.has {
			k = append(k, x.name)
		}
	}
	return k
}

// profileFiles are the files that make a directory a profile directory.
var profileFiles = []string{SeccompFile, AppArmorFile, CapabilitiesFile, FlagsFile, ReportFile, RecordingFile}

// IsProfileDir reports whether dir holds a profile (any of the files
// tailor writes).
func IsProfileDir(dir string) bool {
	for _, f := range profileFiles {
		if st, err := os.Stat(filepath.Join(dir, f)); err == nil && st.Mode().IsRegular() {
			return true
		}
	}
	return false
}

// LoadProfileDir reads the profile files dir holds.
func LoadProfileDir(dir string) (*Profile, error) {
	p := &Profile{Name: filepath.Base(filepath.Clean(dir)), Path: dir}
	found := false
	for _, name := range profileFiles {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		found = true
		if err := p.parse(name, data); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, name), err)
		}
	}
	if !found {
		return nil, fmt.Errorf("%s holds no profile (none of %s)", dir, strings.Join(profileFiles, ", "))
	}
	return p, nil
}

func (p *Profile) parse(kind string, data []byte) error {
	var err error
	switch kind {
	case SeccompFile:
		p.Seccomp, err = ParseSeccomp(data)
	case AppArmorFile:
		p.AppArmor, err = ParseAppArmor(data)
	case CapabilitiesFile:
		p.Capabilities, err = ParseCapabilities(data)
	case FlagsFile:
		p.Flags, err = ParseRunFlags(data)
	case RecordingFile:
		p.Recording, err = ParseRecording(data)
	case ReportFile:
		p.Report, err = ParseReport(data)
	default:
		err = fmt.Errorf("unknown profile file kind %q", kind)
	}
	return err
}

// FileKind tells which of tailor's files data is: by the file's name when
// it is one tailor writes, else by its content (Docker's default profile
// saved as default.json is a seccomp profile).
func FileKind(name string, data []byte) (string, error) {
	base := filepath.Base(name)
	if slices.Contains(profileFiles, base) {
		return base, nil
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(trimmed, &fields); err != nil {
			return "", fmt.Errorf("%s: %w", name, jsonfile.Error(err))
		}
		switch {
		case fields["defaultAction"] != nil:
			return SeccompFile, nil
		case fields["recording"] != nil:
			return RecordingFile, nil
		case fields["add"] != nil:
			return CapabilitiesFile, nil
		case fields["schema_version"] != nil && fields["syscalls"] != nil:
			return ReportFile, nil
		}
		return "", fmt.Errorf("%s: JSON, but neither a seccomp profile nor capabilities.json", name)
	}
	if bytes.HasPrefix(trimmed, []byte("--")) {
		return FlagsFile, nil
	}
	if bytes.Contains(data, []byte("{")) {
		return AppArmorFile, nil
	}
	return "", fmt.Errorf("%s: not a profile file tailor knows (seccomp JSON, AppArmor, capabilities.json, docker-run.flags)", name)
}

// LoadProfileFile reads one file of any of tailor's kinds.
func LoadProfileFile(path string) (*Profile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	kind, err := FileKind(path, data)
	if err != nil {
		return nil, err
	}
	p := &Profile{Name: "", Path: path}
	if err := p.parse(kind, data); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// LoadProfiles reads path: a file, a profile directory, or a directory of
// profile directories (as tailor record -o writes). single is true for the
// first two; the profiles are then under their own name.
func LoadProfiles(path string) (profiles map[string]*Profile, single bool, err error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, false, err
	}
	if !st.IsDir() {
		p, err := LoadProfileFile(path)
		if err != nil {
			return nil, false, err
		}
		return map[string]*Profile{p.Name: p}, true, nil
	}
	if IsProfileDir(path) {
		p, err := LoadProfileDir(path)
		if err != nil {
			return nil, false, err
		}
		return map[string]*Profile{p.Name: p}, true, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, false, err
	}
	profiles = map[string]*Profile{}
	for _, e := range entries {
		sub := filepath.Join(path, e.Name())
		if !e.IsDir() || !IsProfileDir(sub) {
			continue
		}
		p, err := LoadProfileDir(sub)
		if err != nil {
			return nil, false, err
		}
		profiles[e.Name()] = p
	}
	if len(profiles) == 0 {
		return nil, false, fmt.Errorf("%s holds no profile directories (as tailor record writes them)", path)
	}
	return profiles, false, nil
}

// CompareOptions say how Docker profiles' conditions are evaluated and
// what kind of comparison it is.
type CompareOptions struct {
	// Arch is the host architecture; "" takes it from the profiles (the
	// first architecture of one that lists them), else tailor's own.
	Arch Arch
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

// AddedCapabilities returns the side's capability set: from its flags (what
// docker run applies), else capabilities.json, else nil.
func (p *Profile) AddedCapabilities() []string {
	switch {
	case p.Flags != nil:
		return p.Flags.Capabilities()
	case p.Capabilities != nil:
		return p.Capabilities.Add
	}
	return nil
}

// CompareProfiles lists the changes from old to new. The Container field of
// the changes is left empty.
func CompareProfiles(old, new *Profile, opts CompareOptions) ([]change.Change, error) {
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

	if missing(SeccompFile, old.Seccomp != nil, new.Seccomp != nil) {
		arch := opts.Arch
		if arch == "" {
			for _, p := range []*Profile{old, new} {
				if len(p.Seccomp.Architectures) > 0 {
					arch = Arch(p.Seccomp.Architectures[0])
					break
				}
			}
		}
		env := func(p *Profile) SeccompEnv {
			caps := p.AddedCapabilities()
			if caps == nil {
				caps = slices.Clone(opts.Capabilities)
			}
			return SeccompEnv{Arch: arch, Capabilities: caps, Kernel: opts.Kernel}
		}
		op, err := EvaluateSeccomp(old.Seccomp, env(old))
		if err != nil {
			return nil, fmt.Errorf("OLD's seccomp profile: %w", err)
		}
		np, err := EvaluateSeccomp(new.Seccomp, env(new))
		if err != nil {
			return nil, fmt.Errorf("NEW's seccomp profile: %w", err)
		}
		out = append(out, compareSeccompPolicies(op, np)...)
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

	if missing(AppArmorFile, old.AppArmor != nil, new.AppArmor != nil) {
		if opts.Coverage && new.Recording != nil {
			if new.Recording.FilesRecorded {
				out = append(out, fileNeeds(new.Recording, old.AppArmor.Files)...)
			}
			out = append(out, compareCapabilityRules(old.AppArmor.Rules, new.AppArmor.Rules)...)
			out = append(out, compareNetworkRules(old.AppArmor.Rules, new.AppArmor.Rules)...)
			out = append(out, compareOtherRules(old.AppArmor.Rules, new.AppArmor.Rules)...)
		} else {
			out = append(out, compareAppArmor(old.AppArmor, new.AppArmor)...)
		}
	}

	if missing(FlagsFile, old.Flags != nil, new.Flags != nil) {
		out = append(out, compareFlagsIn(old.Flags, new.Flags, contextOf(old), contextOf(new), opts.Coverage)...)
	}
	return out, nil
}

func compareSeccompPolicies(o, n *SeccompPolicy) []change.Change {
	var out []change.Change
	if allowsAction(n.DefaultAction) && !allowsAction(o.DefaultAction) {
		out = append(out, change.Change{Kind: change.KindSeccompDefault, Op: change.OpRelaxed, Subject: string(n.DefaultAction), Widening: true,
			Detail: fmt.Sprintf("syscalls no rule names are let through (before: %s)", o.DefaultAction)})
	} else if allowsAction(o.DefaultAction) && !allowsAction(n.DefaultAction) {
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
				c.Detail = "allowed " + ns.describe()
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

// compareFlags compares two flag sets alone, as when no recording is at
// hand.
func compareFlags(o, n *RunFlags, coverage bool) []change.Change {
	return compareFlagsIn(o, n, flagsContext{}, flagsContext{}, coverage)
}

// compareFlagsIn compares two flag sets; oc and nc say what each side's
// recording showed (see compareIdentityAndLimits).
func compareFlagsIn(o, n *RunFlags, oc, nc flagsContext, coverage bool) []change.Change {
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
	for _, t := range n.Tmpfs {
		if !slices.Contains(o.Tmpfs, t) {
			detail := ""
			wide := coverage && o.ReadOnly
			if wide {
				detail = "the container writes there: with the baseline's --read-only and no tmpfs, those writes fail"
			}
			add(change.OpAdded, "--tmpfs="+t, detail, wide)
		}
	}
	for _, t := range o.Tmpfs {
		if !slices.Contains(n.Tmpfs, t) {
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

// DiffPaths compares the profiles at oldPath and newPath (see
// LoadProfiles). Two directories of profile directories are compared
// container by container; a single profile on one side is compared with
// each container of the other.
func DiffPaths(oldPath, newPath string, opts CompareOptions) (*DiffReport, error) {
	olds, oldSingle, err := LoadProfiles(oldPath)
	if err != nil {
		return nil, fmt.Errorf("OLD: %w", err)
	}
	news, newSingle, err := LoadProfiles(newPath)
	if err != nil {
		return nil, fmt.Errorf("NEW: %w", err)
	}
	return DiffProfiles(oldPath, newPath, olds, oldSingle, news, newSingle, opts)
}

// DiffProfiles compares loaded profiles; see DiffPaths.
func DiffProfiles(oldPath, newPath string, olds map[string]*Profile, oldSingle bool, news map[string]*Profile, newSingle bool, opts CompareOptions) (*DiffReport, error) {
	r := &DiffReport{Old: oldPath, New: newPath, Changes: []change.Change{}}
	type pair struct {
		name     string
		old, new *Profile
	}
	var pairs []pair
	switch {
	case oldSingle && newSingle:
		var o, n *Profile
		for _, p := range olds {
			o = p
		}
		for _, p := range news {
			n = p
		}
		if len(intersect(o.kinds(), n.kinds())) == 0 {
			return nil, fmt.Errorf("nothing to compare: OLD has %s, NEW has %s", text.OrNone(strings.Join(o.kinds(), ", ")), text.OrNone(strings.Join(n.kinds(), ", ")))
		}
		pairs = append(pairs, pair{"", o, n})
	case oldSingle:
		var o *Profile
		for _, p := range olds {
			o = p
		}
		for _, name := range sets.SortedKeys(news) {
			pairs = append(pairs, pair{name, o, news[name]})
		}
	case newSingle:
		var n *Profile
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
		changes, err := CompareProfiles(p.old, p.new, opts)
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
func (r *DiffReport) Finish() {
	slices.SortStableFunc(r.Changes, change.Compare)
	r.Changes = change.Dedup(r.Changes)
	r.Widening = slices.ContainsFunc(r.Changes, func(c change.Change) bool { return c.Widening })
}

// MarshalDiff renders the report as JSON, in tailor's one JSON style.
func MarshalDiff(r *DiffReport) ([]byte, error) {
	return jsonfile.Marshal(r)
}

// Summary is the report's last line.
func (r *DiffReport) Summary() string {
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
func (r *DiffReport) WriteText(w io.Writer, colour bool) error {
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
