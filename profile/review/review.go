package review

// A review is what `tailor report` shows for one recorded container: who
// it was, the flags that harden it, the user and limit suggestions, and the
// checklist. It is built from recording.json when the profile directory
// has one, and otherwise from report.json alone (RecordingFromReport), so
// that profiles written before recording.json existed can be reviewed.

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/internal/jsonfile"
	"github.com/tailorsec/tailor/profile/internal/text"
	"github.com/tailorsec/tailor/profile/report"
	"github.com/tailorsec/tailor/profile/runflags"
)

// SchemaVersion is the version of `tailor report --format json`.
const SchemaVersion = 1

// Container is one container in `tailor report`.
type Container struct {
	// Dir is the profile directory, as it was named to tailor report.
	Dir string `json:"dir"`
	// Source is the file the review was built from: recording.json or
	// report.json.
	Source      string            `json:"source"`
	Container   profile.Container `json:"container"`
	Host        profile.Host      `json:"host"`
	Start       string            `json:"start"` // RFC 3339, UTC; "" when unknown
	Stop        string            `json:"stop"`
	Duration    string            `json:"duration,omitempty"`
	ArmedBy     string            `json:"armed_by"`
	StartMissed bool              `json:"start_missed"`
	Partial     bool              `json:"partial"`
	// Flags is the docker-run.flags line.
	Flags     string                 `json:"flags"`
	User      runflags.UserAdvice    `json:"user"`
	Limits    runflags.LimitsAdvice  `json:"limits"`
	Summary   Summary                `json:"summary"`
	Checklist []report.ChecklistItem `json:"checklist"`
}

// Summary counts checklist items per status.
type Summary struct {
	Fail int `json:"fail"`
	Warn int `json:"warn"`
	Pass int `json:"pass"`
	Info int `json:"info"`
}

// Reviews is what `tailor report --format json` prints.
type Reviews struct {
	SchemaVersion int         `json:"schema_version"`
	Containers    []Container `json:"containers"`
}

// NewContainer reviews rec, whose profile's docker-run.flags line
// is flags.
func NewContainer(rec *profile.Recording, flags string) Container {
	rec = profile.Normalized(rec)
	items := report.Checklist(rec)
	n := report.ChecklistCounts(items)
	r := Container{
		Container:   rec.Container,
		Host:        rec.Host,
		Start:       report.FormatTime(rec.Start),
		Stop:        report.FormatTime(rec.Stop),
		ArmedBy:     rec.ArmedBy,
		StartMissed: rec.StartMissed,
		Partial:     rec.Partial,
		Flags:       flags,
		User:        runflags.UserSuggestion(rec),
		Limits:      runflags.ResourceLimits(rec),
		Summary:     Summary{Fail: n[report.StatusFail], Warn: n[report.StatusWarn], Pass: n[report.StatusPass], Info: n[report.StatusInfo]},
		Checklist:   items,
	}
	if !rec.Start.IsZero() && rec.Stop.After(rec.Start) {
		r.Duration = text.Duration(rec.Stop.Sub(rec.Start))
	}
	r.Container.Name = strings.TrimPrefix(r.Container.Name, "/")
	return r
}

// Marshal renders reviews as `tailor report --format json`.
func Marshal(reviews []Container) ([]byte, error) {
	if reviews == nil {
		reviews = []Container{}
	}
	return jsonfile.Marshal(Reviews{SchemaVersion: SchemaVersion, Containers: reviews})
}

// ErrNoProfiles is returned by ReadReviews for a directory that holds no
// profile.
var ErrNoProfiles = errors.New("no profile here: neither report.json nor a directory holding one")

// ReadAll reviews the profile in dir or, when dir has no report.json,
// every profile directory directly in it, in the order of their names.
func ReadAll(dir string) ([]Container, error) {
	dirs, err := ProfileDirs(dir)
	if err != nil {
		return nil, err
	}
	var reviews []Container
	for _, d := range dirs {
		r, err := Read(d)
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
	if _, err := os.Stat(filepath.Join(dir, profile.ReportFile)); err == nil {
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
		if st, err := os.Stat(filepath.Join(sub, profile.ReportFile)); err != nil || st.IsDir() {
			continue
		}
		dirs = append(dirs, sub)
	}
	if len(dirs) == 0 {
		return nil, fmt.Errorf("%s: %w", dir, ErrNoProfiles)
	}
	return dirs, nil
}

// Read reviews the profile directory dir: from its recording.json
// when it has one, else from its report.json. The flags are its
// docker-run.flags, or computed when that file is missing.
func Read(dir string) (Container, error) {
	rec, source, err := ReadRecordingDir(dir)
	if err != nil {
		return Container{}, err
	}
	var flags string
	if data, err := os.ReadFile(filepath.Join(dir, profile.FlagsFile)); err == nil {
		flags = strings.TrimRight(string(data), "\n")
	} else if errors.Is(err, fs.ErrNotExist) {
		abs, err := filepath.Abs(filepath.Join(dir, profile.SeccompFile))
		if err != nil {
			return Container{}, err
		}
		flags = runflags.Line(runflags.New(rec, profile.Capabilities(rec), abs))
	} else {
		return Container{}, err
	}
	r := NewContainer(rec, flags)
	r.Dir, r.Source = dir, source
	return r, nil
}

// ReadRecordingDir reads the recording behind the profile directory dir:
// its recording.json, or as much as its report.json keeps when it has no
// recording.json (profiles of older versions). source names the file read.
func ReadRecordingDir(dir string) (rec *profile.Recording, source string, err error) {
	data, err := os.ReadFile(filepath.Join(dir, profile.RecordingFile))
	switch {
	case err == nil:
		if rec, err = profile.ParseRecording(data); err != nil {
			return nil, "", fmt.Errorf("%s: %w", dir, err)
		}
		return rec, profile.RecordingFile, nil
	case errors.Is(err, fs.ErrNotExist):
		data, err := os.ReadFile(filepath.Join(dir, profile.ReportFile))
		if err != nil {
			return nil, "", err
		}
		rep, err := report.Parse(data)
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", dir, err)
		}
		return report.RecordingFrom(rep), profile.ReportFile, nil
	}
	return nil, "", err
}

// flagWords splits a flags line as runflags.Line wrote it into its words,
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
		words = append(words, runflags.ShellQuote(image))
	}
	for i, w := range words {
		words[i] = text.TermSafe(w)
	}
	return strings.Join(words, " \\\n    ")
}
