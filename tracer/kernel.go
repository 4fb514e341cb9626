package tracer

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/features"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"github.com/cilium/ebpf/rlimit"
	"golang.org/x/sys/unix"

	"github.com/tailorsec/tailor/bpf"
	"github.com/tailorsec/tailor/profile"
)

// Sizes shared with the BPF programs (bpf/recorder.h).
const (
	maxSyscallNr = len(bpf.RecorderCounters{}.Sys[0])
	numCaps      = len(bpf.RecorderCounters{}.CapGranted)
	numSockTypes = len(bpf.RecorderTarget{}.Sockets)
)

// ErrUnsupported wraps every reason the running kernel cannot record.
var ErrUnsupported = errors.New("kernel cannot run tailor's recorder")

// KernelOptions tune the BPF side.
type KernelOptions struct {
	// MaxTargets is how many containers (mount namespaces) can be recorded
	// at once. Each costs about 7 KiB of kernel memory per possible CPU, and
	// each of their tasks about 3 KiB.
	MaxTargets int
	// CapabilityHook forces one way of seeing capability checks (tests
	// prove each on the kernels that have it); empty tries each of
	// CapabilityHooks in order and takes the first that loads and attaches.
	CapabilityHook CapabilityHook
}

// CapabilityHook is how the recorder sees the kernel's capability checks
// (cap_capable).
type CapabilityHook string

const (
	// CapabilityTracepoint is the cap_capable tracepoint (Linux 6.14+),
	// which does not pass the check's options: no audit/noaudit.
	CapabilityTracepoint CapabilityHook = "tracepoint"
	// CapabilityFexit is an fexit program on the cap_capable function.
	CapabilityFexit CapabilityHook = "fexit"
	// CapabilityKprobe is a kprobe and a kretprobe on cap_capable.
	CapabilityKprobe CapabilityHook = "kprobe"
)

// CapabilityHooks are the hooks in the order LoadKernel tries them: the
// tracepoint is a stable interface, fexit costs less per check than a
// kprobe pair.
var CapabilityHooks = []CapabilityHook{CapabilityTracepoint, CapabilityFexit, CapabilityKprobe}

// Kernel owns the loaded BPF programs and maps: the only code in tailor that
// touches BPF. All methods are safe for concurrent use.
type Kernel struct {
	objs     recorderObjects
	optional optionalPrograms
	links    []link.Link
	events   *ringbuf.Reader
	// collect runs collect_counts; liveMu serializes its runs, which share
	// live_sum.
	collect   *link.Iter
	liveMu    sync.Mutex
	ncpu      int
	hostMntns uint32

	// CapabilitiesRecorded is false when no CapabilityHook loaded:
	// capability checks are then not seen.
	CapabilitiesRecorded bool
	// CapabilityHook is the hook that sees capability checks, "" when
	// none loaded; CapabilityMechanism says the same for people and
	// report.json: the hook's name, or "none: " and why each failed.
	CapabilityHook      CapabilityHook
	CapabilityMechanism string
	// CapabilityOptionsSeen is whether the hook sees a check's options:
	// Snapshot.CapNoAudit is only counted then.
	CapabilityOptionsSeen bool
	// NameOpsConfirmed is false when the syscalls' exit tracepoints are out
	// of reach (no tracefs): name operations (mkdir, unlink, ...) are then
	// recorded as attempted, failed ones included.
	NameOpsConfirmed bool
	nameOpSyscalls   []string

	mu      sync.Mutex
	gens    []uint32 // current generation of each slot; user space owns it
	closed  bool
	closeMu sync.Once
}

// recorderObjects are the programs every recording needs and the maps.
type recorderObjects struct {
	bpf.RecorderMaps
	SysEnter           *ebpf.Program `ebpf:"sys_enter"`
	SchedProcessFork   *ebpf.Program `ebpf:"sched_process_fork"`
	SchedProcessExec   *ebpf.Program `ebpf:"sched_process_exec"`
	SchedProcessExit   *ebpf.Program `ebpf:"sched_process_exit"`
	SnapshotNamespaces *ebpf.Program `ebpf:"snapshot_namespaces"`
	CollectCounts      *ebpf.Program `ebpf:"collect_counts"`
}

// Close closes the programs and the maps. (Without it the embedded maps'
// Close would be promoted and the programs would stay loaded.)
func (o *recorderObjects) Close() error {
	var errs []error
	for _, p := range []*ebpf.Program{o.SysEnter, o.SchedProcessFork, o.SchedProcessExec, o.SchedProcessExit, o.SnapshotNamespaces, o.CollectCounts} {
		if p != nil {
			errs = append(errs, p.Close())
		}
	}
	return errors.Join(append(errs, o.RecorderMaps.Close())...)
}

// optionalPrograms load only where the kernel has their hooks, beside
// recorderObjects and sharing its maps.
type optionalPrograms struct {
	// The capability programs of the hook that loaded (one or two).
	Capability []*ebpf.Program
	NameOpExit *ebpf.Program `ebpf:"name_op_exit"`
	MarkVictim *ebpf.Program `ebpf:"mark_victim"`
}

func (o *optionalPrograms) Close() error {
	var errs []error
	for _, p := range append([]*ebpf.Program{o.NameOpExit, o.MarkVictim}, o.Capability...) {
		if p != nil {
			errs = append(errs, p.Close())
		}
	}
	return errors.Join(errs...)
}

// Snapshot is what the kernel knows of one target at a point in time.
type Snapshot struct {
	Slot, Gen uint32
	Mntns     uint32
	NsID      uint64
	ArmedBy   ArmedBy
	InitTgid  uint32
	Late      bool
	// Syscalls[abi][nr] counts calls made after arming.
	Syscalls [numABIs][]uint64
	// Overflow counts syscall numbers beyond what the kernel table holds.
	Overflow uint64
	// CapGranted[cap] and CapDenied[cap] count capability checks;
	// CapNoAudit[cap] those of them made with CAP_OPT_NOAUDIT (the kernel
	// asking without meaning to refuse: counted only where
	// Kernel.CapabilityOptionsSeen), CapOtherNS[cap] those the container's
	// capability sets did not decide (against or from another user
	// namespace than the container's).
	CapGranted, CapDenied, CapNoAudit, CapOtherNS [numCaps]uint64
	// Setup lists syscall numbers the runtime made before arming; Tail the
	// arming task's syscalls after the runtime's last mount-family call.
	Setup, Tail []int
	// CapSyscalls[cap] lists the native syscalls during which cap was checked.
	CapSyscalls     [numCaps][]int
	PrivilegedExecs uint32
	Sockets         []profile.SocketUse
	PeakTasks       int64
	OOMKills        uint64
	// Args are the argument values kept, by syscall number; ArgsOverflow
	// the syscalls whose values did not all fit.
	Args         argValues
	ArgsOverflow []int
	SignalsSent  []string
	Ptrace       []string
	// SharedMemory: PROT_ bits of shared mappings with no path, as
	// profile.Recording.SharedMemory spells them.
	SharedMemory []string
	CreatedAt    time.Time
	ArmedAt      time.Time
}

// ABI indexes Snapshot.Syscalls.
type ABI int

const (
	ABINative ABI = ABI(bpf.RecorderAbiABI_NATIVE)
	ABICompat ABI = ABI(bpf.RecorderAbiABI_COMPAT)
	ABIX32    ABI = ABI(bpf.RecorderAbiABI_X32)
	numABIs       = int(bpf.RecorderAbiNR_ABIS)
)

// ArmedBy says what made the kernel start counting a container's syscalls.
type ArmedBy uint32

const (
	ArmedNone   = ArmedBy(bpf.RecorderArmedByARMED_NONE)
	ArmedFilter = ArmedBy(bpf.RecorderArmedByARMED_FILTER)
	ArmedExec   = ArmedBy(bpf.RecorderArmedByARMED_EXEC)
	// ArmedLate marks containers registered while already running.
	ArmedLate ArmedBy = 100
)

func (a ArmedBy) String() string {
	switch a {
	case ArmedNone:
		return "not-armed"
	case ArmedFilter:
		return "seccomp-filter"
	case ArmedExec:
		return "exec"
	case ArmedLate:
		return "attached-late"
	}
	return "armed-" + strconv.Itoa(int(a))
}

// Stats are the kernel side's own counters.
type Stats struct {
	EventsLost uint64 // ring buffer was full
	NoSlot     uint64 // a new namespace found no free slot
	NoStorage  uint64 // task storage allocation failed
	FileEvents uint64 // file accesses sent to user space
	FileDedup  uint64 // file accesses the kernel dropped as repeats
	OpenMissed uint64 // opens whose file was gone at the next syscall
	ArgsFull   uint64 // argument values not kept: the map was full
}

// CheckSupport reports, in one line, why this kernel cannot run the
// recorder, or nil.
func CheckSupport() error {
	return checkSupport(btf.NewCache())
}

// checkSupport is CheckSupport with the kernel's BTF from types, which the
// loader then reuses: parsing vmlinux BTF takes ~20 ms, and every program
// load needs it.
func checkSupport(types *btf.Cache) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("%w: not running as root (BPF needs CAP_BPF and CAP_PERFMON)", ErrUnsupported)
	}
	if _, err := types.Kernel(); err != nil {
		return fmt.Errorf("%w: no kernel BTF (/sys/kernel/btf/vmlinux): %v", ErrUnsupported, err)
	}
	// Not features.HaveProgramType(ebpf.Tracing): it probes with an fentry
	// program, which kernel lockdown refuses although tp_btf works.
	for _, need := range []struct {
		what  string
		probe func() error
	}{
		{"BPF ring buffers (Linux 5.8)", func() error { return features.HaveMapType(ebpf.RingBuf) }},
		{"BPF task storage (Linux 5.11)", func() error { return features.HaveMapType(ebpf.TaskStorage) }},
	} {
		if err := need.probe(); err != nil {
			return fmt.Errorf("%w: kernel %s lacks %s: %v", ErrUnsupported, kernelRelease(), need.what, err)
		}
	}
	return nil
}

// LoadKernel loads the recorder; Start attaches it. Close releases
// everything; nothing is pinned, so the programs also go away if the process
// dies.
func LoadKernel(opts KernelOptions) (_ *Kernel, err error) {
	// One parse of the kernel's BTF for the checks, the CO-RE relocations
	// and the attach targets of every program; dropped once loaded.
	types := btf.NewCache()
	if err := checkSupport(types); err != nil {
		return nil, err
	}
	if opts.MaxTargets <= 0 {
		opts.MaxTargets = 128
	}
	// Before Linux 5.11 BPF memory is charged to RLIMIT_MEMLOCK.
	if err := rlimit.RemoveMemlock(); err != nil {
		return nil, fmt.Errorf("raise RLIMIT_MEMLOCK: %w", err)
	}
	ncpu, err := ebpf.PossibleCPU()
	if err != nil {
		return nil, fmt.Errorf("count possible CPUs: %w", err)
	}
	host, err := mntnsOf("/proc/self/ns/mnt")
	if err != nil {
		return nil, err
	}

	spec, err := bpf.LoadRecorder()
	if err != nil {
		return nil, fmt.Errorf("parse BPF objects: %w", err)
	}
	for _, name := range []string{bpf.RecorderMapSlotCounters, bpf.RecorderMapSlotTargets, bpf.RecorderMapFreeSlots, bpf.RecorderMapSlotGens} {
		spec.Maps[name].MaxEntries = uint32(opts.MaxTargets)
	}
	kinds, ops, err := syscallTables()
	if err != nil {
		return nil, err
	}
	argsel, err := argSelectTable()
	if err != nil {
		return nil, err
	}
	k := &Kernel{ncpu: ncpu, hostMntns: host, gens: make([]uint32, opts.MaxTargets)}
	defer func() {
		if err != nil {
			k.Close()
		}
	}()
	k.nameOpSyscalls = nameOpTracepoints()
	k.NameOpsConfirmed = k.nameOpSyscalls != nil
	vars := map[string]any{"host_mntns": host, "syscall_kinds": kinds, "syscall_ops": ops, "syscall_argsel": argsel,
		"syscall_watch": watchBitmap(kinds, argsel), "confirm_names": k.NameOpsConfirmed}
	for name, v := range vars {
		if err := spec.Variables[name].Set(v); err != nil {
			return nil, fmt.Errorf("configure BPF (%s): %w", name, err)
		}
	}

	if err := spec.LoadAndAssign(&k.objs, &ebpf.CollectionOptions{Cache: types}); err != nil {
		return nil, loadError(err)
	}
	// The optional programs share the maps just made.
	maps := map[string]*ebpf.Map{}
	if err := mapsByName(&k.objs.RecorderMaps, maps); err != nil {
		return nil, err
	}
	load := func(dst any) error {
		return spec.LoadAndAssign(dst, &ebpf.CollectionOptions{MapReplacements: maps, Cache: types})
	}
	k.attachCapabilityHook(opts.CapabilityHook, types, load)
	if kernelHasTracepoint(types, "mark_victim") {
		var o struct {
			MarkVictim *ebpf.Program `ebpf:"mark_victim"`
		}
		if err := load(&o); err != nil {
			return nil, loadError(err)
		}
		k.optional.MarkVictim = o.MarkVictim
	}
	if k.NameOpsConfirmed {
		var o struct {
			NameOpExit *ebpf.Program `ebpf:"name_op_exit"`
		}
		if err := load(&o); err != nil {
			return nil, loadError(err)
		}
		k.optional.NameOpExit = o.NameOpExit
	}
	if err := k.initSlots(); err != nil {
		return nil, err
	}
	if k.collect, err = link.AttachIter(link.IterOptions{Program: k.objs.CollectCounts}); err != nil {
		return nil, fmt.Errorf("%w: attach task iterator: %v", ErrUnsupported, err)
	}
	if k.events, err = ringbuf.NewReader(k.objs.Events); err != nil {
		return nil, fmt.Errorf("open ring buffer: %w", err)
	}

	return k, nil
}

// Start attaches the programs: from here on new containers are recorded.
// Register already running containers (RegisterRunning) before Start.
func (k *Kernel) Start() error {
	progs := []*ebpf.Program{k.objs.SysEnter, k.objs.SchedProcessFork, k.objs.SchedProcessExec, k.objs.SchedProcessExit}
	if k.optional.MarkVictim != nil {
		progs = append(progs, k.optional.MarkVictim)
	}
	// The capability hook is attached already (attachCapabilityHook).
	for _, p := range progs {
		l, err := link.AttachTracing(link.TracingOptions{Program: p})
		if err != nil {
			return fmt.Errorf("%w: attach %s: %v", ErrUnsupported, p, err)
		}
		k.links = append(k.links, l)
	}
	// The kernel side parks name operations until these exits: every one
	// must be attached, or what they parked would be lost.
	for _, name := range k.nameOpSyscalls {
		l, err := link.Tracepoint("syscalls", "sys_exit_"+name, k.optional.NameOpExit, nil)
		if err != nil {
			return fmt.Errorf("%w: attach to syscalls:sys_exit_%s: %v", ErrUnsupported, name, err)
		}
		k.links = append(k.links, l)
	}
	// Only now, with the hooks in place, list the namespaces that already
	// exist: nothing created from here on can be mistaken for them.
	return k.snapshotNamespaces()
}

// loadError names why the kernel refused the programs, in one line.
func loadError(err error) error {
	var ve *ebpf.VerifierError
	if errors.As(err, &ve) {
		return fmt.Errorf("%w: the verifier rejected a program (kernel %s): %s", ErrUnsupported, kernelRelease(), lastLines(fmt.Sprintf("%+v", ve), 8))
	}
	if errors.Is(err, unix.EPERM) {
		return fmt.Errorf("%w: loading BPF programs was refused (EPERM): kernel lockdown or a seccomp/LSM policy forbids BPF: %v", ErrUnsupported, err)
	}
	return fmt.Errorf("%w: load BPF programs: %v", ErrUnsupported, err)
}

// mapsByName collects the maps of a bpf2go Maps struct by their ELF names.
func mapsByName(m *bpf.RecorderMaps, out map[string]*ebpf.Map) error {
	v := reflect.ValueOf(m).Elem()
	for i := 0; i < v.NumField(); i++ {
		name := v.Type().Field(i).Tag.Get("ebpf")
		if mp, ok := v.Field(i).Interface().(*ebpf.Map); ok && name != "" && mp != nil {
			out[name] = mp
		}
	}
	if len(out) == 0 {
		return errors.New("no maps loaded")
	}
	return nil
}

// nameOpTracepoints returns the name-operation syscalls whose exit
// tracepoints can be attached, or nil when not all of them can (then none
// is used). tracefs is mounted at its usual place if it is not mounted, and
// left mounted: another tailor (or perf, bpftrace) may be using it.
func nameOpTracepoints() []string {
	root := ""
	for _, dir := range []string{"/sys/kernel/tracing", "/sys/kernel/debug/tracing"} {
		if _, err := os.Stat(dir + "/events"); err == nil {
			root = dir
			break
		}
	}
	if root == "" {
		if err := unix.Mount("nodev", "/sys/kernel/tracing", "tracefs", 0, ""); err != nil {
			return nil
		}
		root = "/sys/kernel/tracing"
	}
	native := profile.NativeArch()
	var names []string
	for _, name := range nameOpSyscalls {
		if _, ok := profile.SyscallNumber(native, name); !ok {
			continue // not on this architecture
		}
		if _, err := os.Stat(root + "/events/syscalls/sys_exit_" + name + "/id"); err != nil {
			return nil
		}
		names = append(names, name)
	}
	return names
}

// attachCapabilityHook loads and attaches the first capability hook that
// works here (only want, if set) and says which in k.CapabilityMechanism,
// or why none did. Attaching already here, not in Start, is what tells
// whether a hook works (lockdown refuses fexit and kprobes at load or at
// attach); it records nothing before Start, as no task has state before
// sys_enter gives it one.
func (k *Kernel) attachCapabilityHook(want CapabilityHook, types *btf.Cache, load func(dst any) error) {
	hooks := CapabilityHooks
	if want != "" {
		hooks = []CapabilityHook{want}
	}
	var reasons []string
	for _, hook := range hooks {
		progs, links, err := loadCapabilityHook(hook, types, load)
		if err != nil {
			reasons = append(reasons, fmt.Sprintf("%s: %v", hook, err))
			continue
		}
		k.optional.Capability = progs
		k.links = append(k.links, links...)
		k.CapabilitiesRecorded = true
		k.CapabilityHook = hook
		k.CapabilityMechanism = string(hook)
		k.CapabilityOptionsSeen = hook != CapabilityTracepoint
		return
	}
	k.CapabilityMechanism = "none: " + strings.Join(reasons, "; ")
}

// loadCapabilityHook loads and attaches one hook's programs; on an error
// nothing of it stays.
func loadCapabilityHook(hook CapabilityHook, types *btf.Cache, load func(dst any) error) (progs []*ebpf.Program, links []link.Link, err error) {
	defer func() {
		if err != nil {
			for _, l := range links {
				l.Close()
			}
			for _, p := range progs {
				p.Close()
			}
			progs, links = nil, nil
		}
	}()
	// A tracing program (tp_btf, fexit) attaches through its BTF target.
	tracing := func(p *ebpf.Program) ([]*ebpf.Program, []link.Link, error) {
		l, err := link.AttachTracing(link.TracingOptions{Program: p})
		if err != nil {
			return []*ebpf.Program{p}, nil, fmt.Errorf("attach: %w", err)
		}
		return []*ebpf.Program{p}, []link.Link{l}, nil
	}
	switch hook {
	case CapabilityTracepoint:
		if !kernelHasTracepoint(types, "cap_capable") {
			return nil, nil, errors.New("no cap_capable tracepoint (Linux 6.14+)")
		}
		var o struct {
			P *ebpf.Program `ebpf:"cap_capable"`
		}
		if err := load(&o); err != nil {
			return nil, nil, shortLoadError(err)
		}
		return tracing(o.P)
	case CapabilityFexit:
		if err := checkCapCapable(types); err != nil {
			return nil, nil, err
		}
		var o struct {
			P *ebpf.Program `ebpf:"cap_capable_fexit"`
		}
		if err := load(&o); err != nil {
			return nil, nil, shortLoadError(err)
		}
		return tracing(o.P)
	case CapabilityKprobe:
		if err := checkCapCapable(types); err != nil {
			return nil, nil, err
		}
		if err := features.HaveProgramType(ebpf.Kprobe); err != nil {
			return nil, nil, err
		}
		var o struct {
			Entry *ebpf.Program `ebpf:"cap_capable_kprobe"`
			Exit  *ebpf.Program `ebpf:"cap_capable_kretprobe"`
		}
		if err := load(&o); err != nil {
			return nil, nil, shortLoadError(err)
		}
		progs = append(progs, o.Entry, o.Exit)
		// The return first: an entry without its return would leave a
		// saved call behind; a return without its entry finds none.
		exit, err := link.Kretprobe("cap_capable", o.Exit, nil)
		if err != nil {
			return progs, nil, fmt.Errorf("attach kretprobe: %w", err)
		}
		links = append(links, exit)
		entry, err := link.Kprobe("cap_capable", o.Entry, nil)
		if err != nil {
			return progs, links, fmt.Errorf("attach kprobe: %w", err)
		}
		return progs, append(links, entry), nil
	}
	return nil, nil, fmt.Errorf("unknown capability hook %q (want one of %v)", hook, CapabilityHooks)
}

// shortLoadError is loadError without the ErrUnsupported prefix: a hook
// that does not load is a reason in CapabilityMechanism, not a failure.
func shortLoadError(err error) error {
	var ve *ebpf.VerifierError
	if errors.As(err, &ve) {
		return fmt.Errorf("the verifier rejected it: %s", lastLines(fmt.Sprintf("%+v", ve), 3))
	}
	if errors.Is(err, unix.EPERM) {
		return fmt.Errorf("the kernel refused to load it (EPERM: lockdown, or a seccomp/LSM policy): %v", err)
	}
	return err
}

// checkCapCapable makes sure the kernel's cap_capable is the function the
// fexit and kprobe programs read: (cred, user namespace, int cap, unsigned
// int opts) returning int, as from Linux 5.1 to 6.18 (5.0 and before had
// an int audit where opts is). Arguments are read by position, which CO-RE
// cannot relocate, so a kernel that changed them must be refused, not
// misread.
func checkCapCapable(types *btf.Cache) error {
	spec, err := types.Kernel()
	if err != nil {
		return err
	}
	var fn *btf.Func
	if err := spec.TypeByName("cap_capable", &fn); err != nil {
		return errors.New("no cap_capable function in the kernel's BTF")
	}
	proto, ok := fn.Type.(*btf.FuncProto)
	if !ok || len(proto.Params) != 4 {
		return fmt.Errorf("cap_capable is %v, not (cred, ns, cap, opts)", fn.Type)
	}
	isInt := func(t btf.Type, signed bool) bool {
		i, ok := btf.UnderlyingType(t).(*btf.Int)
		return ok && i.Size == 4 && (i.Encoding&btf.Signed != 0) == signed
	}
	_, ptr0 := btf.UnderlyingType(proto.Params[0].Type).(*btf.Pointer)
	_, ptr1 := btf.UnderlyingType(proto.Params[1].Type).(*btf.Pointer)
	if !ptr0 || !ptr1 || !isInt(proto.Params[2].Type, true) || !isInt(proto.Params[3].Type, false) || !isInt(proto.Return, true) {
		return fmt.Errorf("cap_capable's signature is not (const struct cred *, struct user_namespace *, int cap, unsigned int opts) int: %v", proto)
	}
	return nil
}

func kernelHasTracepoint(types *btf.Cache, name string) bool {
	spec, err := types.Kernel()
	if err != nil {
		return false
	}
	var td *btf.Typedef
	return spec.TypeByName("btf_trace_"+name, &td) == nil
}

// initSlots gives every slot generation 1 and queues it as free.
func (k *Kernel) initSlots() error {
	for slot := range k.gens {
		if err := k.resetSlot(uint32(slot), 1); err != nil {
			return err
		}
		if err := k.objs.FreeSlots.Update(nil, uint32(slot), ebpf.UpdateAny); err != nil {
			return fmt.Errorf("queue free slot: %w", err)
		}
	}
	return nil
}

// resetSlot zeroes a slot's metadata and counters under a new generation,
// so that tasks still holding the old generation stop counting into it.
func (k *Kernel) resetSlot(slot, gen uint32) error {
	if err := k.objs.SlotTargets.Update(slot, bpf.RecorderTarget{Gen: gen}, ebpf.UpdateAny); err != nil {
		return fmt.Errorf("reset target slot %d: %w", slot, err)
	}
	per := make([]bpf.RecorderCounters, k.ncpu)
	for i := range per {
		per[i].Gen = gen
	}
	if err := k.objs.SlotCounters.Update(slot, per, ebpf.UpdateAny); err != nil {
		return fmt.Errorf("reset counters slot %d: %w", slot, err)
	}
	if err := k.objs.SlotGens.Update(slot, gen, ebpf.UpdateAny); err != nil {
		return fmt.Errorf("reset generation of slot %d: %w", slot, err)
	}
	k.mu.Lock()
	k.gens[slot] = gen
	k.mu.Unlock()
	return nil
}

func (k *Kernel) snapshotNamespaces() error {
	it, err := link.AttachIter(link.IterOptions{Program: k.objs.SnapshotNamespaces})
	if err != nil {
		return fmt.Errorf("%w: attach task iterator: %v", ErrUnsupported, err)
	}
	defer it.Close()
	rd, err := it.Open()
	if err != nil {
		return fmt.Errorf("run task iterator: %w", err)
	}
	defer rd.Close()
	_, err = io.Copy(io.Discard, rd)
	return err
}

// RegisterRunning makes an already running container's mount namespace a
// target: its processes are counted from their next syscall. Its start (and
// everything before now) is missed.
func (k *Kernel) RegisterRunning(mntns uint32) (slot, gen uint32, err error) {
	if err := k.objs.FreeSlots.LookupAndDelete(nil, &slot); err != nil {
		return 0, 0, fmt.Errorf("no free recording slot for another container (raise --max-containers): %w", err)
	}
	k.mu.Lock()
	gen = k.gens[slot]
	k.mu.Unlock()
	t := bpf.RecorderTarget{Gen: gen, Mntns: mntns, Late: 1, CreatedNs: bootNanos()}
	if err := k.objs.SlotTargets.Update(slot, t, ebpf.UpdateAny); err != nil {
		return 0, 0, err
	}
	var nsid uint64
	var old bpf.RecorderNsEntry
	if k.objs.MntnsIndex.Lookup(mntns, &old) == nil {
		nsid = old.Nsid
	}
	entry := bpf.RecorderNsEntry{Slot: slot, Gen: gen, Kind: uint32(bpf.RecorderNsKindNS_TARGET), Nsid: nsid}
	if err := k.objs.MntnsIndex.Update(mntns, entry, ebpf.UpdateAny); err != nil {
		return 0, 0, fmt.Errorf("register namespace: %w", err)
	}
	return slot, gen, nil
}

// Ignore marks a target as no container of interest: its tasks stop at the
// cheapest check, and the slot is recycled.
func (k *Kernel) Ignore(slot, gen uint32) error {
	var t bpf.RecorderTarget
	if err := k.objs.SlotTargets.Lookup(slot, &t); err != nil {
		return err
	}
	if t.Gen != gen {
		return nil // already recycled
	}
	var entry bpf.RecorderNsEntry
	if k.objs.MntnsIndex.Lookup(t.Mntns, &entry) == nil && entry.Slot == slot && entry.Gen == gen {
		entry.Kind = uint32(bpf.RecorderNsKindNS_IGNORE)
		if err := k.objs.MntnsIndex.Update(t.Mntns, entry, ebpf.UpdateAny); err != nil {
			return err
		}
	}
	return k.recycle(slot, gen)
}

// Release returns the slot of a container that is gone (after its final
// Snapshot): its namespace entry is dropped so the inode can be reused.
func (k *Kernel) Release(slot, gen uint32) error {
	var t bpf.RecorderTarget
	if err := k.objs.SlotTargets.Lookup(slot, &t); err != nil {
		return err
	}
	if t.Gen != gen {
		return nil
	}
	var entry bpf.RecorderNsEntry
	if k.objs.MntnsIndex.Lookup(t.Mntns, &entry) == nil && entry.Slot == slot && entry.Gen == gen {
		_ = k.objs.MntnsIndex.Delete(t.Mntns)
	}
	return k.recycle(slot, gen)
}

func (k *Kernel) recycle(slot, gen uint32) error {
	// The next container in this slot starts without this one's values.
	if _, err := k.readArgValues(slot, gen, true); err != nil {
		return err
	}
	next := gen + 1
	if next == 0 {
		next = 1
	}
	if err := k.resetSlot(slot, next); err != nil {
		return err
	}
	return k.objs.FreeSlots.Update(nil, slot, ebpf.UpdateAny)
}

// Snapshot reads one target: metadata plus counters summed over all CPUs.
// ok is false when the slot now belongs to another generation.
func (k *Kernel) Snapshot(slot, gen uint32) (s Snapshot, ok bool, err error) {
	var t bpf.RecorderTarget
	if err := k.objs.SlotTargets.Lookup(slot, &t); err != nil {
		return s, false, fmt.Errorf("read target slot %d: %w", slot, err)
	}
	if t.Gen != gen {
		return s, false, nil
	}
	// The live tasks' counts first, then the exited ones': a task that
	// exits in between is counted twice rather than not at all.
	live, err := k.liveCounts(slot, gen)
	if err != nil {
		return s, false, err
	}
	per := make([]bpf.RecorderCounters, k.ncpu)
	if err := k.objs.SlotCounters.Lookup(slot, &per); err != nil {
		return s, false, fmt.Errorf("read counters slot %d: %w", slot, err)
	}
	s = Snapshot{
		Slot: slot, Gen: gen, Mntns: t.Mntns, NsID: t.Nsid,
		ArmedBy: ArmedBy(t.ArmedBy), InitTgid: t.InitTgid, Late: t.Late != 0,
		Setup: bitmapNumbers(t.Setup[:]), Tail: bitmapNumbers(t.Tail[:]),
		PrivilegedExecs: t.PrivilegedExecs,
		CreatedAt:       bootTime(t.CreatedNs),
		ArmedAt:         bootTime(t.ArmedNs),
	}
	if s.Late {
		s.ArmedBy = ArmedLate
	}
	for cp := range t.CapSyscalls {
		s.CapSyscalls[cp] = bitmapNumbers(t.CapSyscalls[cp][:])
	}
	s.Sockets = socketUses(t.Sockets)
	s.PeakTasks = t.PeakTasks
	s.OOMKills = t.OomKills
	s.ArgsOverflow = bitmapNumbers(t.ArgsOverflow[:])
	if s.Args, err = k.readArgValues(slot, gen, false); err != nil {
		return s, false, err
	}
	s.SignalsSent = signalSet(t.SignalsSent)
	s.Ptrace = ptraceSet(t.PtraceRequests)
	s.SharedMemory = protSet(t.SharedNopathMmap)
	for abi := range s.Syscalls {
		s.Syscalls[abi] = make([]uint64, maxSyscallNr)
	}
	for nr, n := range live.Sys {
		s.Syscalls[bpf.RecorderAbiABI_NATIVE][nr] = uint64(n)
	}
	for _, c := range per {
		if c.Gen != gen {
			continue // this CPU's copy was reset under us
		}
		s.Overflow += uint64(c.Overflow)
		for abi := range c.Sys {
			for nr, n := range c.Sys[abi] {
				s.Syscalls[abi][nr] += uint64(n)
			}
		}
		for cp := range c.CapGranted {
			s.CapGranted[cp] += uint64(c.CapGranted[cp])
			s.CapDenied[cp] += uint64(c.CapDenied[cp])
			s.CapNoAudit[cp] += uint64(c.CapNoaudit[cp])
			s.CapOtherNS[cp] += uint64(c.CapOtherNs[cp])
		}
	}
	return s, true, nil
}

// liveCounts sums the native syscall counts that the live tasks of a slot
// hold in their own storage (see collect_counts).
func (k *Kernel) liveCounts(slot, gen uint32) (bpf.RecorderLiveCounts, error) {
	k.liveMu.Lock()
	defer k.liveMu.Unlock()
	live := bpf.RecorderLiveCounts{Slot: slot, Gen: gen}
	if err := k.objs.LiveSum.Update(uint32(0), live, ebpf.UpdateAny); err != nil {
		return live, fmt.Errorf("reset live counts of slot %d: %w", slot, err)
	}
	rd, err := k.collect.Open()
	if err != nil {
		return live, fmt.Errorf("run task iterator: %w", err)
	}
	_, err = io.Copy(io.Discard, rd)
	rd.Close()
	if err != nil {
		return live, fmt.Errorf("run task iterator: %w", err)
	}
	if err := k.objs.LiveSum.Lookup(uint32(0), &live); err != nil {
		return live, fmt.Errorf("read live counts of slot %d: %w", slot, err)
	}
	return live, nil
}

// watchBitmap marks the syscalls whose arguments or files the kernel side
// records (syscall_watch).
func watchBitmap(kinds, argsel [maxSyscallNr]uint8) (w [len(bpf.RecorderTaskState{}.Watch)]uint64) {
	for nr := range kinds {
		if kinds[nr] != 0 || argsel[nr] != 0 {
			w[nr/64] |= 1 << (nr % 64)
		}
	}
	return w
}

// Stats sums the kernel side's error counters over all CPUs.
func (k *Kernel) Stats() (Stats, error) {
	var st Stats
	read := func(i bpf.RecorderStatIndex) (uint64, error) {
		var per []uint64
		if err := k.objs.Stats.Lookup(uint32(i), &per); err != nil {
			return 0, err
		}
		var sum uint64
		for _, v := range per {
			sum += v
		}
		return sum, nil
	}
	for _, f := range []struct {
		dst *uint64
		idx bpf.RecorderStatIndex
	}{
		{&st.EventsLost, bpf.RecorderStatIndexSTAT_EVENTS_LOST},
		{&st.NoSlot, bpf.RecorderStatIndexSTAT_NO_SLOT},
		{&st.NoStorage, bpf.RecorderStatIndexSTAT_NO_STORAGE},
		{&st.FileEvents, bpf.RecorderStatIndexSTAT_FILE_EVENTS},
		{&st.FileDedup, bpf.RecorderStatIndexSTAT_FILE_DEDUP},
		{&st.OpenMissed, bpf.RecorderStatIndexSTAT_OPEN_MISSED},
		{&st.ArgsFull, bpf.RecorderStatIndexSTAT_ARGS_FULL},
	} {
		v, err := read(f.idx)
		if err != nil {
			return st, err
		}
		*f.dst = v
	}
	return st, nil
}

// Close detaches and unloads everything. Safe to call more than once.
func (k *Kernel) Close() error {
	var errs []error
	k.closeMu.Do(func() {
		for _, l := range k.links {
			errs = append(errs, l.Close())
		}
		if k.collect != nil {
			errs = append(errs, k.collect.Close())
		}
		if k.events != nil {
			errs = append(errs, k.events.Close())
		}
		errs = append(errs, k.objs.Close(), k.optional.Close())
		k.mu.Lock()
		k.closed = true
		k.mu.Unlock()
	})
	return errors.Join(errs...)
}

func bitmapNumbers(words []uint64) []int {
	var out []int
	for w, word := range words {
		for b := 0; b < 64; b++ {
			if word&(1<<b) != 0 {
				out = append(out, w*64+b)
			}
		}
	}
	return out
}

func mntnsOf(nsPath string) (uint32, error) {
	var st unix.Stat_t
	if err := unix.Stat(nsPath, &st); err != nil {
		return 0, fmt.Errorf("read mount namespace %s: %w", nsPath, err)
	}
	return uint32(st.Ino), nil
}

func bootNanos() uint64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts)
	return uint64(ts.Nano())
}

// bootTime converts a CLOCK_BOOTTIME stamp from the kernel to wall time.
func bootTime(ns uint64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	now := time.Now()
	return now.Add(-time.Duration(bootNanos() - ns))
}

func kernelRelease() string {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return "unknown"
	}
	return unix.ByteSliceToString(u.Release[:])
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// EventType says what an Event reports.
type EventType uint32

const (
	EventNewTarget      = EventType(bpf.RecorderEventTypeEVENT_NEW_TARGET)
	EventArmed          = EventType(bpf.RecorderEventTypeEVENT_ARMED)
	EventPrivilegedExec = EventType(bpf.RecorderEventTypeEVENT_PRIVILEGED_EXEC)
	EventFile           = EventType(bpf.RecorderEventTypeEVENT_FILE)
	EventMount          = EventType(bpf.RecorderEventTypeEVENT_MOUNT)
	EventExec           = EventType(bpf.RecorderEventTypeEVENT_EXEC)
)

// Event is one of the rare things the kernel tells user space as it happens.
type Event struct {
	Type      EventType
	Slot, Gen uint32
	Mntns     uint32
	Tgid, Pid uint32
	ArmedBy   ArmedBy
	Comm      string
	// Cgroups are the leaf cgroup names of the task (v2, then the first v1
	// hierarchy): for Docker they hold the container id.
	Cgroups []string
	Path    string // the executed file, for EventPrivilegedExec and EventExec
	// UID and GID are the effective ids after an exec (EventExec).
	UID, GID uint32
	// File is set for EventFile and EventMount.
	File *FileEvent
}

// SetEventDeadline bounds how long ReadEvent waits (os.ErrDeadlineExceeded
// when it passes); the zero time waits forever.
func (k *Kernel) SetEventDeadline(t time.Time) { k.events.SetDeadline(t) }

// EventsPending says whether events are queued, unread.
func (k *Kernel) EventsPending() bool { return k.events.AvailableBytes() > 0 }

// FlushEvents makes ReadEvent return the events queued now and then
// ringbuf.ErrFlushed, waking a reader blocked in ReadEvent.
func (k *Kernel) FlushEvents() error { return k.events.Flush() }

// ReadEvent blocks until the next event; it returns ringbuf.ErrClosed
// (wrapped) once the kernel side is closed.
func (k *Kernel) ReadEvent() (Event, error) {
	rec, err := k.events.Read()
	if err != nil {
		return Event{}, err
	}
	if len(rec.RawSample) < 4 {
		return Event{}, fmt.Errorf("event of %d bytes", len(rec.RawSample))
	}
	switch t := EventType(binary.NativeEndian.Uint32(rec.RawSample)); t {
	case EventFile, EventMount:
		fe, err := decodeFileEvent(rec.RawSample)
		if err != nil {
			return Event{}, err
		}
		return Event{Type: t, Slot: fe.Slot, Gen: fe.Gen, File: &fe}, nil
	}
	var raw bpf.RecorderEvent
	if err := binaryRead(rec.RawSample, &raw); err != nil {
		return Event{}, fmt.Errorf("decode event: %w", err)
	}
	e := Event{
		Type: EventType(raw.Type), Slot: raw.Slot, Gen: raw.Gen, Mntns: raw.Mntns,
		Tgid: raw.Tgid, Pid: raw.Pid, ArmedBy: ArmedBy(raw.ArmedBy), UID: raw.Uid, GID: raw.Gid,
		Comm: cString(raw.Comm[:]), Path: cString(raw.Path[:]),
	}
	for _, cg := range []string{cString(raw.CgroupV2[:]), cString(raw.CgroupV1[:])} {
		if cg != "" && cg != "/" {
			e.Cgroups = append(e.Cgroups, cg)
		}
	}
	return e, nil
}

func cString(b []int8) string {
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c == 0 {
			break
		}
		out = append(out, byte(c))
	}
	return string(out)
}

func binaryRead(b []byte, v any) error {
	return binary.Read(bytes.NewReader(b), binary.NativeEndian, v)
}
