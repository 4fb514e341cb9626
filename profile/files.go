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
