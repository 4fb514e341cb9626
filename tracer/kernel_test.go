package tracer

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/tracer/tracertest"
)

// requireKernel skips unless the recorder can run here.
func requireKernel(t *testing.T) {
	t.Helper()
	if err := CheckSupport(); err != nil {
		tracertest.SkipOrFail(t, "skipping: the BPF recorder cannot run here (%v); run the tests as root on Linux 5.17+ with BTF", err)
	}
}

func loadedProgramIDs(t *testing.T, k *Kernel) []ebpf.ProgramID {
	t.Helper()
	var ids []ebpf.ProgramID
	for _, p := range append([]*ebpf.Program{k.objs.SysEnter, k.objs.SchedProcessFork, k.objs.SchedProcessExec, k.objs.SchedProcessExit, k.optional.NameOpExit, k.objs.SnapshotNamespaces}, k.optional.Capability...) {
		if p == nil {
			continue
		}
		info, err := p.Info()
		if err != nil {
			t.Fatal(err)
		}
		id, ok := info.ID()
		if !ok {
			t.Fatal("program has no id")
		}
		ids = append(ids, id)
	}
	return ids
}

// A mount namespace made by `unshare -m` is a container in miniature: the
// kernel side must find it by itself, keep unshare's own mount calls out,
// arm at the exec (no seccomp filter) and count the probe's syscalls.
func TestKernelRecordsNewMountNamespace(t *testing.T) {
	requireKernel(t)
	if _, err := exec.LookPath("unshare"); err != nil {
		tracertest.SkipOrFail(t, "skipping: unshare (util-linux) not found")
	}
	probe := tracertest.BuildProbe(t)

	k, err := LoadKernel(KernelOptions{MaxTargets: 8})
	if err != nil {
		t.Fatal(err)
	}
	ids := loadedProgramIDs(t, k)
	defer func() {
		if err := k.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		// Nothing of ours may remain in the kernel. Programs are freed
		// after an RCU grace period, so give the kernel a moment.
		for _, id := range ids {
			if !eventually(5*time.Second, func() bool { return !programLoaded(id) }) {
				t.Errorf("program %d still loaded 5s after Close", id)
			}
		}
	}()
	if err := k.Start(); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command("unshare", "--mount", probe, "blocked")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("unshare probe: %v\n%s", err, out)
	}

	armed := probeArmed(t, k)
	if armed.ArmedBy != ArmedExec {
		t.Errorf("armed by %v, want exec (unshare loads no seccomp filter)", armed.ArmedBy)
	}
	snap, ok, err := k.Snapshot(armed.Slot, armed.Gen)
	if err != nil || !ok {
		t.Fatalf("snapshot: ok=%v err=%v", ok, err)
	}
	got := nativeCounts(snap)
	// probe blocked: ptrace, unshare, mount, 3 lines of 4 writes each, exit.
	want := map[string]uint64{"execve": 1, "ptrace": 1, "unshare": 1, "mount": 1, "write": 12, "exit_group": 1}
	for name, n := range want {
		if got[name] != n {
			t.Errorf("%s counted %d times, want %d (all: %v)", name, got[name], n, got)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("unexpected syscall %s in the probe's counts (all: %v)", name, got)
		}
	}
	// unshare(1)'s own setup (its mount propagation call) is not workload.
	setup := map[string]bool{}
	for _, nr := range snap.Setup {
		name, _ := profile.SyscallName(profile.NativeArch(), nr)
		setup[name] = true
	}
	if !setup["mount"] {
		t.Errorf("unshare's mount call missing from the setup set %v", setup)
	}
}

// A task counts its syscalls in its own storage: a snapshot must add those
// of the live tasks (collect_counts) and, once they exit, those they left
// in the slot's counters, each exactly once.
func TestKernelCountsLiveAndExitedTasks(t *testing.T) {
	requireKernel(t)
	if _, err := exec.LookPath("unshare"); err != nil {
		tracertest.SkipOrFail(t, "skipping: unshare (util-linux) not found")
	}
	probe := tracertest.BuildProbe(t)
	k, err := LoadKernel(KernelOptions{MaxTargets: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if err := k.Start(); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command("unshare", "--mount", probe, "sleep", "2")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	armed := probeArmed(t, k)
	counts := func() map[string]uint64 {
		t.Helper()
		snap, ok, err := k.Snapshot(armed.Slot, armed.Gen)
		if err != nil || !ok {
			t.Fatalf("snapshot: ok=%v err=%v", ok, err)
		}
		return nativeCounts(snap)
	}
	check := func(when string, got, want map[string]uint64) {
		t.Helper()
		if !maps.Equal(got, want) {
			t.Errorf("%s: counted %v, want %v", when, got, want)
		}
	}

	// probe sleep: nanosleep, then exit.
	asleep := map[string]uint64{"execve": 1, "nanosleep": 1}
	var got map[string]uint64
	if !eventually(2*time.Second, func() bool { got = counts(); return got["nanosleep"] > 0 }) {
		t.Fatalf("the live probe's nanosleep was never counted: %v", got)
	}
	check("while it sleeps", got, asleep)
	check("read again", counts(), asleep) // reading adds nothing
	if err := cmd.Wait(); err != nil {
		t.Fatalf("probe: %v", err)
	}
	check("after it exited", counts(), map[string]uint64{"execve": 1, "nanosleep": 1, "exit_group": 1})
}

// probeArmed waits (5 s at most) for the event that armed the probe's
// target.
func probeArmed(t *testing.T, k *Kernel) Event {
	t.Helper()
	k.events.SetDeadline(time.Now().Add(5 * time.Second))
	for {
		e, err := k.ReadEvent()
		if err != nil {
			t.Fatalf("no armed event for the probe: %v", err)
		}
		if e.Type == EventArmed && e.Comm == "probe" {
			return e
		}
	}
}

// nativeCounts names a snapshot's counted native syscalls.
func nativeCounts(snap Snapshot) map[string]uint64 {
	got := map[string]uint64{}
	for nr, n := range snap.Syscalls[ABINative] {
		if n > 0 {
			name, _ := profile.SyscallName(profile.NativeArch(), nr)
			got[name] = n
		}
	}
	return got
}

func programLoaded(id ebpf.ProgramID) bool {
	p, err := ebpf.NewProgramFromID(id)
	if err != nil {
		return false
	}
	p.Close()
	return true
}

func eventually(limit time.Duration, cond func() bool) bool {
	for end := time.Now().Add(limit); ; time.Sleep(20 * time.Millisecond) {
		if cond() {
			return true
		}
		if time.Now().After(end) {
			return false
		}
	}
}

func TestKernelCloseTwice(t *testing.T) {
	requireKernel(t)
	k, err := LoadKernel(KernelOptions{MaxTargets: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Close(); err != nil {
		t.Fatal(err)
	}
	if err := k.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
}

func TestCheckSupportNotRoot(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("runs only without root")
	}
	if err := CheckSupport(); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("CheckSupport as non-root = %v, want ErrUnsupported", err)
	}
}

func TestContainerIDFromCgroups(t *testing.T) {
	id := "7adfe6bccc3b904a322d6c19e86a9a19bc9ce7e54c6d8e8f4e5e9a37fe5cb9e4"
	for _, tc := range []struct {
		names []string
		want  string
	}{
		{[]string{id}, id},
		{[]string{"docker-" + id + ".scope"}, id},
		{[]string{"", "libpod-" + id + ".scope"}, id},
		{[]string{"user.slice", "session-3.scope"}, ""},
		{nil, ""},
	} {
		if got := ContainerIDFromCgroups(tc.names); got != tc.want {
			t.Errorf("ContainerIDFromCgroups(%q) = %q, want %q", tc.names, got, tc.want)
		}
	}
}

// The file recorder against ground truth: the probe's file operations in a
// directory, failed ones included, give exactly these paths and accesses.
func TestKernelRecordsFileAccess(t *testing.T) {
	requireKernel(t)
	if _, err := exec.LookPath("unshare"); err != nil {
		tracertest.SkipOrFail(t, "skipping: unshare (util-linux) not found")
	}
	probe := tracertest.BuildProbe(t)
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/existing", []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dir+"/existing_dir", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/logtarget", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("logtarget", dir+"/loglink"); err != nil {
		t.Fatal(err)
	}

	k, err := LoadKernel(KernelOptions{MaxTargets: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if !k.NameOpsConfirmed {
		tracertest.SkipOrFail(t, "skipping: the syscalls' exit tracepoints are not available (no tracefs)")
	}
	if err := k.Start(); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("unshare", "--mount", probe, "files", dir).CombinedOutput(); err != nil {
		t.Fatalf("probe files: %v\n%s", err, out)
	}
	k.FlushEvents()
	got := map[string][]string{}
	var sockets []profile.SocketUse
	var signals []string
	for {
		e, err := k.ReadEvent()
		if err != nil {
			break
		}
		if e.Type == EventArmed && e.Comm == "probe" {
			defer func(slot, gen uint32) {
				snap, ok, err := k.Snapshot(slot, gen)
				if err != nil || !ok {
					t.Errorf("snapshot: %v %v", ok, err)
					return
				}
				sockets, signals = snap.Sockets, snap.SignalsSent
				if !slices.Contains(sockets, profile.SocketUse{Family: "inet", Type: "stream"}) || !slices.Contains(sockets, profile.SocketUse{Family: "unix", Type: "dgram"}) {
					t.Errorf("sockets = %v", sockets)
				}
				if !slices.Equal(signals, []string{"exists"}) {
					t.Errorf("signals = %v", signals)
				}
				if !slices.Equal(snap.SharedMemory, []string{"read", "write"}) {
					t.Errorf("shared memory = %v, want [read write] (the MAP_SHARED|MAP_ANONYMOUS mapping, not the private one)", snap.SharedMemory)
				}
			}(e.Slot, e.Gen)
		}
		if e.File != nil && strings.HasPrefix(e.File.Path, dir+"/") {
			name := strings.TrimPrefix(e.File.Path, dir+"/")
			got[name] = append(got[name], accessNames(e.File.Access)...)
		}
	}
	for name := range got {
		slices.Sort(got[name])
		got[name] = slices.Compact(got[name])
	}
	want := map[string][]string{
		"existing": {"read"},
		"new":      {"create", "rename", "truncate", "write"},
		"renamed":  {"chmod", "rename"},
		"log":      {"append", "create"},
		// The name AppArmor checks create on, and the file it opened.
		"loglink":   {"open_create"},
		"logtarget": {"append"},
		"newdir":    {"mkdir", "rmdir"},
		"link":      {"symlink", "unlink"},
	}
	for name, w := range want {
		if !slices.Equal(got[name], w) {
			t.Errorf("%s: recorded %v, want %v", name, got[name], w)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s recorded (%v), but the probe only failed on it or never touched it", name, got[name])
		}
	}
}

// The verifier's work is what tailor waits for before it can record. A
// loop whose bound depends on data (a name's length) once made it walk the
// rest of the file path code for every possible length: ~680,000
// instructions in each of three programs and over a second to start. Every
// program must stay far below that; the budget is a count, not a time.
func TestVerifierWorkStaysSmall(t *testing.T) {
	requireKernel(t)
	const budget = 50_000
	k, err := LoadKernel(KernelOptions{MaxTargets: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	for _, p := range append([]*ebpf.Program{k.objs.SysEnter, k.objs.SchedProcessFork, k.objs.SchedProcessExec, k.objs.SchedProcessExit,
		k.objs.SnapshotNamespaces, k.objs.CollectCounts, k.optional.NameOpExit, k.optional.MarkVictim}, k.optional.Capability...) {
		if p == nil {
			continue
		}
		info, err := p.Info()
		if err != nil {
			t.Fatal(err)
		}
		n, ok := info.VerifiedInstructions()
		if !ok {
			t.Skip("skipping: this kernel does not report verified instructions (Linux 5.16+)")
		}
		t.Logf("%-20s %6d instructions verified", info.Name, n)
		if n > budget {
			t.Errorf("%s: the verifier walked %d instructions, budget %d: look for a loop bounded by a value the verifier cannot know (use bpf_loop)", info.Name, n, budget)
		}
	}
}

// printCapabilityFeature prints the line the kernel matrix (make kernels)
// reads: `kernel-feature: capabilities=HOOK`, or `=none (why)`: the value
// ends at the first space.
func printCapabilityFeature(mechanism string) {
	if why, ok := strings.CutPrefix(mechanism, "none: "); ok {
		mechanism = "none (" + why + ")"
	}
	fmt.Printf("kernel-feature: capabilities=%s\n", mechanism)
}

// capCheck is what a test expects of one capability's checks.
type capCheck struct {
	granted, denied bool
	noaudit         bool // every check made with CAP_OPT_NOAUDIT
	otherNS         bool // every check outside the container's user namespace
	syscalls        []string
}

// The capability checks of `probe caps` (see probe.c), through each hook
// the kernel offers: exactly these capabilities, granted or denied, in
// these syscalls, with the same facts whichever hook saw them.
func TestKernelRecordsCapabilities(t *testing.T) {
	if err := CheckSupport(); err != nil {
		printCapabilityFeature("none: " + err.Error())
	}
	requireKernel(t)
	if _, err := exec.LookPath("unshare"); err != nil {
		tracertest.SkipOrFail(t, "skipping: unshare (util-linux) not found")
	}
	probe := tracertest.BuildProbe(t)

	// The default choice first: the kernel matrix reads this line.
	k, err := LoadKernel(KernelOptions{MaxTargets: 2})
	if err != nil {
		t.Fatal(err)
	}
	mechanism := k.CapabilityMechanism
	k.Close()
	printCapabilityFeature(mechanism)
	if mechanism != string(k.CapabilityHook) && !strings.HasPrefix(mechanism, "none: ") || k.CapabilitiesRecorded != (k.CapabilityHook != "") {
		t.Fatalf("inconsistent: mechanism %q, hook %q, recorded %v", mechanism, k.CapabilityHook, k.CapabilitiesRecorded)
	}

	offered := 0
	for _, hook := range CapabilityHooks {
		t.Run(string(hook), func(t *testing.T) {
			k, err := LoadKernel(KernelOptions{MaxTargets: 4, CapabilityHook: hook})
			if err != nil {
				t.Fatal(err)
			}
			defer k.Close()
			if k.CapabilityHook != hook {
				t.Skipf("skipping: this kernel does not offer it: %s", k.CapabilityMechanism)
			}
			offered++
			if k.CapabilityMechanism != string(hook) {
				t.Errorf("CapabilityMechanism = %q, want %q", k.CapabilityMechanism, hook)
			}
			for _, p := range k.optional.Capability {
				if info, err := p.Info(); err == nil {
					if n, ok := info.VerifiedInstructions(); ok {
						t.Logf("%s: %d instructions verified", info.Name, n)
					}
				}
			}
			if err := k.Start(); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command("unshare", "--mount", probe, "caps", t.TempDir()).CombinedOutput(); err != nil {
				t.Fatalf("probe caps: %v\n%s", err, out)
			}
			armed := probeArmed(t, k)
			snap, ok, err := k.Snapshot(armed.Slot, armed.Gen)
			if err != nil || !ok {
				t.Fatalf("snapshot: ok=%v err=%v", ok, err)
			}
			want := map[string]capCheck{
				"CAP_CHOWN":     {granted: true, syscalls: []string{"fchown"}},
				"CAP_SYS_ADMIN": {granted: true, noaudit: true, syscalls: []string{"mmap", "seccomp"}},
				"CAP_SETPCAP":   {granted: true, syscalls: []string{"capset"}},
				"CAP_MKNOD":     {denied: true, syscalls: []string{"mknodat"}},
				"CAP_SYS_NICE":  {denied: true, otherNS: true, syscalls: []string{"setpriority"}},
			}
			if hook != CapabilityTracepoint {
				// capset's CAP_SETPCAP check and mmap's overcommit check
				// call cap_capable directly from security/commoncap.c,
				// where gcc inlines it: in Debian's 5.10, 6.1 and 6.12
				// function_graph tracing shows cap_capset and
				// cap_vm_enough_memory calling no function. fexit and
				// kprobe see the function's entry, which those checks
				// never pass; the tracepoint sits inside cap_capable and
				// is inlined with it.
				delete(want, "CAP_SETPCAP")
				want["CAP_SYS_ADMIN"] = capCheck{granted: true, noaudit: true, syscalls: []string{"seccomp"}}
			}
			got := map[string]capCheck{}
			for cp := range numCaps {
				total := snap.CapGranted[cp] + snap.CapDenied[cp]
				if total == 0 {
					if len(snap.CapSyscalls[cp]) > 0 || snap.CapNoAudit[cp] > 0 || snap.CapOtherNS[cp] > 0 {
						t.Errorf("capability %d: no check counted, yet syscalls %v, noaudit %d, other namespace %d",
							cp, snap.CapSyscalls[cp], snap.CapNoAudit[cp], snap.CapOtherNS[cp])
					}
					continue
				}
				name, _ := profile.CapabilityName(cp)
				c := capCheck{granted: snap.CapGranted[cp] > 0, denied: snap.CapDenied[cp] > 0,
					noaudit: snap.CapNoAudit[cp] == total, otherNS: snap.CapOtherNS[cp] == total}
				// Partly: a mix the probe never makes.
				if n := snap.CapNoAudit[cp]; n > 0 && n < total {
					t.Errorf("%s: %d of %d checks without audit", name, n, total)
				}
				if n := snap.CapOtherNS[cp]; n > 0 && n < total {
					t.Errorf("%s: %d of %d checks outside the container's user namespace", name, n, total)
				}
				for _, nr := range snap.CapSyscalls[cp] {
					sc, _ := profile.SyscallName(profile.NativeArch(), nr)
					c.syscalls = append(c.syscalls, sc)
				}
				got[name] = c
				t.Logf("%s: granted %d, denied %d, noaudit %d, other user namespace %d, in %v",
					name, snap.CapGranted[cp], snap.CapDenied[cp], snap.CapNoAudit[cp], snap.CapOtherNS[cp], c.syscalls)
			}
			for name, w := range want {
				if !k.CapabilityOptionsSeen {
					w.noaudit = false // the tracepoint does not pass the options
				}
				g, ok := got[name]
				if !ok {
					t.Errorf("%s: no check recorded, want %+v", name, w)
					continue
				}
				if g.granted != w.granted || g.denied != w.denied || g.noaudit != w.noaudit || g.otherNS != w.otherNS || !slices.Equal(g.syscalls, w.syscalls) {
					t.Errorf("%s: recorded %+v, want %+v", name, g, w)
				}
			}
			for name, g := range got {
				if _, ok := want[name]; !ok {
					t.Errorf("%s recorded (%+v), but the probe never asks for it", name, g)
				}
			}
		})
	}
	if offered == 0 {
		tracertest.SkipOrFail(t, "skipping: this kernel offers no hook for capability checks: %s", mechanism)
	}
}
