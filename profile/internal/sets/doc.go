// Package sets holds the sorted-set helpers every profile package uses to
// make its output deterministic: the same recording must always produce
// the same bytes.
//
// It imports only the standard library: no kernel, no Docker, nothing of
// tailor's.
package sets
