package profiletest

// Recordings for the user, limits, checklist and report tests: what the
// recorder gives, with docker inspect's answers, for a redis-like
// entrypoint that drops root, a batch job that never needed it, a
// container run with everything dangerous, a hardened one, and one whose
// names and paths are made to break out of HTML, Markdown and terminals.

import (
	"testing"

	"github.com/tailorsec/tailor/profile"
)

// MiB is a mebibyte, for the fixtures' memory sizes.
const MiB = 1 << 20

// RedisRecording: docker-entrypoint.sh runs as root, chowns /data with
// find, and execs redis-server as redis (999:999) through gosu.
func RedisRecording(t *testing.T) *profile.Recording {
	return &profile.Recording{
		Container: profile.Container{ID: "5e7d1c0ffee0123456789abcdef0123456789abcdef0123456789abcdef0123", Name: "cache",
			Image: "redis:7.4", Runtime: "runc", ExitCode: IntPtr(0)},
		Host:     profile.Host{Kernel: "6.14.0", Arch: "x86_64", TailorVersion: "0.2.0", DockerVersion: "28.5.2"},
		Start:    Start,
		Stop:     Stop,
		ArmedBy:  profile.ArmedByFilter,
		Learning: profile.Learning{Seccomp: "default"},
		Syscalls: Uses(t, profile.ArchX86_64, profile.SourceWorkload, "accept4", "bind", "brk", "close", "epoll_wait", "execve",
			"fchownat", "listen", "mmap", "openat", "read", "setgid", "setgroups", "setuid", "socket", "write"),
		CapabilitiesRecorded: true,
		Capabilities: []profile.CapabilityUse{
			{Name: "CAP_CHOWN", Granted: 12, Syscalls: []string{"fchownat"}},
			{Name: "CAP_SETGID", Granted: 2, Syscalls: []string{"setgid", "setgroups"}},
			{Name: "CAP_SETUID", Granted: 1, Syscalls: []string{"setuid"}},
			{Name: "CAP_SYS_ADMIN", Denied: 40, Syscalls: []string{"mmap"}},
		},
		FilesRecorded: true,
		Files: []profile.FileAccess{
			{Path: "/usr/local/bin/docker-entrypoint.sh", Access: []string{profile.AccessExec}, Mount: profile.MountRootfs},
			{Path: "/usr/local/bin/redis-server", Access: []string{profile.AccessExec}, Mount: profile.MountRootfs},
			{Path: "/data/", Access: []string{profile.AccessChown, profile.AccessRead}, Mount: profile.MountVolume, MountPoint: "/data"},
			{Path: "/data/dump.rdb", Access: []string{profile.AccessCreate, profile.AccessRename, profile.AccessWrite}, Mount: profile.MountVolume, MountPoint: "/data"},
		},
		Sockets:         []profile.SocketUse{{Family: "inet", Type: "stream"}, {Family: "inet6", Type: "stream"}},
		ContainerMounts: []profile.ContainerMount{{Type: "volume", Destination: "/data", Source: "redis-data"}},
		Identity: profile.Identity{
			Execs: []profile.ExecIdentity{
				{Path: "/usr/local/bin/docker-entrypoint.sh", UID: 0, GID: 0},
				{Path: "/usr/bin/find", UID: 0, GID: 0},
				{Path: "/usr/local/bin/gosu", UID: 0, GID: 0},
				{Path: "/usr/local/bin/redis-server", UID: 999, GID: 999},
			},
			RootOnly: []profile.RootOnlyAccess{{Path: "/data/", Access: profile.AccessChown, Owner: 0, Mode: 0o40755}},
		},
		Resources: profile.Resources{PeakTasks: 6, PeakMemoryBytes: 9*MiB + 300<<10, PeakOpenFiles: 40, OpenFilesLimit: 1024},
		Config: profile.ContainerConfig{NetworkMode: "bridge", PidMode: "", IpcMode: "private", RestartPolicy: "always",
			Ports: []profile.PortBinding{{ContainerPort: "6379/tcp", HostIP: "0.0.0.0", HostPort: "6379"}}},
	}
}

// BatchRecording: a job run as root that used no capability and no
// root-only file.
func BatchRecording(t *testing.T) *profile.Recording {
	return &profile.Recording{
		Container: profile.Container{ID: "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", Name: "report-job",
			Image: "example/report-job:2.1", Runtime: "runc", ExitCode: IntPtr(0)},
		Host:     profile.Host{Kernel: "6.14.0", Arch: "x86_64", TailorVersion: "0.2.0", DockerVersion: "28.5.2"},
		Start:    Start,
		Stop:     Start.Add(12 * 1e9),
		ArmedBy:  profile.ArmedByFilter,
		Learning: profile.Learning{Seccomp: "default"},
		Syscalls: Uses(t, profile.ArchX86_64, profile.SourceWorkload, "brk", "close", "execve", "exit_group", "mmap", "openat",
			"read", "write"),
		CapabilitiesRecorded: true,
		Capabilities:         []profile.CapabilityUse{{Name: "CAP_SYS_ADMIN", Denied: 9, Syscalls: []string{"brk", "mmap"}}},
		FilesRecorded:        true,
		Files: []profile.FileAccess{
			{Path: "/bin/sh", Access: []string{profile.AccessExec}, Mount: profile.MountRootfs},
			{Path: "/usr/local/bin/report", Access: []string{profile.AccessExec}, Mount: profile.MountRootfs},
			{Path: "/etc/report.conf", Access: []string{profile.AccessRead}, Mount: profile.MountRootfs},
			{Path: "/out/report.csv", Access: []string{profile.AccessCreate, profile.AccessWrite}, Mount: profile.MountBind, MountPoint: "/out"},
		},
		ContainerMounts: []profile.ContainerMount{{Type: "bind", Destination: "/out", Source: "/srv/reports"}},
		Identity: profile.Identity{Execs: []profile.ExecIdentity{
			{Path: "/bin/sh", UID: 0, GID: 0},
			{Path: "/usr/local/bin/report", UID: 0, GID: 0},
		}},
		Resources: profile.Resources{PeakTasks: 3, PeakMemoryBytes: 210 * MiB, PeakOpenFiles: 900, OpenFilesLimit: 1024},
		Config:    profile.ContainerConfig{NetworkMode: "none", RestartPolicy: "no"},
	}
}

// DangerousRecording: --privileged, the Docker socket and the host's root
// mounted, the host's network and PID namespaces, seccomp off.
func DangerousRecording(t *testing.T) *profile.Recording {
	return &profile.Recording{
		Container: profile.Container{ID: "dead0000beef1111dead0000beef1111dead0000beef1111dead0000beef1111", Name: "agent",
			Image: "example/monitoring-agent:5", Runtime: "runc"},
		Host:     profile.Host{Kernel: "6.14.0", Arch: "x86_64", TailorVersion: "0.2.0", DockerVersion: "28.5.2"},
		Start:    Start,
		Stop:     Stop,
		ArmedBy:  profile.ArmedByExec,
		Partial:  true,
		Learning: profile.Learning{Seccomp: "unconfined", Privileged: true},
		Syscalls: Uses(t, profile.ArchX86_64, profile.SourceWorkload, "connect", "execve", "ioctl", "mmap", "openat", "read",
			"sendto", "socket", "write"),
		CapabilitiesRecorded: true,
		Capabilities: []profile.CapabilityUse{
			{Name: "CAP_NET_ADMIN", Granted: 4, Syscalls: []string{"ioctl"}},
			{Name: "CAP_SYS_ADMIN", Granted: 17, Syscalls: []string{"mmap"}},
			{Name: "CAP_DAC_READ_SEARCH", Granted: 3, Syscalls: []string{"openat"}},
		},
		FilesRecorded: true,
		Files: []profile.FileAccess{
			{Path: "/usr/local/bin/agent", Access: []string{profile.AccessExec}, Mount: profile.MountRootfs},
			{Path: "/var/run/docker.sock", Access: []string{profile.AccessConnect}, Mount: profile.MountBind, MountPoint: "/var/run/docker.sock"},
			{Path: "/host/proc/stat", Access: []string{profile.AccessRead}, Mount: profile.MountBind, MountPoint: "/host"},
			{Path: "/dev/kmsg", Access: []string{profile.AccessRead}, Mount: profile.MountDev},
		},
		Sockets: []profile.SocketUse{{Family: "netlink", Type: "raw"}, {Family: "unix", Type: "stream"}},
		ContainerMounts: []profile.ContainerMount{
			{Type: "bind", Destination: "/var/run/docker.sock", Source: "/var/run/docker.sock"},
			{Type: "bind", Destination: "/host", Source: "/", ReadOnly: true, Propagation: "rshared"},
			{Type: "bind", Destination: "/etc/ssl/certs", Source: "/etc/ssl/certs", ReadOnly: true},
		},
		Identity:  profile.Identity{Execs: []profile.ExecIdentity{{Path: "/usr/local/bin/agent", UID: 0, GID: 0}}},
		Resources: profile.Resources{PeakTasks: 14, PeakMemoryBytes: 48 * MiB, PeakOpenFiles: 120, OpenFilesLimit: 1048576},
		Config: profile.ContainerConfig{Privileged: true, NetworkMode: "host", PidMode: "host", IpcMode: "private",
			RestartPolicy: "unless-stopped",
			SecurityOpt:   []string{"label=disable"}},
	}
}

// HardenedRecording: run with everything the checklist asks for.
func HardenedRecording(t *testing.T) *profile.Recording {
	return &profile.Recording{
		Container: profile.Container{ID: "a11ce5a11ce5a11ce5a11ce5a11ce5a11ce5a11ce5a11ce5a11ce5a11ce5a11c", Name: "api",
			Image: "example/api:3.2", Runtime: "runc"},
		Host:     profile.Host{Kernel: "6.14.0", Arch: "x86_64", TailorVersion: "0.2.0", DockerVersion: "28.5.2"},
		Start:    Start,
		Stop:     Stop,
		ArmedBy:  profile.ArmedByFilter,
		Learning: profile.Learning{Seccomp: "custom", NoNewPrivileges: true, CapDrop: []string{"ALL"}},
		Syscalls: Uses(t, profile.ArchX86_64, profile.SourceWorkload, "accept4", "bind", "close", "epoll_pwait", "execve", "futex",
			"listen", "mmap", "openat", "read", "write"),
		CapabilitiesRecorded: true,
		FilesRecorded:        true,
		Files: []profile.FileAccess{
			{Path: "/app/server", Access: []string{profile.AccessExec}, Mount: profile.MountRootfs},
			{Path: "/tmp/cache-0001", Access: []string{profile.AccessCreate, profile.AccessWrite}, Mount: profile.MountTmpfs, MountPoint: "/tmp"},
		},
		Sockets:         []profile.SocketUse{{Family: "inet", Type: "stream"}},
		ContainerMounts: []profile.ContainerMount{{Type: "tmpfs", Destination: "/tmp"}},
		Identity:        profile.Identity{Execs: []profile.ExecIdentity{{Path: "/app/server", UID: 10001, GID: 10001}}},
		Resources:       profile.Resources{PeakTasks: 12, PeakMemoryBytes: 80 * MiB, PeakOpenFiles: 64},
		Config: profile.ContainerConfig{
			User: "10001:10001", NetworkMode: "bridge", IpcMode: "private", ReadonlyRootfs: true,
			SecurityOpt: []string{"apparmor=tailor-api", "seccomp=/profiles/api/seccomp.json", "no-new-privileges"},
			MemoryBytes: 256 * MiB, PidsLimit: 100, NanoCPUs: 1500000000,
			Ulimits:       []profile.Ulimit{{Name: "nofile", Soft: 1024, Hard: 1024}},
			RestartPolicy: "on-failure", RestartRetries: 3, Healthcheck: true, DaemonUsernsRemap: true,
			Ports: []profile.PortBinding{{ContainerPort: "8080/tcp", HostIP: "127.0.0.1", HostPort: "8080"}},
		},
	}
}

// MarkupRecording: names, paths and options that are HTML, Markdown and
// terminal escape sequences.
func MarkupRecording(t *testing.T) *profile.Recording {
	return &profile.Recording{
		Container: profile.Container{ID: "0123456789ab", Name: "<script>alert(1)</script>\x1b[2J|*x*",
			Image: "img\"><img src=x onerror=alert(2)>`code`"},
		Host:                 profile.Host{Kernel: "6.14.0", Arch: "x86_64", TailorVersion: "0.2.0"},
		Start:                Start,
		Stop:                 Stop,
		ArmedBy:              profile.ArmedByFilter,
		Learning:             profile.Learning{Seccomp: "default"},
		Syscalls:             Uses(t, profile.ArchX86_64, profile.SourceWorkload, "execve", "read"),
		CapabilitiesRecorded: true,
		FilesRecorded:        true,
		ContainerMounts: []profile.ContainerMount{
			{Type: "bind", Destination: "/mnt/<i>x</i>", Source: "/etc/<b>bold</b>|[link](http://e.x)\x1b]0;title\x07"},
		},
		Identity: profile.Identity{Execs: []profile.ExecIdentity{{Path: "/bin/<svg onload=alert(3)>", UID: 0}}},
		Config:   profile.ContainerConfig{NetworkMode: "bridge", User: "0"},
	}
}

// ReviewRecordings are the containers of the report goldens, in the order
// of their names as `tailor report` would read them.
func ReviewRecordings(t *testing.T) []*profile.Recording {
	return []*profile.Recording{
		DangerousRecording(t), HardenedRecording(t), RedisRecording(t), MarkupRecording(t),
		NginxRecording(t), BatchRecording(t),
	}
}
