package profile

// The recorder fills a Recording in whatever order events arrive (map
// iteration, per-CPU buffers). Every emitter works on a normalized copy, so
// the same observations always give byte-identical files, whatever order
// they came in and without the emitters changing their caller's Recording.

import (
	"cmp"
	"slices"
	"strings"

	"github.com/tailorsec/tailor/profile/internal/sets"
)

// Normalize sorts the Recording's slices in place: syscalls by arch, name,
// number and source; learned argument values by syscall and argument, one
// entry per argument with its values sorted and distinct; capabilities by name, each with its syscalls sorted and
// de-duplicated; privileged execs, warnings and the learning settings'
// capability lists sorted and de-duplicated; files by path, one entry per
// path with its accesses sorted and de-duplicated; sockets, signals, ptrace
// requests, mounts and container mounts sorted and de-duplicated.
func Normalize(rec *Recording) {
	slices.SortFunc(rec.Syscalls, compareSyscallUse)
	rec.SyscallArgs = normalizeLearnedArgs(rec.SyscallArgs)
	for i := range rec.Capabilities {
		rec.Capabilities[i].Syscalls = sets.SortedOrNil(rec.Capabilities[i].Syscalls)
	}
	slices.SortFunc(rec.Capabilities, compareCapabilityUse)
	rec.PrivilegedExecs = sets.SortedOrNil(rec.PrivilegedExecs)
	rec.Warnings = sets.SortedOrNil(rec.Warnings)
	rec.Learning.CapAdd = sets.SortedOrNil(rec.Learning.CapAdd)
	rec.Learning.CapDrop = sets.SortedOrNil(rec.Learning.CapDrop)

	rec.Files = normalizeFiles(rec.Files)
	slices.SortFunc(rec.Sockets, compareSocketUse)
	rec.Sockets = slices.Compact(rec.Sockets)
	rec.SignalsSent = sets.SortedOrNil(rec.SignalsSent)
	rec.Ptrace = sets.SortedOrNil(rec.Ptrace)
	rec.SharedMemory = sets.SortedOrNil(rec.SharedMemory)
	slices.SortFunc(rec.Mounts, compareMountUse)
	rec.Mounts = slices.Compact(rec.Mounts)
	slices.SortFunc(rec.ContainerMounts, compareContainerMount)
	rec.ContainerMounts = slices.Compact(rec.ContainerMounts)
}

// normalizeFiles sorts files by path and merges the entries of one path:
// their accesses united, the mount taken from the first that names one.
func normalizeFiles(files []FileAccess) []FileAccess {
	if len(files) == 0 {
		return files
	}
	slices.SortStableFunc(files, func(a, b FileAccess) int {
		return cmp.Or(strings.Compare(a.Path, b.Path), strings.Compare(a.Mount, b.Mount),
			strings.Compare(a.MountPoint, b.MountPoint))
	})
	out := files[:0]
	for _, f := range files {
		if n := len(out); n > 0 && out[n-1].Path == f.Path {
			last := &out[n-1]
			last.Access = append(last.Access, f.Access...)
			if last.Mount == "" {
				last.Mount, last.MountPoint = f.Mount, f.MountPoint
			}
			continue
		}
		out = append(out, f)
	}
	for i := range out {
		out[i].Access = sets.Sorted(out[i].Access)
	}
	return out
}

// Normalized returns rec in normal form: rec itself when it is in normal
// form already, else a normalized deep copy. A recording is normalized
// once where it enters (ParseRecording, MergeRecordings, the recorder);
// the emitters call Normalized so that a Recording built by hand gives
// the same files, and it costs them a check, not a copy and a sort each.
// Neither changes the recording it is given, so neither may its callers.
func Normalized(rec *Recording) *Recording {
	if isNormal(rec) {
		return rec
	}
	c := CloneRecording(rec)
	Normalize(c)
	return c
}

// isNormal reports whether Normalize would leave rec as it is. It demands
// a strict order wherever Normalize sorts: two entries that compare equal
// (which Normalize would merge, or might swap) send the caller to the
// copy, so that the answer never depends on the sort's tie-breaking.
func isNormal(rec *Recording) bool {
	strictStrings := func(s []string) bool { return strictlyIncreasing(s, strings.Compare) }
	if !strictlyIncreasing(rec.Syscalls, compareSyscallUse) ||
		!strictlyIncreasing(rec.Capabilities, compareCapabilityUse) ||
		!strictStrings(rec.PrivilegedExecs) || !strictStrings(rec.Warnings) ||
		!strictStrings(rec.Learning.CapAdd) || !strictStrings(rec.Learning.CapDrop) ||
		!strictlyIncreasing(rec.Sockets, compareSocketUse) ||
		!strictStrings(rec.SignalsSent) || !strictStrings(rec.Ptrace) || !strictStrings(rec.SharedMemory) ||
		!strictlyIncreasing(rec.Mounts, compareMountUse) ||
		!strictlyIncreasing(rec.ContainerMounts, compareContainerMount) {
		return false
	}
	for _, c := range rec.Capabilities {
		if !strictStrings(c.Syscalls) {
			return false
		}
	}
	keyOrder := func(a, b ArgValues) int { return compareLearnedArgKey(a.key(), b.key()) }
	if !strictlyIncreasing(rec.SyscallArgs, keyOrder) {
		return false
	}
	for _, a := range rec.SyscallArgs {
		// Normalize empties an overflowed entry's values and never leaves
		// them nil (recording.json writes [] for them).
		if a.Values == nil || a.Overflow && len(a.Values) > 0 || !strictlyIncreasing(a.Values, cmp.Compare[uint64]) {
			return false
		}
	}
	pathOrder := func(a, b FileAccess) int { return strings.Compare(a.Path, b.Path) }
	if !strictlyIncreasing(rec.Files, pathOrder) {
		return false
	}
	for _, f := range rec.Files {
		if f.Access == nil || !strictStrings(f.Access) { // sets.Sorted never returns nil
			return false
		}
	}
	return true
}

// strictlyIncreasing: every element compares below the next.
func strictlyIncreasing[T any](s []T, compare func(a, b T) int) bool {
	for i := 1; i < len(s); i++ {
		if compare(s[i-1], s[i]) >= 0 {
			return false
		}
	}
	return true
}

// CloneRecording copies rec and every slice in it, so that sorting the copy
// leaves rec alone.
func CloneRecording(rec *Recording) *Recording {
	c := *rec
	c.Syscalls = slices.Clone(rec.Syscalls)
	c.SyscallArgs = slices.Clone(rec.SyscallArgs)
	for i := range c.SyscallArgs {
		c.SyscallArgs[i].Values = slices.Clone(c.SyscallArgs[i].Values)
	}
	c.Capabilities = slices.Clone(rec.Capabilities)
	for i := range c.Capabilities {
		c.Capabilities[i].Syscalls = slices.Clone(c.Capabilities[i].Syscalls)
	}
	c.PrivilegedExecs = slices.Clone(rec.PrivilegedExecs)
	c.Warnings = slices.Clone(rec.Warnings)
	c.Learning.CapAdd = slices.Clone(rec.Learning.CapAdd)
	c.Learning.CapDrop = slices.Clone(rec.Learning.CapDrop)
	c.Files = slices.Clone(rec.Files)
	for i := range c.Files {
		c.Files[i].Access = slices.Clone(c.Files[i].Access)
	}
	c.Sockets = slices.Clone(rec.Sockets)
	c.SignalsSent = slices.Clone(rec.SignalsSent)
	c.Ptrace = slices.Clone(rec.Ptrace)
	c.SharedMemory = slices.Clone(rec.SharedMemory)
	c.Mounts = slices.Clone(rec.Mounts)
	c.ContainerMounts = slices.Clone(rec.ContainerMounts)
	return &c
}

func compareSyscallUse(a, b SyscallUse) int {
	return cmp.Or(
		strings.Compare(string(a.Arch), string(b.Arch)),
		strings.Compare(a.Name, b.Name),
		cmp.Compare(a.Number, b.Number),
		strings.Compare(a.Source, b.Source),
		cmp.Compare(a.Count, b.Count),
	)
}

func compareCapabilityUse(a, b CapabilityUse) int {
	return cmp.Or(
		strings.Compare(a.Name, b.Name),
		cmp.Compare(a.Granted, b.Granted),
		cmp.Compare(a.Denied, b.Denied),
		slices.Compare(a.Syscalls, b.Syscalls),
	)
}

func compareSocketUse(a, b SocketUse) int {
	return cmp.Or(strings.Compare(a.Family, b.Family), strings.Compare(a.Type, b.Type))
}

func compareMountUse(a, b MountUse) int {
	return cmp.Or(
		strings.Compare(a.Target, b.Target),
		strings.Compare(a.FSType, b.FSType),
		strings.Compare(a.Source, b.Source),
		cmp.Compare(a.Flags, b.Flags),
	)
}

func compareContainerMount(a, b ContainerMount) int {
	return cmp.Or(
		strings.Compare(a.Destination, b.Destination),
		strings.Compare(a.Type, b.Type),
		compareBool(a.ReadOnly, b.ReadOnly),
	)
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}
