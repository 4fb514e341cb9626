// Package diff compares profiles: what NEW grants that OLD did not
// ("widening") and what it no longer grants, for every kind of profile
// file (seccomp, AppArmor, capabilities, docker run flags, recordings and
// reports). Every comparison goes through Compare, whatever the command
// (diff, merge --check, check), so that the same change is judged the same
// everywhere; the seccomp and AppArmor comparisons it calls live in their
// packages, and it builds the report from the change vocabulary of package
// change. The run-flag comparison (users and limits) lives here because
// it reads a side's recording or report for context.
//
// It imports the profile packages below it and no kernel and no Docker.
package diff
