// Package seccomp writes and reads seccomp profiles. New builds the
// profile of a recording in moby's own types (what dockerd reads for
// --security-opt seccomp=FILE): exactly the syscalls the container made,
// with argument rules where the recorded values say more (ArgRules), and
// EPERM for the rest, or ENOSYS for the newer syscalls programs probe and
// replace. Parse reads a profile back, Resolve and Evaluate do what dockerd
// and runc do to it, so that Compare judges two profiles by what they let
// through rather than by their text.
//
// It imports the profile core and the change vocabulary; nothing of
// AppArmor, the run flags or the reports.
package seccomp
