package sets

import (
	"cmp"
	"slices"
)

// Sorted sorts s and removes duplicates, never returning nil.
func Sorted(s []string) []string {
	out := slices.Clone(s)
	if out == nil {
		out = []string{}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// SortedOrNil is Sorted that keeps an empty list nil, so a normalized
// Recording marshals as the original did.
func SortedOrNil(s []string) []string {
	if len(s) == 0 {
		return s
	}
	return Sorted(s)
}

// SortedKeys is the keys of m in order.
func SortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
