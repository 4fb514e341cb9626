// Package ci tests tailor-ci.sh, the CI gate script in this directory:
// its errors without root, and as root, end to end against real dockerd,
// the life of a baseline: written on the first run, an identical run
// passes, a widening run fails naming what, an update accepts it.
//
// The end-to-end test needs root (eBPF), dockerd, gcc and Linux 5.17+
// with BTF; it skips without them, and fails instead when
// TAILOR_REQUIRE_E2E is set (as CI does).
package ci
