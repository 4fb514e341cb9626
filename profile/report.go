package profile

// The report is the part of the output meant for a person: it keeps every
// observation the profile was derived from, says for each capability why it
// was added or not, and warns about everything the profile could not
// capture, so that nobody has to trust the profile blindly.

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tailorsec/tailor/profile/internal/jsonfile"
	"github.com/tailorsec/tailor/profile/internal/sets"
)

// ReportSchemaVersion is the version of report.json's layout.
const ReportSchemaVersion = 1

// Verdicts on a capability, in report.json.
const (
	VerdictAdd         = "add"          // granted during learning: added
	VerdictDrop        = "drop"         // a Docker default never granted: dropped
	VerdictDenied      = "denied"       // asked for and refused: listed, not added
	VerdictKernelProbe = "kernel-probe" // asked by the kernel itself: ignored
	VerdictUnused      = "unused"       // checked, neither granted nor refused
)

// Report is what report.json holds.
type Report struct {
	SchemaVersion int       `json:"schema_version"`
	Container     Container `json:"container"`
	Start         string    `json:"start"` // RFC 3339, UTC; "" when unknown
	Stop          string    `json:"stop"`
	Host          Host      `json:"host"`
	ArmedBy       string    `json:"armed_by"`
	StartMissed   bool      `json:"start_missed"`
	Partial       bool      `json:"partial"`
	Learning      Learning  `json:"learning"`

	Syscalls        []ReportSyscall    `json:"syscalls"`
	SyscallArgs     []ArgRule          `json:"syscall_args"`
	Capabilities    []ReportCapability `json:"capabilities"`
	PrivilegedExecs []string           `json:"privileged_execs"`
	FilesRecorded   bool               `json:"files_recorded"`
	Files           []ReportFileAccess `json:"files"`
	Sockets         []SocketUse        `json:"sockets"`
	SignalsSent     []string           `json:"signals_sent"`
	Ptrace          []string           `json:"ptrace"`
	Mounts          []MountUse         `json:"mounts"`
	ContainerMounts []ContainerMount   `json:"container_mounts"`
	UnknownSyscalls uint64             `json:"unknown_syscalls"`
	EventsLost      uint64             `json:"events_lost"`
	NoNewPrivileges NoNewPrivileges    `json:"no_new_privileges"`
	ReadOnly        ReadOnly           `json:"read_only"`
	AppArmor        ReportAppArmor     `json:"apparmor"`
	Warnings        []string           `json:"warnings"`

	// Identity, Resources and Config are the recording's, so that the
	// checklist can be rebuilt from report.json alone (RecordingFromReport).
	Identity  Identity        `json:"identity"`
	Resources Resources       `json:"resources"`
	Config    ContainerConfig `json:"config"`
	// User, Limits and Checklist are UserSuggestion, ResourceLimits and
	// Checklist of the recording.
	User      UserAdvice      `json:"user"`
	Limits    LimitsAdvice    `json:"limits"`
	Checklist []ChecklistItem `json:"checklist"`
}

// ReportFileAccess is one recorded path. JSON cannot hold bytes that are not
// UTF-8 (they would turn into U+FFFD), so such a path also comes in base64.
type ReportFileAccess struct {
	Path       string   `json:"path"`
	PathBase64 string   `json:"path_base64,omitempty"`
	Access     []string `json:"access"`
	Mount      string   `json:"mount,omitempty"`
	MountPoint string   `json:"mount_point,omitempty"`
}

// ReportAppArmor says how to load apparmor.profile and what CheckAppArmor
// found wrong with it (WriteProfileDir writes no profile with problems).
type ReportAppArmor struct {
	Profile  string   `json:"profile"`
	Load     string   `json:"load"`
	Problems []string `json:"problems"`
}

// ReportSyscall is one recorded syscall. Unlike SyscallUse every field is
// always present, and the source is spelled out ("workload" or "runtime").
type ReportSyscall struct {
	Arch   Arch   `json:"arch"`
	Name   string `json:"name"`
	Number int    `json:"number"`
	Count  uint64 `json:"count"`
	Source string `json:"source"`
}

// ReportCapability is one checked capability and what tailor made of it.
type ReportCapability struct {
	Name     string   `json:"name"`
	Granted  uint64   `json:"granted"`
	Denied   uint64   `json:"denied"`
	Syscalls []string `json:"syscalls"`
	Verdict  string   `json:"verdict"` // one of the Verdict* constants
	Reason   string   `json:"reason,omitempty"`
}

// NoNewPrivileges is whether --security-opt=no-new-privileges is suggested.
type NoNewPrivileges struct {
	Suggested bool   `json:"suggested"`
	Reason    string `json:"reason"`
}

// NewReport builds the report for rec, given the capabilities decided for it
// (see Capabilities). Its load command names apparmor.profile relative to
// the profile directory.
func NewReport(rec *Recording, caps CapabilitySet) *Report {
	return NewReportAt(rec, caps, AppArmorFile)
}

// newReport is NewReport for a profile whose AppArmor profile is at
// apparmorPath.
func NewReportAt(rec *Recording, caps CapabilitySet, apparmorPath string) *Report {
	rec = Normalized(rec)
	apparmor := AppArmor(rec)
	r := &Report{
		SchemaVersion:   ReportSchemaVersion,
		Container:       rec.Container,
		Start:           ReportTime(rec.Start),
		Stop:            ReportTime(rec.Stop),
		Host:            rec.Host,
		ArmedBy:         rec.ArmedBy,
		StartMissed:     rec.StartMissed,
		Partial:         rec.Partial,
		Learning:        rec.Learning,
		Syscalls:        []ReportSyscall{},
		SyscallArgs:     append([]ArgRule{}, argRules(rec, recordedNames(rec))...),
		Capabilities:    []ReportCapability{},
		PrivilegedExecs: sets.Sorted(rec.PrivilegedExecs),
		FilesRecorded:   rec.FilesRecorded,
		Files:           []ReportFileAccess{},
		Sockets:         append([]SocketUse{}, rec.Sockets...),
		SignalsSent:     sets.Sorted(rec.SignalsSent),
		Ptrace:          sets.Sorted(rec.Ptrace),
		Mounts:          append([]MountUse{}, rec.Mounts...),
		ContainerMounts: append([]ContainerMount{}, rec.ContainerMounts...),
		UnknownSyscalls: rec.UnknownSyscalls,
		EventsLost:      rec.EventsLost,
		NoNewPrivileges: noNewPrivileges(rec),
		ReadOnly:        ReadOnlyRoot(rec),
		AppArmor: ReportAppArmor{
			Profile:  apparmor.Name,
			Load:     "apparmor_parser -r -W " + ShellQuote(apparmorPath),
			Problems: append([]string{}, CheckAppArmor(rec, apparmor.Render())...),
		},
	}
	for _, f := range rec.Files {
		r.Files = append(r.Files, ReportFileAccess{Path: f.Path, PathBase64: jsonfile.RawBase64(f.Path), Access: sets.Sorted(f.Access),
			Mount: f.Mount, MountPoint: f.MountPoint})
	}
	for _, s := range rec.Syscalls {
		source := "workload"
		if s.Source != SourceWorkload {
			source = s.Source
		}
		r.Syscalls = append(r.Syscalls, ReportSyscall{
			Arch: s.Arch, Name: s.Name, Number: s.Number, Count: s.Count, Source: source,
		})
	}
	for _, c := range rec.Capabilities {
		verdict, reason := capabilityVerdict(c, caps)
		r.Capabilities = append(r.Capabilities, ReportCapability{
			Name:     CanonicalCapability(c.Name),
			Granted:  c.Granted,
			Denied:   c.Denied,
			Syscalls: sets.Sorted(c.Syscalls),
			Verdict:  verdict,
			Reason:   reason,
		})
	}
	r.Warnings = sets.Sorted(append(reportWarnings(rec), apparmor.Warnings...))
	r.Identity, r.Resources, r.Config = rec.Identity, rec.Resources, rec.Config
	r.User, r.Limits, r.Checklist = UserSuggestion(rec), ResourceLimits(rec), Checklist(rec)
	return r
}

// MarshalReport renders the report as report.json: indented with two
// spaces, ending in a newline.
func MarshalReport(r *Report) ([]byte, error) {
	return jsonfile.Marshal(r)
}

func capabilityVerdict(c CapabilityUse, caps CapabilitySet) (verdict, reason string) {
	name := CanonicalCapability(c.Name)
	switch {
	case IsKernelProbe(c):
		return VerdictKernelProbe, KernelProbeReason
	case slices.Contains(caps.Add, name):
		return VerdictAdd, ""
	case c.Denied > 0:
		return VerdictDenied, ""
	case slices.Contains(DockerDefaultCapabilities(), name):
		return VerdictDrop, ""
	}
	return VerdictUnused, ""
}

// noNewPrivileges suggests no-new-privileges unless something in the
// container relied on gaining privileges through exec, which it would stop.
func noNewPrivileges(rec *Recording) NoNewPrivileges {
	if len(rec.PrivilegedExecs) == 0 {
		return NoNewPrivileges{
			Suggested: true,
			Reason:    "no program gained privileges through exec (setuid/setgid or file capabilities)",
		}
	}
	return NoNewPrivileges{
		Suggested: false,
		Reason: strings.Join(sets.Sorted(rec.PrivilegedExecs), ", ") +
			" gained privileges through exec (setuid/setgid or file capabilities); no-new-privileges would stop it",
	}
}

// reportWarnings is the recording's own warnings and everything that makes
// the profile less than complete, sorted and de-duplicated.
func reportWarnings(rec *Recording) []string {
	w := slices.Clone(rec.Warnings)
	for _, s := range rec.Syscalls {
		if s.Name == "" {
			w = append(w, fmt.Sprintf("syscall number %d on %s is unknown to libseccomp: "+
				"it is not in seccomp.json, add it by hand if needed", s.Number, s.Arch))
		}
	}
	if rec.UnknownSyscalls > 0 {
		w = append(w, fmt.Sprintf("syscalls with numbers beyond the kernel's syscall tables were made %d times: "+
			"they are not in seccomp.json", rec.UnknownSyscalls))
	}
	if rec.EventsLost > 0 {
		w = append(w, fmt.Sprintf("%d events were lost while recording: seccomp.json and capabilities.json "+
			"may lack syscalls or capabilities the container used; record again", rec.EventsLost))
	}
	if rec.Partial {
		w = append(w, "recording stopped while the container was still running: "+
			"what it does later (e.g. at shutdown) is not in the profile")
	}
	if rec.StartMissed {
		w = append(w, "recording began after the container started: "+
			"its start-up is not in the profile")
	}
	if !rec.CapabilitiesRecorded {
		w = append(w, "the kernel could not report capability checks: "+
			"capabilities.json keeps Docker's default capabilities")
	}
	if !rec.FilesRecorded {
		w = append(w, "file access was not recorded: apparmor.profile allows all file access "+
			"(as docker-default does, with its deny rules) and --read-only is not suggested")
	}
	for _, exe := range rec.PrivilegedExecs {
		w = append(w, exe+" gained privileges through exec (setuid/setgid or file capabilities): "+
			"no-new-privileges is not suggested")
	}
	return sets.Sorted(w)
}

func ReportTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// RecordingFromReport rebuilds, from report.json, the recording as far as
// the checklist, the user and limit suggestions and the flags need it.
// report.json does not keep learned argument values that were turned into
// no rule, or which paths were known by name only; nothing of the review
// depends on them.
func RecordingFromReport(r *Report) *Recording {
	rec := &Recording{
		Container:            r.Container,
		Host:                 r.Host,
		Start:                ParseReportTime(r.Start),
		Stop:                 ParseReportTime(r.Stop),
		ArmedBy:              r.ArmedBy,
		StartMissed:          r.StartMissed,
		Partial:              r.Partial,
		Learning:             r.Learning,
		CapabilitiesRecorded: !slices.ContainsFunc(r.Warnings, func(w string) bool { return strings.HasPrefix(w, capabilitiesNotRecorded) }),
		PrivilegedExecs:      slices.Clone(r.PrivilegedExecs),
		FilesRecorded:        r.FilesRecorded,
		Sockets:              slices.Clone(r.Sockets),
		SignalsSent:          slices.Clone(r.SignalsSent),
		Ptrace:               slices.Clone(r.Ptrace),
		Mounts:               slices.Clone(r.Mounts),
		ContainerMounts:      slices.Clone(r.ContainerMounts),
		Identity:             r.Identity,
		Resources:            r.Resources,
		Config:               r.Config,
		UnknownSyscalls:      r.UnknownSyscalls,
		EventsLost:           r.EventsLost,
		Warnings:             slices.Clone(r.Warnings),
	}
	for _, s := range r.Syscalls {
		source := s.Source
		if source == "workload" {
			source = SourceWorkload
		}
		rec.Syscalls = append(rec.Syscalls, SyscallUse{Arch: s.Arch, Name: s.Name, Number: s.Number, Count: s.Count, Source: source})
	}
	for _, a := range r.SyscallArgs {
		rec.SyscallArgs = append(rec.SyscallArgs, a.ArgValues)
	}
	for _, c := range r.Capabilities {
		rec.Capabilities = append(rec.Capabilities, CapabilityUse{Name: c.Name, Granted: c.Granted, Denied: c.Denied, Syscalls: slices.Clone(c.Syscalls)})
	}
	for _, f := range r.Files {
		p := f.Path
		if f.PathBase64 != "" {
			if raw, err := base64.StdEncoding.DecodeString(f.PathBase64); err == nil {
				p = string(raw)
			}
		}
		rec.Files = append(rec.Files, FileAccess{Path: p, Access: slices.Clone(f.Access), Mount: f.Mount, MountPoint: f.MountPoint})
	}
	Normalize(rec)
	return rec
}

// capabilitiesNotRecorded starts the warning report.json has when the
// kernel could not report capability checks.
const capabilitiesNotRecorded = "the kernel could not report capability checks"

func ParseReportTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}
