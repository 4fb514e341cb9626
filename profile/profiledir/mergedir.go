package profiledir

// tailor merge unites profile directories written by tailor record (test
// shards, replicas, several runs) through their recording.json: the merged
// profile is made from the union of the recordings by the same emitters as
// any other, so it allows what any input needed and nothing more, then
// the user's edits of each input's files (and of OUT's, when it already
// holds a profile) are carried into it; each input's report.json is kept
// beside it under inputs/.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/internal/sets"
	"github.com/tailorsec/tailor/profile/report"
)

// InputsDir is where a merged profile keeps its inputs' reports.
const InputsDir = "inputs"

// MergeResult describes one merged profile directory.
type MergeResult struct {
	Name    string   // the container's directory name ("" for single profile directories)
	Inputs  []string // the input directories merged, in order
	Written profile.Written
}

// Merge merges the profiles in inputs into out. The inputs are
// either all profile directories (merged into out itself) or all
// directories of profile directories (merged by name into out/NAME; a name
// only some inputs have is copied from those). An *AppArmorProblems error
// leaves the profiles written, as Write does.
func Merge(inputs []string, out string) ([]MergeResult, error) {
	if len(inputs) == 0 {
		return nil, errors.New("nothing to merge")
	}
	singles := 0
	for _, in := range inputs {
		st, err := os.Stat(in)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("%s is not a directory: merge takes profile directories as tailor record writes them", in)
		}
		if IsDir(in) {
			singles++
		}
	}
	groups := map[string][]string{}
	switch singles {
	case len(inputs):
		groups[""] = inputs
	case 0:
		for _, in := range inputs {
			entries, err := os.ReadDir(in)
			if err != nil {
				return nil, err
			}
			n := 0
			for _, e := range entries {
				if sub := filepath.Join(in, e.Name()); e.IsDir() && IsDir(sub) {
					groups[e.Name()] = append(groups[e.Name()], sub)
					n++
				}
			}
			if n == 0 {
				return nil, fmt.Errorf("%s holds no profile directories", in)
			}
		}
	default:
		return nil, errors.New("give either profile directories (out/NAME) or directories of them (out), not both")
	}

	var results []MergeResult
	var problems []error
	for _, name := range sets.SortedKeys(groups) {
		dirs := groups[name]
		var recs []*profile.Recording
		var reports [][]byte
		var sources []*source
		var freshRecs []fresh
		for _, d := range dirs {
			data, err := os.ReadFile(filepath.Join(d, profile.RecordingFile))
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("%s has no %s (written by tailor record since it learned merging): record it again", d, profile.RecordingFile)
			}
			if err != nil {
				return nil, err
			}
			rec, err := profile.ParseRecording(data)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", d, err)
			}
			recs = append(recs, rec)
			src, err := loadSource(d)
			if err != nil {
				return nil, err
			}
			if src != nil {
				sources = append(sources, src)
			}
			freshRecs = append(freshRecs, fresh{rec: rec, owner: src})
			reportJSON, err := os.ReadFile(filepath.Join(d, profile.ReportFile))
			if err == nil {
				if _, err = report.Parse(reportJSON); err != nil {
					return nil, fmt.Errorf("%s: %w", d, err)
				}
			} else if !errors.Is(err, os.ErrNotExist) {
				return nil, err
			}
			reports = append(reports, reportJSON)
		}
		merged := profile.MergeRecordings(recs...)
		if len(recs) > 1 {
			merged = profile.CloneRecording(merged)
			merged.Warnings = append(merged.Warnings, fmt.Sprintf("merged by tailor merge from %s (their reports are in %s/)",
				strings.Join(dirs, ", "), InputsDir))
			profile.Normalize(merged)
		}
		dir := filepath.Join(out, name)
		w, err := write(dir, merged, sources, freshRecs)
		var misfit *profile.AppArmorProblems
		if errors.As(err, &misfit) {
			problems = append(problems, err)
		} else if err != nil {
			return results, err
		}
		if err := keepInputReports(dir, dirs, reports); err != nil {
			return results, err
		}
		results = append(results, MergeResult{Name: name, Inputs: dirs, Written: w})
	}
	return results, errors.Join(problems...)
}

var unsafeNameBytes = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// keepInputReports writes each input's report.json to dir/inputs/ as
// N-LABEL.report.json, replacing what an earlier merge left there.
func keepInputReports(dir string, inputs []string, reports [][]byte) error {
	keep := filepath.Join(dir, InputsDir)
	if old, err := filepath.Glob(filepath.Join(keep, "*.report.json")); err == nil {
		for _, f := range old {
			os.Remove(f)
		}
	}
	if !slices.ContainsFunc(reports, func(r []byte) bool { return r != nil }) {
		return nil
	}
	if err := os.MkdirAll(keep, 0o755); err != nil {
		return err
	}
	for i, in := range inputs {
		if reports[i] == nil {
			continue
		}
		label := strings.Trim(unsafeNameBytes.ReplaceAllString(filepath.ToSlash(filepath.Clean(in)), "_"), "_.")
		if len(label) > 80 {
			label = label[len(label)-80:]
		}
		name := fmt.Sprintf("%d-%s.report.json", i+1, label)
		if err := WriteFileAtomic(filepath.Join(keep, name), reports[i], 0o644); err != nil {
			return err
		}
	}
	return nil
}

// FromRecording renders the profile tailor record would write for
// rec, with seccomp.json at seccompPath, and reads it back: what check
// compares with a baseline is byte for byte what record writes.
func FromRecording(name string, rec *profile.Recording, seccompPath string) (*Profile, error) {
	files, _, _, err := renderProfile(rec, seccompPath)
	if err != nil {
		return nil, err
	}
	p := &Profile{Name: name, Path: filepath.Dir(seccompPath)}
	for _, f := range files {
		if err := p.parse(f.name, f.data); err != nil {
			return nil, fmt.Errorf("%s: %w (a bug in tailor)", f.name, err)
		}
	}
	return p, nil
}
