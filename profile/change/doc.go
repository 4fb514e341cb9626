// Package change is the vocabulary every profile comparison speaks: a
// Change, its kinds and ops, and the order and deduplication a report
// uses. The seccomp, AppArmor and run-flag comparisons and package diff
// build changes from it, so that the same difference is named the same
// way whichever comparison finds it.
//
// It imports only the standard library: no kernel, no Docker, nothing of
// tailor's.
package change
