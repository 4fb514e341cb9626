package tracer

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"sync"

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
