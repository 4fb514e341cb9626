package tracer

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/cilium/ebpf"
	"github.com/tailorsec/tailor/bpf"
	"github.com/tailorsec/tailor/profile"
)

// Reading a target's counts: its per-CPU counters in the kernel plus what
// its live tasks still hold in their own storage (collect_counts), and the
// recorder's own statistics (lost events, full tables).

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
