package profile

import (
	"slices"
	"testing"

	moby "github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"
)

// dockerAllowsWithoutCapabilities: the syscalls Docker's default profile
// lets every container make, whatever its capabilities and with any
// arguments. A family member outside it could need a privilege.
func dockerAllowsWithoutCapabilities() map[string]bool {
	out := map[string]bool{}
	for _, r := range moby.DefaultProfile().Syscalls {
		if r.Action != specs.ActAllow || (r.Includes != nil && len(r.Includes.Caps) > 0) || len(r.Args) > 0 {
			continue
		}
		for _, n := range r.Names {
			out[n] = true
		}
	}
	return out
}

func allMembers() []familyMember {
	var out []familyMember
	for _, f := range syscallFamilies {
		out = append(out, f.members...)
	}
	for _, l := range objectLifecycles {
		out = append(out, l.then...)
	}
	return out
}

// No family or lifecycle adds a privilege: every member is something
// Docker's default profile gives a container with no capability at all,
// or one that joins only with an argument rule (clone without namespace
// flags, unlinkat with or without AT_REMOVEDIR); none is a syscall whose
// arguments the recorder constrains (socket families, prctl options,
// ioctl requests, namespaces) unless it carries that rule; clone3, whose
// flags seccomp cannot read, is never added; every member exists on some
// architecture tailor knows.
func TestFamiliesAddNoPrivilege(t *testing.T) {
	docker := dockerAllowsWithoutCapabilities()
	for _, mem := range allMembers() {
		known := false
		for _, a := range tableArches {
			if _, ok := SyscallNumber(a, mem.name); ok {
				known = true
			}
		}
		if !known {
			t.Errorf("%s is on no architecture's table", mem.name)
		}
		if mem.name == "clone3" {
			t.Errorf("clone3 is a member: its namespace flags are in memory seccomp cannot read")
		}
		if slices.Contains(ConstrainedArgSyscalls, mem.name) {
			if mem.name != "clone" || mem.mask != CloneNamespaceMask || mem.value != 0 {
				t.Errorf("%s, whose arguments the recorder constrains, is a member without the rule no namespace flags", mem.name)
			}
			continue
		}
		if mem.mask != 0 {
			if !docker[mem.name] {
				t.Errorf("%s (with a rule) is not allowed by Docker's default profile to every container", mem.name)
			}
			continue
		}
		if !docker[mem.name] {
			t.Errorf("%s is not allowed by Docker's default profile to a container without capabilities: it may need a privilege", mem.name)
		}
	}
}

func generalizedNames(gs []GeneralizedSyscall) []string {
	var out []string
	for _, g := range gs {
		out = append(out, g.Name)
	}
	return out
}

func find(gs []GeneralizedSyscall, name string) *GeneralizedSyscall {
	for i := range gs {
		if gs[i].Name == name {
			return &gs[i]
		}
	}
	return nil
}

func recOf(arch Arch, hostArch string, names ...string) *Recording {
	rec := &Recording{Host: Host{Arch: hostArch}}
	for _, n := range names {
		nr, _ := SyscallNumber(arch, n)
		rec.Syscalls = append(rec.Syscalls, SyscallUse{Arch: arch, Name: n, Number: nr, Count: 1})
	}
	return rec
}

func TestProcessCreationFamily(t *testing.T) {
	// x86-64: fork brings vfork and clone (without namespaces), never clone3.
	gs := GeneralizedSyscalls(recOf(ArchX86_64, "x86_64", "fork"))
	names := generalizedNames(gs)
	for _, want := range []string{"vfork", "clone"} {
		if !slices.Contains(names, want) {
			t.Errorf("fork did not bring %s: %v", want, names)
		}
	}
	if slices.Contains(names, "clone3") {
		t.Error("clone3 added by family")
	}
	c := find(gs, "clone")
	if c == nil || c.Arg == nil || c.Arg.Mask != CloneNamespaceMask || !slices.Equal(c.Arg.Values, []uint64{0}) || c.Arg.Index != 0 {
		t.Errorf("clone added without the rule no namespace flags: %+v", c)
	}
	if v := find(gs, "vfork"); v == nil || v.By != ByFamily || !slices.Equal(v.Because, []string{"fork"}) || v.Group != "process creation" {
		t.Errorf("vfork = %+v", v)
	}

	// arm64 has neither fork nor vfork: clone brings nothing there.
	if gs := GeneralizedSyscalls(recOf(ArchAArch64, "aarch64", "clone")); slices.Contains(generalizedNames(gs), "fork") || slices.Contains(generalizedNames(gs), "vfork") {
		t.Errorf("arm64 got fork or vfork: %v", generalizedNames(gs))
	}
	// A recorded clone keeps its own rules: it is not in the list.
	if gs := GeneralizedSyscalls(recOf(ArchX86_64, "x86_64", "clone")); find(gs, "clone") != nil || find(gs, "vfork") == nil {
		t.Errorf("clone recorded: %v", generalizedNames(gs))
	}
	// clone3 alone (glibc 2.34+) brings fork, vfork and clone, not itself.
	gs = GeneralizedSyscalls(recOf(ArchX86_64, "x86_64", "clone3"))
	if find(gs, "clone") == nil || find(gs, "clone").Arg == nil || find(gs, "clone3") != nil {
		t.Errorf("clone3 recorded: %+v", gs)
	}
}

func TestFamiliesOnlyWhereTheSyscallExists(t *testing.T) {
	gs := GeneralizedSyscalls(recOf(ArchAArch64, "aarch64", "openat", "newfstatat", "dup3", "pipe2", "ppoll"))
	for _, g := range gs {
		if _, ok := SyscallNumber(ArchAArch64, g.Name); !ok {
			t.Errorf("%s added on arm64, which does not have it", g.Name)
		}
	}
	names := generalizedNames(gs)
	for _, absent := range []string{"open", "creat", "stat", "dup2", "pipe", "poll", "select"} {
		if slices.Contains(names, absent) {
			t.Errorf("%s added on arm64", absent)
		}
	}
	for _, want := range []string{"openat2", "statx", "fstat", "dup", "pselect6"} {
		if !slices.Contains(names, want) {
			t.Errorf("%s not added on arm64: %v", want, names)
		}
	}
	// 32-bit x86 code gets the 32-bit names.
	gs = GeneralizedSyscalls(recOf(ArchX86, "x86_64", "stat64"))
	if find(gs, "fstatat64") == nil || find(gs, "statx") == nil {
		t.Errorf("x86 stat64 did not bring fstatat64 and statx: %v", generalizedNames(gs))
	}
}

func TestUnlinkatRules(t *testing.T) {
	// unlink alone: unlinkat only without AT_REMOVEDIR.
	u := find(GeneralizedSyscalls(recOf(ArchX86_64, "x86_64", "unlink")), "unlinkat")
	if u == nil || u.Arg == nil || u.Arg.Index != 2 || u.Arg.Mask != ATRemovedir || !slices.Equal(u.Arg.Values, []uint64{0}) {
		t.Errorf("unlink: unlinkat = %+v", u)
	}
	// mkdir alone: rmdir, and unlinkat only with AT_REMOVEDIR.
	gs := GeneralizedSyscalls(recOf(ArchX86_64, "x86_64", "mkdir"))
	if r := find(gs, "rmdir"); r == nil || r.By != ByLifecycle {
		t.Errorf("mkdir did not bring rmdir: %+v", gs)
	}
	if u := find(gs, "unlinkat"); u == nil || u.Arg == nil || !slices.Equal(u.Arg.Values, []uint64{ATRemovedir}) {
		t.Errorf("mkdir: unlinkat = %+v", u)
	}
	// both: unlinkat with any flags.
	if u := find(GeneralizedSyscalls(recOf(ArchX86_64, "x86_64", "unlink", "rmdir")), "unlinkat"); u == nil || u.Arg != nil {
		t.Errorf("unlink and rmdir: unlinkat = %+v", u)
	}
	// unlinkat recorded (it may do both): unlink and rmdir.
	gs = GeneralizedSyscalls(recOf(ArchX86_64, "x86_64", "unlinkat"))
	if find(gs, "unlink") == nil || find(gs, "rmdir") == nil || find(gs, "unlinkat") != nil {
		t.Errorf("unlinkat recorded: %v", generalizedNames(gs))
	}
}

func TestLifecycles(t *testing.T) {
	// A file created by open(O_CREAT) (only the file access says so) may be
	// unlinked and renamed.
	rec := recOf(ArchX86_64, "x86_64", "openat", "write")
	rec.FilesRecorded = true
	rec.Files = []FileAccess{{Path: "/data/upload", Access: []string{AccessCreate, AccessWrite}}}
	gs := GeneralizedSyscalls(rec)
	for _, want := range []string{"unlink", "unlinkat", "rename", "renameat", "renameat2"} {
		g := find(gs, want)
		if g == nil {
			t.Errorf("created file: %s not added: %v", want, generalizedNames(gs))
			continue
		}
		if want != "unlinkat" && g.By != ByLifecycle {
			t.Errorf("%s by %s", want, g.By)
		}
	}
	if u := find(gs, "unlinkat"); u != nil && (u.Arg == nil || !slices.Equal(u.Arg.Values, []uint64{0})) {
		t.Errorf("created files only: unlinkat must not rmdir: %+v", u)
	}
	if find(gs, "rmdir") != nil {
		t.Error("a created file brought rmdir")
	}
	// Reading files only brings no removal.
	rec.Files = []FileAccess{{Path: "/etc/passwd", Access: []string{AccessRead}}}
	if gs := GeneralizedSyscalls(rec); find(gs, "unlink") != nil || find(gs, "rename") != nil {
		t.Errorf("reading brought removal: %v", generalizedNames(gs))
	}
	for _, tc := range []struct {
		made string
		want []string
	}{
		{"socket", []string{"shutdown"}},
		{"timerfd_create", []string{"timerfd_settime", "timerfd_gettime"}},
		{"epoll_create1", []string{"epoll_ctl", "epoll_create"}},
		{"timer_create", []string{"timer_settime", "timer_delete"}},
		{"inotify_init1", []string{"inotify_add_watch", "inotify_rm_watch"}},
	} {
		names := generalizedNames(GeneralizedSyscalls(recOf(ArchX86_64, "x86_64", tc.made)))
		for _, w := range tc.want {
			if !slices.Contains(names, w) {
				t.Errorf("%s did not bring %s: %v", tc.made, w, names)
			}
		}
	}
}

// Nothing recorded, nothing added; and the list is sorted and has each name once.
func TestGeneralizedSyscallsShape(t *testing.T) {
	if gs := GeneralizedSyscalls(&Recording{Host: Host{Arch: "x86_64"}}); len(gs) != 0 {
		t.Errorf("empty recording: %v", gs)
	}
	gs := GeneralizedSyscalls(recOf(ArchX86_64, "x86_64", "fork", "openat", "newfstatat", "mkdir", "socket", "unlink", "wait4", "poll"))
	names := generalizedNames(gs)
	if !slices.IsSorted(names) || len(slices.Compact(slices.Clone(names))) != len(names) {
		t.Errorf("not sorted or not unique: %v", names)
	}
	for _, g := range gs {
		if g.Why == "" || g.Group == "" || len(g.Because) == 0 {
			t.Errorf("%s has no reason: %+v", g.Name, g)
		}
	}
}
