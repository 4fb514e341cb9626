package profile

// The recorder fills a Recording in whatever order events arrive (map
// iteration, per-CPU buffers). Every emitter works on a normalized copy, so
// the same observations always give byte-identical files, whatever order
// they came in and without the emitters changing their caller's Recording.

import (
	"cmp"
	"slices"
	"strings"
)

// Normalize sorts the Recording's slices in place: syscalls by arch, name,
// number and source; capabilities by name, each with its syscalls sorted and
// de-duplicated; privileged execs, warnings and the learning settings'
// capability lists sorted and de-duplicated.
func Normalize(rec *Recording) {
	slices.SortFunc(rec.Syscalls, compareSyscallUse)
	for i := range rec.Capabilities {
		rec.Capabilities[i].Syscalls = sortedSetOrNil(rec.Capabilities[i].Syscalls)
	}
	slices.SortFunc(rec.Capabilities, compareCapabilityUse)
	rec.PrivilegedExecs = sortedSetOrNil(rec.PrivilegedExecs)
	rec.Warnings = sortedSetOrNil(rec.Warnings)
	rec.Learning.CapAdd = sortedSetOrNil(rec.Learning.CapAdd)
	rec.Learning.CapDrop = sortedSetOrNil(rec.Learning.CapDrop)
}

// normalized returns a normalized deep copy of rec.
func normalized(rec *Recording) *Recording {
	c := cloneRecording(rec)
	Normalize(c)
	return c
}

// cloneRecording copies rec and every slice in it, so that sorting the copy
// leaves rec alone.
func cloneRecording(rec *Recording) *Recording {
	c := *rec
	c.Syscalls = slices.Clone(rec.Syscalls)
	c.Capabilities = slices.Clone(rec.Capabilities)
	for i := range c.Capabilities {
		c.Capabilities[i].Syscalls = slices.Clone(c.Capabilities[i].Syscalls)
	}
	c.PrivilegedExecs = slices.Clone(rec.PrivilegedExecs)
	c.Warnings = slices.Clone(rec.Warnings)
	c.Learning.CapAdd = slices.Clone(rec.Learning.CapAdd)
	c.Learning.CapDrop = slices.Clone(rec.Learning.CapDrop)
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

// sortedSetOrNil is sortedSet that keeps an empty list nil, so a normalized
// Recording marshals as the original did.
func sortedSetOrNil(s []string) []string {
	if len(s) == 0 {
		return s
	}
	return sortedSet(s)
}
