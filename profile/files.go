package profile

import (
	"fmt"
	"strings"
)

// Names of the files profiledir.Write writes.
const (
	SeccompFile      = "seccomp.json"
	CapabilitiesFile = "capabilities.json"
	FlagsFile        = "docker-run.flags"
	ReportFile       = "report.json"
	AppArmorFile     = "apparmor.profile"
	// RecordingFile holds the Recording itself, for tailor merge.
	RecordingFile = "recording.json"
)

// Written says where profiledir.Write put each file.
type Written struct {
	Dir          string // absolute
	Seccomp      string
	Capabilities string
	Flags        string
	Report       string
	AppArmor     string
	Recording    string
	// FlagsLine is the content of the flags file, without its newline.
	FlagsLine string
	// Kept are the user's edits of the profile files that were carried
	// into the new ones ("kept your edit: +ptrace in web/seccomp.json"),
	// EditNotes what needs a look about them (a new recording used what
	// an edit removed, edits that contradict each other).
	Kept      []string
	EditNotes []string
}

// AppArmorProblems reports an apparmor.profile that was written although
// the offline check found it does not fit the recording (a bug in tailor).
type AppArmorProblems struct {
	Path     string
	Problems []string
}

func (e *AppArmorProblems) Error() string {
	return fmt.Sprintf("%s does not fit the recording (a bug in tailor; report.json lists it): %s", e.Path, strings.Join(e.Problems, "; "))
}
