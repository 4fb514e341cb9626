package profiledir

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	moby "github.com/moby/profiles/seccomp"
	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/apparmor"
	"github.com/tailorsec/tailor/profile/internal/jsonfile"
	"github.com/tailorsec/tailor/profile/report"
	"github.com/tailorsec/tailor/profile/runflags"
	"github.com/tailorsec/tailor/profile/seccomp"
)

// Profile is one container's profile, parsed: the files of a profile
// directory (those present) or a single file.
type Profile struct {
	Name         string
	Path         string
	Seccomp      *moby.Seccomp
	AppArmor     *apparmor.Policy
	Capabilities *profile.CapabilitySet
	Flags        *runflags.Flags
	Recording    *profile.Recording
	Report       *report.Report
}

// Kinds are the kinds of file the profile has.
func (p *Profile) Kinds() []string {
	var k []string
	for _, x := range []struct {
		has  bool
		name string
	}{{p.Seccomp != nil, profile.SeccompFile}, {p.AppArmor != nil, profile.AppArmorFile}, {p.Capabilities != nil, profile.CapabilitiesFile},
		{p.Flags != nil, profile.FlagsFile}} {
		if x.has {
			k = append(k, x.name)
		}
	}
	return k
}

// profileFiles are the files that make a directory a profile directory.
var profileFiles = []string{profile.SeccompFile, profile.AppArmorFile, profile.CapabilitiesFile, profile.FlagsFile, profile.ReportFile, profile.RecordingFile}

// IsDir reports whether dir holds a profile (any of the files
// tailor writes).
func IsDir(dir string) bool {
	for _, f := range profileFiles {
		if st, err := os.Stat(filepath.Join(dir, f)); err == nil && st.Mode().IsRegular() {
			return true
		}
	}
	return false
}

// Load reads the profile files dir holds.
func Load(dir string) (*Profile, error) {
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
	case profile.SeccompFile:
		p.Seccomp, err = seccomp.Parse(data)
	case profile.AppArmorFile:
		p.AppArmor, err = apparmor.Parse(data)
	case profile.CapabilitiesFile:
		p.Capabilities, err = runflags.ParseCapabilities(data)
	case profile.FlagsFile:
		p.Flags, err = runflags.Parse(data)
	case profile.RecordingFile:
		p.Recording, err = profile.ParseRecording(data)
	case profile.ReportFile:
		p.Report, err = report.Parse(data)
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
			return "", fmt.Errorf("%s: %w", name, jsonfile.Error(trimmed, err))
		}
		switch {
		case fields["defaultAction"] != nil:
			return profile.SeccompFile, nil
		case fields["recording"] != nil:
			return profile.RecordingFile, nil
		case fields["add"] != nil:
			return profile.CapabilitiesFile, nil
		case fields["schema_version"] != nil && fields["syscalls"] != nil:
			return profile.ReportFile, nil
		}
		return "", fmt.Errorf("%s: JSON, but neither a seccomp profile nor capabilities.json", name)
	}
	if bytes.HasPrefix(trimmed, []byte("--")) {
		return profile.FlagsFile, nil
	}
	if bytes.Contains(data, []byte("{")) {
		return profile.AppArmorFile, nil
	}
	return "", fmt.Errorf("%s: not a profile file tailor knows (seccomp JSON, AppArmor, capabilities.json, docker-run.flags)", name)
}

// LoadFile reads one file of any of tailor's kinds.
func LoadFile(path string) (*Profile, error) {
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

// LoadAll reads path: a file, a profile directory, or a directory of
// profile directories (as tailor record -o writes). single is true for the
// first two; the profiles are then under their own name.
func LoadAll(path string) (profiles map[string]*Profile, single bool, err error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, false, err
	}
	if !st.IsDir() {
		p, err := LoadFile(path)
		if err != nil {
			return nil, false, err
		}
		return map[string]*Profile{p.Name: p}, true, nil
	}
	if IsDir(path) {
		p, err := Load(path)
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
		if !e.IsDir() || !IsDir(sub) {
			continue
		}
		p, err := Load(sub)
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
