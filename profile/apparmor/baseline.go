package apparmor

// The fixed parts of every AppArmor profile: the baseline of files any
// process may need, and the deny rules.

// appArmorBaseline is allowed whatever the recording shows. Each entry is
// something a process may touch at any moment, so that a learning run that
// happened not to see it says nothing; none of it gives access to data.
var appArmorBaseline = []FileRule{
	{Path: "/dev/null", Perms: "rw", Comment: "discarded output, empty input: shells and daemons redirect to it at any time"},
	{Path: "/dev/zero", Perms: "r", Comment: "zeros, read by dd-style copies and some allocators"},
	{Path: "/dev/full", Perms: "rw", Comment: "always-full device, used to test write errors; holds nothing"},
	{Path: "/dev/random", Perms: "r", Comment: "randomness: TLS and hashing libraries open these lazily, on first use"},
	{Path: "/dev/urandom", Perms: "r"},
	{Path: "/dev/tty", Perms: "rw", Comment: "the controlling terminal of docker run -it and docker exec -it"},
	{Path: "/dev/console", Perms: "rw", Comment: "with -t, stdin, stdout and stderr are a terminal, which AppArmor revalidates when the entrypoint starts"},
	{Path: "/dev/pts/[0-9]*", Perms: "rw"},
	{Path: "@{PROC}/@{pid}/fd/", Perms: "r", Comment: "the process's own descriptors: listed to close them before exec (closefrom)"},
	{Path: "/etc/ld.so.cache", Perms: "r", Comment: "read by the dynamic loader whenever a dynamically linked program starts"},
	{Path: "/tmp/", Perms: "r"},
	{Path: "/tmp/**", Perms: "rwk", Comment: "temporary files: programs pick a new name on every run (mktemp, uploads, sorts), and --read-only gives /tmp an empty tmpfs of the container's own; no m or x, so a file dropped there cannot run"},
}

// dockerDefaultDenies are the file deny rules of Docker's default profile,
// docker-default (moby, profiles/apparmor/template.go), copied as they are
// there, with their comments. Its `deny mount,` is Profile.DenyMount.
var dockerDefaultDenies = []FileRule{
	{Path: "@{PROC}/*", Perms: "w", Comment: "deny write for all files directly in /proc (not in a subdir)"},
	{Path: "@{PROC}/{[^1-9],[^1-9][^0-9],[^1-9s][^0-9y][^0-9s],[^1-9][^0-9][^0-9][^0-9/]*}/**", Perms: "w", Comment: "deny write to files not in /proc/<number>/** or /proc/sys/**"},
	{Path: "@{PROC}/sys/[^k]**", Perms: "w", Comment: "deny /proc/sys except /proc/sys/k* (effectively /proc/sys/kernel)"},
	{Path: "@{PROC}/sys/kernel/{?,??,[^s][^h][^m]**}", Perms: "w", Comment: "deny everything except shm* in /proc/sys/kernel/"},
	{Path: "@{PROC}/sysrq-trigger", Perms: "rwklx"},
	{Path: "@{PROC}/kcore", Perms: "rwklx"},
	{Path: "/sys/[^f]*/**", Perms: "wklx"},
	{Path: "/sys/f[^s]*/**", Perms: "wklx"},
	{Path: "/sys/fs/[^c]*/**", Perms: "wklx"},
	{Path: "/sys/fs/c[^g]*/**", Perms: "wklx"},
	{Path: "/sys/fs/cg[^r]*/**", Perms: "wklx"},
	{Path: "/sys/firmware/**", Perms: "rwklx"},
	{Path: "/sys/devices/virtual/powercap/**", Perms: "rwklx"},
	{Path: "/sys/kernel/security/**", Perms: "rwklx"},
}

// tailorDenies are tailor's own: secrets that no generalised rule may
// expose.
var tailorDenies = []FileRule{
	{Path: "/etc/shadow", Perms: "rwklx", Comment: "password hashes"},
	{Path: "/etc/gshadow", Perms: "rwklx"},
	{Path: "/root/.ssh/**", Perms: "rwklx", Comment: "root's ssh keys"},
}
