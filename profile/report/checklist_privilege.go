package report

// The items on privilege: the user (4.1), AppArmor (5.1), capabilities
// (5.3), --privileged (5.4), seccomp (5.21), no-new-privileges (5.25) and
// the user namespace (5.30).

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/apparmor"
	"github.com/tailorsec/tailor/profile/internal/sets"
	"github.com/tailorsec/tailor/profile/internal/text"
	"github.com/tailorsec/tailor/profile/runflags"
)

// ranCapabilities is the capability set the container ran with.
type ranCapabilities struct {
	set     []string
	how     string
	added   []string // added beyond Docker's defaults
	byPriv  bool
	unknown bool // --cap-add=ALL and the like: the whole set
}

func (c checklistInput) user41() ChecklistItem {
	it := ChecklistItem{ID: "CIS 4.1", Title: "Run as a non-root user", Current: c.user.Current,
		Recommendation: c.user.Reason, Evidence: slices.Clone(c.user.Evidence)}
	switch c.user.Decision {
	case runflags.UserKeep:
		it.Status = StatusPass
		if c.user.Flag != "" {
			it.Recommendation += " (" + c.user.Flag + ", in docker-run.flags)"
		}
	case runflags.UserNonRoot:
		it.Status = StatusFail
		if c.user.Flag != "" {
			it.Recommendation += " (" + c.user.Flag + ", in docker-run.flags)"
		}
	case runflags.UserDropsInEntrypoint, runflags.UserRootNeeded:
		it.Status = StatusWarn
	default:
		it.Status = StatusInfo
	}
	return it
}

func (c checklistInput) apparmor51() ChecklistItem {
	it := item("5.1", "AppArmor profile applied")
	name := apparmor.ProfileName(c.rec)
	it.Recommendation = fmt.Sprintf("load apparmor.profile (apparmor_parser -r -W apparmor.profile) and run with "+
		"--security-opt=apparmor=%s (in docker-run.flags)", name)
	if c.rec.FilesRecorded {
		it.Evidence = append(it.Evidence, fmt.Sprintf("%s allows the %d paths the container used and the "+
			"socket families, signals and mounts it used, and denies what docker-default denies", name, len(c.rec.Files)))
	} else {
		it.Evidence = append(it.Evidence, fmt.Sprintf("file access was not recorded: %s allows all files, "+
			"with docker-default's deny rules", name))
	}
	opt, set := securityOpt(c.rec.Config.SecurityOpt, "apparmor")
	switch {
	case c.privileged():
		it.Status, it.Current = StatusFail, "unconfined (--privileged turns AppArmor off)"
	case set && opt == "unconfined":
		it.Status, it.Current = StatusFail, "unconfined (--security-opt=apparmor=unconfined)"
	case set:
		it.Status, it.Current = StatusPass, "profile "+opt
	case !c.config:
		return c.notRecorded(it, it.Recommendation)
	default:
		it.Status, it.Current = StatusPass, "docker-default (Docker's profile, on hosts that run AppArmor)"
	}
	return it
}

func capabilitiesRan(rec *profile.Recording) ranCapabilities {
	all := everyCapability()
	if rec.Config.Privileged || rec.Learning.Privileged {
		return ranCapabilities{set: all, how: fmt.Sprintf("--privileged: all %d capabilities", len(all)), byPriv: true}
	}
	defaults := profile.DockerDefaultCapabilities()
	set := slices.Clone(defaults)
	var parts []string
	for _, d := range rec.Learning.CapDrop {
		if strings.EqualFold(strings.TrimSpace(d), "ALL") {
			set = nil
		} else {
			set = slices.DeleteFunc(set, func(s string) bool { return s == profile.CanonicalCapability(d) })
		}
		parts = append(parts, "--cap-drop="+strings.TrimPrefix(profile.CanonicalCapability(d), "CAP_"))
	}
	var added []string
	for _, a := range rec.Learning.CapAdd {
		if strings.EqualFold(strings.TrimSpace(a), "ALL") {
			set = all
			added = append(added, all...)
		} else {
			set = append(set, profile.CanonicalCapability(a))
			added = append(added, profile.CanonicalCapability(a))
		}
		parts = append(parts, "--cap-add="+strings.TrimPrefix(profile.CanonicalCapability(a), "CAP_"))
	}
	set = sets.Sorted(set)
	added = slices.DeleteFunc(sets.Sorted(added), func(s string) bool { return slices.Contains(defaults, s) })
	how := fmt.Sprintf("Docker's default %d capabilities", len(defaults))
	if len(parts) > 0 {
		how = fmt.Sprintf("%s: %d capabilities", strings.Join(parts, " "), len(set))
	}
	return ranCapabilities{set: set, how: how, added: added}
}

// everyCapability lists every capability the kernel headers know, sorted.
func everyCapability() []string {
	var all []string
	for n := 0; n < 64; n++ {
		if name, ok := profile.CapabilityName(n); ok {
			all = append(all, name)
		}
	}
	return sets.Sorted(all)
}

func (c checklistInput) capabilities53() ChecklistItem {
	it := item("5.3", "Capabilities restricted to what is needed")
	it.Current = c.ran.how
	it.Recommendation = "--cap-drop=ALL"
	if len(c.caps.Add) > 0 {
		var names []string
		for _, a := range c.caps.Add {
			names = append(names, strings.TrimPrefix(a, "CAP_"))
		}
		it.Recommendation += " --cap-add=" + strings.Join(names, ",")
	}
	it.Recommendation += " (in docker-run.flags)"
	if !c.rec.CapabilitiesRecorded {
		it.Status = StatusInfo
		it.Recommendation = "record again on a kernel where tailor can hook cap_capable (its tracepoint, Linux 6.14+, " +
			"or fexit or kprobes where lockdown allows them): without capability checks capabilities.json keeps Docker's defaults"
		it.Evidence = []string{"the kernel could not report capability checks"}
		return it
	}
	checked := map[string]profile.CapabilityUse{}
	for _, u := range c.rec.Capabilities {
		checked[profile.CanonicalCapability(u.Name)] = u
	}
	names := sets.Sorted(append(slices.Clone(c.ran.set), sets.SortedKeys(checked)...))
	defaults := profile.DockerDefaultCapabilities()
	var unused, privilegedOnly []string
	for _, name := range names {
		u, wasChecked := checked[name]
		inRan := slices.Contains(c.ran.set, name)
		how := "granted by default"
		switch {
		case c.ran.byPriv:
			how = "granted by --privileged"
		case slices.Contains(c.ran.added, name):
			how = "added with --cap-add"
		}
		switch {
		case wasChecked && profile.IsKernelProbe(u):
			it.Evidence = append(it.Evidence, fmt.Sprintf("%s: checked %s by the kernel itself during %s "+
				"(overcommit accounting), not by the program -> ignore", name, text.Times(u.Granted+u.Denied), strings.Join(u.Syscalls, ", ")))
			if inRan {
				unused = append(unused, name)
			}
		case slices.Contains(c.caps.Add, name):
			it.Evidence = append(it.Evidence, runflags.CapabilityUseEvidence(u)+" -> keep")
		case wasChecked && u.Denied > 0:
			s := fmt.Sprintf("%s: denied %s", name, text.Times(u.Denied))
			if len(u.Syscalls) > 0 {
				s += " during " + strings.Join(u.Syscalls, ", ")
			}
			it.Evidence = append(it.Evidence, s+" -> not added (it ran without it)")
		case !inRan:
			continue
		case wasChecked:
			unused = append(unused, name)
			it.Evidence = append(it.Evidence, fmt.Sprintf("%s: %s, checked but never needed -> drop", name, how))
		case c.ran.byPriv && !slices.Contains(defaults, name):
			unused = append(unused, name)
			privilegedOnly = append(privilegedOnly, name)
		default:
			unused = append(unused, name)
			it.Evidence = append(it.Evidence, fmt.Sprintf("%s: %s, never checked -> drop", name, how))
		}
	}
	if len(privilegedOnly) > 0 {
		it.Evidence = append(it.Evidence, fmt.Sprintf("%d more capabilities granted by --privileged, never checked -> drop: %s",
			len(privilegedOnly), strings.Join(privilegedOnly, ", ")))
	}
	switch {
	case slices.ContainsFunc(unused, func(n string) bool { return !slices.Contains(defaults, n) }):
		it.Status = StatusFail
	case len(unused) > 0:
		it.Status = StatusWarn
	default:
		it.Status = StatusPass
	}
	if len(unused) > 0 {
		it.Current += fmt.Sprintf(", %d of them never needed", len(unused))
	}
	return it
}

func (c checklistInput) privileged54() ChecklistItem {
	it := item("5.4", "No privileged container")
	if !c.privileged() && !c.settingsKnown() {
		return c.notRecorded(it, "run it without --privileged, with docker-run.flags")
	}
	if !c.privileged() {
		it.Status, it.Current, it.Recommendation = StatusPass, "not privileged", "keep it so"
		return it
	}
	it.Status, it.Current = StatusFail, "--privileged: every capability and device, no seccomp, no AppArmor"
	needs := "no capability"
	if len(c.caps.Add) > 0 {
		needs = strings.Join(c.caps.Add, ", ")
	}
	it.Recommendation = "run it without --privileged, with docker-run.flags: it needs " + needs
	if !c.rec.CapabilitiesRecorded {
		it.Recommendation = "run it without --privileged (capability checks were not recorded: which capabilities it needs is not known)"
	}
	for _, u := range c.rec.Capabilities {
		if slices.Contains(c.caps.Add, profile.CanonicalCapability(u.Name)) {
			it.Evidence = append(it.Evidence, runflags.CapabilityUseEvidence(u))
		}
	}
	if len(c.rec.Mounts) > 0 {
		it.Evidence = append(it.Evidence, fmt.Sprintf("it made %d mounts itself", len(c.rec.Mounts)))
	}
	return it
}

// seccompMode is how seccomp confined the container: from Learning, or
// from its security options.
func seccompMode(rec *profile.Recording) string {
	if rec.Config.Privileged || rec.Learning.Privileged {
		return "unconfined"
	}
	if rec.Learning.Seccomp != "" {
		return rec.Learning.Seccomp
	}
	if v, ok := securityOpt(rec.Config.SecurityOpt, "seccomp"); ok {
		if v == "unconfined" {
			return "unconfined"
		}
		return "custom"
	}
	return ""
}

func (c checklistInput) seccomp521() ChecklistItem {
	it := item("5.21", "Seccomp not disabled")
	it.Recommendation = "--security-opt=seccomp=seccomp.json, tailor's profile (in docker-run.flags)"
	switch c.seccomp {
	case "unconfined":
		it.Status = StatusFail
		it.Current = "unconfined: every syscall allowed"
		if c.privileged() {
			it.Current += " (--privileged)"
		}
	case "default":
		it.Status, it.Current = StatusPass, "Docker's default profile"
	case "custom":
		it.Status, it.Current = StatusPass, "a custom profile"
	default:
		return c.notRecorded(it, it.Recommendation)
	}
	return it
}

func (c checklistInput) noNewPrivileges525() ChecklistItem {
	it := item("5.25", "No new privileges")
	nnp := runflags.SuggestNoNewPrivileges(c.rec)
	if nnp.Suggested {
		it.Recommendation = "--security-opt=no-new-privileges (in docker-run.flags)"
	} else {
		it.Recommendation = "not suggested: " + nnp.Reason
	}
	it.Evidence = []string{nnp.Reason}
	v, set := securityOpt(c.rec.Config.SecurityOpt, "no-new-privileges")
	switch {
	case c.rec.Learning.NoNewPrivileges || set && (v == "" || v == "true"):
		it.Status, it.Current = StatusPass, "no-new-privileges"
	case !c.settingsKnown():
		return c.notRecorded(it, it.Recommendation)
	case !nnp.Suggested:
		it.Status, it.Current = StatusInfo, "setuid and file capabilities allowed"
	default:
		it.Status, it.Current = StatusWarn, "setuid and file capabilities allowed"
	}
	return it
}

func (c checklistInput) userns530() ChecklistItem {
	it := item("5.30", "User namespace not shared with the host")
	cfg := c.rec.Config
	switch {
	case !c.config:
		return c.notRecorded(it, "run dockerd with --userns-remap, and do not opt out with --userns=host")
	case cfg.DaemonUsernsRemap && cfg.UsernsMode == "host":
		it.Status, it.Current = StatusFail, "--userns=host: root in the container is root on the host"
		it.Recommendation = "run it without --userns=host"
	case cfg.DaemonUsernsRemap:
		it.Status, it.Current, it.Recommendation = StatusPass, "remapped (dockerd --userns-remap)", "keep it so"
	case c.user.Decision == runflags.UserKeep:
		it.Status, it.Current = StatusPass, "the host's (no --userns-remap), as a non-root user"
		it.Recommendation = "keep the non-root user; dockerd --userns-remap would add a second line of defence"
	default:
		it.Status, it.Current = StatusInfo, "the host's (no --userns-remap): uid 0 in the container is uid 0 on the host"
		it.Recommendation = "run dockerd with --userns-remap, or the container as a non-root user (CIS 4.1)"
	}
	return it
}
