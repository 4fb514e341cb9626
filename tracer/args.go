package tracer

import (
	"errors"
	"fmt"
	"slices"

	"github.com/cilium/ebpf"

	"github.com/tailorsec/tailor/bpf"
	"github.com/tailorsec/tailor/profile"
)

// argSyscalls are the syscalls whose arguments the recorder keeps, and
// which argument: those Docker's default profile restricts, and those whose
// arguments reach far (prctl options, ioctl requests).
var argSyscalls = []struct {
	name  string
	sel   bpf.RecorderArgSelect
	index int
	field string
	mask  uint64
}{
	{"clone", bpf.RecorderArgSelectARGSEL_CLONE, 0, "", uint64(bpf.RecorderNsMasksCLONE_NS_MASK)},
	{"clone3", bpf.RecorderArgSelectARGSEL_CLONE3, 0, "flags", uint64(bpf.RecorderNsMasksCLONE3NS_MASK)},
	{"socket", bpf.RecorderArgSelectARGSEL_ARG0, 0, "", 0},
	{"socketpair", bpf.RecorderArgSelectARGSEL_ARG0, 0, "", 0},
	{"personality", bpf.RecorderArgSelectARGSEL_ARG0, 0, "", 0},
	{"unshare", bpf.RecorderArgSelectARGSEL_ARG0, 0, "", 0},
	{"setns", bpf.RecorderArgSelectARGSEL_ARG1, 1, "", 0},
	{"prctl", bpf.RecorderArgSelectARGSEL_ARG0, 0, "", 0},
	{"ioctl", bpf.RecorderArgSelectARGSEL_ARG1, 1, "", 0},
}

// argSelectTable is the kernel's syscall_argsel table for the native
// architecture.
func argSelectTable() (table [maxSyscallNr]uint8, err error) {
	native := profile.NativeArch()
	for _, s := range argSyscalls {
		nr, ok := profile.SyscallNumber(native, s.name)
		if !ok {
			continue
		}
		if nr < 0 || nr >= maxSyscallNr {
			return table, fmt.Errorf("syscall %s is number %d, beyond the kernel table (%d)", s.name, nr, maxSyscallNr)
		}
		table[nr] = uint8(s.sel)
	}
	return table, nil
}

// argValues are the values kept for one target, by syscall number.
type argValues struct {
	workload map[int][]uint64 // made after arming
	setup    map[int][]uint64 // made by the runtime before arming
}

// readArgValues collects the argument values of one target. With remove,
// they are deleted from the kernel as they are read (the slot is being
// recycled).
func (k *Kernel) readArgValues(slot, gen uint32, remove bool) (argValues, error) {
	vals := argValues{workload: map[int][]uint64{}, setup: map[int][]uint64{}}
	var key bpf.RecorderArgKey
	var one uint8
	var mine []bpf.RecorderArgKey
	it := k.objs.ArgValues.Iterate()
	for it.Next(&key, &one) {
		if key.Slot != slot || key.Gen != gen {
			continue
		}
		m := vals.workload
		if key.Setup != 0 {
			m = vals.setup
		}
		m[int(key.Nr)] = append(m[int(key.Nr)], key.Value)
		mine = append(mine, key)
	}
	if err := it.Err(); err != nil && !errors.Is(err, ebpf.ErrIterationAborted) {
		return vals, fmt.Errorf("read argument values: %w", err)
	}
	if remove {
		for _, key := range mine {
			_ = k.objs.ArgValues.Delete(key)
		}
	}
	for _, m := range []map[int][]uint64{vals.workload, vals.setup} {
		for nr, v := range m {
			slices.Sort(v)
			m[nr] = slices.Compact(v)
		}
	}
	return vals, nil
}

// syscallArgs turns the values kept for a container into the model. For a
// recording armed at exec (no seccomp filter), the runtime's last steps are
// in the profile, so the values of its setup calls are too.
func syscallArgs(native profile.Arch, workload, setup map[int][]uint64, runtimeNrs map[int]bool, overflow map[int]bool) []profile.ArgValues {
	var out []profile.ArgValues
	for _, s := range argSyscalls {
		nr, ok := profile.SyscallNumber(native, s.name)
		if !ok {
			continue
		}
		values := slices.Clone(workload[nr])
		if runtimeNrs[nr] {
			values = append(values, setup[nr]...)
		}
		if len(values) == 0 && !overflow[nr] {
			continue
		}
		slices.Sort(values)
		out = append(out, profile.ArgValues{
			Arch: native, Syscall: s.name, Index: s.index, Field: s.field, Mask: s.mask,
			Values: slices.Compact(values), Overflow: overflow[nr],
		})
	}
	return out
}
