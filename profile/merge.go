package profile

import (
	"fmt"
	"slices"
	"strings"
)

// MergeRecordings unites recordings of the same workload (one container
// recreated under the same name, replicas, test shards) into one that allows
// everything any of them needed: syscalls and capability checks are summed,
// a syscall that any input made as workload stays workload; files (their
// accesses merged per path), sockets, signals, ptrace requests and mounts
// are united, and file access counts as recorded only if it was in every
// input. Learned argument values are united per argument (see
// unionLearnedArgs): the merged profile allows each value some input needed,
// not the loosest of the inputs' rules. The result describes the first
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
	out.Mounts = nil
	out.ContainerMounts = nil

	type sysKey struct {
		arch Arch
		nr   int
	}
	syscalls := map[sysKey]*SyscallUse{}
	caps := map[string]*CapabilityUse{}
	var ids []string
	for _, r := range recs {
		ids = append(ids, shortID(r.Container.ID))
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
		out.Mounts = append(out.Mounts, r.Mounts...)
		out.ContainerMounts = append(out.ContainerMounts, r.ContainerMounts...)
	}
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

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
