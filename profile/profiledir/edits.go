package profiledir

// A user's edits live in the profile files themselves: whatever
// seccomp.json, capabilities.json, docker-run.flags or apparmor.profile
// says that the recording beside it (recording.json) does not render is
// the user's edit. Writing a profile into a directory that already holds
// one (tailor record -o, check -o, merge -o, recorder.Result.Write), and
// merging directories, carries those edits into the new files: what an
// edit added stays added, what it removed stays removed.
//
// Each kind of file is read as a multiset of items (a syscall rule per
// name, an architecture, a capability of one list, a flag, an AppArmor
// line); an edit is an item the file has and the rendering lacks (+) or
// the other way round (-). Some items have a key and one value (seccomp's
// defaultAction, --memory, the AppArmor profile line): a + of one
// replaces whatever value the new rendering has.
//
// written.json remembers what tailor wrote (a digest of each file, of what
// it rendered, and the edits it carried), so that a file nobody touched
// since keeps exactly those edits even when a newer tailor renders the
// same recording differently.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	moby "github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/internal/jsonfile"
)

// WrittenFile is where a profile directory records what tailor wrote.
const WrittenFile = "written.json"

// editableFiles are the files whose hand edits tailor carries over, in
// writing order.
var editableFiles = []string{profile.SeccompFile, profile.AppArmorFile, profile.CapabilitiesFile, profile.FlagsFile}

// Edit is one of a user's edits to a profile file.
type Edit struct {
	File string `json:"-"`
	// Op is "+" (the file has Item, the recording does not render it) or
	// "-" (the other way round).
	Op string `json:"op"`
	// Item is the canonical form of what was added or removed: a seccomp
	// rule for one name as JSON, "arch NAME", "add CAP_X", a flag
	// --name=value, an AppArmor line without its comment.
	Item string `json:"item"`
	// Section is where an AppArmor line is: preamble, header (the profile
	// line), body, after (past the profile's closing brace).
	Section string `json:"section,omitempty"`
	// Text is an added AppArmor line as the user wrote it, and Comment the
	// comment lines written right above it.
	Text    string `json:"text,omitempty"`
	Comment string `json:"comment,omitempty"`
}

func (e Edit) key() string { return e.Section + "\x00" + e.Item }

// String is the edit as tailor prints it: +ptrace, -CAP_CHOWN.
func (e Edit) String() string {
	if e.File == profile.FlagsFile {
		return e.Op + " " + e.Item // "- --read-only"
	}
	return e.Op + describeItem(e.File, e.Item)
}

// item is one element of a file read as a multiset.
type item struct {
	Item, Section, Text, Comment string
}

func (i item) key() string { return i.Section + "\x00" + i.Item }

// itemsOf reads a file of kind as items, refusing a file tailor could not
// use (the error names the line where it can).
func itemsOf(kind string, data []byte) ([]item, error) {
	switch kind {
	case profile.SeccompFile:
		return seccompItems(data)
	case profile.CapabilitiesFile:
		return capabilityItems(data)
	case profile.FlagsFile:
		return flagItems(data)
	case profile.AppArmorFile:
		return appArmorItems(data)
	}
	return nil, fmt.Errorf("no edits for %s", kind)
}

// singleKey is the key of an item that has one value per file ("" for an
// item of a set).
func singleKey(kind string, it item) string {
	switch kind {
	case profile.SeccompFile:
		if strings.HasPrefix(it.Item, "default ") {
			return "default"
		}
	case profile.FlagsFile:
		return flagKey(it.Item)
	case profile.AppArmorFile:
		if it.Section == sectionHeader {
			return sectionHeader
		}
	}
	return ""
}

func describeItem(kind, it string) string {
	switch kind {
	case profile.SeccompFile:
		return describeSeccompItem(it)
	case profile.CapabilitiesFile:
		list, c, _ := strings.Cut(it, " ")
		if list == "add" {
			return c
		}
		return c + " (in " + list + ")"
	}
	return it
}

// diffItems is what file has that rendered lacks (+) and the other way
// round (-), as edits of kind.
func diffItems(kind string, file, rendered []item) []Edit {
	count := map[string]int{}
	for _, it := range rendered {
		count[it.key()]++
	}
	var edits []Edit
	var added []item
	for _, it := range file {
		if count[it.key()] > 0 {
			count[it.key()]--
			continue
		}
		added = append(added, it)
	}
	addedKeys := map[string]bool{}
	for _, it := range added {
		addedKeys[singleKey(kind, it)] = true
		edits = append(edits, Edit{File: kind, Op: "+", Item: it.Item, Section: it.Section, Text: it.Text, Comment: it.Comment})
	}
	fileCount := map[string]int{}
	for _, it := range file {
		fileCount[it.key()]++
	}
	for _, it := range rendered {
		if fileCount[it.key()] > 0 {
			fileCount[it.key()]--
			continue
		}
		// A value replaced is its + alone: the + replaces whatever the
		// next rendering says.
		if k := singleKey(kind, it); k != "" && addedKeys[k] {
			continue
		}
		edits = append(edits, Edit{File: kind, Op: "-", Item: it.Item, Section: it.Section})
	}
	return edits
}

// applyItems applies edits to the items of a rendering: the items of the
// result (for the kinds that are rebuilt from items).
func applyItems(kind string, rendered []item, edits []Edit) []item {
	out := slices.Clone(rendered)
	plus := map[string]bool{}
	for _, e := range edits {
		if e.Op == "+" {
			plus[singleKey(kind, item{Item: e.Item, Section: e.Section})] = true
		}
	}
	for _, e := range edits {
		if e.Op != "-" {
			continue
		}
		k := singleKey(kind, item{Item: e.Item, Section: e.Section})
		if k != "" && !plus[k] {
			out = slices.DeleteFunc(out, func(it item) bool { return singleKey(kind, it) == k })
			continue
		}
		if i := slices.IndexFunc(out, func(it item) bool { return it.key() == e.key() }); i >= 0 {
			out = slices.Delete(out, i, i+1)
		}
	}
	for _, e := range edits {
		if e.Op != "+" {
			continue
		}
		it := item{Item: e.Item, Section: e.Section, Text: e.Text, Comment: e.Comment}
		if k := singleKey(kind, it); k != "" {
			sameKey := func(o item) bool { return singleKey(kind, o) == k }
			if i := slices.IndexFunc(out, sameKey); i >= 0 {
				out[i] = it
				out = append(out[:i+1], slices.DeleteFunc(slices.Clone(out[i+1:]), sameKey)...)
				continue
			}
		}
		if !slices.ContainsFunc(out, func(o item) bool { return o.key() == it.key() }) {
			out = append(out, it)
		}
	}
	return out
}

// source is a profile directory whose edits a write carries over.
type source struct {
	dir   string // as the user named it, for messages
	abs   string
	rec   *profile.Recording
	edits map[string][]Edit // by file
	notes []string
}

// writtenDoc is written.json.
type writtenDoc struct {
	About string                 `json:"about"`
	Files map[string]writtenFile `json:"files"`
}

type writtenFile struct {
	// Rendered is the digest of what tailor rendered from recording.json
	// (its items, so that the directory's place does not matter), Written
	// that of the file as written, edits included.
	Rendered string `json:"rendered"`
	Written  string `json:"written"`
	Edits    []Edit `json:"edits,omitempty"`
}

const writtenAbout = "what tailor wrote here, so that it tells your edits of the profile files from its own: edit those files, not this one"

func digest(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func itemsDigest(items []item) string {
	keys := make([]string, len(items))
	for i, it := range items {
		keys[i] = it.key()
	}
	slices.Sort(keys)
	return digest([]byte(strings.Join(keys, "\n")))
}

// hasEditable reports whether dir holds any file a user may have edited.
func hasEditable(dir string) bool {
	for _, f := range editableFiles {
		if st, err := os.Stat(filepath.Join(dir, f)); err == nil && st.Mode().IsRegular() {
			return true
		}
	}
	return false
}

// loadSource reads the edits of the profile in dir: nil when dir holds no
// profile file. Every file is checked; an error names the file (and the
// line where it can), and the caller writes nothing.
func loadSource(dir string) (*source, error) {
	if !hasEditable(dir) {
		return nil, nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	recPath := filepath.Join(dir, profile.RecordingFile)
	data, err := os.ReadFile(recPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s holds a profile but no %s, so tailor cannot tell your edits from what it wrote: nothing was written; write to another directory, or move that profile away", dir, profile.RecordingFile)
	}
	if err != nil {
		return nil, err
	}
	rec, err := profile.ParseRecording(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", recPath, err)
	}
	var doc *writtenDoc
	if wdata, err := os.ReadFile(filepath.Join(dir, WrittenFile)); err == nil {
		doc = &writtenDoc{}
		if err := json.Unmarshal(wdata, doc); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, WrittenFile), jsonfile.Error(wdata, err))
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	files, _, _, err := renderProfile(rec, filepath.Join(abs, profile.SeccompFile))
	if err != nil {
		return nil, err
	}
	rendered := map[string][]byte{}
	for _, f := range files {
		rendered[f.name] = f.data
	}
	src := &source{dir: dir, abs: abs, rec: rec, edits: map[string][]Edit{}}
	for _, kind := range editableFiles {
		path := filepath.Join(dir, kind)
		data, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		fileItems, err := itemsOf(kind, data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w (nothing was written: fix the file, or delete it to have tailor write it again)", path, err)
		}
		var w *writtenFile
		if doc != nil {
			if f, ok := doc.Files[kind]; ok {
				w = &f
			}
		}
		if w != nil && w.Written == digest(data) {
			for _, e := range w.Edits {
				e.File = kind
				src.edits[kind] = append(src.edits[kind], e)
			}
			continue
		}
		renderedItems, err := itemsOf(kind, rendered[kind])
		if err != nil {
			return nil, fmt.Errorf("%s rendered from %s: %w (a bug in tailor)", kind, recPath, err)
		}
		edits := diffItems(kind, fileItems, renderedItems)
		src.edits[kind] = edits
		if len(edits) == 0 {
			continue
		}
		switch {
		case w == nil:
			src.notes = append(src.notes, fmt.Sprintf("%s: tailor has no record (%s) of what it wrote there, so every difference from what this tailor renders from %s is taken as your edit; check them",
				path, WrittenFile, profile.RecordingFile))
		case w.Rendered != itemsDigest(renderedItems):
			src.notes = append(src.notes, fmt.Sprintf("%s: this tailor renders %s differently from the one that wrote the file, so the differences taken as your edits may include tailor's own changes; check them",
				path, profile.RecordingFile))
		}
	}
	return src, nil
}

// Edits reads the user's edits of the profile in dir: each file's
// difference from what its recording.json renders (as tailor merge and
// record carry them over), and notes on how sure that is.
func Edits(dir string) ([]Edit, []string, error) {
	src, err := loadSource(dir)
	if err != nil || src == nil {
		return nil, nil, err
	}
	var all []Edit
	for _, kind := range editableFiles {
		all = append(all, src.edits[kind]...)
	}
	return all, src.notes, nil
}

// fresh is a recording the profile being written is made from, and the
// source it came from (nil for a new recording): a removal is reported
// when a recording other than its own source's used what it removed.
type fresh struct {
	rec   *profile.Recording
	owner *source
}

// carryEdits applies the edits of sources to the rendered files, fills
// w.Kept and w.EditNotes, and returns the files to write with
// written.json's content.
func carryEdits(files []renderedFile, sources []*source, recs []fresh, w *profile.Written) ([]renderedFile, *writtenDoc, error) {
	doc := &writtenDoc{About: writtenAbout, Files: map[string]writtenFile{}}
	for _, s := range sources {
		w.EditNotes = append(w.EditNotes, s.notes...)
	}
	freshItems := make([]map[string]map[string]bool, len(recs))
	usedBy := func(i int, kind, key string) (bool, error) {
		if freshItems[i] == nil {
			rendered, _, _, err := renderProfile(recs[i].rec, filepath.Join(w.Dir, profile.SeccompFile))
			if err != nil {
				return false, err
			}
			freshItems[i] = map[string]map[string]bool{}
			for _, f := range rendered {
				if !slices.Contains(editableFiles, f.name) {
					continue
				}
				items, err := itemsOf(f.name, f.data)
				if err != nil {
					return false, err
				}
				freshItems[i][f.name] = map[string]bool{}
				for _, it := range items {
					freshItems[i][f.name][it.key()] = true
				}
			}
		}
		return freshItems[i][kind][key], nil
	}
	for fi, f := range files {
		kind := f.name
		if !slices.Contains(editableFiles, kind) {
			continue
		}
		pristine, err := itemsOf(kind, f.data)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w (a bug in tailor)", kind, err)
		}
		rendered := map[string]bool{}
		for _, it := range pristine {
			rendered[it.key()] = true
		}
		edits, from, notes := combineEdits(kind, sources)
		w.EditNotes = append(w.EditNotes, notes...)
		entry := writtenFile{Rendered: itemsDigest(pristine)}
		data := f.data
		if len(edits) > 0 {
			data, err = applyEdits(kind, f.data, edits)
			if err == nil {
				_, err = itemsOf(kind, data)
			}
			if err != nil {
				return nil, nil, fmt.Errorf("%s: your edits (%s) cannot be put into the new file: %w; nothing was written", kind, editList(edits), err)
			}
		}
		final, _ := itemsOf(kind, data)
		has := map[string]bool{}
		for _, it := range final {
			has[it.key()] = true
		}
		for _, e := range edits {
			where := sourcePaths(from[e.Op+e.key()], kind)
			also := ""
			if e.Op == "+" && rendered[e.key()] {
				also = " (the recording has it now too)"
			}
			w.Kept = append(w.Kept, fmt.Sprintf("kept your edit: %s in %s%s", e, where, also))
			if e.Op != "-" || has[e.key()] || allowedAnyway(kind, e, has) {
				continue
			}
			for i, r := range recs {
				if slices.Contains(from[e.Op+e.key()], r.owner) {
					continue
				}
				used, err := usedBy(i, kind, e.key())
				if err != nil {
					return nil, nil, err
				}
				if !used {
					continue
				}
				who := "the new recording"
				if r.owner != nil {
					who = "the recording of " + r.owner.dir
				}
				w.EditNotes = append(w.EditNotes, fmt.Sprintf("%s needs %s (tailor would write it), which your edit removed from %s: it stays removed (put it back in the file to have it)",
					who, describeItem(kind, e.Item), where))
				break
			}
		}
		entry.Edits = edits
		entry.Written = digest(data)
		doc.Files[kind] = entry
		files[fi].data = data
	}
	return files, doc, nil
}

func applyEdits(kind string, rendered []byte, edits []Edit) ([]byte, error) {
	switch kind {
	case profile.SeccompFile:
		return applySeccomp(rendered, edits)
	case profile.AppArmorFile:
		return applyAppArmor(rendered, edits)
	case profile.CapabilitiesFile:
		return applyCapabilities(rendered, edits)
	case profile.FlagsFile:
		return applyFlags(rendered, edits)
	}
	return nil, fmt.Errorf("no edits for %s", kind)
}

// allowedAnyway reports whether the result still allows what e removed
// through another item: a seccomp rule for a name the result allows with
// any argument.
func allowedAnyway(kind string, e Edit, has map[string]bool) bool {
	if kind != profile.SeccompFile {
		return false
	}
	s, ok := parseRuleItem(e.Item)
	if !ok || !seccompAllows(s.Action) {
		return false
	}
	plain := moby.Syscall{LinuxSyscall: specs.LinuxSyscall{Action: specs.ActAllow}}
	return has["\x00"+seccompRuleItem(&plain, s.Names[0])]
}

func seccompAllows(a specs.LinuxSeccompAction) bool { return a == specs.ActAllow || a == specs.ActLog }

// combineEdits gathers the edits of kind from every source, once each.
// Where sources contradict each other (one adds what another removes, or
// they set one value differently), the removal, or the first value, wins
// and a note says so.
func combineEdits(kind string, sources []*source) ([]Edit, map[string][]*source, []string) {
	var edits []Edit
	from := map[string][]*source{}
	for _, s := range sources {
		for _, e := range s.edits[kind] {
			k := e.Op + e.key()
			if _, ok := from[k]; !ok {
				edits = append(edits, e)
			}
			from[k] = append(from[k], s)
		}
	}
	var notes []string
	setBy := map[string]Edit{}
	edits = slices.DeleteFunc(edits, func(e Edit) bool {
		if e.Op != "+" {
			return false
		}
		if rm, ok := from["-"+e.key()]; ok {
			notes = append(notes, fmt.Sprintf("your edits contradict each other: %s adds %s, %s removes it: left out",
				sourcePaths(from["+"+e.key()], kind), describeItem(kind, e.Item), sourcePaths(rm, kind)))
			return true
		}
		if k := singleKey(kind, item{Item: e.Item, Section: e.Section}); k != "" {
			if first, ok := setBy[k]; ok {
				notes = append(notes, fmt.Sprintf("your edits contradict each other: %s has %s, %s has %s: kept the first",
					sourcePaths(from["+"+first.key()], kind), describeItem(kind, first.Item), sourcePaths(from["+"+e.key()], kind), describeItem(kind, e.Item)))
				return true
			}
			setBy[k] = e
		}
		return false
	})
	return edits, from, notes
}

func sourcePaths(srcs []*source, kind string) string {
	var p []string
	for _, s := range srcs {
		p = append(p, filepath.Join(s.dir, kind))
	}
	return strings.Join(p, ", ")
}

func editList(edits []Edit) string {
	var s []string
	for _, e := range edits {
		s = append(s, e.String())
	}
	return strings.Join(s, ", ")
}
