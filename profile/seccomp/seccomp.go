package seccomp

// The seccomp profile allows exactly the syscalls the container made and
// refuses everything else with EPERM, like Docker's default profile refuses
// what it does not list. It is built with moby's own profile types, so what
// we write is what dockerd reads for --security-opt seccomp=FILE.

import (
	"slices"
	"strings"

	moby "github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/internal/jsonfile"
	"github.com/tailorsec/tailor/profile/internal/sets"
)

const (
	ErrnoEPERM  = 1
	errnoENOSYS = 38
)

// fallbackSyscalls are newer syscalls that libc and language runtimes probe
// and replace with an older one when, and only when, the kernel answers
// ENOSYS (as an older kernel would). Answering EPERM instead makes them give
// up. A container that did not make one of them during learning may still
// probe it later, or may have been refused it silently: a seccomp filter
// active during learning (Docker's default profile) runs before the syscall
// tracepoint, so what it refused was never recorded. Docker's default
// profile answers clone3 with ENOSYS precisely so that glibc falls back to
// clone; a learned profile that answered EPERM would break every threaded
// program. So those not recorded get ENOSYS.
var fallbackSyscalls = []string{
	"clone3",                  // glibc threads and posix_spawn fall back to clone
	"faccessat2",              // glibc access/faccessat fall back to faccessat
	"fchmodat2",               // glibc fchmodat with flags falls back to /proc path
	"openat2",                 // runtimes fall back to openat
	"close_range",             // glibc closefrom and runtimes fall back to closing one by one
	"epoll_pwait2",            // falls back to epoll_pwait
	"statx",                   // glibc stat family falls back to newfstatat/fstatat64
	"rseq",                    // glibc thread start continues without restartable sequences
	"pidfd_open",              // runtimes fall back to plain pids and signals
	"pidfd_send_signal",       // falls back to kill
	"pidfd_getfd",             // callers fall back to passing fds over sockets
	"futex_waitv",             // falls back to single futex waits
	"copy_file_range",         // file copies fall back to read/write
	"preadv2",                 // falls back to preadv
	"pwritev2",                // falls back to pwritev
	"renameat2",               // falls back to renameat (without flags)
	"getrandom",               // falls back to /dev/urandom
	"memfd_create",            // falls back to temporary files
	"execveat",                // fexecve falls back to /proc/self/fd
	"io_uring_setup",          // io_uring users fall back to epoll/threads
	"io_uring_enter",          // io_uring users fall back to epoll/threads
	"io_uring_register",       // io_uring users fall back to epoll/threads
	"landlock_create_ruleset", // sandboxing libraries treat ENOSYS as "no Landlock"
	"landlock_add_rule",       // idem
	"landlock_restrict_self",  // idem
	"process_madvise",         // memory managers skip the hint
	"set_mempolicy_home_node", // NUMA libraries skip the hint
	"cachestat",               // page-cache tools fall back to mincore
	"map_shadow_stack",        // glibc runs without a shadow stack
	"mseal",                   // glibc and runtimes skip sealing
	"listmount",               // falls back to /proc/self/mountinfo
	"statmount",               // falls back to /proc/self/mountinfo
	"mount_setattr",           // falls back to mount -o remount
	"quotactl_fd",             // falls back to quotactl with a device path
	"memfd_secret",            // callers fall back to ordinary memory
	"process_mrelease",        // OOM daemons fall back to waiting for exit
}

// kernelDrivenSyscalls are made on the kernel's initiative, not the
// program's: returning from any signal handler (rt_sigreturn; sigreturn for
// 32-bit code) and resuming a sleep interrupted by a stop (restart_syscall).
// Whether a learning run sees them depends on when signals happened to
// arrive: measured here, a signal lands on runc's init thread between its
// seccomp filter and its exec in about one container start in four, and a
// profile learned from the other three crashes the container (SIGSEGV) when
// it does. So every profile allows them, as Docker's default profile does.
var kernelDrivenSyscalls = []string{"rt_sigreturn", "sigreturn", "restart_syscall"}

// New builds the Docker seccomp profile for the recording: the syscalls it
// made, and those of their families and lifecycles (see
// profile.GeneralizedSyscalls), which do the same with the same privilege.
// Syscalls libseccomp cannot name are left out: Docker profiles name
// syscalls, and the report warns about each of them.
func New(rec *profile.Recording) *moby.Seccomp {
	return build(rec, true)
}

// NewExact is New without families and lifecycles: exactly the syscalls
// the container made (and the signal-return syscalls every process needs).
func NewExact(rec *profile.Recording) *moby.Seccomp {
	return build(rec, false)
}

func build(rec *profile.Recording, generalize bool) *moby.Seccomp {
	rec = profile.Normalized(rec)
	arches := profileArches(rec)

	var allowed []string
	for _, s := range rec.Syscalls {
		if s.Name != "" {
			allowed = append(allowed, s.Name)
		}
	}
	for _, name := range kernelDrivenSyscalls {
		if knownOnAny(name, arches) {
			allowed = append(allowed, name)
		}
	}
	allowed = sets.Sorted(allowed)

	// The generalized names come with the argument rules they carry
	// (clone without namespace flags), as if those values were recorded.
	argRec := rec
	var generalized []profile.GeneralizedSyscall
	if generalize {
		generalized = generalizedIn(rec, arches, allowed)
		c := *rec
		c.SyscallArgs = slices.Clone(rec.SyscallArgs)
		for _, g := range generalized {
			allowed = append(allowed, g.Name)
			if g.Arg != nil {
				c.SyscallArgs = append(c.SyscallArgs, *g.Arg)
			}
		}
		// A recorded syscall's values widened by its family's (clone
		// without namespace flags where the run forked).
		for _, r := range profile.FamilyArgRules(rec) {
			for i := range c.SyscallArgs {
				a := &c.SyscallArgs[i]
				if a.Syscall == r.Syscall && a.Index == r.Index && a.Mask == r.Mask && a.Field == "" && !slices.Contains(a.Values, r.Values[0]) {
					a.Values = append(slices.Clone(a.Values), r.Values[0])
					slices.Sort(a.Values)
				}
			}
		}
		argRec = &c
		allowed = sets.Sorted(allowed)
	}
	isGeneralized := func(name string) *profile.GeneralizedSyscall {
		for i := range generalized {
			if generalized[i].Name == name {
				return &generalized[i]
			}
		}
		return nil
	}

	p := &moby.Seccomp{
		LinuxSeccomp: specs.LinuxSeccomp{
			DefaultAction:   specs.ActErrno,
			DefaultErrnoRet: uintPtr(ErrnoEPERM),
			Architectures:   arches,
		},
		Syscalls: []*moby.Syscall{},
	}
	unconditional, argEntries, _ := applyArgRules(ArgRulesFor(argRec, allowed), allowed)
	var made, same []string
	for _, n := range unconditional {
		if isGeneralized(n) != nil {
			same = append(same, n)
		} else {
			made = append(made, n)
		}
	}
	if len(made) > 0 {
		p.Syscalls = append(p.Syscalls, &moby.Syscall{
			LinuxSyscall: specs.LinuxSyscall{Names: made, Action: specs.ActAllow},
			Comment:      "made by the container while it was recorded, and the signal-return syscalls every process needs",
		})
	}
	if len(same) > 0 {
		p.Syscalls = append(p.Syscalls, &moby.Syscall{
			LinuxSyscall: specs.LinuxSyscall{Names: same, Action: specs.ActAllow},
			Comment: "not made, but the same operation as a syscall it made, or the end of an object it made " +
				"(report.json's generalized says which and why): no other privilege",
		})
	}
	var familyValues []profile.ArgValues
	if generalize {
		familyValues = profile.FamilyArgRules(rec)
	}
	for _, e := range argEntries {
		if g := isGeneralized(e.Names[0]); g != nil {
			e.Comment = strings.Replace(e.Comment, " as recorded:", " as "+GeneralizedText(*g)+":", 1)
		}
		for _, f := range familyValues {
			if a := e.Args[0]; f.Syscall == e.Names[0] && f.Mask != 0 && a.Op == specs.OpMaskedEqual && a.Value == f.Mask && a.ValueTwo == f.Values[0] {
				e.Comment = strings.Replace(e.Comment, " as recorded:", " as its family allows (no namespace flags, as fork and vfork):", 1)
			}
		}
	}
	p.Syscalls = append(p.Syscalls, argEntries...)
	// Whatever is allowed in some form is not answered with an errno.
	allowedSomehow := slices.Clone(unconditional)
	for _, e := range argEntries {
		allowedSomehow = append(allowedSomehow, e.Names...)
	}
	p.Syscalls = append(p.Syscalls, unmadeErrnoRules(sets.Sorted(allowedSomehow), arches)...)
	return p
}

// Generalized lists the syscalls New allows that the container did not
// make: the other members of the families of those it made and the rest of
// the lifecycles of what it made (profile.GeneralizedSyscalls), as far as
// the profile's architectures have them.
func Generalized(rec *profile.Recording) []profile.GeneralizedSyscall {
	rec = profile.Normalized(rec)
	arches := profileArches(rec)
	var allowed []string
	for _, name := range kernelDrivenSyscalls {
		if knownOnAny(name, arches) {
			allowed = append(allowed, name)
		}
	}
	return generalizedIn(rec, arches, allowed)
}

func generalizedIn(rec *profile.Recording, arches []specs.Arch, allowed []string) []profile.GeneralizedSyscall {
	var out []profile.GeneralizedSyscall
	for _, g := range profile.GeneralizedSyscalls(rec) {
		if knownOnAny(g.Name, arches) && !slices.Contains(allowed, g.Name) {
			out = append(out, g)
		}
	}
	return out
}

// GeneralizedText says in words why g is allowed: "the same operation as
// fork" or "the end of what it made with mkdir".
func GeneralizedText(g profile.GeneralizedSyscall) string {
	if g.By == profile.ByLifecycle {
		return "the rest of the life of what it made (" + g.Group + ": " + strings.Join(g.Because, ", ") + ")"
	}
	return "the same operation as " + strings.Join(g.Because, ", ")
}

// unmadeErrnoRules answers syscalls the container never made with the errno
// a program expects for "not available" rather than EPERM: ENOSYS for the
// fallbackSyscalls, and whatever errno Docker's default profile (the
// profile the container most likely learned under) gives. Only syscalls
// libseccomp knows on one of the profile's architectures are listed, since
// runc cannot compile the others.
func unmadeErrnoRules(allowed []string, arches []specs.Arch) []*moby.Syscall {
	byErrno := map[uint][]string{errnoENOSYS: slices.Clone(fallbackSyscalls)}
	for _, rule := range moby.DefaultProfile().Syscalls {
		if rule.Action != specs.ActErrno || rule.ErrnoRet == nil || *rule.ErrnoRet == ErrnoEPERM {
			continue
		}
		names := rule.Names
		if rule.Name != "" {
			names = append(slices.Clone(names), rule.Name)
		}
		byErrno[*rule.ErrnoRet] = append(byErrno[*rule.ErrnoRet], names...)
	}

	var rules []*moby.Syscall
	for _, errno := range sets.SortedKeys(byErrno) {
		var names []string
		for _, name := range byErrno[errno] {
			if !slices.Contains(allowed, name) && knownOnAny(name, arches) {
				names = append(names, name)
			}
		}
		if len(names) == 0 {
			continue
		}
		comment := "not made while recorded: answered as Docker's default profile does"
		if errno == errnoENOSYS {
			comment = "not made while recorded: ENOSYS lets libc and runtimes fall back to older syscalls"
		}
		rules = append(rules, &moby.Syscall{
			LinuxSyscall: specs.LinuxSyscall{
				Names:    sets.Sorted(names),
				Action:   specs.ActErrno,
				ErrnoRet: uintPtr(errno),
			},
			Comment: comment,
		})
	}
	return rules
}

// profileArches lists the native architecture first, then, sorted, those of
// its compat architectures the container made syscalls on. A profile that
// lists an architecture lets its syscalls through the allow list; one that
// does not makes the runtime reject them all.
func profileArches(rec *profile.Recording) []specs.Arch {
	native := recordingNativeArch(rec)
	if native == "" {
		return nil // unsupported host: the runtime then uses its own
	}
	compat, x32 := profile.CompatArchs(native)
	var others []specs.Arch
	for _, s := range rec.Syscalls {
		if s.Arch != native && s.Arch != "" && (s.Arch == compat || s.Arch == x32) {
			others = append(others, specs.Arch(s.Arch))
		}
	}
	slices.Sort(others)
	return append([]specs.Arch{specs.Arch(native)}, slices.Compact(others)...)
}

// recordingNativeArch is the native architecture of the host the recording
// was made on (see profile.RecordingNativeArch).
func recordingNativeArch(rec *profile.Recording) profile.Arch {
	return profile.RecordingNativeArch(rec)
}

func knownOnAny(name string, arches []specs.Arch) bool {
	for _, a := range arches {
		if _, ok := profile.SyscallNumber(profile.Arch(a), name); ok {
			return true
		}
	}
	return false
}

// Marshal renders the profile as seccomp.json: indented with two
// spaces, ending in a newline, byte-for-byte the same for the same profile.
func Marshal(p *moby.Seccomp) ([]byte, error) {
	return jsonfile.Marshal(p)
}

func uintPtr(v uint) *uint { return &v }
