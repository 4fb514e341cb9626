// Package profiledir reads and writes profile directories, the unit
// tailor commits and compares: Write renders a recording into
// seccomp.json, apparmor.profile, capabilities.json, docker-run.flags,
// report.json and recording.json (each written atomically); Load, LoadFile
// and LoadAll parse them back into a Profile; Merge unites directories as
// tailor merge does. Writing into a directory that holds a profile, and
// merging, carry the user's hand edits of its files into the new ones
// (edits.go: an edit is what a file says that its recording.json does not
// render; written.json records what tailor wrote). The file names and Written are in package profile,
// which package recorder's API names.
//
// It imports the profile packages below it (profile, seccomp, apparmor,
// runflags, report) and no kernel and no Docker.
package profiledir
