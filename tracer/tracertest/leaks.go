package tracertest

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf"
)

// ourNames are the kernel's (15-byte) names of tailor's BPF programs and
// maps.
var ourNames = []string{"sys_enter", "sched_process_f", "sched_process_e", "cap_capable", "name_op_exit", "mark_victim",
	"snapshot_namesp", "task_states", "slot_counters", "slot_targets", "mntns_index", "free_slots", "events",
	"stats", "file_seen", "path_scratch", "arg_values"}

// BPFMark is the highest program and map id at one moment: objects made
// later have higher ids.
type BPFMark struct {
	prog ebpf.ProgramID
	m    ebpf.MapID
}

// MarkBPF takes the mark before a test loads anything.
func MarkBPF(t testing.TB) BPFMark {
	t.Helper()
	var mark BPFMark
	for id := ebpf.ProgramID(0); ; {
		next, err := ebpf.ProgramGetNextID(id)
		if err != nil {
			break
		}
		id, mark.prog = next, next
	}
	for id := ebpf.MapID(0); ; {
		next, err := ebpf.MapGetNextID(id)
		if err != nil {
			break
		}
		id, mark.m = next, next
	}
	return mark
}

// RequireNoBPFLeft fails when a program or map of tailor's made after mark
// is still in the kernel, or something of tailor's is pinned. A link holds
// its program, so no program left means no link left either.
func RequireNoBPFLeft(t testing.TB, mark BPFMark) {
	t.Helper()
	var left []string
	deadline := time.Now().Add(10 * time.Second) // freed after an RCU grace period
	for {
		left = nil
		for id := mark.prog; ; {
			next, err := ebpf.ProgramGetNextID(id)
			if err != nil {
				break
			}
			id = next
			if p, err := ebpf.NewProgramFromID(next); err == nil {
				if info, err := p.Info(); err == nil && slices.Contains(ourNames, info.Name) {
					left = append(left, fmt.Sprintf("program %d %s", next, info.Name))
				}
				p.Close()
			}
		}
		for id := mark.m; ; {
			next, err := ebpf.MapGetNextID(id)
			if err != nil {
				break
			}
			id = next
			if m, err := ebpf.NewMapFromID(next); err == nil {
				if info, err := m.Info(); err == nil && slices.Contains(ourNames, info.Name) {
					left = append(left, fmt.Sprintf("map %d %s", next, info.Name))
				}
				m.Close()
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(left) > 0 {
		t.Errorf("tailor's BPF objects are still loaded: %v", left)
	}
	if entries, _ := os.ReadDir("/sys/fs/bpf"); len(entries) > 0 {
		for _, e := range entries {
			if strings.Contains(e.Name(), "tailor") {
				t.Errorf("something of tailor's is pinned: /sys/fs/bpf/%s", e.Name())
			}
		}
	}
}
