package report

// The report is the part of the output meant for a person: it keeps every
// observation the profile was derived from, says for each capability why it
// was added or not, and warns about everything the profile could not
// capture, so that nobody has to trust the profile blindly.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/apparmor"
	"github.com/tailorsec/tailor/profile/internal/jsonfile"
	"github.com/tailorsec/tailor/profile/internal/sets"
	"github.com/tailorsec/tailor/profile/runflags"
	"github.com/tailorsec/tailor/profile/seccomp"
)

// SchemaVersion is the version of report.json's layout.
const SchemaVersion = 1

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
	SchemaVersion int               `json:"schema_version"`
	Container     profile.Container `json:"container"`
	Start         string            `json:"start"` // RFC 3339, UTC; "" when unknown
	Stop          string            `json:"stop"`
	Host          profile.Host      `json:"host"`
	ArmedBy       string            `json:"armed_by"`
	StartMissed   bool              `json:"start_missed"`
	Partial       bool              `json:"partial"`
	Learning      profile.Learning  `json:"learning"`

	Syscalls    []Syscall         `json:"syscalls"`
	SyscallArgs []seccomp.ArgRule `json:"syscall_args"`
	// Generalized are the syscalls seccomp.json allows that were not made:
	// the same operation as one that was, or the rest of the life of an
	// object the container made (see seccomp.Generalized).
	Generalized     []profile.GeneralizedSyscall `json:"generalized"`
	Capabilities    []Capability                 `json:"capabilities"`
	PrivilegedExecs []string                     `json:"privileged_execs"`
	FilesRecorded   bool                         `json:"files_recorded"`
	Files           []FileAccess                 `json:"files"`
	Sockets         []profile.SocketUse          `json:"sockets"`
	SignalsSent     []string                     `json:"signals_sent"`
	Ptrace          []string                     `json:"ptrace"`
	Mounts          []profile.MountUse           `json:"mounts"`
	ContainerMounts []profile.ContainerMount     `json:"container_mounts"`
	UnknownSyscalls uint64                       `json:"unknown_syscalls"`
	EventsLost      uint64                       `json:"events_lost"`
	NoNewPrivileges runflags.NoNewPrivileges     `json:"no_new_privileges"`
	ReadOnly        runflags.ReadOnly            `json:"read_only"`
	AppArmor        AppArmor                     `json:"apparmor"`
	Warnings        []string                     `json:"warnings"`

	// Identity, Resources and Config are the recording's, so that the
	// checklist can be rebuilt from report.json alone (RecordingFromReport).
	Identity  profile.Identity        `json:"identity"`
	Resources profile.Resources       `json:"resources"`
	Config    profile.ContainerConfig `json:"config"`
	// User, Limits and Checklist are UserSuggestion, ResourceLimits and
	// Checklist of the recording.
	User      runflags.UserAdvice   `json:"user"`
	Limits    runflags.LimitsAdvice `json:"limits"`
	Checklist []ChecklistItem       `json:"checklist"`
}

// FileAccess is one recorded path. JSON cannot hold bytes that are not
// UTF-8 (they would turn into U+FFFD), so such a path also comes in base64.
type FileAccess struct {
	Path       string   `json:"path"`
	PathBase64 string   `json:"path_base64,omitempty"`
	Access     []string `json:"access"`
	Mount      string   `json:"mount,omitempty"`
	MountPoint string   `json:"mount_point,omitempty"`
}

// AppArmor says how to load apparmor.profile and what CheckAppArmor
// found wrong with it (profiledir.Write writes no profile with problems).
type AppArmor struct {
	Profile  string   `json:"profile"`
	Load     string   `json:"load"`
	Problems []string `json:"problems"`
}

// Syscall is one recorded syscall. Unlike SyscallUse every field is
// always present, and the source is spelled out ("workload" or "runtime").
type Syscall struct {
	Arch   profile.Arch `json:"arch"`
	Name   string       `json:"name"`
	Number int          `json:"number"`
	Count  uint64       `json:"count"`
	Source string       `json:"source"`
}

// Capability is one checked capability and what tailor made of it.
type Capability struct {
	Name     string   `json:"name"`
	Granted  uint64   `json:"granted"`
	Denied   uint64   `json:"denied"`
	Syscalls []string `json:"syscalls"`
	Verdict  string   `json:"verdict"` // one of the Verdict* constants
	Reason   string   `json:"reason,omitempty"`
}

// New builds the report for rec, given the capabilities decided for it
// (see Capabilities). Its load command names apparmor.profile relative to
// the profile directory.
func New(rec *profile.Recording, caps profile.CapabilitySet) *Report {
	return NewAt(rec, caps, profile.AppArmorFile)
}

// newReport is NewReport for a profile whose AppArmor profile is at
// apparmorPath.
func NewAt(rec *profile.Recording, caps profile.CapabilitySet, apparmorPath string) *Report {
	rec = profile.Normalized(rec)
	aa := apparmor.New(rec)
	r := &Report{
		SchemaVersion:   SchemaVersion,
		Container:       rec.Container,
		Start:           FormatTime(rec.Start),
		Stop:            FormatTime(rec.Stop),
		Host:            rec.Host,
		ArmedBy:         rec.ArmedBy,
		StartMissed:     rec.StartMissed,
		Partial:         rec.Partial,
		Learning:        rec.Learning,
		Syscalls:        []Syscall{},
		SyscallArgs:     append([]seccomp.ArgRule{}, seccomp.ArgRulesFor(rec, seccomp.RecordedNames(rec))...),
		Generalized:     append([]profile.GeneralizedSyscall{}, seccomp.Generalized(rec)...),
		Capabilities:    []Capability{},
		PrivilegedExecs: sets.Sorted(rec.PrivilegedExecs),
		FilesRecorded:   rec.FilesRecorded,
		Files:           []FileAccess{},
		Sockets:         append([]profile.SocketUse{}, rec.Sockets...),
		SignalsSent:     sets.Sorted(rec.SignalsSent),
		Ptrace:          sets.Sorted(rec.Ptrace),
		Mounts:          append([]profile.MountUse{}, rec.Mounts...),
		ContainerMounts: append([]profile.ContainerMount{}, rec.ContainerMounts...),
		UnknownSyscalls: rec.UnknownSyscalls,
		EventsLost:      rec.EventsLost,
		NoNewPrivileges: runflags.SuggestNoNewPrivileges(rec),
		ReadOnly:        runflags.ReadOnlyRoot(rec),
		AppArmor: AppArmor{
			Profile:  aa.Name,
			Load:     "apparmor_parser -r -W " + runflags.ShellQuote(apparmorPath),
			Problems: append([]string{}, apparmor.Check(rec, aa.Render())...),
		},
	}
	for _, f := range rec.Files {
		r.Files = append(r.Files, FileAccess{Path: f.Path, PathBase64: jsonfile.RawBase64(f.Path), Access: sets.Sorted(f.Access),
			Mount: f.Mount, MountPoint: f.MountPoint})
	}
	for _, s := range rec.Syscalls {
		source := "workload"
		if s.Source != profile.SourceWorkload {
			source = s.Source
		}
		r.Syscalls = append(r.Syscalls, Syscall{
			Arch: s.Arch, Name: s.Name, Number: s.Number, Count: s.Count, Source: source,
		})
	}
	for _, c := range rec.Capabilities {
		verdict, reason := capabilityVerdict(c, caps)
		r.Capabilities = append(r.Capabilities, Capability{
			Name:     profile.CanonicalCapability(c.Name),
			Granted:  c.Granted,
			Denied:   c.Denied,
			Syscalls: sets.Sorted(c.Syscalls),
			Verdict:  verdict,
			Reason:   reason,
		})
	}
	r.Warnings = sets.Sorted(append(reportWarnings(rec), aa.Warnings...))
	r.Identity, r.Resources, r.Config = rec.Identity, rec.Resources, rec.Config
	r.User, r.Limits, r.Checklist = runflags.UserSuggestion(rec), runflags.ResourceLimits(rec), Checklist(rec)
	return r
}

// Marshal renders the report as report.json: indented with two
// spaces, ending in a newline.
func Marshal(r *Report) ([]byte, error) {
	return jsonfile.Marshal(r)
}

func capabilityVerdict(c profile.CapabilityUse, caps profile.CapabilitySet) (verdict, reason string) {
	name := profile.CanonicalCapability(c.Name)
	switch {
	case profile.IsKernelProbe(c):
		return VerdictKernelProbe, profile.KernelProbeReason
	case slices.Contains(caps.Add, name):
		return VerdictAdd, ""
	case c.Denied > 0:
		return VerdictDenied, ""
	case slices.Contains(profile.DockerDefaultCapabilities(), name):
		return VerdictDrop, ""
	}
	return VerdictUnused, ""
}

// reportWarnings is the recording's own warnings and everything that makes
// the profile less than complete, sorted and de-duplicated.
func reportWarnings(rec *profile.Recording) []string {
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

func FormatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// RecordingFrom rebuilds, from report.json, the recording as far as
// the checklist, the user and limit suggestions and the flags need it.
// report.json does not keep learned argument values that were turned into
// no rule, or which paths were known by name only; nothing of the review
// depends on them.
func RecordingFrom(r *Report) *profile.Recording {
	rec := &profile.Recording{
		Container:            r.Container,
		Host:                 r.Host,
		Start:                ParseTime(r.Start),
		Stop:                 ParseTime(r.Stop),
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
			source = profile.SourceWorkload
		}
		rec.Syscalls = append(rec.Syscalls, profile.SyscallUse{Arch: s.Arch, Name: s.Name, Number: s.Number, Count: s.Count, Source: source})
	}
	for _, a := range r.SyscallArgs {
		rec.SyscallArgs = append(rec.SyscallArgs, a.ArgValues)
	}
	for _, c := range r.Capabilities {
		rec.Capabilities = append(rec.Capabilities, profile.CapabilityUse{Name: c.Name, Granted: c.Granted, Denied: c.Denied, Syscalls: slices.Clone(c.Syscalls)})
	}
	for _, f := range r.Files {
		p := f.Path
		if f.PathBase64 != "" {
			if raw, err := base64.StdEncoding.DecodeString(f.PathBase64); err == nil {
				p = string(raw)
			}
		}
		rec.Files = append(rec.Files, profile.FileAccess{Path: p, Access: slices.Clone(f.Access), Mount: f.Mount, MountPoint: f.MountPoint})
	}
	profile.Normalize(rec)
	return rec
}

// capabilitiesNotRecorded starts the warning report.json has when the
// kernel could not report capability checks.
const capabilitiesNotRecorded = "the kernel could not report capability checks"

func ParseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// Parse reads report.json (schema ReportSchemaVersion), refusing
// unknown fields. tailor merge keeps each input's report and checks it
// parses.
func Parse(data []byte) (*Report, error) {
	var r Report
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%s: %w", profile.ReportFile, jsonfile.Error(data, err))
	}
	if dec.More() {
		return nil, fmt.Errorf("%s: data after the JSON object", profile.ReportFile)
	}
	if r.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("%s: schema_version %d, this tailor reads %d", profile.ReportFile, r.SchemaVersion, SchemaVersion)
	}
	for _, f := range r.Files {
		if f.PathBase64 != "" {
			if _, err := base64.StdEncoding.DecodeString(f.PathBase64); err != nil {
				return nil, fmt.Errorf("%s: path_base64 of %q: %w", profile.ReportFile, f.Path, err)
			}
		}
	}
	return &r, nil
}
