// Package apparmor writes and reads AppArmor profiles. New builds the
// profile of a recording as data (Profile) and Render writes it: the files
// the container used, globbed where a directory holds many, a baseline any
// process needs, the network families, capabilities, signals, ptrace and
// mounts it used, and deny rules for what no container should touch.
// Check evaluates a rendered profile against its recording, offline: it
// must allow everything the container did and expose no sensitive path. Parse and ParseFileRules read a profile back (tailor's or a
// hand-written one); Match is AppArmor's glob matching, so that Compare and
// FileNeeds judge profiles by the paths they allow, not by their text.
//
// It imports the profile core and the change vocabulary; nothing of
// seccomp, the run flags or the reports.
package apparmor
