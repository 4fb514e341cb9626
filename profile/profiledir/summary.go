package profiledir

import (
	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/report"
	"github.com/tailorsec/tailor/profile/runflags"
)

// Summarize is report.Summarize for the profile in dir as its files are
// now, edits included: the syscalls its seccomp.json allows, the
// capabilities and --read-only of its docker-run.flags (or
// capabilities.json); rec is its recording.
func Summarize(name, dir string, rec *profile.Recording) (report.Summary, error) {
	s := report.Summarize(name, rec)
	p, err := Load(dir)
	if err != nil {
		return s, err
	}
	if p.Seccomp != nil {
		allowed := map[string]bool{}
		for _, rule := range p.Seccomp.Syscalls {
			if rule.Action == specs.ActAllow {
				for _, n := range ruleNames(rule) {
					allowed[n] = true
				}
			}
		}
		s.Syscalls = len(allowed)
	}
	if p.Flags != nil || p.Capabilities != nil {
		s.Capabilities = p.AddedCapabilities()
	}
	if p.Flags != nil && p.Flags.ReadOnly != s.ReadOnly.Suggested {
		s.ReadOnly = runflags.ReadOnly{Suggested: p.Flags.ReadOnly, Tmpfs: p.Flags.Tmpfs}
	} else if p.Flags != nil && p.Flags.ReadOnly {
		s.ReadOnly.Tmpfs = p.Flags.Tmpfs
	}
	return s, nil
}
