package tracertest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
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
		foreignProgs, foreignMaps := heldElsewhere()
		for id := mark.prog; ; {
			next, err := ebpf.ProgramGetNextID(id)
			if err != nil {
				break
			}
			id = next
			if foreignProgs[next] {
				continue
			}
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
			if foreignMaps[next] {
				continue
			}
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

// heldElsewhere lists the BPF programs and maps that processes outside
// this test's own process tree hold: go test ./... runs packages at the
// same time, and another package's recorder, loaded after the mark, is
// not a leak of this one. A program or map counts as held elsewhere when
// such a process has an fd of it (a link's fd holds its program), and a
// map also when a program held elsewhere uses it. Objects nobody holds
// (pinned, or leaked into the kernel) and those this process or its
// children hold stay suspects.
func heldElsewhere() (map[ebpf.ProgramID]bool, map[ebpf.MapID]bool) {
	progs, maps := map[ebpf.ProgramID]bool{}, map[ebpf.MapID]bool{}
	parents := map[int]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses.
		if i := bytes.LastIndexByte(stat, ')'); i >= 0 {
			if f := strings.Fields(string(stat[i+1:])); len(f) > 1 {
				parents[pid], _ = strconv.Atoi(f[1])
			}
		}
	}
	self := os.Getpid()
	ours := func(pid int) bool {
		for hops := 0; pid > 1 && hops < 64; hops++ {
			if pid == self {
				return true
			}
			pid = parents[pid]
		}
		return false
	}
	for pid := range parents {
		if ours(pid) {
			continue
		}
		dir := filepath.Join("/proc", strconv.Itoa(pid), "fdinfo")
		fds, _ := os.ReadDir(dir)
		for _, fd := range fds {
			info, err := os.ReadFile(filepath.Join(dir, fd.Name()))
			if err != nil {
				continue
			}
			for _, line := range strings.Split(string(info), "\n") {
				key, value, ok := strings.Cut(line, ":")
				if !ok {
					continue
				}
				n, err := strconv.ParseUint(strings.TrimSpace(value), 10, 32)
				if err != nil {
					continue
				}
				switch key {
				case "prog_id":
					progs[ebpf.ProgramID(n)] = true
				case "map_id":
					maps[ebpf.MapID(n)] = true
				}
			}
		}
	}
	for id := range progs {
		p, err := ebpf.NewProgramFromID(id)
		if err != nil {
			continue
		}
		if info, err := p.Info(); err == nil {
			if ids, ok := info.MapIDs(); ok {
				for _, m := range ids {
					maps[m] = true
				}
			}
		}
		p.Close()
	}
	return progs, maps
}
