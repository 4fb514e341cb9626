package tracer

// Slots: each recorded mount namespace has a slot in the kernel's target
// tables, and a generation that user space bumps each time the slot is
// reused, so that a late event or snapshot of a released target is never
// taken for its successor's.

import (
	"fmt"
	"io"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/tailorsec/tailor/bpf"
)

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
