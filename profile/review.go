package profile

// A review is what `tailor report` shows for one recorded container: who
// it was, the flags that harden it, the user and limit suggestions, and the
// checklist. It is built from recording.json when the profile directory
// has one, and otherwise from report.json alone (RecordingFromReport), so
// that profiles written before recording.json existed can be reviewed.

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tailorsec/tailor/profile/internal/jsonfile"
	"github.com/tailorsec/tailor/profile/internal/text"
)

// ReviewSchemaVersion is the version of `tailor report --format json`.
const ReviewSchemaVersion = 1

// ContainerReview is one container in `tailor report`.
type ContainerReview struct {
	// Dir is the profile directory, as it was named to tailor report.
	Dir string `json:"dir"`
	// Source is the file the review was built from: recording.json or
	// report.json.
	Source      string    `json:"source"`
	Container   Container `json:"container"`
	Host        Host      `json:"host"`
	Start       string    `json:"start"` // RFC 3339, UTC; "" when unknown
	Stop        string    `json:"stop"`
	Duration    string    `json:"duration,omitempty"`
	ArmedBy     string    `json:"armed_by"`
	StartMissed bool      `json:"start_missed"`
	Partial     bool      `json:"partial"`
	// Flags is the docker-run.flags line.
	Flags     string          `json:"flags"`
	User      UserAdvice      `json:"user"`
	Limits    LimitsAdvice    `json:"limits"`
	Summary   ReviewSummary   `json:"summary"`
	Checklist []ChecklistItem `json:"checklist"`
}

// ReviewSummary counts checklist items per status.
type ReviewSummary struct {
	Fail int `json:"fail"`
	Warn int `json:"warn"`
	Pass int `json:"pass"`
	Info int `json:"info"`
}

// Reviews is what `tailor report --format json` prints.
type Reviews struct {
	SchemaVersion int               `json:"schema_version"`
	Containers    []ContainerReview `json:"containers"`
}

// NewContainerReview reviews rec, whose profile's docker-run.flags line
// is flags.
func NewContainerReview(rec *Recording, flags string) ContainerReview {
	rec = Normalized(rec)
	items := Checklist(rec)
	n := ChecklistCounts(items)
	r := ContainerReview{
		Container:   rec.Container,
		Host:        rec.Host,
		Start:       reportTime(rec.Start),
		Stop:        reportTime(rec.Stop),
		ArmedBy:     rec.ArmedBy,
		StartMissed: rec.StartMissed,
		Partial:     rec.Partial,
		Flags:       flags,
		User:        UserSuggestion(rec),
		Limits:      ResourceLimits(rec),
		Summary:     ReviewSummary{Fail: n[StatusFail], Warn: n[StatusWarn], Pass: n[StatusPass], Info: n[StatusInfo]},
		Checklist:   items,
	}
	if !rec.Start.IsZero() && rec.Stop.After(rec.Start) {
		r.Duration = text.Duration(rec.Stop.Sub(rec.Start))
	}
	r.Container.Name = strings.TrimPrefix(r.Container.Name, "/")
	return r
}

// MarshalReviews renders reviews as `tailor report --format json`.
func MarshalReviews(reviews []ContainerReview) ([]byte, error) {
	if reviews == nil {
		reviews = []ContainerReview{}
	}
	return jsonfile.Marshal(Reviews{SchemaVersion: ReviewSchemaVersion, Containers: reviews})
}

// ErrNoProfiles is returned by ReadReviews for a directory that holds no
// profile.
var ErrNoProfiles = errors.New("no profile here: neither report.json nor a directory holding one")

// ReadReviews reviews the profile in dir or, when dir has no report.json,
// every profile directory directly in it, in the order of their names.
func ReadReviews(dir string) ([]ContainerReview, error) {
	dirs, err := ProfileDirs(dir)
	if err != nil {
		return nil, err
	}
	var reviews []ContainerReview
	for _, d := range dirs {
		r, err := ReadReview(d)
		if err != nil {
			return nil, err
		}
		reviews = append(reviews, r)
	}
	return reviews, nil
}

// ProfileDirs lists the profile directories dir stands for: dir itself
// when it holds a report.json, else every directory directly in it that
// does, in the order of their names. None is an error (ErrNoProfiles).
func ProfileDirs(dir string) ([]string, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", dir)
	}
	if _, err := os.Stat(filepath.Join(dir, ReportFile)); err == nil {
		return []string{dir}, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var dirs []string
	for _, e := range entries { // sorted by name
		sub := filepath.Join(dir, e.Name())
		if !e.IsDir() && e.Type()&fs.ModeSymlink == 0 {
			continue
		}
		if st, err := os.Stat(filepath.Join(sub, ReportFile)); err != nil || st.IsDir() {
			continue
		}
		dirs = append(dirs, sub)
	}
	if len(dirs) == 0 {
		return nil, fmt.Errorf("%s: %w", dir, ErrNoProfiles)
	}
	return dirs, nil
}

// ReadReview reviews the profile directory dir: from its recording.json
// when it has one, else from its report.json. The flags are its
// docker-run.flags, or computed when that file is missing.
func ReadReview(dir string) (ContainerReview, error) {
	rec, source, err := ReadRecordingDir(dir)
	if err != nil {
		return ContainerReview{}, err
	}
	var flags string
	if data, err := os.ReadFile(filepath.Join(dir, FlagsFile)); err == nil {
		flags = strings.TrimRight(string(data), "\n")
	} else if errors.Is(err, fs.ErrNotExist) {
		abs, err := filepath.Abs(filepath.Join(dir, SeccompFile))
		if err != nil {
			return ContainerReview{}, err
		}
		flags = FlagsLine(DockerRunFlags(rec, Capabilities(rec), abs))
	} else {
		return ContainerReview{}, err
	}
	r := NewContainerReview(rec, flags)
	r.Dir, r.Source = dir, source
	return r, nil
}

// ReadRecordingDir reads the recording behind the profile directory dir:
// its recording.json, or as much as its report.json keeps when it has no
// recording.json (profiles of older versions). source names the file read.
func ReadRecordingDir(dir string) (rec *Recording, source string, err error) {
	data, err := os.ReadFile(filepath.Join(dir, RecordingFile))
	switch {
	case err == nil:
		if rec, err = ParseRecording(data); err != nil {
			return nil, "", fmt.Errorf("%s: %w", dir, err)
		}
		return rec, RecordingFile, nil
	case errors.Is(err, fs.ErrNotExist):
		data, err := os.ReadFile(filepath.Join(dir, ReportFile))
		if err != nil {
			return nil, "", err
		}
		report, err := ParseReport(data)
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", dir, err)
		}
		return RecordingFromReport(report), ReportFile, nil
	}
	return nil, "", err
}

// capabilitiesNotRecorded starts the warning report.json has when the
// kernel could not report capability checks.
const capabilitiesNotRecorded = "the kernel could not report capability checks"

// RecordingFromReport rebuilds, from report.json, the recording as far as
// the checklist, the user and limit suggestions and the flags need it.
// report.json does not keep learned argument values that were turned into
// no rule, or which paths were known by name only; nothing of the review
// depends on them.
func RecordingFromReport(r *Report) *Recording {
	rec := &Recording{
		Container:            r.Container,
		Host:                 r.Host,
		Start:                parseReportTime(r.Start),
		Stop:                 parseReportTime(r.Stop),
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

func parseReportTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// flagWords splits a flags line as FlagsLine wrote it into its words,
// each still quoted as it was: at spaces outside single quotes (a
// backslash outside quotes escapes the next byte). A line it cannot split
// comes back whole.
func flagWords(line string) []string {
	var words []string
	start, inQuote := -1, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		if !inQuote && (c == ' ' || c == '\t' || c == '\n') {
			if start >= 0 {
				words = append(words, line[start:i])
				start = -1
			}
			continue
		}
		if start < 0 {
			start = i
		}
		switch {
		case inQuote:
			inQuote = c != '\''
		case c == '\'':
			inQuote = true
		case c == '\\':
			i++
		}
	}
	if inQuote {
		return []string{line}
	}
	if start >= 0 {
		words = append(words, line[start:])
	}
	return words
}

// commandLines is `docker run FLAGS IMAGE` as a shell command with one
// flag per line, for display: control characters in a word are escaped
// (termSafe).
func commandLines(flags, image string) string {
	words := append([]string{"docker run"}, flagWords(flags)...)
	if image != "" {
		words = append(words, ShellQuote(image))
	}
	for i, w := range words {
		words[i] = text.TermSafe(w)
	}
	return strings.Join(words, " \\\n    ")
}
