package runflags

// Resource limits stop one container from exhausting the host: a fork bomb
// (--pids-limit), a leak (--memory), a descriptor leak (--ulimit nofile).
// They are suggested from the peaks the recorder saw, with headroom: a
// learning run is one run, and the next may be busier. A limit is never
// below what was observed, and nothing is suggested for what was not.
//
// Each limit is then rounded up to the next step of 1, 1.5, 2, 3, 4, 6,
// 8, 12, ... (a power of two, or one and a half times one): two runs of
// the same workload whose peaks differ by a task or a few MiB get the same
// flags, so that committed profiles do not change, and tailor check does
// not report a new limit, on every run.

import (
	"fmt"
	"math"
	"strings"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/internal/text"
)

// Headroom of the suggested limits over the observed peaks.
const (
	// TasksHeadroomFactor and TasksMinHeadroom: --pids-limit is twice the
	// peak number of tasks (processes and threads), and at least the peak
	// plus 32: a small container's next run may start a few more helpers.
	// Then rounded up to a step (48, 64, 96, 128, ...).
	TasksHeadroomFactor = 2
	TasksMinHeadroom    = 32
	// MemoryHeadroomFactor and MemoryFloor: --memory is twice the peak
	// memory of the container's cgroup (page cache included, which the
	// kernel reclaims under the limit), and at least 64 MiB; in MiB,
	// rounded up to a step (64, 96, 128, 192, 256, ...).
	MemoryHeadroomFactor = 2
	MemoryFloor          = 64 << 20
	// OpenFilesHeadroomFactor and OpenFilesFloor: --ulimit nofile is twice
	// the most descriptors one process held at once, and at least 1024, the
	// soft limit most Linux systems give every process, which programs are
	// written to live with; rounded up to a step (1024, 1536, 2048, ...).
	// It only ever raises: never below the limit the container ran with
	// (an explicit --ulimit is kept; the engine's own, recorded as
	// Resources.OpenFilesLimit, gets no flag when it covers the headroom),
	// and no flag at all when that limit is not known: a database sizes its
	// table cache from it.
	OpenFilesHeadroomFactor = 2
	OpenFilesFloor          = 1024
)

// Files written to a tmpfs are memory of the container's cgroup (shmem):
// they count against --memory, and a tmpfs Docker mounts without a size
// may grow to half the host's memory, so a container that writes more
// there than its run did is OOM-killed instead of told ENOSPC. So where
// --read-only comes with --tmpfs mounts and --memory is suggested, each
// tmpfs gets size= the memory suggested for the processes (twice the
// peak, at least 64 MiB, rounded up), and --memory is that plus the sizes
// of the tmpfs mounts: the processes keep their headroom however full the
// tmpfs mounts get, and a full tmpfs answers ENOSPC.

// LimitsAdvice is ResourceLimits' answer.
type LimitsAdvice struct {
	Pids   LimitAdvice `json:"pids"`
	Memory LimitAdvice `json:"memory"`
	Nofile LimitAdvice `json:"nofile"`
	// TmpfsBytes is the size= of each --tmpfs mount (0: none given), which
	// Memory.Suggested includes once per mount.
	TmpfsBytes int64 `json:"tmpfs_bytes,omitempty"`
	// TmpfsMounts are the mounts it sizes.
	TmpfsMounts int `json:"tmpfs_mounts,omitempty"`
}

// LimitAdvice is one suggested limit.
type LimitAdvice struct {
	// Peak is what was observed (0: not observed).
	Peak int64 `json:"peak"`
	// Current is the limit the container ran with (0: none).
	Current int64 `json:"current"`
	// Suggested is the limit suggested (0: none).
	Suggested int64 `json:"suggested"`
	// Flag is the docker run flag for it, "" when none is suggested or
	// the suggestion is not safe to apply unseen (Reason says why).
	Flag   string `json:"flag,omitempty"`
	Reason string `json:"reason"`
}

// Flags are the docker run flags of the suggested limits.
func (l LimitsAdvice) Flags() []string {
	var flags []string
	for _, a := range []LimitAdvice{l.Pids, l.Memory, l.Nofile} {
		if a.Flag != "" {
			flags = append(flags, a.Flag)
		}
	}
	return flags
}

// ResourceLimits suggests --pids-limit, --memory and --ulimit nofile from
// the peaks in rec.Resources, with the headroom above. When the container
// already ran with a tighter limit that its peak stayed within, that limit
// is kept: it ran with it.
func ResourceLimits(rec *profile.Recording) LimitsAdvice {
	r := rec.Resources
	var nofile int64
	for _, u := range rec.Config.Ulimits {
		if strings.EqualFold(u.Name, "nofile") {
			nofile = u.Hard
			if u.Soft > 0 && (nofile <= 0 || u.Soft < nofile) {
				nofile = u.Soft
			}
		}
	}
	partial := ""
	if rec.Partial || rec.StartMissed {
		partial = "; the recording did not see the whole run, so the peak may be higher"
	}

	pids := suggestLimit(r.PeakTasks, rec.Config.PidsLimit, "tasks (processes and threads) at once",
		stepUp(max(mulSat(r.PeakTasks, TasksHeadroomFactor), addSat(r.PeakTasks, TasksMinHeadroom))),
		fmt.Sprintf("twice the peak, at least the peak + %d, rounded up", TasksMinHeadroom), text.Itoa64)
	if pids.Suggested > 0 {
		pids.Flag = fmt.Sprintf("--pids-limit=%d", pids.Suggested)
	}

	mem := max(mulSat(r.PeakMemoryBytes, MemoryHeadroomFactor), MemoryFloor)
	if mib := roundUpMiB(mem) >> 20; mib <= math.MaxInt64>>21 {
		mem = stepUp(mib) << 20
	}
	memory := suggestLimit(r.PeakMemoryBytes, rec.Config.MemoryBytes, "memory in use (the cgroup's peak)",
		mem, "twice the peak, at least 64 MiB, rounded up", text.Bytes)
	var tmpfsBytes int64
	var tmpfsMounts int
	if memory.Suggested > 0 {
		memory.Reason += "; files the container writes to a tmpfs count against --memory"
		if ro := ReadOnlyRoot(rec); ro.Suggested && len(ro.Tmpfs) > 0 && memory.Suggested%(1<<20) == 0 {
			tmpfsBytes, tmpfsMounts = memory.Suggested, len(ro.Tmpfs)
			total := addSat(memory.Suggested, mulSat(tmpfsBytes, int64(tmpfsMounts)))
			memory.Reason += fmt.Sprintf(": each of the %s --read-only comes with is sized %s (size=), "+
				"and --memory is %s for the processes plus those sizes, %s, so that a full tmpfs answers "+
				"ENOSPC instead of the OOM killer ending the container",
				text.Plural(tmpfsMounts, "tmpfs mount"), text.Bytes(tmpfsBytes), text.Bytes(memory.Suggested), text.Bytes(total))
			memory.Suggested = total
		}
		if memory.Suggested%(1<<20) == 0 {
			memory.Flag = fmt.Sprintf("--memory=%dm", memory.Suggested>>20)
		} else {
			memory.Flag = fmt.Sprintf("--memory=%db", memory.Suggested)
		}
	}

	files := suggestLimit(r.PeakOpenFiles, nofile, "open files in one process at once",
		stepUp(max(mulSat(r.PeakOpenFiles, OpenFilesHeadroomFactor), OpenFilesFloor)),
		fmt.Sprintf("twice the peak, at least %d, rounded up", OpenFilesFloor), text.Itoa64)
	inFlags := files.Suggested > 0
	switch {
	case !inFlags:
	case nofile > 0 && nofile >= files.Suggested:
		// It ran with an explicit limit, which covered its peak: kept, not
		// lowered (suggestLimit kept it only when it was tighter).
		files.Reason = fmt.Sprintf("peak open files in one process at once: %s; it ran with --ulimit nofile=%s, "+
			"which is kept (never lowered: programs size caches from it, a database's table cache)",
			text.Itoa64(r.PeakOpenFiles), text.Itoa64(nofile))
		files.Suggested = nofile
	case nofile > 0:
		// Its explicit limit was below the suggestion: raised.
	case r.OpenFilesLimit == 0:
		// What the engine gave it is not known: a lower limit might shrink
		// what the program sizes from it, so none is put in the flags.
		files.Reason += fmt.Sprintf("; not put in docker-run.flags: the limit the container ran with was not "+
			"recorded, and programs size caches from it (a database's table cache), so a lower one could change "+
			"how it runs; add --ulimit=nofile=%d:%d yourself if that limit is above it", files.Suggested, files.Suggested)
		inFlags = false
	case r.OpenFilesLimit >= files.Suggested:
		// The engine's own limit covers the headroom: no flag, so that the
		// container keeps whatever the engine gives (a lower flag would
		// shrink what programs size from it), and the profile does not
		// carry this host's default to the next.
		files.Reason = fmt.Sprintf("peak open files in one process at once: %s; the engine gave it %s, "+
			"which covers twice that: no flag (a lower limit would shrink what programs size from it, "+
			"a database's table cache)", text.Itoa64(r.PeakOpenFiles), text.Itoa64(r.OpenFilesLimit))
		files.Suggested = r.OpenFilesLimit
		inFlags = false
	default:
		files.Reason += fmt.Sprintf("; above the %s the engine gave it", text.Itoa64(r.OpenFilesLimit))
	}
	if inFlags {
		files.Flag = fmt.Sprintf("--ulimit=nofile=%d:%d", files.Suggested, files.Suggested)
	}

	for _, a := range []*LimitAdvice{&pids, &memory, &files} {
		if a.Peak > 0 {
			a.Reason += partial
		}
	}
	return LimitsAdvice{Pids: pids, Memory: memory, Nofile: files, TmpfsBytes: tmpfsBytes, TmpfsMounts: tmpfsMounts}
}

// suggestLimit is one limit: headroom above the peak, or the tighter limit
// it already ran with, never below the peak.
func suggestLimit(peak, current int64, what string, withHeadroom int64, rule string, format func(int64) string) LimitAdvice {
	a := LimitAdvice{Peak: peak, Current: max(current, 0)}
	if peak <= 0 {
		a.Reason = "the peak " + what + " was not observed (a recording by an older tailor, " +
			"or the kernel did not report it): no limit is suggested"
		return a
	}
	a.Suggested = max(withHeadroom, peak)
	a.Reason = fmt.Sprintf("peak %s: %s; suggested %s (%s)", what, format(peak), format(a.Suggested), rule)
	if a.Current > 0 && a.Current >= peak && a.Current < a.Suggested {
		a.Suggested = a.Current
		a.Reason = fmt.Sprintf("peak %s: %s; it ran with a limit of %s, which is kept", what, format(peak), format(a.Current))
	}
	return a
}

// roundUpMiB rounds b up to a whole MiB, or down where that would
// overflow.
func roundUpMiB(b int64) int64 {
	const mib = 1 << 20
	if b > math.MaxInt64-mib {
		return b / mib * mib
	}
	return (b + mib - 1) / mib * mib
}

// stepUp rounds n up to the next step: a power of two, or one and a half
// times one (1, 2, 3, 4, 6, 8, 12, 16, 24, ...). Values too large to round
// stay as they are.
func stepUp(n int64) int64 {
	if n <= 1 || n > 1<<61 {
		return n
	}
	p := int64(1)
	for p < n {
		if p >= 2 && p+p/2 >= n {
			return p + p/2
		}
		p <<= 1
	}
	return p
}

// mulSat and addSat saturate instead of overflowing (peaks are never
// negative).
func mulSat(a, f int64) int64 {
	if a > math.MaxInt64/f {
		return math.MaxInt64
	}
	return a * f
}

func addSat(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
