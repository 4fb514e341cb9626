package profile

// Recordings for the user, limits, checklist and report tests: what the
// recorder gives, with docker inspect's answers, for a redis-like
// entrypoint that drops root, a batch job that never needed it, a
// container run with everything dangerous, a hardened one, and one whose
// names and paths are made to break out of HTML, Markdown and terminals.

import (
	"testing"
)

const mib = 1 << 20

// redisRecording: docker-entrypoint.sh runs as root, chowns /data with
// find, and execs redis-server as redis (999:999) through gosu.
func redisRecording(t *testing.T) *Recording {
	return &Recording{
		Container: Container{ID: "5e7d1c0ffee0123456789abcdef0123456789abcdef0123456789abcdef0123", Name: "cache",
			Image: "redis:7.4", Runtime: "runc", ExitCode: intPtr(0)},
		Host:     Host{Kernel: "6.14.0", Arch: "x86_64", TailorVersion: "0.2.0", DockerVersion: "28.5.2"},
		Start:    testStart,
		Stop:     testStop,
		ArmedBy:  ArmedByFilter,
		Learning: Learning{Seccomp: "default"},
		Syscalls: uses(t, ArchX86_64, SourceWorkload, "accept4", "bind", "brk", "close", "epoll_wait", "execve",
			"fchownat", "listen", "mmap", "openat", "read", "setgid", "setgroups", "setuid", "socket", "write"),
		CapabilitiesRecorded: true,
		Capabilities: []CapabilityUse{
			{Name: "CAP_CHOWN", Granted: 12, Syscalls: []string{"fchownat"}},
			{Name: "CAP_SETGID", Granted: 2, Syscalls: []string{"setgid", "setgroups"}},
			{Name: "CAP_SETUID", Granted: 1, Syscalls: []string{"setuid"}},
			{Name: "CAP_SYS_ADMIN", Denied: 40, Syscalls: []string{"mmap"}},
		},
		FilesRecorded: true,
		Files: []FileAccess{
			{Path: "/usr/local/bin/docker-entrypoint.sh", Access: []string{AccessExec}, Mount: MountRootfs},
			{Path: "/usr/local/bin/redis-server", Access: []string{AccessExec}, Mount: MountRootfs},
			{Path: "/data/", Access: []string{AccessChown, AccessRead}, Mount: MountVolume, MountPoint: "/data"},
			{Path: "/data/dump.rdb", Access: []string{AccessCreate, AccessRename, AccessWrite}, Mount: MountVolume, MountPoint: "/data"},
		},
		Sockets:         []SocketUse{{Family: "inet", Type: "stream"}, {Family: "inet6", Type: "stream"}},
		ContainerMounts: []ContainerMount{{Type: "volume", Destination: "/data", Source: "redis-data"}},
		Identity: Identity{
			Execs: []ExecIdentity{
				{Path: "/usr/local/bin/docker-entrypoint.sh", UID: 0, GID: 0},
				{Path: "/usr/bin/find", UID: 0, GID: 0},
				{Path: "/usr/local/bin/gosu", UID: 0, GID: 0},
				{Path: "/usr/local/bin/redis-server", UID: 999, GID: 999},
			},
			RootOnly: []RootOnlyAccess{{Path: "/data/", Access: AccessChown, Owner: 0, Mode: 0o40755}},
		},
		Resources: Resources{PeakTasks: 6, PeakMemoryBytes: 9*mib + 300<<10, PeakOpenFiles: 40},
		Config: ContainerConfig{NetworkMode: "bridge", PidMode: "", IpcMode: "private", RestartPolicy: "always",
			Ports: []PortBinding{{ContainerPort: "6379/tcp", HostIP: "0.0.0.0", HostPort: "6379"}}},
	}
}

// batchRecording: a job run as root that used no capability and no
// root-only file.
func batchRecording(t *testing.T) *Recording {
	return &Recording{
		Container: Container{ID: "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", Name: "report-job",
			Image: "example/report-job:2.1", Runtime: "runc", ExitCode: intPtr(0)},
		Host:     Host{Kernel: "6.14.0", Arch: "x86_64", TailorVersion: "0.2.0", DockerVersion: "28.5.2"},
		Start:    testStart,
		Stop:     testStart.Add(12 * 1e9),
		ArmedBy:  ArmedByFilter,
		Learning: Learning{Seccomp: "default"},
		Syscalls: uses(t, ArchX86_64, SourceWorkload, "brk", "close", "execve", "exit_group", "mmap", "openat",
			"read", "write"),
		CapabilitiesRecorded: true,
		Capabilities:         []CapabilityUse{{Name: "CAP_SYS_ADMIN", Denied: 9, Syscalls: []string{"brk", "mmap"}}},
		FilesRecorded:        true,
		Files: []FileAccess{
			{Path: "/bin/sh", Access: []string{AccessExec}, Mount: MountRootfs},
			{Path: "/usr/local/bin/report", Access: []string{AccessExec}, Mount: MountRootfs},
			{Path: "/etc/report.conf", Access: []string{AccessRead}, Mount: MountRootfs},
			{Path: "/out/report.csv", Access: []string{AccessCreate, AccessWrite}, Mount: MountBind, MountPoint: "/out"},
		},
		ContainerMounts: []ContainerMount{{Type: "bind", Destination: "/out", Source: "/srv/reports"}},
		Identity: Identity{Execs: []ExecIdentity{
			{Path: "/bin/sh", UID: 0, GID: 0},
			{Path: "/usr/local/bin/report", UID: 0, GID: 0},
		}},
		Resources: Resources{PeakTasks: 3, PeakMemoryBytes: 210 * mib, PeakOpenFiles: 900},
		Config:    ContainerConfig{NetworkMode: "none", RestartPolicy: "no"},
	}
}

// dangerousRecording: --privileged, the Docker socket and the host's root
// mounted, the host's network and PID namespaces, seccomp off.
func dangerousRecording(t *testing.T) *Recording {
	return &Recording{
		Container: Container{ID: "dead0000beef1111dead0000beef1111dead0000beef1111dead0000beef1111", Name: "agent",
			Image: "example/monitoring-agent:5", Runtime: "runc"},
		Host:     Host{Kernel: "6.14.0", Arch: "x86_64", TailorVersion: "0.2.0", DockerVersion: "28.5.2"},
		Start:    testStart,
		Stop:     testStop,
		ArmedBy:  ArmedByExec,
		Partial:  true,
		Learning: Learning{Seccomp: "unconfined", Privileged: true},
		Syscalls: uses(t, ArchX86_64, SourceWorkload, "connect", "execve", "ioctl", "mmap", "openat", "read",
			"sendto", "socket", "write"),
		CapabilitiesRecorded: true,
		Capabilities: []CapabilityUse{
			{Name: "CAP_NET_ADMIN", Granted: 4, Syscalls: []string{"ioctl"}},
			{Name: "CAP_SYS_ADMIN", Granted: 17, Syscalls: []string{"mmap"}},
			{Name: "CAP_DAC_READ_SEARCH", Granted: 3, Syscalls: []string{"openat"}},
		},
		FilesRecorded: true,
		Files: []FileAccess{
			{Path: "/usr/local/bin/agent", Access: []string{AccessExec}, Mount: MountRootfs},
			{Path: "/var/run/docker.sock", Access: []string{AccessConnect}, Mount: MountBind, MountPoint: "/var/run/docker.sock"},
			{Path: "/host/proc/stat", Access: []string{AccessRead}, Mount: MountBind, MountPoint: "/host"},
			{Path: "/dev/kmsg", Access: []string{AccessRead}, Mount: MountDev},
		},
		Sockets: []SocketUse{{Family: "netlink", Type: "raw"}, {Family: "unix", Type: "stream"}},
		ContainerMounts: []ContainerMount{
			{Type: "bind", Destination: "/var/run/docker.sock", Source: "/var/run/docker.sock"},
			{Type: "bind", Destination: "/host", Source: "/", ReadOnly: true, Propagation: "rshared"},
			{Type: "bind", Destination: "/etc/ssl/certs", Source: "/etc/ssl/certs", ReadOnly: true},
		},
		Identity:  Identity{Execs: []ExecIdentity{{Path: "/usr/local/bin/agent", UID: 0, GID: 0}}},
		Resources: Resources{PeakTasks: 14, PeakMemoryBytes: 48 * mib, PeakOpenFiles: 120},
		Config: ContainerConfig{Privileged: true, NetworkMode: "host", PidMode: "host", IpcMode: "private",
			RestartPolicy: "unless-stopped",
			SecurityOpt:   []string{"label=disable"}},
	}
}

// hardenedRecording: run with everything the checklist asks for.
func hardenedRecording(t *testing.T) *Recording {
	return &Recording{
		Container: Container{ID: "a11ce5a11ce5a11ce5a11ce5a11ce5a11ce5a11ce5a11ce5a11ce5a11ce5a11c", Name: "api",
			Image: "example/api:3.2", Runtime: "runc"},
		Host:     Host{Kernel: "6.14.0", Arch: "x86_64", TailorVersion: "0.2.0", DockerVersion: "28.5.2"},
		Start:    testStart,
		Stop:     testStop,
		ArmedBy:  ArmedByFilter,
		Learning: Learning{Seccomp: "custom", NoNewPrivileges: true, CapDrop: []string{"ALL"}},
		Syscalls: uses(t, ArchX86_64, SourceWorkload, "accept4", "bind", "close", "epoll_pwait", "execve", "futex",
			"listen", "mmap", "openat", "read", "write"),
		CapabilitiesRecorded: true,
		FilesRecorded:        true,
		Files: []FileAccess{
			{Path: "/app/server", Access: []string{AccessExec}, Mount: MountRootfs},
			{Path: "/tmp/cache-0001", Access: []string{AccessCreate, AccessWrite}, Mount: MountTmpfs, MountPoint: "/tmp"},
		},
		Sockets:         []SocketUse{{Family: "inet", Type: "stream"}},
		ContainerMounts: []ContainerMount{{Type: "tmpfs", Destination: "/tmp"}},
		Identity:        Identity{Execs: []ExecIdentity{{Path: "/app/server", UID: 10001, GID: 10001}}},
		Resources:       Resources{PeakTasks: 12, PeakMemoryBytes: 80 * mib, PeakOpenFiles: 64},
		Config: ContainerConfig{
			User: "10001:10001", NetworkMode: "bridge", IpcMode: "private", ReadonlyRootfs: true,
			SecurityOpt: []string{"apparmor=tailor-api", "seccomp=/profiles/api/seccomp.json", "no-new-privileges"},
			MemoryBytes: 256 * mib, PidsLimit: 100, NanoCPUs: 1500000000,
			Ulimits:       []Ulimit{{Name: "nofile", Soft: 1024, Hard: 1024}},
			RestartPolicy: "on-failure", RestartRetries: 3, Healthcheck: true, DaemonUsernsRemap: true,
			Ports: []PortBinding{{ContainerPort: "8080/tcp", HostIP: "127.0.0.1", HostPort: "8080"}},
		},
	}
}

// markupRecording: names, paths and options that are HTML, Markdown and
// terminal escape sequences.
func markupRecording(t *testing.T) *Recording {
	return &Recording{
		Container: Container{ID: "0123456789ab", Name: "<script>alert(1)</script>\x1b[2J|*x*",
			Image: "img\"><img src=x onerror=alert(2)>`code`"},
		Host:                 Host{Kernel: "6.14.0", Arch: "x86_64", TailorVersion: "0.2.0"},
		Start:                testStart,
		Stop:                 testStop,
		ArmedBy:              ArmedByFilter,
		Learning:             Learning{Seccomp: "default"},
		Syscalls:             uses(t, ArchX86_64, SourceWorkload, "execve", "read"),
		CapabilitiesRecorded: true,
		FilesRecorded:        true,
		ContainerMounts: []ContainerMount{
			{Type: "bind", Destination: "/mnt/<i>x</i>", Source: "/etc/<b>bold</b>|[link](http://e.x)\x1b]0;title\x07"},
		},
		Identity: Identity{Execs: []ExecIdentity{{Path: "/bin/<svg onload=alert(3)>", UID: 0}}},
		Config:   ContainerConfig{NetworkMode: "bridge", User: "0"},
	}
}

// reviewRecordings are the containers of the report goldens, in the order
// of their names as `tailor report` would read them.
func reviewRecordings(t *testing.T) []*Recording {
	return []*Recording{
		dangerousRecording(t), hardenedRecording(t), redisRecording(t), markupRecording(t),
		nginxRecording(t), batchRecording(t),
	}
}
