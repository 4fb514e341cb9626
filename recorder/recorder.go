package recorder

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime/debug"
	"sync"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/profiledir"
	"github.com/tailorsec/tailor/tracer"
)

// Errors Start may wrap; test them with errors.Is.
var (
	// ErrUnsupported: the kernel cannot run the recorder (not root, no
	// BTF, too old, BPF locked down).
	ErrUnsupported = tracer.ErrUnsupported
	// ErrDocker: the Docker daemon does not answer.
	ErrDocker = tracer.ErrDocker
)

// Options choose what is recorded and how profiles are named. The zero
// value records every container that starts and names each profile by its
// Compose service or container name.
type Options struct {
	// Containers records only these containers, by name or id prefix;
	// they may already be running (their start is then missed).
	Containers []string
	// Match records only the containers it selects; the others are
	// dropped as soon as they are identified.
	Match profile.Match
	// NameBy names profiles when a container has no Compose service.
	// Containers with the same name are merged into one profile.
	NameBy profile.NameBy
	// MaxContainers bounds the containers recorded at the same time
	// (default 128).
	MaxContainers int
	// TailorVersion goes into every report; by default the version of the
	// tailor module this program was built with.
	TailorVersion string
	// Warnf receives problems as they happen (a slot shortage, a Docker
	// event stream that broke). Nil: they are only kept in the reports.
	Warnf func(format string, args ...any)
}

// Recorder is one recording, from Start to Stop.
type Recorder struct {
	session *tracer.Session
	nameBy  profile.NameBy

	stopOnce sync.Once
	result   *Result
	stopErr  error
}

// ContainerStatus is what a container has done so far.
type ContainerStatus = tracer.ContainerStatus

// Start loads the eBPF programs and starts recording: every container
// that starts from now on (and the running ones Options.Containers names)
// is recorded. Call Stop when done, also on failure paths (defer it): Stop
// is what releases the programs.
func Start(ctx context.Context, opts Options) (*Recorder, error) {
	if opts.MaxContainers == 0 {
		opts.MaxContainers = 128
	}
	if opts.MaxContainers < 0 {
		return nil, fmt.Errorf("recorder: MaxContainers %d is negative", opts.MaxContainers)
	}
	if opts.TailorVersion == "" {
		opts.TailorVersion = moduleVersion()
	}
	s, err := tracer.StartSession(ctx, tracer.SessionOptions{
		Containers:    opts.Containers,
		Match:         opts.Match,
		MaxContainers: opts.MaxContainers,
		TailorVersion: opts.TailorVersion,
		Warnf:         opts.Warnf,
	})
	if err != nil {
		return nil, err
	}
	return &Recorder{session: s, nameBy: opts.NameBy}, nil
}

// Status reports the containers recorded so far and what they did, for a
// progress display. It reads kernel counters: call it at most a few times
// a second.
func (r *Recorder) Status() []ContainerStatus { return r.session.Status() }

// ProfileName is the profile a container's recording goes into.
func (r *Recorder) ProfileName(c profile.Container) string { return r.nameBy.ProfileName(c) }

// Stop ends the recording, releases every BPF object and returns the
// profiles. Containers still running are included, marked partial. It is
// safe to call more than once (from a defer and from the test's happy
// path): later calls return what the first returned.
func (r *Recorder) Stop() (*Result, error) {
	r.stopOnce.Do(func() {
		recs, err := r.session.Stop()
		r.result = group(recs, r.nameBy)
		r.stopErr = err
	})
	return r.result, r.stopErr
}

// Result holds the profiles of one recording.
type Result struct {
	// Profiles are in the order their first container started.
	Profiles []Profile
}

// Profile is one profile: the recordings of every container with the same
// name, merged.
type Profile struct {
	// Name is the stable key: the Compose service, else what
	// Options.NameBy chose. It is a safe directory name.
	Name string
	// Recording is what the containers did, merged: the emitters in
	// under package profile turn it into seccomp, AppArmor, capabilities
	// and flags (seccomp.New, apparmor.New, profile.Capabilities,
	// runflags.New).
	Recording *profile.Recording
	// Containers are the recordings merged into Recording, one per
	// container.
	Containers []*profile.Recording
}

// Profile returns the profile with that name.
func (res *Result) Profile(name string) (Profile, bool) {
	for _, p := range res.Profiles {
		if p.Name == name {
			return p, true
		}
	}
	return Profile{}, false
}

func group(recs []*profile.Recording, nameBy profile.NameBy) *Result {
	res := &Result{}
	index := map[string]int{}
	for _, rec := range recs {
		name := nameBy.ProfileName(rec.Container)
		i, ok := index[name]
		if !ok {
			i = len(res.Profiles)
			index[name] = i
			res.Profiles = append(res.Profiles, Profile{Name: name})
		}
		res.Profiles[i].Containers = append(res.Profiles[i].Containers, rec)
	}
	for i := range res.Profiles {
		// A copy: MergeRecordings gives a single input back, and the
		// container's own recording keeps no profile name.
		merged := *profile.MergeRecordings(res.Profiles[i].Containers...)
		merged.ProfileName = res.Profiles[i].Name
		res.Profiles[i].Recording = &merged
	}
	return res
}

// Write writes every profile into dir/NAME (seccomp.json,
// apparmor.profile, capabilities.json, docker-run.flags, report.json,
// recording.json, written.json) and says where; a directory that already
// holds a profile keeps the user's edits of its files (profiledir.Write,
// Written.Kept). A profile whose AppArmor part fails
// tailor's own check is still written; the returned error then wraps
// *profile.AppArmorProblems for each. Any other error stops at the
// profile that failed.
func (res *Result) Write(dir string) ([]profile.Written, error) {
	var out []profile.Written
	var misfits []error
	for _, p := range res.Profiles {
		w, err := profiledir.Write(filepath.Join(dir, p.Name), p.Recording)
		var problems *profile.AppArmorProblems
		if errors.As(err, &problems) {
			misfits = append(misfits, fmt.Errorf("%s: %w", p.Name, err))
			err = nil
		}
		if err != nil {
			return out, fmt.Errorf("%s: %w", p.Name, err)
		}
		out = append(out, w)
	}
	return out, errors.Join(misfits...)
}

// moduleVersion is the version of the tailor module in this binary.
func moduleVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	const module = "github.com/tailorsec/tailor"
	if bi.Main.Path == module && bi.Main.Version != "" {
		return bi.Main.Version
	}
	for _, d := range bi.Deps {
		if d.Path == module {
			return d.Version
		}
	}
	return "unknown"
}
