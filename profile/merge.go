package profile

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tailorsec/tailor/profile/internal/text"
)

// MergeRecordings unites recordings of the same workload (one container
// recreated under the same name, replicas, test shards) into one that allows
// everything any of them needed: syscalls and capability checks are summed,
// a syscall that any input made as workload stays workload; files (their
// accesses merged per path), sockets, signals, ptrace requests and mounts
// are united, and file access counts as recorded only if it was in every
// input. Learned argument values are united per argument (see
// unionLearnedArgs): the merged profile allows each value some input needed,
// not the loosest of the inputs' rules. The resource peaks are the highest
// any input reached (an input that observed none does not count), so that
// the merged limits cover every input; the identity data are united (see
// mergeIdentity), so that --user is decided from all inputs: one that
// needed root makes the merge need root. The result describes the first
// recording's container and notes the others.
func MergeRecordings(recs ...*Recording) *Recording {
	switch len(recs) {
	case 0:
		return nil
	case 1:
		return recs[0]
	}
	out := *recs[0]
	out.Syscalls = nil
	out.SyscallArgs = unionLearnedArgs(recs)
	out.Capabilities = nil
	out.PrivilegedExecs = nil
	out.Warnings = nil
	out.Files = nil
	out.Sockets = nil
	out.SignalsSent = nil
	out.Ptrace = nil
	out.SharedMemory = nil
	out.Mounts = nil
	out.ContainerMounts = nil
	out.Resources = Resources{}
	var identityWarnings []string
	out.Identity, out.Config, identityWarnings = mergeIdentity(recs)

	type sysKey struct {
		arch Arch
		nr   int
	}
	syscalls := map[sysKey]*SyscallUse{}
	caps := map[string]*CapabilityUse{}
	var ids []string
	for _, r := range recs {
		ids = append(ids, text.ShortID(r.Container.ID))
		if r.Start.Before(out.Start) {
			out.Start = r.Start
		}
		if r.Stop.After(out.Stop) {
			out.Stop = r.Stop
			out.Container.ExitCode = r.Container.ExitCode
		}
		out.Partial = out.Partial || r.Partial
		out.StartMissed = out.StartMissed || r.StartMissed
		out.CapabilitiesRecorded = out.CapabilitiesRecorded && r.CapabilitiesRecorded
		out.FilesRecorded = out.FilesRecorded && r.FilesRecorded
		out.UnknownSyscalls += r.UnknownSyscalls
		out.EventsLost = max(out.EventsLost, r.EventsLost)
		if r.ArmedBy == ArmedByExec {
			out.ArmedBy = ArmedByExec // the least exact input decides
		}
		if r.SettingsUnknown != "" && recs[0].SettingsUnknown == "" {
			out.Warnings = append(out.Warnings, fmt.Sprintf("the settings of container %s are unknown (%s): the merge has those of the first recording", text.ShortID(r.Container.ID), r.SettingsUnknown))
		}
		if r.Learning.Seccomp != recs[0].Learning.Seccomp || r.Learning.NoNewPrivileges != recs[0].Learning.NoNewPrivileges {
			out.Warnings = append(out.Warnings, fmt.Sprintf("merged recordings ran with different security settings (seccomp %q vs %q)", recs[0].Learning.Seccomp, r.Learning.Seccomp))
		}
		for _, s := range r.Syscalls {
			k := sysKey{s.Arch, s.Number}
			if have := syscalls[k]; have != nil {
				have.Count += s.Count
				if s.Source == SourceWorkload {
					have.Source = SourceWorkload
				}
				continue
			}
			c := s
			syscalls[k] = &c
		}
		for _, c := range r.Capabilities {
			have := caps[c.Name]
			if have == nil {
				cp := c
				cp.Syscalls = slices.Clone(c.Syscalls)
				caps[c.Name] = &cp
				continue
			}
			have.Granted += c.Granted
			have.Denied += c.Denied
			have.NoAudit += c.NoAudit
			have.OtherUserNS += c.OtherUserNS
			have.Syscalls = append(have.Syscalls, c.Syscalls...)
		}
		out.PrivilegedExecs = append(out.PrivilegedExecs, r.PrivilegedExecs...)
		out.Warnings = append(out.Warnings, r.Warnings...)
		// Normalize merges the entries of one path; the copies keep it
		// from sorting the inputs' access lists.
		for _, f := range r.Files {
			f.Access = slices.Clone(f.Access)
			out.Files = append(out.Files, f)
		}
		out.Sockets = append(out.Sockets, r.Sockets...)
		out.SignalsSent = append(out.SignalsSent, r.SignalsSent...)
		out.Ptrace = append(out.Ptrace, r.Ptrace...)
		out.SharedMemory = append(out.SharedMemory, r.SharedMemory...)
		out.Mounts = append(out.Mounts, r.Mounts...)
		out.ContainerMounts = append(out.ContainerMounts, r.ContainerMounts...)
		out.Resources.PeakTasks = max(out.Resources.PeakTasks, r.Resources.PeakTasks)
		out.Resources.PeakMemoryBytes = max(out.Resources.PeakMemoryBytes, r.Resources.PeakMemoryBytes)
		out.Resources.PeakOpenFiles = max(out.Resources.PeakOpenFiles, r.Resources.PeakOpenFiles)
		out.Resources.OpenFilesLimit = max(out.Resources.OpenFilesLimit, r.Resources.OpenFilesLimit)
	}
	out.Warnings = append(out.Warnings, identityWarnings...)
	for _, s := range syscalls {
		out.Syscalls = append(out.Syscalls, *s)
	}
	for _, c := range caps {
		out.Capabilities = append(out.Capabilities, *c)
	}
	out.Warnings = append(out.Warnings, fmt.Sprintf("merged %d recordings of containers named %q (ids %s)", len(recs), out.Container.Name, strings.Join(ids, ", ")))
	Normalize(&out)
	return &out
}

// mergeIdentity unites who the inputs ran as, and the configuration
// UserSuggestion and ResourceLimits read, so that the merge needs root
// when any input did:
//
//   - the programs run (Execs) are united in the order the inputs list
//     them, the first time each (path, uid, gid) appears; when an input
//     did not record them (a recording by an older tailor), none are kept,
//     and whether root is needed is not known unless another input shows
//     it is;
//   - the accesses only root could make are united;
//   - --user is kept when every input ran with the same one; otherwise it
//     is dropped, and the programs' uids tell who ran;
//   - the limits the inputs ran with are the loosest of them (none when an
//     input had none): a limit is only kept as tighter than the suggestion
//     when every input ran under it.
//
// The rest of the configuration is the first input's.
func mergeIdentity(recs []*Recording) (Identity, ContainerConfig, []string) {
	var id Identity
	var warnings []string
	cfg := recs[0].Config
	cfg.Ulimits = slices.Clone(cfg.Ulimits)
	type execKey struct {
		path     string
		uid, gid uint32
	}
	seenExec := map[execKey]bool{}
	seenAccess := map[RootOnlyAccess]bool{}
	execsKnown := true
	var users []string
	for _, r := range recs {
		if len(r.Identity.Execs) == 0 {
			execsKnown = false
		}
		for _, e := range r.Identity.Execs {
			if k := (execKey{e.Path, e.UID, e.GID}); !seenExec[k] {
				seenExec[k] = true
				id.Execs = append(id.Execs, e)
			}
		}
		for _, a := range r.Identity.RootOnly {
			if !seenAccess[a] {
				seenAccess[a] = true
				id.RootOnly = append(id.RootOnly, a)
			}
		}
		if u := strings.TrimSpace(r.Config.User); !slices.Contains(users, u) {
			users = append(users, u)
		}
		cfg.PidsLimit = looserLimit(cfg.PidsLimit, r.Config.PidsLimit)
		cfg.MemoryBytes = looserLimit(cfg.MemoryBytes, r.Config.MemoryBytes)
		cfg.Ulimits = slices.DeleteFunc(cfg.Ulimits, func(u Ulimit) bool {
			i := slices.IndexFunc(r.Config.Ulimits, func(o Ulimit) bool { return strings.EqualFold(o.Name, u.Name) })
			return i < 0
		})
		for i, u := range cfg.Ulimits {
			for _, o := range r.Config.Ulimits {
				if strings.EqualFold(o.Name, u.Name) {
					cfg.Ulimits[i].Soft, cfg.Ulimits[i].Hard = looserUlimit(u.Soft, o.Soft), looserUlimit(u.Hard, o.Hard)
				}
			}
		}
	}
	if !execsKnown && len(id.Execs) > 0 {
		id.Execs = nil
		warnings = append(warnings, "some merged recordings did not record who their programs ran as: "+
			"whether the merged container needs root is known only from what the others used")
	}
	if len(users) > 1 {
		cfg.User = ""
		quoted := make([]string, len(users))
		for i, u := range users {
			quoted[i] = strconv.Quote(u)
		}
		warnings = append(warnings, fmt.Sprintf("merged recordings ran as different users (--user %s): "+
			"who the merged container runs as is decided from the programs each ran", strings.Join(quoted, ", ")))
	}
	if len(cfg.Ulimits) == 0 {
		cfg.Ulimits = nil
	}
	return id, cfg, warnings
}

// looserLimit is the looser of two limits, where 0 or less is none.
func looserLimit(a, b int64) int64 {
	if a <= 0 || b <= 0 {
		return 0
	}
	return max(a, b)
}

// looserUlimit is the looser of two ulimit values, where a negative one is
// unlimited.
func looserUlimit(a, b int64) int64 {
	if a < 0 || b < 0 {
		return NoLimit
	}
	return max(a, b)
}
