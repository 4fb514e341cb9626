package tracer

// What the session hands the user: one profile.Recording per container,
// built from the kernel's snapshots of each mount namespace it ran in and
// from what the session learned beside them.

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/tailorsec/tailor/profile"
)

// buildRecording turns a container's snapshots, and what the session
// gathered beside them (files, mounts, identity, samples), into the pure
// model.
func buildRecording(rec *containerRec, host profile.Host, capsRecorded bool, stats Stats, sessionWarnings []string) *profile.Recording {
	r := &profile.Recording{
		Container: profile.Container{
			ID: rec.info.ID, Name: rec.info.Name, Image: rec.info.Image,
			ImageID: rec.info.ImageID, Runtime: rec.info.Runtime, ExitCode: rec.exitCode,
			Labels: maps.Clone(rec.info.Labels),
		},
		Host:                 host,
		Start:                rec.start,
		Stop:                 rec.stop,
		StartMissed:          rec.startMissed,
		Partial:              !rec.stopped,
		Learning:             rec.info.Learning,
		SettingsUnknown:      rec.settingsUnknown,
		CapabilitiesRecorded: capsRecorded,
		PrivilegedExecs:      slices.Clone(rec.privExecs),
		EventsLost:           stats.EventsLost,
		Warnings:             append(slices.Clone(sessionWarnings), rec.warnings...),
		Identity:             profile.Identity{Execs: slices.Clone(rec.execs), RootOnly: slices.Clone(rec.rootOnly)},
		Resources:            profile.Resources{PeakMemoryBytes: rec.peakMemory, PeakOpenFiles: rec.peakFiles, OpenFilesLimit: rec.openFilesLimit},
		Config:               rec.info.Config,
		ContainerMounts:      slices.Clone(rec.info.Mounts),
		Mounts:               slices.Clone(rec.mounts),
	}
	native := profile.NativeArch()
	t := sumSnapshots(rec.snaps, native)
	r.ArmedBy = armedByName(t.armedBy)
	r.UnknownSyscalls = t.unknown
	r.Syscalls = t.syscallUses(native)
	r.Capabilities = t.capabilityUses(native)
	r.SyscallArgs = syscallArgs(native, t.argsWorkload, t.argsSetup, t.runtimeNrs, t.argsOverflow)
	r.Resources.PeakTasks = t.peakTasks
	r.Sockets, r.SignalsSent, r.Ptrace, r.SharedMemory = t.sockets, t.signalsSent, t.ptrace, t.sharedMemory
	if stats.ArgsFull > 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%d argument values could not be kept (the kernel's table was full): those syscalls are allowed with any argument", stats.ArgsFull))
	}
	// The recorder resolves the paths of native syscalls only.
	r.FilesRecorded = !t.compatSyscalls
	if !r.FilesRecorded {
		r.Warnings = append(r.Warnings, "the container made 32-bit syscalls, whose file access tailor does not record: the AppArmor profile allows all file access")
	}
	for p, u := range rec.files {
		kind, point := classifyMount(p, u.onRoot, u.fstype, rec.info.Mounts)
		r.Files = append(r.Files, profile.FileAccess{Path: p, Access: accessNames(u.access), Mount: kind, MountPoint: point, NameOnly: !u.resolved})
	}
	if rec.outsideRoot > 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%d file accesses were to files outside the container's root (descriptors passed in from outside) and are not in the profile", rec.outsideRoot))
	}
	profile.Normalize(r)
	return r
}

// sysKey is one syscall of one architecture.
type sysKey struct {
	arch profile.Arch
	nr   int
}

// snapshotTotals is what a container's snapshots add up to: a restarted
// container has one per mount namespace it ran in.
type snapshotTotals struct {
	// armedBy is the weakest arming of any snapshot: exec (no filter) wins
	// over a filter, since then the runtime's last steps were not counted.
	armedBy                           ArmedBy
	unknown                           uint64
	counts                            map[sysKey]uint64
	runtimeNrs                        map[int]bool // the runtime's steps before an exec that armed
	argsWorkload, argsSetup           map[int][]uint64
	argsOverflow                      map[int]bool
	granted, denied, noaudit, otherNS [numCaps]uint64
	capSyscalls                       [numCaps]map[int]bool
	peakTasks                         int64
	sockets                           []profile.SocketUse
	signalsSent, ptrace, sharedMemory []string
	compatSyscalls                    bool // a 32-bit or x32 syscall was made
}

func sumSnapshots(snaps []Snapshot, native profile.Arch) *snapshotTotals {
	compat, x32 := profile.CompatArchs(native)
	archOf := [numABIs]profile.Arch{native, compat, x32}
	t := &snapshotTotals{
		armedBy:      ArmedNone,
		counts:       map[sysKey]uint64{},
		runtimeNrs:   map[int]bool{},
		argsWorkload: map[int][]uint64{}, argsSetup: map[int][]uint64{}, argsOverflow: map[int]bool{},
	}
	for i, snap := range snaps {
		if i == 0 || t.armedBy == ArmedFilter && snap.ArmedBy == ArmedExec {
			t.armedBy = snap.ArmedBy
		}
		t.unknown += snap.Overflow
		for abi := range snap.Syscalls {
			for nr, n := range snap.Syscalls[abi] {
				if n == 0 {
					continue
				}
				t.compatSyscalls = t.compatSyscalls || ABI(abi) != ABINative
				if archOf[abi] != "" {
					t.counts[sysKey{archOf[abi], nr}] += n
				}
			}
		}
		if snap.ArmedBy == ArmedExec {
			// No filter was loaded: the runtime's last steps before the
			// exec would run under one next time.
			for _, nr := range snap.Tail {
				t.runtimeNrs[nr] = true
			}
		}
		for nr, v := range snap.Args.workload {
			t.argsWorkload[nr] = append(t.argsWorkload[nr], v...)
		}
		for nr, v := range snap.Args.setup {
			t.argsSetup[nr] = append(t.argsSetup[nr], v...)
		}
		for _, nr := range snap.ArgsOverflow {
			t.argsOverflow[nr] = true
		}
		for cp := 0; cp < numCaps; cp++ {
			t.granted[cp] += snap.CapGranted[cp]
			t.denied[cp] += snap.CapDenied[cp]
			t.noaudit[cp] += snap.CapNoAudit[cp]
			t.otherNS[cp] += snap.CapOtherNS[cp]
			for _, nr := range snap.CapSyscalls[cp] {
				if t.capSyscalls[cp] == nil {
					t.capSyscalls[cp] = map[int]bool{}
				}
				t.capSyscalls[cp][nr] = true
			}
		}
		t.peakTasks = max(t.peakTasks, snap.PeakTasks)
		t.sockets = append(t.sockets, snap.Sockets...)
		t.signalsSent = append(t.signalsSent, snap.SignalsSent...)
		t.ptrace = append(t.ptrace, snap.Ptrace...)
		t.sharedMemory = append(t.sharedMemory, snap.SharedMemory...)
	}
	return t
}

// syscallUses are the syscalls counted, and the runtime's steps before an
// exec that armed (SourceRuntime) that were not counted themselves.
func (t *snapshotTotals) syscallUses(native profile.Arch) []profile.SyscallUse {
	var out []profile.SyscallUse
	for k, n := range t.counts {
		name, _ := profile.SyscallName(k.arch, k.nr)
		out = append(out, profile.SyscallUse{Arch: k.arch, Name: name, Number: k.nr, Count: n})
	}
	for nr := range t.runtimeNrs {
		if _, counted := t.counts[sysKey{native, nr}]; counted {
			continue
		}
		name, _ := profile.SyscallName(native, nr)
		out = append(out, profile.SyscallUse{Arch: native, Name: name, Number: nr, Source: profile.SourceRuntime})
	}
	return out
}

// capabilityUses are the capabilities checked, with the syscalls during
// which they were.
func (t *snapshotTotals) capabilityUses(native profile.Arch) []profile.CapabilityUse {
	var out []profile.CapabilityUse
	for cp := 0; cp < numCaps; cp++ {
		if t.granted[cp] == 0 && t.denied[cp] == 0 {
			continue
		}
		name, ok := profile.CapabilityName(cp)
		if !ok {
			name = fmt.Sprintf("CAP_%d", cp) // newer than this build knows
		}
		use := profile.CapabilityUse{Name: name, Granted: t.granted[cp], Denied: t.denied[cp], NoAudit: t.noaudit[cp], OtherUserNS: t.otherNS[cp]}
		for nr := range t.capSyscalls[cp] {
			if name, ok := profile.SyscallName(native, nr); ok {
				use.Syscalls = append(use.Syscalls, name)
			}
		}
		out = append(out, use)
	}
	return out
}

// classifyMount says where a path lives: the container's root filesystem,
// a mount Docker made for it (the longest matching destination), or one of
// the kernel's own filesystems.
func classifyMount(p string, onRoot bool, fstype string, mounts []profile.ContainerMount) (kind, point string) {
	if onRoot {
		return profile.MountRootfs, ""
	}
	best := -1
	for i, m := range mounts {
		d := strings.TrimSuffix(m.Destination, "/")
		if (p == d || strings.HasPrefix(p, d+"/")) && (best < 0 || len(d) > len(mounts[best].Destination)) {
			best = i
		}
	}
	if best >= 0 {
		return mounts[best].Type, mounts[best].Destination
	}
	switch {
	case fstype == "proc":
		return profile.MountProc, "/proc"
	case fstype == "sysfs" || strings.HasPrefix(fstype, "cgroup"):
		return profile.MountSys, "/sys"
	case p == "/dev" || strings.HasPrefix(p, "/dev/"):
		return profile.MountDev, "/dev"
	case fstype == "tmpfs":
		return profile.MountTmpfs, ""
	}
	// Docker's own bind mounts: /etc/hosts, /etc/hostname, /etc/resolv.conf.
	return profile.MountBind, p
}

func armedByName(a ArmedBy) string {
	switch a {
	case ArmedFilter:
		return profile.ArmedByFilter
	case ArmedExec:
		return profile.ArmedByExec
	case ArmedLate:
		return profile.ArmedLate
	}
	return a.String()
}
