package report

// tailor's own items, beyond the benchmark: the learned seccomp profile
// and whether the recording is complete.

import (
	"fmt"

	moby "github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/internal/sets"
	"github.com/tailorsec/tailor/profile/internal/text"
	"github.com/tailorsec/tailor/profile/seccomp"
)

// dockerDefaultAllowed counts the syscalls Docker's default profile allows
// a container without added capabilities.
func dockerDefaultAllowed() int {
	var names []string
	for _, rule := range moby.DefaultProfile().Syscalls {
		if rule.Action != specs.ActAllow || rule.Includes != nil && len(rule.Includes.Caps) > 0 {
			continue
		}
		names = append(names, rule.Names...)
		if rule.Name != "" {
			names = append(names, rule.Name)
		}
	}
	return len(sets.Sorted(names))
}

func (c checklistInput) learnedSeccomp() ChecklistItem {
	it := ChecklistItem{ID: ChecklistTailor, Title: "Seccomp profile learned from the container"}
	names := seccomp.RecordedNames(c.rec)
	it.Recommendation = "apply it: --security-opt=seccomp=seccomp.json (in docker-run.flags)"
	switch c.seccomp {
	case "custom":
		it.Current = "a custom profile"
	case "default":
		it.Current = "Docker's default profile"
	case "unconfined":
		it.Current = "unconfined"
	default:
		it.Current = "not recorded"
	}
	it.Evidence = append(it.Evidence, fmt.Sprintf("seccomp.json allows the %d syscalls the container made; "+
		"Docker's default profile allows %d", len(names), dockerDefaultAllowed()))
	if n := len(c.rec.SyscallArgs); n > 0 {
		it.Evidence = append(it.Evidence, fmt.Sprintf("argument values were learned for %d syscall arguments "+
			"(clone flags, socket families, ...): see report.json", n))
	}
	switch c.rec.ArmedBy {
	case profile.ArmedByFilter:
		it.Evidence = append(it.Evidence, "recorded from the moment the runtime loaded the container's seccomp filter")
	case profile.ArmedByExec:
		it.Evidence = append(it.Evidence, "recorded from the entrypoint's exec, with the runtime's last steps before it")
	case profile.ArmedLate:
		it.Evidence = append(it.Evidence, "recorded from when tailor attached: the container was already running")
	}
	switch {
	case len(names) == 0:
		it.Status = StatusWarn
		it.Recommendation = "record it again: no syscall was recorded"
	case c.rec.EventsLost > 0 || c.rec.StartMissed || c.rec.UnknownSyscalls > 0:
		it.Status = StatusWarn
		it.Recommendation += "; the recording is incomplete (see below): record it again before relying on it"
	case c.seccomp != "custom":
		it.Status = StatusWarn
	default:
		it.Status = StatusPass
	}
	return it
}

func (c checklistInput) recordingComplete() ChecklistItem {
	it := ChecklistItem{ID: ChecklistTailor, Title: "Recording complete"}
	r := c.rec
	it.Current = "recorded"
	if !r.Start.IsZero() && !r.Stop.IsZero() && r.Stop.After(r.Start) {
		it.Current = "recorded for " + text.Duration(r.Stop.Sub(r.Start))
	}
	if r.Container.ExitCode != nil {
		it.Current += fmt.Sprintf(", exit code %d", *r.Container.ExitCode)
	}
	if r.Partial {
		it.Current += ", still running at the end"
	}
	it.Evidence = reportWarnings(r)
	incomplete := r.EventsLost > 0 || r.StartMissed || r.Partial || !r.CapabilitiesRecorded || !r.FilesRecorded
	switch {
	case incomplete:
		it.Status = StatusWarn
		it.Recommendation = "record it again, running everything it does in production, before relying on the profile"
	case len(it.Evidence) > 0:
		it.Status = StatusInfo
		it.Recommendation = "review the warnings"
	default:
		it.Status = StatusPass
		it.Recommendation = "make sure the recorded run exercised everything the container does in production: " +
			"what did not run is not allowed"
	}
	return it
}
