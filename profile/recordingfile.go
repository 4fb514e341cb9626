package profile

// recording.json keeps the Recording a profile was made from, exactly, so
// that `tailor merge` can unite runs without losing anything the other
// files round off (report.json adds verdicts and warnings and drops what
// only the emitters need: argument values, name-only paths, whether
// capability checks were recorded).

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/tailorsec/tailor/profile/internal/jsonfile"
	"github.com/tailorsec/tailor/profile/internal/text"
)

// RecordingSchemaVersion is the version of recording.json's layout.
const RecordingSchemaVersion = 1

// recordingDoc is what recording.json holds.
type recordingDoc struct {
	SchemaVersion int        `json:"schema_version"`
	Recording     *Recording `json:"recording"`
}

// MarshalRecording renders rec, normalized, as recording.json.
func MarshalRecording(rec *Recording) ([]byte, error) {
	return jsonfile.Marshal(recordingDoc{SchemaVersion: RecordingSchemaVersion, Recording: Normalized(rec)})
}

// ParseRecording reads recording.json. It refuses unknown fields, another
// schema version and values no recorder writes (architectures, access
// kinds, argument indices), so that a damaged or hand-made file is an error
// rather than a wrong profile.
func ParseRecording(data []byte) (*Recording, error) {
	var doc recordingDoc
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %w", RecordingFile, jsonfile.Error(data, err))
	}
	if dec.More() {
		return nil, fmt.Errorf("%s: data after the JSON object", RecordingFile)
	}
	if doc.SchemaVersion != RecordingSchemaVersion {
		return nil, fmt.Errorf("%s: schema_version %d, this tailor reads %d", RecordingFile, doc.SchemaVersion, RecordingSchemaVersion)
	}
	rec := doc.Recording
	if rec == nil {
		return nil, fmt.Errorf("%s: no \"recording\"", RecordingFile)
	}
	if err := validateRecording(rec); err != nil {
		return nil, fmt.Errorf("%s: %w", RecordingFile, err)
	}
	Normalize(rec)
	return rec, nil
}

func validateRecording(rec *Recording) error {
	arch := func(a Arch) error {
		if !knownArch(a) {
			return fmt.Errorf("unknown architecture %q", a)
		}
		return nil
	}
	for _, s := range rec.Syscalls {
		if err := arch(s.Arch); err != nil {
			return err
		}
		if s.Source != SourceWorkload && s.Source != SourceRuntime {
			return fmt.Errorf("syscall %s: unknown source %q", s.Name, s.Source)
		}
	}
	for _, a := range rec.SyscallArgs {
		if err := arch(a.Arch); err != nil {
			return err
		}
		if a.Syscall == "" {
			return errors.New("argument values without a syscall name")
		}
		if a.Index < 0 || a.Index > 5 {
			return fmt.Errorf("syscall %s: argument index %d (seccomp numbers them 0 to 5)", a.Syscall, a.Index)
		}
	}
	for _, f := range rec.Files {
		if f.Path == "" || strings.IndexByte(f.Path, 0) >= 0 {
			return fmt.Errorf("file path %q: empty or holding NUL", f.Path)
		}
		for _, a := range f.Access {
			if !knownAccess(a) {
				return fmt.Errorf("file %s: unknown access %q", text.DisplayPath(f.Path), a)
			}
		}
	}
	return nil
}

func knownAccess(a string) bool {
	switch a {
	case AccessRead, AccessWrite, AccessAppend, AccessCreate, AccessTruncate, AccessExec, AccessMmapExec,
		AccessUnlink, AccessRename, AccessMkdir, AccessRmdir, AccessLink, AccessSymlink, AccessChmod,
		AccessChown, AccessLock, AccessConnect, AccessOpenCreate:
		return true
	}
	return false
}

// JSON cannot hold bytes that are not UTF-8: encoding/json turns them into
// U+FFFD. Paths come from the kernel and may hold any byte but NUL, so a
// path that is not UTF-8 is also written in base64 (as report.json does),
// and read back from there.

type fileAccessJSON struct {
	Path       string   `json:"path"`
	PathBase64 string   `json:"path_base64,omitempty"`
	Access     []string `json:"access"`
	Mount      string   `json:"mount,omitempty"`
	MountPoint string   `json:"mount_point,omitempty"`
	NameOnly   bool     `json:"name_only,omitempty"`
}

// MarshalJSON adds path_base64 for a path that is not UTF-8.
func (f FileAccess) MarshalJSON() ([]byte, error) {
	return json.Marshal(fileAccessJSON{Path: f.Path, PathBase64: jsonfile.RawBase64(f.Path), Access: f.Access,
		Mount: f.Mount, MountPoint: f.MountPoint, NameOnly: f.NameOnly})
}

// UnmarshalJSON takes the path from path_base64 when it is there.
func (f *FileAccess) UnmarshalJSON(data []byte) error {
	var j fileAccessJSON
	if err := decodeStrict(data, &j); err != nil {
		return err
	}
	path, err := fromRawBase64(j.Path, j.PathBase64, "path_base64")
	if err != nil {
		return err
	}
	*f = FileAccess{Path: path, Access: j.Access, Mount: j.Mount, MountPoint: j.MountPoint, NameOnly: j.NameOnly}
	return nil
}

type mountUseJSON struct {
	Source       string `json:"source,omitempty"`
	Target       string `json:"target"`
	TargetBase64 string `json:"target_base64,omitempty"`
	FSType       string `json:"fstype,omitempty"`
	Flags        uint64 `json:"flags,omitempty"`
}

// MarshalJSON adds target_base64 for a target that is not UTF-8.
func (m MountUse) MarshalJSON() ([]byte, error) {
	return json.Marshal(mountUseJSON{Source: m.Source, Target: m.Target, TargetBase64: jsonfile.RawBase64(m.Target),
		FSType: m.FSType, Flags: m.Flags})
}

// UnmarshalJSON takes the target from target_base64 when it is there.
func (m *MountUse) UnmarshalJSON(data []byte) error {
	var j mountUseJSON
	if err := decodeStrict(data, &j); err != nil {
		return err
	}
	target, err := fromRawBase64(j.Target, j.TargetBase64, "target_base64")
	if err != nil {
		return err
	}
	*m = MountUse{Source: j.Source, Target: target, FSType: j.FSType, Flags: j.Flags}
	return nil
}

// fromRawBase64 is the string a field and its base64 copy (named field)
// stand for: the copy's bytes when there is one.
func fromRawBase64(plain, encoded, field string) (string, error) {
	if encoded == "" {
		return plain, nil
	}
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return plain, fmt.Errorf("%s: %w", field, err)
	}
	return string(raw), nil
}

// decodeStrict decodes one JSON value, refusing unknown fields.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

type execIdentityJSON struct {
	Path       string `json:"path"`
	PathBase64 string `json:"path_base64,omitempty"`
	UID        uint32 `json:"uid"`
	GID        uint32 `json:"gid"`
}

// MarshalJSON adds path_base64 for a program path that is not UTF-8.
func (e ExecIdentity) MarshalJSON() ([]byte, error) {
	return json.Marshal(execIdentityJSON{Path: e.Path, PathBase64: jsonfile.RawBase64(e.Path), UID: e.UID, GID: e.GID})
}

// UnmarshalJSON takes the path from path_base64 when it is there.
func (e *ExecIdentity) UnmarshalJSON(data []byte) error {
	var j execIdentityJSON
	if err := decodeStrict(data, &j); err != nil {
		return err
	}
	path, err := fromRawBase64(j.Path, j.PathBase64, "path_base64")
	if err != nil {
		return err
	}
	*e = ExecIdentity{Path: path, UID: j.UID, GID: j.GID}
	return nil
}

type rootOnlyAccessJSON struct {
	Path       string `json:"path"`
	PathBase64 string `json:"path_base64,omitempty"`
	Access     string `json:"access"`
	Owner      uint32 `json:"owner"`
	Mode       uint32 `json:"mode"`
}

// MarshalJSON adds path_base64 for a path that is not UTF-8.
func (a RootOnlyAccess) MarshalJSON() ([]byte, error) {
	return json.Marshal(rootOnlyAccessJSON{Path: a.Path, PathBase64: jsonfile.RawBase64(a.Path), Access: a.Access,
		Owner: a.Owner, Mode: a.Mode})
}

// UnmarshalJSON takes the path from path_base64 when it is there.
func (a *RootOnlyAccess) UnmarshalJSON(data []byte) error {
	var j rootOnlyAccessJSON
	if err := decodeStrict(data, &j); err != nil {
		return err
	}
	path, err := fromRawBase64(j.Path, j.PathBase64, "path_base64")
	if err != nil {
		return err
	}
	*a = RootOnlyAccess{Path: path, Access: j.Access, Owner: j.Owner, Mode: j.Mode}
	return nil
}
