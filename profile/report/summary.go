package report

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	moby "github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/internal/sets"
	"github.com/tailorsec/tailor/profile/internal/text"
	"github.com/tailorsec/tailor/profile/runflags"
	"github.com/tailorsec/tailor/profile/seccomp"
)

// Summary is a profile at a glance, measured against what Docker gives
// every container by default: what `tailor record` prints when it ends
// and `tailor show` prints for saved profiles.
type Summary struct {
	Name  string
	Image string
	// Syscalls counts the syscalls the seccomp profile allows (by name,
	// with or without argument rules); DockerSyscalls those Docker's
	// default profile allows a container with the default capabilities on
	// the same architecture.
	Syscalls, DockerSyscalls int
	// Capabilities are the ones kept (--cap-add after --cap-drop=ALL), of
	// DockerCapabilities granted by default.
	Capabilities       []string
	DockerCapabilities int
	ReadOnly           runflags.ReadOnly
	Partial            bool
}

// Summarize measures the profile tailor writes for rec.
func Summarize(name string, rec *profile.Recording) Summary {
	s := Summary{
		Name:               name,
		Image:              rec.Container.Image,
		Capabilities:       profile.Capabilities(rec).Add,
		DockerCapabilities: len(profile.DockerDefaultCapabilities()),
		ReadOnly:           runflags.ReadOnlyRoot(rec),
		Partial:            rec.Partial,
	}
	allowed := map[string]bool{}
	for _, rule := range seccomp.New(rec).Syscalls {
		if rule.Action == specs.ActAllow {
			for _, n := range rule.Names {
				allowed[n] = true
			}
		}
	}
	s.Syscalls = len(allowed)
	s.DockerSyscalls = len(DockerDefaultSyscalls(rec.Host.Arch))
	return s
}

// DockerDefaultSyscalls are the syscalls Docker's default seccomp profile
// allows a container that has Docker's default capabilities, on goarch
// (GOARCH spelling; "" means every architecture's rules apply), sorted.
func DockerDefaultSyscalls(goarch string) []string {
	defaults := profile.DockerDefaultCapabilities()
	applies := func(f *moby.Filter, want bool) bool {
		if f == nil {
			return !want
		}
		if len(f.Arches) > 0 && goarch != "" && slices.Contains(f.Arches, goarch) {
			return true
		}
		for _, c := range f.Caps {
			if slices.Contains(defaults, c) {
				return true
			}
		}
		return false
	}
	var names []string
	for _, rule := range moby.DefaultProfile().Syscalls {
		if rule.Action != specs.ActAllow {
			continue
		}
		inc := rule.Includes
		if inc != nil && (len(inc.Arches) > 0 || len(inc.Caps) > 0) && !applies(inc, true) {
			continue
		}
		// Excludes only narrow the argument rules of syscalls that stay
		// allowed in another rule (clone), or drop a capability's rule.
		if rule.Excludes != nil && len(rule.Excludes.Caps) == 0 && applies(rule.Excludes, false) {
			continue
		}
		names = append(names, rule.Names...)
	}
	return sets.Sorted(names)
}

// WriteSummaryTable prints one row per profile: syscalls and capabilities
// against Docker's defaults, whether the root filesystem can be read-only.
func WriteSummaryTable(w io.Writer, summaries []Summary) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PROFILE\tIMAGE\tSYSCALLS\tCAPABILITIES\tREAD-ONLY ROOT")
	for _, s := range summaries {
		name := s.Name
		if s.Partial {
			name += " (partial)"
		}
		caps := fmt.Sprintf("%d of %d", len(s.Capabilities), s.DockerCapabilities)
		if n := len(s.Capabilities); n > 0 && n <= 3 { // more are in the flags
			caps += ": " + ShortCapabilities(s.Capabilities)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d of %d\t%s\t%s\n", text.TermSafe(name), text.TermSafe(s.Image),
			s.Syscalls, s.DockerSyscalls, caps, readOnlyWords(s.ReadOnly))
	}
	return tw.Flush()
}

// ShortCapabilities lists capabilities without their CAP_ prefix, as
// docker run --cap-add takes them.
func ShortCapabilities(caps []string) string {
	short := make([]string, len(caps))
	for i, c := range caps {
		short[i] = strings.TrimPrefix(c, "CAP_")
	}
	return strings.Join(short, " ")
}

func readOnlyWords(ro runflags.ReadOnly) string {
	switch {
	case !ro.Suggested:
		return "no"
	case len(ro.Tmpfs) == 0:
		return "yes"
	}
	return "yes, tmpfs " + strings.Join(ro.Tmpfs, " ")
}

// TermSafe escapes control characters and invalid UTF-8 in s, so that a
// hostile container name or label printed on a terminal cannot move the
// cursor or fake lines.
func TermSafe(s string) string { return text.TermSafe(s) }
