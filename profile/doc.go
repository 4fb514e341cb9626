// Package profile is tailor's pure model of what a container did during a
// learning run: the Recording (syscalls with their arguments, capability
// checks, files, sockets, the container's settings), its file
// (recording.json), and what every emitter needs to read it the same way —
// Normalize and Merge, the syscall tables per architecture, the
// capability set a recording implies (Capabilities), the selection of
// containers (--match, --name-by) and the names of a profile directory's
// files.
//
// The emitters build on it, one package each: seccomp, apparmor and
// runflags write the profiles, report the report and its checklist,
// profiledir the directories tailor commits, diff their comparison,
// convert the forms other runtimes take, review tailor report's pages.
// The comparisons share the vocabulary of package change; small helpers
// live in internal/. None of them touches a kernel or Docker, so all of it
// is unit-tested without root.
package profile
