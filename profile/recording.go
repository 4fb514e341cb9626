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
	// ProfileName is the stable key the recording is filed under (the
	// Compose service, or what --name-by chose; see NameBy.ProfileName),
	// when it is not simply the container's name. The AppArmor profile is
	// named after it, so that it stays the same across runs whose
	// containers get other names.
	ProfileName string    `json:"profile_name,omitempty"`
	Host        Host      `json:"host"`
	Start       time.Time `json:"start"`
	Stop        time.Time `json:"stop"`

	// ArmedBy is one of the ArmedBy* constants.
	ArmedBy string `json:"armed_by"`
	// StartMissed: recording began after the container started, so its
	// start-up is not in the profile.
	StartMissed bool `json:"start_missed,omitempty"`
	// Partial: recording ended while the container was still running.
	Partial bool `json:"partial,omitempty"`

	// Learning describes the security settings the container ran with.
	Learning Learning `json:"learning"`
	// SettingsUnknown says why Docker could not tell the container's
	// settings (it was gone before it could be asked): Learning and Config
	// are then empty, not the defaults, and the report says "unknown"
	// where it would judge them.
	SettingsUnknown string `json:"settings_unknown,omitempty"`

	Syscalls []SyscallUse `json:"syscalls"`
	// SyscallArgs are the argument values learned for the syscalls whose
	// arguments matter (clone flags, socket families, prctl options, ...).
	SyscallArgs  []ArgValues     `json:"syscall_args,omitempty"`
	Capabilities []CapabilityUse `json:"capabilities"`
	// CapabilitiesRecorded is false when the kernel could not report
	// capability checks (Host.CapabilityMechanism says why).
	CapabilitiesRecorded bool `json:"capabilities_recorded"`
	// PrivilegedExecs are files executed with a gain of privileges
	// (setuid/setgid bits or file capabilities).
	PrivilegedExecs []string `json:"privileged_execs,omitempty"`

	// FilesRecorded is false when file access could not be recorded; the
	// AppArmor profile then allows all file access, as docker-default does.
	FilesRecorded bool         `json:"files_recorded"`
	Files         []FileAccess `json:"files,omitempty"`
	Sockets       []SocketUse  `json:"sockets,omitempty"`
	// SignalsSent are the signals the container's processes sent ("term",
	// "kill", "exists" for kill(pid, 0), ...), in AppArmor's spelling.
	SignalsSent []string `json:"signals_sent,omitempty"`
	// Ptrace are the ptrace requests it made, in AppArmor's spelling
	// ("trace", "read").
	Ptrace []string `json:"ptrace,omitempty"`
	// SharedMemory is how the container mapped shared memory that has no
	// path: mmap(MAP_SHARED|MAP_ANONYMOUS), a memfd ("read", "write",
	// "exec": the mappings' PROT_ bits). The kernel backs it with a pseudo
	// file that AppArmor names "/", a disconnected path.
	SharedMemory []string   `json:"shared_memory,omitempty"`
	Mounts       []MountUse `json:"mounts,omitempty"`
	// ContainerMounts are the mounts Docker gave the container (volumes,
	// binds, tmpfs), so that writes can be told from root filesystem writes.
	ContainerMounts []ContainerMount `json:"container_mounts,omitempty"`

	// Identity is who the container's processes ran as, and what only
	// root could do.
	Identity Identity `json:"identity"`
	// Resources are the peaks seen while it ran.
	Resources Resources `json:"resources"`
	// Config is how Docker was told to run it (docker inspect).
	Config ContainerConfig `json:"config"`

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
	// Labels select containers (--match) and name profiles (the Compose
	// service, --name-by label=KEY).
	Labels map[string]string `json:"labels,omitempty"`
}

// Host describes where the recording was made.
type Host struct {
	Kernel        string `json:"kernel"`
	Arch          string `json:"arch"`
	TailorVersion string `json:"tailor_version"`
	DockerVersion string `json:"docker_version,omitempty"`
	// CapabilityMechanism is how the kernel's capability checks were seen:
	// "tracepoint", "fexit", "kprobe", or "none: " and why not.
	CapabilityMechanism string `json:"capability_mechanism,omitempty"`
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
	// NoAudit counts the checks made with CAP_OPT_NOAUDIT (the kernel
	// asking without meaning to refuse, e.g. the overcommit heuristic);
	// only the fexit and kprobe mechanisms see it.
	NoAudit uint64 `json:"noaudit,omitempty"`
	// OtherUserNS counts the checks the container's capability sets did
	// not decide: against, or made from, another user namespace (one the
	// container created, or an ancestor).
	OtherUserNS uint64 `json:"other_userns,omitempty"`
}

// Access operations on a path, as recorded (report.json spells them so).
const (
	AccessRead     = "read"     // opened for reading (directories: listed)
	AccessWrite    = "write"    // opened for writing
	AccessAppend   = "append"   // opened for appending only
	AccessCreate   = "create"   // created by open(O_CREAT) or mknod
	AccessTruncate = "truncate" // truncated (O_TRUNC, truncate)
	AccessExec     = "exec"     // executed (or the interpreter of what was)
	AccessMmapExec = "mmap"     // mapped executable (libraries, the ELF interpreter)
	AccessUnlink   = "unlink"
	AccessRename   = "rename" // renamed from or to this path
	AccessMkdir    = "mkdir"
	AccessRmdir    = "rmdir"
	AccessLink     = "link"    // a hard link was made at this path
	AccessSymlink  = "symlink" // a symlink was made at this path
	AccessChmod    = "chmod"
	AccessChown    = "chown"
	AccessLock     = "lock"    // flock/fcntl lock
	AccessConnect  = "connect" // connected to (or bound) a unix socket at this path
	// AccessOpenCreate: opened with O_CREAT a name that existed (nothing
	// was created). When the name was not cached the kernel checks create
	// on it before it finds the file there, so AppArmor must allow create
	// on the name, also where it is a symlink (a log linked to /dev/stdout:
	// the write is mediated on the target, the create on the link's name).
	AccessOpenCreate = "open_create"
)

// IsWriteAccess reports whether an access changes the file system.
func IsWriteAccess(a string) bool {
	switch a {
	case AccessWrite, AccessAppend, AccessCreate, AccessTruncate, AccessUnlink, AccessRename,
		AccessMkdir, AccessRmdir, AccessLink, AccessSymlink, AccessChmod, AccessChown:
		return true
	}
	return false
}

// Where a path lives.
const (
	MountRootfs = "rootfs" // the container's own root filesystem (image layers + its writable layer)
	MountVolume = "volume"
	MountBind   = "bind"
	MountTmpfs  = "tmpfs"
	MountProc   = "proc"
	MountSys    = "sysfs"
	MountDev    = "dev" // /dev and its devpts, mqueue, shm mounts
)

// FileAccess is one path the container used and what it did to it.
type FileAccess struct {
	// Path is the path inside the container, resolved by the kernel
	// through the container's root and mounts (symlinks followed where the
	// kernel followed them). Directories end in "/". It may hold any byte
	// but NUL, also invalid UTF-8: emitters must quote it.
	Path string `json:"path"`
	// Access lists Access* operations, sorted.
	Access []string `json:"access"`
	// Mount is one of the Mount* constants, or "other:<fstype>".
	Mount string `json:"mount,omitempty"`
	// MountPoint is the mount the path lives on when it is not the root
	// filesystem, e.g. "/data" for a volume.
	MountPoint string `json:"mount_point,omitempty"`
	// NameOnly: the kernel saw only the name the process passed (chmod,
	// chown, rename, ... of a name), not the file itself, so the path was
	// not resolved through symlinks and may name a file or a directory.
	NameOnly bool `json:"name_only,omitempty"`
}

// SocketUse is a socket the container created, in AppArmor's spelling:
// family "inet", "inet6", "unix", "netlink", ...; type "stream", "dgram",
// "raw", "seqpacket", ...
type SocketUse struct {
	Family string `json:"family"`
	Type   string `json:"type"`
}

// MountUse is a mount(2) the container made.
type MountUse struct {
	Source string `json:"source,omitempty"`
	Target string `json:"target"`
	FSType string `json:"fstype,omitempty"`
	Flags  uint64 `json:"flags,omitempty"`
}

// ContainerMount is a mount Docker set up for the container.
type ContainerMount struct {
	Type        string `json:"type"` // "bind", "volume", "tmpfs"
	Destination string `json:"destination"`
	ReadOnly    bool   `json:"read_only,omitempty"`
	// Source is the host path of a bind mount, the volume's name for a
	// volume.
	Source      string `json:"source,omitempty"`
	Propagation string `json:"propagation,omitempty"` // "shared", "rslave", ... ("" private)
}

// Identity is who the container's processes ran as.
type Identity struct {
	// Execs are the programs the container ran and the ids they ran with
	// (effective, as the container sees them), in order of first exec.
	Execs []ExecIdentity `json:"execs,omitempty"`
	// RootOnly are accesses that succeeded only because the process was
	// root: the file (or the directory a name was made in) belongs to
	// root and its mode gives others no such right. Evidence that uid 0
	// was needed, besides the capabilities used.
	RootOnly []RootOnlyAccess `json:"root_only,omitempty"`
}

// ExecIdentity is one program the container executed and as whom.
type ExecIdentity struct {
	Path string `json:"path"`
	UID  uint32 `json:"uid"`
	GID  uint32 `json:"gid"`
}

// RootOnlyAccess is one access only root could make.
type RootOnlyAccess struct {
	Path   string `json:"path"`
	Access string `json:"access"` // an Access* constant
	// Owner and Mode are those of the file, or of the directory for
	// operations that make or remove names in it.
	Owner uint32 `json:"owner"`
	Mode  uint32 `json:"mode"`
}

// Resources are peaks observed while the container ran (0: not observed).
type Resources struct {
	PeakTasks       int64 `json:"peak_tasks,omitempty"`        // processes and threads at once
	PeakMemoryBytes int64 `json:"peak_memory_bytes,omitempty"` // the cgroup's peak usage
	PeakOpenFiles   int64 `json:"peak_open_files,omitempty"`   // descriptors of one process at once
	// OpenFilesLimit is the soft RLIMIT_NOFILE the container's first
	// process started with: what the engine gave it (0: not recorded).
	OpenFilesLimit int64 `json:"open_files_limit,omitempty"`
}

// ContainerConfig is what Docker was told when the container was created:
// the answers to Docker's and CIS's hardening checklists that no recording
// can give.
type ContainerConfig struct {
	User           string        `json:"user,omitempty"` // --user ("" runs as the image's user, root by default)
	Privileged     bool          `json:"privileged,omitempty"`
	NetworkMode    string        `json:"network_mode,omitempty"`
	PidMode        string        `json:"pid_mode,omitempty"`
	IpcMode        string        `json:"ipc_mode,omitempty"`
	UTSMode        string        `json:"uts_mode,omitempty"`
	UsernsMode     string        `json:"userns_mode,omitempty"`
	CgroupnsMode   string        `json:"cgroupns_mode,omitempty"`
	Devices        []string      `json:"devices,omitempty"` // host paths
	Ports          []PortBinding `json:"ports,omitempty"`
	ReadonlyRootfs bool          `json:"readonly_rootfs,omitempty"`
	SecurityOpt    []string      `json:"security_opt,omitempty"`
	MemoryBytes    int64         `json:"memory_bytes,omitempty"` // --memory (0: none)
	PidsLimit      int64         `json:"pids_limit,omitempty"`   // --pids-limit (0: none)
	CPUShares      int64         `json:"cpu_shares,omitempty"`
	NanoCPUs       int64         `json:"nano_cpus,omitempty"`
	Ulimits        []Ulimit      `json:"ulimits,omitempty"`
	RestartPolicy  string        `json:"restart_policy,omitempty"`
	RestartRetries int           `json:"restart_retries,omitempty"`
	Healthcheck    bool          `json:"healthcheck,omitempty"`
	// DaemonUsernsRemap: the daemon maps container root to an unprivileged
	// host user (dockerd --userns-remap).
	DaemonUsernsRemap bool `json:"daemon_userns_remap,omitempty"`
}

// PortBinding is a published port.
type PortBinding struct {
	ContainerPort string `json:"container_port"` // "80/tcp"
	HostIP        string `json:"host_ip"`        // "" or "0.0.0.0": every interface
	HostPort      string `json:"host_port"`
}

// Ulimit is a resource limit set with --ulimit.
type Ulimit struct {
	Name string `json:"name"`
	Soft int64  `json:"soft"`
	Hard int64  `json:"hard"`
}

// ArgValues are the values one argument of one syscall took while the
// container was recorded: the seccomp profile allows exactly those (see
// Seccomp), unless there were too many.
type ArgValues struct {
	Arch    Arch   `json:"arch"`
	Syscall string `json:"syscall"`
	// Index is the argument's position (0 is the first), as seccomp numbers
	// them. For clone3 it is 0 and Field says which member of the struct
	// the values come from: seccomp cannot look into it, so those values
	// only decide whether clone3 is answered ENOSYS.
	Index int    `json:"index"`
	Field string `json:"field,omitempty"`
	// Mask, when not 0, says the values were recorded as arg & Mask (clone's
	// namespace flags); the rule then compares arg & Mask.
	Mask uint64 `json:"mask,omitempty"`
	// Values are sorted and distinct.
	Values []uint64 `json:"values"`
	// Overflow: more distinct values were seen than the recorder keeps; the
	// syscall is then allowed with any value.
	Overflow bool `json:"overflow,omitempty"`
}

// NoLimit is a limit given as unlimited (--pids-limit=-1,
// --ulimit=nofile=-1).
const NoLimit = -1
