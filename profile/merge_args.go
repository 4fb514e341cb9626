package profile

// Learned argument values (Recording.SyscallArgs) are a set per (arch,
// syscall, argument, field, mask): merging two recordings unites the sets,
// so the merged profile allows each value some input needed and no other.
// A syscall that one input made without its values recorded (an older
// recording) may have been made with any value, and so may one that
// overflowed the recorder's table: either makes the union "any value".

import (
	"cmp"
	"slices"
	"strings"
)

// learnedArgKey identifies one learned argument.
type learnedArgKey struct {
	arch    Arch
	syscall string
	index   int
	field   string
	mask    uint64
}

func (a ArgValues) key() learnedArgKey {
	return learnedArgKey{a.Arch, a.Syscall, a.Index, a.Field, a.Mask}
}

func compareLearnedArgKey(a, b learnedArgKey) int {
	return cmp.Or(
		strings.Compare(string(a.arch), string(b.arch)),
		strings.Compare(a.syscall, b.syscall),
		cmp.Compare(a.index, b.index),
		strings.Compare(a.field, b.field),
		cmp.Compare(a.mask, b.mask),
	)
}

// normalizeLearnedArgs sorts the entries by key and merges entries with the
// same key: values sorted and distinct, overflow if any entry overflowed
// (its values are then dropped: they say nothing more than "any").
func normalizeLearnedArgs(args []ArgValues) []ArgValues {
	if len(args) == 0 {
		return args
	}
	byKey := map[learnedArgKey]*ArgValues{}
	for _, a := range args {
		k := a.key()
		have := byKey[k]
		if have == nil {
			c := a
			c.Values = slices.Clone(a.Values)
			byKey[k] = &c
			continue
		}
		have.Values = append(have.Values, a.Values...)
		have.Overflow = have.Overflow || a.Overflow
	}
	keys := make([]learnedArgKey, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compareLearnedArgKey)
	out := make([]ArgValues, 0, len(keys))
	for _, k := range keys {
		a := byKey[k]
		if a.Overflow {
			a.Values = []uint64{}
		} else {
			slices.Sort(a.Values)
			a.Values = slices.Compact(a.Values)
			if a.Values == nil {
				a.Values = []uint64{}
			}
		}
		out = append(out, *a)
	}
	return out
}

// unionLearnedArgs unites the learned argument values of recs. An input that
// made a syscall (on that architecture) but has no values for an argument
// another input restricts contributes "any value" (Overflow).
func unionLearnedArgs(recs []*Recording) []ArgValues {
	var all []ArgValues
	keys := map[learnedArgKey]bool{}
	for _, r := range recs {
		for _, a := range r.SyscallArgs {
			keys[a.key()] = true
			all = append(all, a)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	for _, r := range recs {
		have := map[learnedArgKey]bool{}
		for _, a := range r.SyscallArgs {
			have[a.key()] = true
		}
		made := map[string]bool{} // arch + "/" + name
		for _, s := range r.Syscalls {
			if s.Name != "" {
				made[string(s.Arch)+"/"+s.Name] = true
			}
		}
		for k := range keys {
			if !have[k] && made[string(k.arch)+"/"+k.syscall] {
				all = append(all, ArgValues{Arch: k.arch, Syscall: k.syscall, Index: k.index,
					Field: k.field, Mask: k.mask, Overflow: true})
			}
		}
	}
	return normalizeLearnedArgs(all)
}
