// Package convert turns profile directories into the forms other runtimes
// and orchestrators take: an OCI runtime spec's linux.seccomp (OCI), a
// docker run flags line (Flags), security-profiles-operator SeccompProfiles
// with a pod spec fragment (K8s), and a compose override file (Compose).
// It reads the files as they are in the directory, never the recording.
//
// It imports the profile packages below it (profile, profiledir and
// seccomp, runflags) and no kernel and no Docker.
package convert
