package harden

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/docker/docker/api/types/container"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/profiledir"
)

// Change is one setting Apply looked at and what it did with it.
type Change struct {
	// Setting is what the change is about: one of the Setting* constants.
	Setting string `json:"setting"`
	// Action is one of Set, Replaced, Dropped, Kept, Skipped.
	Action string `json:"action"`
	// Detail says what, in a line.
	Detail string `json:"detail"`
}

func (c Change) String() string { return c.Action + " " + c.Setting + ": " + c.Detail }

// Actions.
const (
	Set      = "set"      // the profile's value, where the caller had none
	Replaced = "replaced" // the caller's value, replaced by the profile's
	Dropped  = "dropped"  // the caller's value, removed: it is outside the profile
	Kept     = "kept"     // the caller's value, kept: within the profile, or the profile says nothing
	Skipped  = "skipped"  // the profile's value, not applied on this host
)

// Settings.
const (
	SettingCapabilities    = "capabilities"
	SettingPrivileged      = "privileged"
	SettingSeccomp         = "seccomp"
	SettingAppArmor        = "apparmor"
	SettingNoNewPrivileges = "no-new-privileges"
	SettingReadOnly        = "read-only"
	SettingTmpfs           = "tmpfs"
	SettingUser            = "user"
	SettingPidsLimit       = "pids-limit"
	SettingMemory          = "memory"
	SettingUlimit          = "ulimit"
)

// Host is what Apply needs to know of the Docker host.
type Host struct {
	// AppArmor is whether the host's kernel enforces AppArmor.
	AppArmor bool
	// AppArmorLoaded are the AppArmor profiles the kernel holds, by name.
	AppArmorLoaded map[string]bool
}

// AppArmorName is the name of the profile's AppArmor profile: the one
// docker-run.flags names, else the first apparmor.profile defines; "" when
// it has none (or its flags say unconfined).
func AppArmorName(p *profiledir.Profile) string {
	if p.Flags != nil && p.Flags.AppArmor != "" {
		if p.Flags.AppArmor == "unconfined" {
			return ""
		}
		return p.Flags.AppArmor
	}
	if p.AppArmor != nil && len(p.AppArmor.Names) > 0 {
		return p.AppArmor.Names[0]
	}
	return ""
}

// Apply returns req hardened by profile p, and what it changed and kept.
// The profile is a ceiling over what the caller asked for:
//
//   - capabilities: cap-drop ALL, then cap-add of each capability that both
//     the profile and the caller's own request (Docker's default set, its
//     --cap-add and --cap-drop, everything when privileged) grant; a
//     caller's --cap-add outside the profile is dropped;
//   - --privileged is replaced (by the rest of the profile);
//   - seccomp: the profile's seccomp.json, inline as the docker CLI sends
//     it ("seccomp=<JSON>"), replacing the caller's seccomp option;
//   - AppArmor: the profile's, by name, replacing the caller's, when the
//     host has AppArmor and holds the profile (skipped otherwise);
//   - no-new-privileges, --read-only and its --tmpfs mounts, --user,
//     --pids-limit, --memory and --ulimit: as docker-run.flags says. A
//     caller's own no-new-privileges, read-only root and tmpfs mounts are
//     kept; a non-root user of the caller's is kept; of two limits the
//     lower is kept.
//
// A part the profile directory does not have (no seccomp.json, no
// docker-run.flags) leaves the caller's settings as they are, and says
// so. req is not modified: the slices and maps Apply changes are copies.
func Apply(p *profiledir.Profile, req container.CreateRequest, host Host) (container.CreateRequest, []Change, error) {
	out := req
	cfg := container.Config{}
	if req.Config != nil {
		cfg = *req.Config
	}
	hc := container.HostConfig{}
	if req.HostConfig != nil {
		hc = *req.HostConfig
	}
	out.Config, out.HostConfig = &cfg, &hc
	a := applier{p: p, cfg: &cfg, hc: &hc, host: host}
	a.capabilities()
	a.privileged()
	opts, err := a.securityOpts()
	if err != nil {
		return req, nil, err
	}
	hc.SecurityOpt = opts
	a.readOnly()
	a.user()
	a.limits()
	return out, a.changes, nil
}

type applier struct {
	p       *profiledir.Profile
	cfg     *container.Config
	hc      *container.HostConfig
	host    Host
	changes []Change
}

func (a *applier) note(setting, action, format string, args ...any) {
	a.changes = append(a.changes, Change{Setting: setting, Action: action, Detail: fmt.Sprintf(format, args...)})
}

// allCapabilities are the capabilities the kernel table knows.
func allCapabilities() []string {
	var all []string
	for n := 0; n < 64; n++ {
		if name, ok := profile.CapabilityName(n); ok {
			all = append(all, name)
		}
	}
	return all
}

// callerCapabilities is the set the request asks for, as Docker would
// grant it.
func callerCapabilities(hc *container.HostConfig) []string {
	if hc.Privileged {
		return allCapabilities()
	}
	isAll := func(c string) bool { return strings.EqualFold(strings.TrimSpace(c), "ALL") }
	if slices.ContainsFunc(hc.CapAdd, isAll) {
		return allCapabilities()
	}
	var caps []string
	if !slices.ContainsFunc(hc.CapDrop, isAll) {
		caps = profile.DockerDefaultCapabilities()
		for _, d := range hc.CapDrop {
			d = profile.CanonicalCapability(d)
			caps = slices.DeleteFunc(caps, func(c string) bool { return c == d })
		}
	}
	for _, c := range hc.CapAdd {
		caps = append(caps, profile.CanonicalCapability(c))
	}
	return sortedSet(caps)
}

func short(caps []string) string {
	if len(caps) == 0 {
		return "none"
	}
	s := make([]string, len(caps))
	for i, c := range caps {
		s[i] = strings.TrimPrefix(c, "CAP_")
	}
	return strings.Join(s, ", ")
}

func (a *applier) capabilities() {
	if a.p.Flags == nil && a.p.Capabilities == nil {
		a.note(SettingCapabilities, Kept, "the profile has neither %s nor %s: the caller's capabilities stay", profile.FlagsFile, profile.CapabilitiesFile)
		return
	}
	allowed := sortedSet(a.p.AddedCapabilities())
	caller := callerCapabilities(a.hc)
	var grant, notGranted []string
	for _, c := range allowed {
		if slices.Contains(caller, c) {
			grant = append(grant, c)
		} else {
			notGranted = append(notGranted, c)
		}
	}
	for _, c := range a.hc.CapAdd {
		cc := profile.CanonicalCapability(c)
		switch {
		case strings.EqualFold(strings.TrimSpace(c), "ALL"):
			a.note(SettingCapabilities, Dropped, "--cap-add ALL: only the profile's capabilities are added")
		case !slices.Contains(allowed, cc):
			a.note(SettingCapabilities, Dropped, "--cap-add %s: not in the profile", strings.TrimPrefix(cc, "CAP_"))
		}
	}
	if len(notGranted) > 0 {
		a.note(SettingCapabilities, Kept, "the caller's request leaves out %s of the profile: not added", short(notGranted))
	}
	a.hc.CapDrop = []string{"ALL"}
	a.hc.CapAdd = grant
	a.note(SettingCapabilities, Set, "cap-drop ALL, cap-add %s", short(grant))
}

func (a *applier) privileged() {
	if a.hc.Privileged {
		a.hc.Privileged = false
		a.note(SettingPrivileged, Replaced, "--privileged: the container runs with the profile's settings instead")
	}
}

// securityOpts rebuilds the security options: the profile's seccomp,
// AppArmor and no-new-privileges in place of the caller's.
func (a *applier) securityOpts() ([]string, error) {
	var seccompJSON string
	if a.p.Seccomp != nil {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(a.p.Seccomp); err != nil {
			return nil, fmt.Errorf("%s: %w", profile.SeccompFile, err)
		}
		seccompJSON = strings.TrimSpace(b.String())
	}
	apparmorName := AppArmorName(a.p)
	applyAppArmor := false
	switch {
	case apparmorName == "":
	case !a.host.AppArmor:
		a.note(SettingAppArmor, Skipped, "%s: this host has no AppArmor", apparmorName)
	case !a.host.AppArmorLoaded[apparmorName]:
		a.note(SettingAppArmor, Skipped, "%s: not loaded in this host's kernel", apparmorName)
	default:
		applyAppArmor = true
	}
	nnp := a.p.Flags != nil && a.p.Flags.NoNewPrivileges

	var opts []string
	callerNNP := false
	for _, o := range a.hc.SecurityOpt {
		key, value := splitOpt(o)
		switch key {
		case "seccomp":
			if seccompJSON != "" {
				a.note(SettingSeccomp, Replaced, "the caller's seccomp=%s", describeSeccomp(value))
				continue
			}
			a.note(SettingSeccomp, Kept, "the caller's seccomp=%s (the profile has no %s)", describeSeccomp(value), profile.SeccompFile)
		case "apparmor":
			if applyAppArmor {
				a.note(SettingAppArmor, Replaced, "the caller's apparmor=%s", value)
				continue
			}
			a.note(SettingAppArmor, Kept, "the caller's apparmor=%s", value)
		case "no-new-privileges":
			on := value == "" || value == "true"
			if nnp && !on {
				a.note(SettingNoNewPrivileges, Replaced, "the caller's no-new-privileges=%s", value)
				continue
			}
			callerNNP = callerNNP || on
		}
		opts = append(opts, o)
	}
	if seccompJSON != "" {
		opts = append(opts, "seccomp="+seccompJSON)
		a.note(SettingSeccomp, Set, "the profile's %s, inline", profile.SeccompFile)
	} else if a.p.Seccomp == nil {
		a.note(SettingSeccomp, Kept, "the profile has no %s: Docker's default or the caller's", profile.SeccompFile)
	}
	if applyAppArmor {
		opts = append(opts, "apparmor="+apparmorName)
		a.note(SettingAppArmor, Set, "%s", apparmorName)
	}
	switch {
	case callerNNP:
		a.note(SettingNoNewPrivileges, Kept, "the caller's")
	case nnp:
		opts = append(opts, "no-new-privileges=true")
		a.note(SettingNoNewPrivileges, Set, "as %s says", profile.FlagsFile)
	case a.p.Flags == nil:
		a.note(SettingNoNewPrivileges, Kept, "off: the profile has no %s", profile.FlagsFile)
	default:
		a.note(SettingNoNewPrivileges, Kept, "off: %s leaves it off (a program gained privileges through exec)", profile.FlagsFile)
	}
	return opts, nil
}

// splitOpt splits a security option as Docker does: key=value, or the old
// key:value.
func splitOpt(o string) (key, value string) {
	if k, v, ok := strings.Cut(o, "="); ok {
		return k, v
	}
	k, v, _ := strings.Cut(o, ":")
	return k, v
}

func describeSeccomp(v string) string {
	if strings.HasPrefix(strings.TrimSpace(v), "{") {
		return fmt.Sprintf("<a profile of %d bytes>", len(v))
	}
	return v
}

func (a *applier) readOnly() {
	f := a.p.Flags
	if f == nil {
		if a.hc.ReadonlyRootfs {
			a.note(SettingReadOnly, Kept, "the caller's read-only root")
		}
		return
	}
	if f.ReadOnly {
		if a.hc.ReadonlyRootfs {
			a.note(SettingReadOnly, Kept, "the caller's read-only root")
		} else {
			a.hc.ReadonlyRootfs = true
			a.note(SettingReadOnly, Set, "read-only root")
		}
	} else if a.hc.ReadonlyRootfs {
		a.note(SettingReadOnly, Kept, "the caller's read-only root")
	}
	if len(f.Tmpfs) == 0 {
		return
	}
	tmpfs := maps.Clone(a.hc.Tmpfs)
	if tmpfs == nil {
		tmpfs = map[string]string{}
	}
	for _, t := range f.Tmpfs {
		dir, options, _ := strings.Cut(t, ":")
		if _, ok := tmpfs[dir]; ok {
			a.note(SettingTmpfs, Kept, "the caller's tmpfs on %s", dir)
			continue
		}
		if a.mounted(dir) {
			a.note(SettingTmpfs, Kept, "the caller's mount on %s (no tmpfs over it)", dir)
			continue
		}
		tmpfs[dir] = options
		a.note(SettingTmpfs, Set, "%s", t)
	}
	a.hc.Tmpfs = tmpfs
}

// mounted reports whether the caller mounts something on dir (a volume
// or bind), where Docker would refuse a second mount.
func (a *applier) mounted(dir string) bool {
	for _, m := range a.hc.Mounts {
		if m.Target == dir {
			return true
		}
	}
	for _, b := range a.hc.Binds {
		parts := strings.Split(b, ":")
		if len(parts) >= 2 && parts[1] == dir {
			return true
		}
	}
	return false
}

// isRoot reports whether a user value names root (or is empty: the
// image's user, root unless the image says).
func isRoot(u string) bool {
	name, _, _ := strings.Cut(strings.TrimSpace(u), ":")
	return name == "" || name == "0" || name == "root"
}

func (a *applier) user() {
	if a.p.Flags == nil || a.p.Flags.User == "" {
		return
	}
	want := a.p.Flags.User
	switch got := strings.TrimSpace(a.cfg.User); {
	case got == want:
		a.note(SettingUser, Kept, "%s (the caller's is the profile's)", got)
	case got == "":
		a.cfg.User = want
		a.note(SettingUser, Set, "%s", want)
	case isRoot(got):
		a.cfg.User = want
		a.note(SettingUser, Replaced, "the caller's %s by %s", got, want)
	default:
		a.note(SettingUser, Kept, "the caller's non-root %s (the profile says %s)", got, want)
	}
}

func limitString(n int64) string {
	if n < 0 {
		return "unlimited"
	}
	return fmt.Sprint(n)
}

// lower picks the lower of the caller's limit and the profile's, where a
// negative limit is unlimited and 0 (for the caller) none given.
func (a *applier) lower(setting string, caller, prof int64) (int64, bool) {
	switch {
	case prof == 0:
		return caller, false
	case caller > 0 && (prof < 0 || caller <= prof):
		a.note(setting, Kept, "the caller's %s (the profile's is %s)", limitString(caller), limitString(prof))
		return caller, false
	case prof < 0:
		return caller, false
	case caller != 0:
		a.note(setting, Replaced, "the caller's %s by %d", limitString(caller), prof)
	default:
		a.note(setting, Set, "%d", prof)
	}
	return prof, true
}

func (a *applier) limits() {
	f := a.p.Flags
	if f == nil {
		return
	}
	var callerPids int64
	if a.hc.PidsLimit != nil {
		callerPids = *a.hc.PidsLimit
		if callerPids <= 0 {
			callerPids = profile.NoLimit
		}
	}
	if n, changed := a.lower(SettingPidsLimit, callerPids, f.PidsLimit); changed {
		a.hc.PidsLimit = &n
	}
	if n, changed := a.lower(SettingMemory, a.hc.Memory, f.MemoryBytes); changed {
		a.hc.Memory = n
	}
	if len(f.Ulimits) == 0 {
		return
	}
	ulimits := make([]*container.Ulimit, 0, len(a.hc.Ulimits)+len(f.Ulimits))
	byName := map[string]*container.Ulimit{}
	for _, u := range a.hc.Ulimits {
		if u == nil {
			continue
		}
		c := *u
		ulimits = append(ulimits, &c)
		byName[c.Name] = &c
	}
	for _, pu := range f.Ulimits {
		cu, ok := byName[pu.Name]
		if !ok {
			ulimits = append(ulimits, &container.Ulimit{Name: pu.Name, Soft: pu.Soft, Hard: pu.Hard})
			a.note(SettingUlimit, Set, "%s=%s:%s", pu.Name, limitString(pu.Soft), limitString(pu.Hard))
			continue
		}
		soft, hard := minLimit(cu.Soft, pu.Soft), minLimit(cu.Hard, pu.Hard)
		if soft == cu.Soft && hard == cu.Hard {
			a.note(SettingUlimit, Kept, "the caller's %s=%s:%s", cu.Name, limitString(cu.Soft), limitString(cu.Hard))
			continue
		}
		a.note(SettingUlimit, Replaced, "the caller's %s=%s:%s by %s:%s", cu.Name, limitString(cu.Soft), limitString(cu.Hard), limitString(soft), limitString(hard))
		cu.Soft, cu.Hard = soft, hard
	}
	a.hc.Ulimits = ulimits
}

// minLimit is the lower of two limits, a negative one being unlimited.
func minLimit(a, b int64) int64 {
	switch {
	case a < 0:
		return b
	case b < 0:
		return a
	}
	return min(a, b)
}

// sortedSet is the sorted list without duplicates.
func sortedSet(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}
