package profile

// Families and lifecycles: the syscalls a profile allows beyond those the
// learning run made, because they do what a recorded one does with the same
// privilege. A run takes one path through a program; the next takes
// another, and libc, the shell or the language runtime picks another
// syscall for the same operation (glibc's posix_spawn uses clone, busybox's
// shell vfork; Go stats with newfstatat, musl with stat), or finishes what
// the first run only began (a file created is later unlinked, a directory
// made is later removed). Each family below names why its members belong;
// a member is added only on the architectures whose syscall table has it
// (x86-64 has fork, vfork and creat; arm64 has none of them).
//
// No member adds a privilege: every one is allowed by Docker's default
// profile to a container without any capability (a test checks it), none
// is a syscall whose arguments the recorder constrains except clone,
// which is added only with the rule "no namespace flags", and clone3,
// whose flags seccomp cannot see, is never added. What the kernel checks
// beyond seccomp (file permissions, AppArmor by path, capabilities) still
// applies to every member: a profile that lets a container unlink lets it
// unlink only what AppArmor's rules and the file's permissions allow.

import (
	"cmp"
	"slices"
)

// ConstrainedArgSyscalls are the syscalls whose arguments the recorder
// keeps (tracer's argSyscalls, which a test keeps equal): the profile
// allows them only with the values recorded, so no family may add one
// without a rule of its own.
var ConstrainedArgSyscalls = []string{"clone", "clone3", "socket", "socketpair", "personality", "unshare", "setns", "prctl", "ioctl"}

// ATRemovedir is AT_REMOVEDIR, unlinkat's flag (its third argument) that
// makes it rmdir.
const ATRemovedir = 0x200

// Kinds of GeneralizedSyscall.
const (
	ByFamily    = "family"    // the same operation as a recorded syscall
	ByLifecycle = "lifecycle" // the rest of the life of an object the container made
)

// GeneralizedSyscall is a syscall a profile allows because of what was
// recorded rather than because it was recorded.
type GeneralizedSyscall struct {
	Name string `json:"name"`
	// By is ByFamily or ByLifecycle.
	By string `json:"by"`
	// Group names the family or lifecycle ("process creation").
	Group string `json:"group"`
	// Because are the recorded syscalls (or, for lifecycles, the recorded
	// syscalls and file accesses) that brought it in, sorted.
	Because []string `json:"because"`
	// Arg, when set, is the only argument value it is allowed with (clone
	// without namespace flags; unlinkat without AT_REMOVEDIR). Values
	// holds every value allowed.
	Arg *ArgValues `json:"arg,omitempty"`
	// Why says why it does what the recorded ones do.
	Why string `json:"why"`
}

// familyMember is a syscall of a family; with mask set it joins only with
// arg&mask == value when it was not recorded itself.
type familyMember struct {
	name        string
	index       int
	mask, value uint64
}

func m(name string) familyMember { return familyMember{name: name} }

// syscallFamily is a set of syscalls that do one operation with the same
// privilege: one recorded brings the others in.
type syscallFamily struct {
	group   string
	members []familyMember
	// triggers also bring the members in but are never added themselves.
	triggers []string
	why      string
}

// syscallFamilies are derived from what glibc, musl, Go's runtime and
// syscall package, the JVM and Node.js (libuv) call for one operation, on
// x86-64 and arm64 and their 32-bit compat architectures.
var syscallFamilies = []syscallFamily{
	{
		group: "process creation",
		members: []familyMember{m("fork"), m("vfork"),
			{name: "clone", index: 0, mask: CloneNamespaceMask, value: 0}},
		triggers: []string{"clone3"},
		why: "glibc's fork() is clone(SIGCHLD) and its posix_spawn clone3 or clone(CLONE_VM|CLONE_VFORK); " +
			"musl's fork() is SYS_fork and busybox's shell and applets vfork(); Go's os/exec uses " +
			"clone(CLONE_VFORK|CLONE_VM); the JVM's ProcessBuilder posix_spawn or vfork, Node's libuv fork: " +
			"each makes a child process with a copy (or a share) of the parent's memory and no new namespace. " +
			"clone joins only without namespace flags; clone3, whose flags seccomp cannot read, only where the run made it",
	},
	{
		group:   "open",
		members: []familyMember{m("open"), m("openat"), m("openat2"), m("creat")},
		why: "glibc (since 2.26) and Go open with openat(AT_FDCWD), musl on x86-64 with open, runtimes " +
			"probe openat2; creat(p) is open(p, O_CREAT|O_WRONLY|O_TRUNC): one path lookup, the same " +
			"permission checks",
	},
	{
		group: "stat",
		members: []familyMember{m("stat"), m("lstat"), m("fstat"), m("newfstatat"), m("statx"),
			m("stat64"), m("lstat64"), m("fstat64"), m("fstatat64")},
		why: "glibc 2.33+ implements stat, lstat and fstat with newfstatat (fstatat64 on 32-bit) or statx, " +
			"musl on x86-64 with stat, lstat and fstat, Go with newfstatat and fstat, libuv and the JVM with " +
			"statx falling back to the older ones: the same attributes of one file",
	},
	{
		group:   "dup",
		members: []familyMember{m("dup"), m("dup2"), m("dup3")},
		why:     "arm64 has no dup2, so glibc, musl and Go make dup3 there and dup2 on x86-64: copies of a descriptor it holds",
	},
	{
		group:   "pipe",
		members: []familyMember{m("pipe"), m("pipe2")},
		why:     "glibc and musl make pipe2(fds, 0) where pipe does not exist (arm64), Go always pipe2: a new pipe",
	},
	{
		group: "poll",
		members: []familyMember{m("poll"), m("ppoll"), m("select"), m("pselect6"), m("_newselect"),
			m("ppoll_time64"), m("pselect6_time64")},
		why: "arm64 has neither poll nor select, so glibc and musl make ppoll and pselect6 there; " +
			"busybox and older programs select: waiting on descriptors it holds",
	},
	{
		group:   "epoll wait",
		members: []familyMember{m("epoll_wait"), m("epoll_pwait"), m("epoll_pwait2")},
		why:     "Go's netpoller and libuv make epoll_pwait (arm64 has no epoll_wait), glibc's epoll_wait is epoll_wait on x86-64: waiting on an epoll set it holds",
	},
	{
		group:   "epoll create",
		members: []familyMember{m("epoll_create"), m("epoll_create1")},
		why:     "glibc's epoll_create is epoll_create1 where the old one is missing (arm64); Go and libuv make epoll_create1: a new epoll set",
	},
	{
		group:   "eventfd",
		members: []familyMember{m("eventfd"), m("eventfd2")},
		why:     "eventfd2 is eventfd with flags; glibc and musl make eventfd2: a new event counter",
	},
	{
		group:   "signalfd",
		members: []familyMember{m("signalfd"), m("signalfd4")},
		why:     "signalfd4 is signalfd with flags; libc makes signalfd4: a descriptor for its own signals",
	},
	{
		group:   "inotify init",
		members: []familyMember{m("inotify_init"), m("inotify_init1")},
		why:     "inotify_init1 is inotify_init with flags; libc makes inotify_init1 where the old one is missing (arm64)",
	},
	{
		group:   "accept",
		members: []familyMember{m("accept"), m("accept4")},
		why:     "accept4 is accept with SOCK_CLOEXEC/SOCK_NONBLOCK; Go and libuv accept4, older code accept: a connection on a socket it listens on",
	},
	{
		group:   "wait",
		members: []familyMember{m("wait4"), m("waitid"), m("waitpid")},
		why:     "glibc's and musl's waitpid and wait are wait4, Go's os.Process.Wait waitid and wait4, 32-bit x86 has waitpid: waiting for its own children",
	},
	{
		group:   "getdents",
		members: []familyMember{m("getdents"), m("getdents64")},
		why:     "glibc and musl's readdir make getdents64, older code getdents: listing a directory it opened",
	},
	{
		group:   "access",
		members: []familyMember{m("access"), m("faccessat"), m("faccessat2")},
		why:     "glibc's access is faccessat where access is missing (arm64), faccessat with flags is faccessat2, Go's syscall.Faccessat probes faccessat2: the same permission check",
	},
	{
		group:   "readlink",
		members: []familyMember{m("readlink"), m("readlinkat")},
		why:     "glibc's readlink is readlinkat on arm64, Go's os.Readlink readlinkat: reading one symlink",
	},
	{
		group:   "mkdir",
		members: []familyMember{m("mkdir"), m("mkdirat")},
		why:     "glibc's and Go's mkdir are mkdirat(AT_FDCWD) where mkdir is missing (arm64) or always (Go): one directory made",
	},
	{
		group:   "unlink",
		members: []familyMember{m("unlink"), {name: "unlinkat", index: 2, mask: ATRemovedir, value: 0}},
		why:     "glibc's unlink is unlinkat on arm64, Go's os.Remove unlinkat: one name removed (unlinkat joins without AT_REMOVEDIR, which would make it rmdir)",
	},
	{
		group:   "rmdir",
		members: []familyMember{m("rmdir"), {name: "unlinkat", index: 2, mask: ATRemovedir, value: ATRemovedir}},
		why:     "glibc's rmdir is unlinkat(AT_REMOVEDIR) on arm64, Go's os.Remove unlinkat(AT_REMOVEDIR): one empty directory removed",
	},
	{
		group:   "rename",
		members: []familyMember{m("rename"), m("renameat"), m("renameat2")},
		why:     "glibc's rename is renameat (renameat2 on the newest architectures), Go's os.Rename renameat, renameat2 adds RENAME_NOREPLACE and RENAME_EXCHANGE: one name moved within what it may write",
	},
	{
		group:   "link",
		members: []familyMember{m("link"), m("linkat")},
		why:     "glibc's link is linkat on arm64, Go's os.Link linkat: one hard link (linkat's AT_EMPTY_PATH still needs CAP_DAC_READ_SEARCH from the kernel)",
	},
	{
		group:   "symlink",
		members: []familyMember{m("symlink"), m("symlinkat")},
		why:     "glibc's symlink is symlinkat on arm64, Go's os.Symlink symlinkat: one symlink",
	},
	{
		group:   "chmod",
		members: []familyMember{m("chmod"), m("fchmod"), m("fchmodat"), m("fchmodat2")},
		why:     "glibc's chmod is fchmodat on arm64, Go's os.Chmod fchmodat and File.Chmod fchmod, glibc 2.39 probes fchmodat2: the same owner-only check on one file",
	},
	{
		group: "chown",
		members: []familyMember{m("chown"), m("lchown"), m("fchown"), m("fchownat"),
			m("chown32"), m("lchown32"), m("fchown32")},
		why: "glibc's chown and lchown are fchownat on arm64, Go's os.Chown fchownat and File.Chown fchown, 32-bit code the *32 forms: " +
			"the same check on one file (changing the owner still needs CAP_CHOWN from the kernel)",
	},
	{
		group:   "utime",
		members: []familyMember{m("utime"), m("utimes"), m("futimesat"), m("utimensat")},
		why:     "glibc's utime and utimes are utimensat on arm64, Go's os.Chtimes utimensat: the same timestamps of one file",
	},
	{
		group:   "statfs",
		members: []familyMember{m("statfs"), m("fstatfs"), m("statfs64"), m("fstatfs64")},
		why:     "glibc's statvfs is statfs, fstatvfs fstatfs (the *64 forms on 32-bit): a file system's sizes",
	},
	{
		group:   "read",
		members: []familyMember{m("read"), m("readv"), m("pread64"), m("preadv"), m("preadv2")},
		why:     "libuv and the JVM read with pread64 and preadv, stdio and Go with read, glibc's readv with readv: reading a descriptor it holds",
	},
	{
		group:   "write",
		members: []familyMember{m("write"), m("writev"), m("pwrite64"), m("pwritev"), m("pwritev2")},
		why:     "libuv, Node's fs and the JVM write with pwrite64 and writev, stdio and Go with write: writing a descriptor it holds",
	},
	{
		group:   "sleep",
		members: []familyMember{m("nanosleep"), m("clock_nanosleep"), m("clock_nanosleep_time64")},
		why:     "glibc 2.31+ and musl make clock_nanosleep for sleep and nanosleep, Go's runtime nanosleep: sleeping",
	},
}

// objectLifecycle: where the container made an object (by one of
// creates, or by a recorded file access in accesses), the calls that
// finish it are allowed.
type objectLifecycle struct {
	group    string
	creates  []string
	accesses []string
	then     []familyMember
	why      string
}

var objectLifecycles = []objectLifecycle{
	{
		group:    "files it creates",
		creates:  []string{"creat", "link", "linkat", "symlink", "symlinkat", "rename", "renameat", "renameat2", "mknod", "mknodat"},
		accesses: []string{AccessCreate, AccessOpenCreate, AccessLink, AccessSymlink, AccessRename},
		then:     []familyMember{m("unlink"), {name: "unlinkat", index: 2, mask: ATRemovedir, value: 0}, m("rename"), m("renameat"), m("renameat2")},
		why: "a container that may create a file may remove or rename it again: the kernel checks the same write " +
			"permission on the directory, and AppArmor's w, which creating the file needed, is what removing it needs",
	},
	{
		group:    "directories it makes",
		creates:  []string{"mkdir", "mkdirat"},
		accesses: []string{AccessMkdir},
		then:     []familyMember{m("rmdir"), {name: "unlinkat", index: 2, mask: ATRemovedir, value: ATRemovedir}, m("rename"), m("renameat"), m("renameat2")},
		why: "a directory it may make it may remove (DROP DATABASE, a cleaned-up work directory): the same write permission " +
			"on the parent, and AppArmor's w on the directory, which mkdir needed",
	},
	{
		group:   "sockets",
		creates: []string{"socket", "socketpair", "accept", "accept4"},
		then:    []familyMember{m("shutdown"), m("close")},
		why:     "a socket it holds it may shut down and close: no other socket is reached",
	},
	{
		group:   "timerfd",
		creates: []string{"timerfd_create"},
		then:    []familyMember{m("timerfd_settime"), m("timerfd_gettime"), m("timerfd_settime64"), m("timerfd_gettime64"), m("close")},
		why:     "a timer descriptor it made it may arm, read and close",
	},
	{
		group:   "POSIX timers",
		creates: []string{"timer_create"},
		then:    []familyMember{m("timer_settime"), m("timer_gettime"), m("timer_getoverrun"), m("timer_delete"), m("timer_settime64"), m("timer_gettime64")},
		why:     "a POSIX timer it made it may arm, read and delete (timer ids are per process)",
	},
	{
		group:   "eventfd",
		creates: []string{"eventfd", "eventfd2"},
		then:    []familyMember{m("read"), m("write"), m("close")},
		why:     "an event counter it made it may read, signal and close",
	},
	{
		group:   "epoll sets",
		creates: []string{"epoll_create", "epoll_create1"},
		then:    []familyMember{m("epoll_ctl"), m("close")},
		why:     "an epoll set it made it may add descriptors it holds to, remove them from, and close",
	},
	{
		group:   "inotify",
		creates: []string{"inotify_init", "inotify_init1"},
		then:    []familyMember{m("inotify_add_watch"), m("inotify_rm_watch"), m("close")},
		why:     "an inotify descriptor it made it may add and remove watches on (each still needs read permission on the path)",
	},
	{
		group:   "AIO contexts",
		creates: []string{"io_setup"},
		then:    []familyMember{m("io_destroy"), m("io_cancel"), m("io_getevents")},
		why:     "an AIO context it made it may wait on, cancel in and destroy",
	},
}

// GeneralizedSyscalls lists what a profile of rec allows beyond what rec
// recorded: the other members of the families of the recorded syscalls,
// and the calls that end the life of what the container made, each once
// (by name), sorted by name. A name brought in by several groups lists
// the first, by family before lifecycle; its Arg is the union of theirs,
// or none when one of them brings it in without a rule.
func GeneralizedSyscalls(rec *Recording) []GeneralizedSyscall {
	gs, _ := generalize(rec)
	return gs
}

// FamilyArgRules are the argument values the families of rec's syscalls
// add to a recorded syscall whose recorded values lack them: a run that
// made fork and, elsewhere, clone only with namespace flags may clone
// without them too (fork is that). Merged into the recorded values of
// the same argument, they keep a merged profile covering every input's.
// A recorded syscall with no recorded values is allowed with any.
func FamilyArgRules(rec *Recording) []ArgValues {
	_, rules := generalize(rec)
	return rules
}

func generalize(rec *Recording) ([]GeneralizedSyscall, []ArgValues) {
	rec = Normalized(rec)
	recorded := map[string]bool{}
	byArch := map[Arch]map[string]bool{} // recorded names by architecture
	for _, s := range rec.Syscalls {
		if s.Name == "" {
			continue
		}
		recorded[s.Name] = true
		if byArch[s.Arch] == nil {
			byArch[s.Arch] = map[string]bool{}
		}
		byArch[s.Arch][s.Name] = true
	}
	native := RecordingNativeArch(rec)
	accessed := map[string]bool{}
	for _, f := range rec.Files {
		for _, a := range f.Access {
			accessed[a] = true
		}
	}

	if len(accessed) > 0 && byArch[native] == nil {
		byArch[native] = map[string]bool{}
	}

	added := map[string]*GeneralizedSyscall{}
	var recordedRules []ArgValues
	add := func(arch Arch, mem familyMember, by, group, why string, because []string) {
		if recorded[mem.name] {
			if mem.mask == 0 {
				return
			}
			for _, a := range rec.SyscallArgs {
				if a.Syscall == mem.name && a.Index == mem.index && a.Mask == mem.mask && a.Field == "" &&
					!slices.Contains(a.Values, mem.value) &&
					!slices.ContainsFunc(recordedRules, func(r ArgValues) bool { return r.Syscall == mem.name && r.Values[0] == mem.value }) {
					recordedRules = append(recordedRules, ArgValues{Arch: a.Arch, Syscall: mem.name, Index: mem.index, Mask: mem.mask, Values: []uint64{mem.value}})
				}
			}
			return
		}
		if _, ok := SyscallNumber(arch, mem.name); !ok {
			return
		}
		g := added[mem.name]
		if g == nil {
			g = &GeneralizedSyscall{Name: mem.name, By: by, Group: group, Why: why}
			if mem.mask != 0 {
				g.Arg = &ArgValues{Arch: native, Syscall: mem.name, Index: mem.index, Mask: mem.mask, Values: []uint64{mem.value}}
			}
			added[mem.name] = g
		} else if g.Arg != nil {
			switch {
			case mem.mask == 0:
				g.Arg = nil // brought in without a rule too
			case !slices.Contains(g.Arg.Values, mem.value):
				g.Arg.Values = append(g.Arg.Values, mem.value)
				slices.Sort(g.Arg.Values)
				if mem.mask&(mem.mask-1) == 0 {
					g.Arg = nil // both values of a one-bit mask: any value
				}
			}
		}
		if g.Group == group {
			for _, b := range because {
				if !slices.Contains(g.Because, b) {
					g.Because = append(g.Because, b)
				}
			}
		}
	}

	// Families and lifecycles start from recorded syscalls only, never
	// from what another one added, so that every added name is one step
	// from a recorded one (each lifecycle lists the families of its own
	// calls, and its creators include their families).
	for _, arch := range sortedArches(byArch) {
		names := byArch[arch]
		for _, f := range syscallFamilies {
			var because []string
			for _, mem := range f.members {
				if names[mem.name] {
					because = append(because, mem.name)
				}
			}
			for _, t := range f.triggers {
				if names[t] {
					because = append(because, t)
				}
			}
			if len(because) == 0 {
				continue
			}
			for _, mem := range f.members {
				add(arch, mem, ByFamily, f.group, f.why, because)
			}
		}
		for _, l := range objectLifecycles {
			var because []string
			for _, c := range l.creates {
				if names[c] {
					because = append(because, c)
				}
			}
			if arch == native {
				for _, a := range l.accesses {
					if accessed[a] {
						because = append(because, "file access "+a)
					}
				}
			}
			if len(because) == 0 {
				continue
			}
			for _, mem := range l.then {
				add(arch, mem, ByLifecycle, l.group, l.why, because)
			}
		}
	}

	slices.SortFunc(recordedRules, func(a, b ArgValues) int {
		return cmp.Or(cmp.Compare(a.Syscall, b.Syscall), cmp.Compare(a.Values[0], b.Values[0]))
	})
	out := make([]GeneralizedSyscall, 0, len(added))
	for _, g := range added {
		slices.Sort(g.Because)
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b GeneralizedSyscall) int {
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
	return out, recordedRules
}

func sortedArches(m map[Arch]map[string]bool) []Arch {
	out := make([]Arch, 0, len(m))
	for a := range m {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

// RecordingNativeArch is the native architecture of the host the recording
// was made on: from Host.Arch, else from the syscalls' architectures, else
// the one tailor runs on.
func RecordingNativeArch(rec *Recording) Arch {
	if a := ArchFromName(rec.Host.Arch); a != "" {
		return a
	}
	for _, s := range rec.Syscalls {
		switch s.Arch {
		case ArchX86_64, ArchX86, ArchX32:
			return ArchX86_64
		case ArchAArch64, ArchARM:
			return ArchAArch64
		}
	}
	return NativeArch()
}
