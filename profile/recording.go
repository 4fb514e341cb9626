// Package profile is tailor's pure model of what a container did during a
// learning run, and everything derived from it: the seccomp profile, the
// capability list, the docker run flags and the report. It touches no kernel
// and no Docker, so all of it is unit-tested without root.
package profile

import "time"

// Arch is a seccomp architecture in the spelling of Docker's and OCI's
// seccomp profiles.
type Arch string

const (
	ArchX86_64  Arch = "SCMP_ARCH_X86_64"
	ArchX86     Arch = "SCMP_ARCH_X86"
	ArchX32     Arch = "SCMP_ARCH_X32"
	ArchAArch64 Arch = "SCMP_ARCH_AARCH64"
	ArchARM     Arch = "SCMP_ARCH_ARM"
)

// How the recorder decided where the container's own activity begins.
const (
	// ArmedByFilter: the runtime loaded a seccomp filter; everything the
	// filtered thread did from then on (the runtime's last steps, the exec
	// of the entrypoint, the workload) is in the profile. Exact.
	ArmedByFilter = "seccomp-filter"
	// ArmedByExec: no filter was loaded (seccomp=unconfined); counting began
	// at the entrypoint's exec, and the runtime's last steps before it are
	// carried over as SourceRuntime syscalls.
	ArmedByExec = "exec"
	// ArmedLate: the container was already running when recording began.
	ArmedLate = "attached-late"
)

// Where a recorded syscall came from.
const (
	SourceWorkload = ""        // counted after arming
	SourceRuntime  = "runtime" // the runtime's steps after its last mount, before exec
)

// Recording is everything observed of one container in one learning run.
// Slices are kept sorted (see Normalize) so that output is deterministic.
type Recording struct {
	Container Container `json:"container"`
	Host      Host      `json:"host"`
	Start     time.Time `json:"start"`
	Stop      time.Time `json:"stop"`

	// ArmedBy is one of the ArmedBy* constants.
	ArmedBy string `json:"armed_by"`
	// StartMissed: recording began after the container started, so its
	// start-up is not in the profile.
	StartMissed bool `json:"start_missed,omitempty"`
	// Partial: recording ended while the container was still running.
	Partial bool `json:"partial,omitempty"`

	// Learning describes the security settings the container ran with.
	Learning Learning `json:"learning"`

	Syscalls     []SyscallUse    `json:"syscalls"`
	Capabilities []CapabilityUse `json:"capabilities"`
	// CapabilitiesRecorded is false when the kernel could not report
	// capability checks (no cap_capable tracepoint).
	CapabilitiesRecorded bool `json:"capabilities_recorded"`
	// PrivilegedExecs are files executed with a gain of privileges
	// (setuid/setgid bits or file capabilities).
	PrivilegedExecs []string `json:"privileged_execs,omitempty"`

	// UnknownSyscalls counts syscall numbers too large for the kernel
	// tables: they are reported, never silently dropped.
	UnknownSyscalls uint64   `json:"unknown_syscalls,omitempty"`
	EventsLost      uint64   `json:"events_lost"`
	Warnings        []string `json:"warnings,omitempty"`
}

// Container identifies the recorded container.
type Container struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Image    string `json:"image"`
	ImageID  string `json:"image_id,omitempty"`
	Runtime  string `json:"runtime,omitempty"`
	ExitCode *int   `json:"exit_code,omitempty"`
}

// Host describes where the recording was made.
type Host struct {
	Kernel        string `json:"kernel"`
	Arch          string `json:"arch"`
	TailorVersion string `json:"tailor_version"`
	DockerVersion string `json:"docker_version,omitempty"`
}

// Learning is how the container was confined while it was recorded. A
// filter active during learning hides the syscalls it refused, so the
// emitters need to know it.
type Learning struct {
	// Seccomp is "default" (the daemon's profile), "unconfined", "custom"
	// or "" when unknown.
	Seccomp         string   `json:"seccomp"`
	NoNewPrivileges bool     `json:"no_new_privileges,omitempty"`
	Privileged      bool     `json:"privileged,omitempty"`
	CapAdd          []string `json:"cap_add,omitempty"`
	CapDrop         []string `json:"cap_drop,omitempty"`
}

// SyscallUse is one syscall of one architecture and how often it was made.
type SyscallUse struct {
	Arch   Arch   `json:"arch"`
	Name   string `json:"name,omitempty"` // empty when libseccomp does not know the number
	Number int    `json:"number"`
	Count  uint64 `json:"count"`
	Source string `json:"source,omitempty"` // SourceWorkload or SourceRuntime
}

// CapabilityUse is what the kernel answered when the container's processes
// (after their exec) checked one capability.
type CapabilityUse struct {
	Name    string `json:"name"` // CAP_CHOWN, ...
	Granted uint64 `json:"granted"`
	Denied  uint64 `json:"denied"`
	// Syscalls are the native syscalls during which it was checked.
	Syscalls []string `json:"syscalls,omitempty"`
}
