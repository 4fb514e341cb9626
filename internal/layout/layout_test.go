package layout

import (
	"go/build"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/tailorsec/tailor"

// pkg is one package of the module with what its non-test files import
// (imports) and what its tests import besides (testImports).
type pkg struct {
	path, dir            string
	imports, testImports []string
}

func modulePackages(t *testing.T) []pkg {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found from the test's directory: %v", err)
	}
	var out []pkg
	err = filepath.WalkDir(root, func(dir string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if name := d.Name(); dir != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "bin") {
			return filepath.SkipDir
		}
		bp, err := build.ImportDir(dir, build.ImportComment)
		if err != nil {
			if _, none := err.(*build.NoGoError); none {
				return nil
			}
			return err
		}
		rel, _ := filepath.Rel(root, dir)
		out = append(out, pkg{
			path:        strings.TrimSuffix(module+"/"+filepath.ToSlash(rel), "/."),
			dir:         dir,
			imports:     bp.Imports,
			testImports: append(slices.Clone(bp.TestImports), bp.XTestImports...),
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 10 {
		t.Fatalf("found only %d packages under %s", len(out), root)
	}
	return out
}

func under(path, prefix string) bool { return path == prefix || strings.HasPrefix(path, prefix+"/") }

// The profile packages are pure Go: no kernel, no Docker daemon, nothing
// of tailor's that has either. Their tests may run programs
// (apparmor_parser) but not the recorder.
func TestProfileTouchesNoKernelAndNoDocker(t *testing.T) {
	forbidden := []string{
		"github.com/cilium/ebpf", "github.com/docker/docker/client",
		module + "/tracer", module + "/recorder", module + "/bpf", module + "/cmd", module + "/internal",
		"os/exec", "syscall", "golang.org/x/sys/unix",
	}
	for _, p := range modulePackages(t) {
		if !under(p.path, module+"/profile") {
			continue
		}
		for _, imp := range p.imports {
			for _, f := range forbidden {
				if under(imp, f) {
					t.Errorf("%s imports %s", p.path, imp)
				}
			}
		}
		for _, imp := range p.testImports {
			for _, f := range forbidden[:6] {
				if under(imp, f) {
					t.Errorf("the tests of %s import %s", p.path, imp)
				}
			}
		}
	}
}

// Only bpf, tracer and its test support load BPF; only tracer talks to
// Docker's API (the CLI's end-to-end tests use the docker command).
func TestOnlyTracerTouchesBPFAndDocker(t *testing.T) {
	for _, p := range modulePackages(t) {
		for _, imp := range p.imports {
			if under(imp, "github.com/cilium/ebpf") && p.path != module+"/bpf" && !under(p.path, module+"/tracer") {
				t.Errorf("%s imports %s: only bpf and tracer load BPF programs", p.path, imp)
			}
			if under(imp, "github.com/docker/docker/client") && p.path != module+"/tracer" {
				t.Errorf("%s imports %s: only tracer talks to Docker's API", p.path, imp)
			}
		}
	}
}

// profileRank orders the profile packages: each may import only packages
// of a lower rank (shared types at the bottom, as in runc's
// libcontainer/configs), so the seccomp and AppArmor emitters never
// depend on the reports, and the core on none of them.
var profileRank = map[string]int{
	"profile/internal/sets": 0, "profile/internal/text": 0, "profile/internal/jsonfile": 0, "profile/change": 0,
	"profile":         1,
	"profile/seccomp": 2, "profile/apparmor": 2, "profile/profiletest": 2,
	"profile/runflags":   3, // names the AppArmor profile
	"profile/report":     4,
	"profile/profiledir": 5,
	"profile/diff":       6, "profile/convert": 6, "profile/review": 6,
}

func TestProfilePackagesImportDownwards(t *testing.T) {
	for _, p := range modulePackages(t) {
		rel := strings.TrimPrefix(p.path, module+"/")
		if !under(rel, "profile") {
			continue
		}
		rank, ok := profileRank[rel]
		if !ok {
			t.Errorf("%s has no rank in profileRank: say where it sits in the layout", rel)
			continue
		}
		for _, imp := range p.imports {
			irel, ours := strings.CutPrefix(imp, module+"/")
			if !ours || !under(irel, "profile") {
				continue
			}
			if r, ok := profileRank[irel]; ok && r >= rank {
				t.Errorf("%s (rank %d) imports %s (rank %d): the profile packages import only those below them", rel, rank, irel, r)
			}
		}
	}
}

// Every package says what it owns in a doc.go.
func TestEveryPackageHasADocGo(t *testing.T) {
	for _, p := range modulePackages(t) {
		data, err := os.ReadFile(filepath.Join(p.dir, "doc.go"))
		if err != nil {
			t.Errorf("%s has no doc.go", p.path)
			continue
		}
		if !strings.Contains(string(data), "// Package ") && !strings.Contains(string(data), "// Command ") {
			t.Errorf("%s: doc.go does not start a package comment (\"// Package NAME ...\")", p.path)
		}
	}
}

// enforce/harden is pure like the profile packages (a profile applied to
// a create request, Docker's API types but not its client, no network);
// enforce/proxy speaks HTTP to the daemon and knows nothing of profiles:
// cmd/tailor joins them.
func TestEnforcePackages(t *testing.T) {
	rules := map[string][]string{
		module + "/enforce/harden": {
			"github.com/cilium/ebpf", "github.com/docker/docker/client",
			module + "/tracer", module + "/recorder", module + "/bpf", module + "/cmd", module + "/internal", module + "/enforce/proxy",
			"os/exec", "syscall", "golang.org/x/sys/unix", "net",
		},
		module + "/enforce/proxy": {
			"github.com/cilium/ebpf", "github.com/docker/docker", module + "/",
		},
	}
	for _, p := range modulePackages(t) {
		forbidden, ok := rules[p.path]
		if !ok {
			continue
		}
		for _, imp := range p.imports {
			for _, f := range forbidden {
				if under(imp, f) || (strings.HasSuffix(f, "/") && strings.HasPrefix(imp, f)) {
					t.Errorf("%s imports %s", p.path, imp)
				}
			}
		}
	}
}
