// Package runflags derives the docker run flags of a profile from its
// recording, and reads them back. New writes docker-run.flags:
// cap-drop ALL with the capabilities the run used, the seccomp profile,
// no-new-privileges when nothing gained privilege by exec
// (SuggestNoNewPrivileges),
// a user when the workload never needed root (UserSuggestion), resource
// limits above the peaks the run reached (ResourceLimits) and a read-only
// root with tmpfs where it wrote (ReadOnlyRoot). Parse reads a
// flags file back, because that file, not capabilities.json, is what
// docker run applies and what a user edits.
//
// It imports only the profile core; seccomp, AppArmor and the reports build
// on it, not the other way round.
package runflags
