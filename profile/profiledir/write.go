package profiledir

// Profiles are written atomically, file by file: a crash or a full disk
// leaves either the previous file or the new one, never a truncated
// seccomp.json that dockerd would reject (or worse, half-parse) at the next
// docker run.

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/apparmor"
	"github.com/tailorsec/tailor/profile/internal/jsonfile"
	"github.com/tailorsec/tailor/profile/report"
	"github.com/tailorsec/tailor/profile/runflags"
	"github.com/tailorsec/tailor/profile/seccomp"
)

// Write creates dir (0755) and writes the profile for rec into
// it: seccomp.json, apparmor.profile, capabilities.json, docker-run.flags
// (which names seccomp.json by its absolute path), report.json,
// recording.json (the recording itself, which tailor merge reads) and
// written.json (what tailor wrote, see WrittenFile). When dir already
// holds a profile, the user's edits of its files (see Edits) are carried
// into the new ones, and Written.Kept and EditNotes say which; a file
// there that cannot be read is an error naming it, and nothing is written.
// When CheckAppArmor finds that the AppArmor profile would deny what was
// recorded, or expose what it must not, everything is still written (the
// problems are in report.json) and an *AppArmorProblems error says so: the
// recording is never lost, and the caller can refuse to call it a success.
// The emitters normalize a copy of rec; rec itself is not changed.
func Write(dir string, rec *profile.Recording) (profile.Written, error) {
	return write(dir, rec, nil, []fresh{{rec: rec}})
}

func write(dir string, rec *profile.Recording, sources []*source, recs []fresh) (profile.Written, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return profile.Written{}, fmt.Errorf("profile directory %s: %w", dir, err)
	}
	own, err := loadSource(dir)
	if err != nil {
		return profile.Written{}, err
	}
	if own != nil && !slices.ContainsFunc(sources, func(s *source) bool { return s.abs == own.abs }) {
		sources = append(sources, own)
	}
	w := profile.Written{
		Dir:          abs,
		Seccomp:      filepath.Join(abs, profile.SeccompFile),
		Capabilities: filepath.Join(abs, profile.CapabilitiesFile),
		Flags:        filepath.Join(abs, profile.FlagsFile),
		Report:       filepath.Join(abs, profile.ReportFile),
		AppArmor:     filepath.Join(abs, profile.AppArmorFile),
		Recording:    filepath.Join(abs, profile.RecordingFile),
	}
	files, _, problems, err := renderProfile(rec, w.Seccomp)
	if err != nil {
		return profile.Written{}, err
	}
	files, doc, err := carryEdits(files, sources, recs, &w)
	if err != nil {
		return profile.Written{}, err
	}
	docJSON, err := jsonfile.Marshal(doc)
	if err != nil {
		return profile.Written{}, fmt.Errorf("encode %s: %w", WrittenFile, err)
	}
	files = append(files, renderedFile{WrittenFile, docJSON})
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return profile.Written{}, fmt.Errorf("create profile directory: %w", err)
	}
	// seccomp.json and apparmor.profile go first, so that the flags never
	// name a profile that is not there yet.
	for _, f := range files {
		if err := WriteFileAtomic(filepath.Join(abs, f.name), f.data, 0o644); err != nil {
			return profile.Written{}, err
		}
		if f.name == profile.FlagsFile {
			w.FlagsLine = strings.TrimSuffix(string(f.data), "\n")
		}
	}
	if len(problems) > 0 {
		return w, &profile.AppArmorProblems{Path: w.AppArmor, Problems: problems}
	}
	return w, nil
}

type renderedFile struct {
	name string
	data []byte
}

// renderProfile produces the six files, in writing order, for a profile
// whose seccomp.json will be at seccompPath (apparmor.profile next to it).
func renderProfile(rec *profile.Recording, seccompPath string) ([]renderedFile, string, []string, error) {
	rec = profile.Normalized(rec)
	caps := profile.Capabilities(rec)
	apparmorPath := filepath.Join(filepath.Dir(seccompPath), profile.AppArmorFile)

	aaText := apparmor.New(rec).Render()
	problems := apparmor.Check(rec, aaText)
	seccompJSON, err := seccomp.Marshal(seccomp.New(rec))
	if err != nil {
		return nil, "", nil, fmt.Errorf("encode %s: %w", profile.SeccompFile, err)
	}
	capsJSON, err := profile.MarshalCapabilities(caps)
	if err != nil {
		return nil, "", nil, fmt.Errorf("encode %s: %w", profile.CapabilitiesFile, err)
	}
	reportJSON, err := report.Marshal(report.NewAt(rec, caps, apparmorPath))
	if err != nil {
		return nil, "", nil, fmt.Errorf("encode %s: %w", profile.ReportFile, err)
	}
	recordingJSON, err := profile.MarshalRecording(rec)
	if err != nil {
		return nil, "", nil, fmt.Errorf("encode %s: %w", profile.RecordingFile, err)
	}
	line := runflags.Line(runflags.New(rec, caps, seccompPath))
	return []renderedFile{
		{profile.SeccompFile, seccompJSON},
		{profile.AppArmorFile, aaText},
		{profile.CapabilitiesFile, capsJSON},
		{profile.FlagsFile, []byte(line + "\n")},
		{profile.ReportFile, reportJSON},
		{profile.RecordingFile, recordingJSON},
	}, line, problems, nil
}

// WriteFileAtomic writes data to path so that readers see either the old
// file or the whole new one: it writes a temporary file in the same
// directory, syncs it, and renames it over path. On error the temporary file
// is removed and path is untouched.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			err = fmt.Errorf("write %s: %w", path, err)
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	// CreateTemp makes the file 0600; the caller's mode is set explicitly,
	// so it does not depend on the umask either.
	if err = tmp.Chmod(perm); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// syncDir makes a rename durable. It is best effort: some filesystems do not
// support syncing a directory, and the file is complete either way.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}
