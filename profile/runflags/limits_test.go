package runflags

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/profiletest"
)

func TestResourceLimits(t *testing.T) {
	tests := []struct {
		name                   string
		res                    profile.Resources
		cfg                    profile.ContainerConfig
		pids, memory, nofile   int64
		pidsF, memoryF, filesF string
	}{
		{
			name: "small peaks get the floors",
			res:  profile.Resources{PeakTasks: 1, PeakMemoryBytes: 3 * profiletest.MiB, PeakOpenFiles: 10, OpenFilesLimit: 512},
			pids: 48, memory: 64 * profiletest.MiB, nofile: 1024,
			pidsF: "--pids-limit=48", memoryF: "--memory=64m", filesF: "--ulimit=nofile=1024:1024",
		},
		{
			name: "large peaks get twice, rounded up to a step",
			res:  profile.Resources{PeakTasks: 200, PeakMemoryBytes: 300*profiletest.MiB + 1, PeakOpenFiles: 5000, OpenFilesLimit: 1024},
			pids: 512, memory: 768 * profiletest.MiB, nofile: 12288,
			pidsF: "--pids-limit=512", memoryF: "--memory=768m", filesF: "--ulimit=nofile=12288:12288",
		},
		{
			name:   "no flag where the engine's limit covers the headroom",
			res:    profile.Resources{PeakOpenFiles: 700, OpenFilesLimit: 1048576},
			nofile: 1048576,
		},
		{
			name:   "an explicit limit above the suggestion is not lowered",
			res:    profile.Resources{PeakOpenFiles: 100, OpenFilesLimit: 2048},
			cfg:    profile.ContainerConfig{Ulimits: []profile.Ulimit{{Name: "nofile", Soft: 2048, Hard: 4096}}},
			nofile: 2048, filesF: "--ulimit=nofile=2048:2048",
		},
		{
			name:   "not in the flags when the engine's limit is not known",
			res:    profile.Resources{PeakOpenFiles: 700},
			nofile: 1536,
		},
		{
			name: "the headroom of tasks is at least 32",
			res:  profile.Resources{PeakTasks: 20},
			pids: 64, pidsF: "--pids-limit=64",
		},
		{
			name: "unobserved: nothing suggested",
			res:  profile.Resources{},
		},
		{
			name: "a tighter limit it ran with is kept",
			res:  profile.Resources{PeakTasks: 10, PeakMemoryBytes: 40 * profiletest.MiB, PeakOpenFiles: 100},
			cfg:  profile.ContainerConfig{PidsLimit: 20, MemoryBytes: 50 * profiletest.MiB, Ulimits: []profile.Ulimit{{Name: "nofile", Soft: 256, Hard: 512}}},
			pids: 20, memory: 50 * profiletest.MiB, nofile: 256,
			pidsF: "--pids-limit=20", memoryF: "--memory=50m", filesF: "--ulimit=nofile=256:256",
		},
		{
			name: "a limit below the peak is not kept",
			res:  profile.Resources{PeakTasks: 10, PeakMemoryBytes: 40 * profiletest.MiB},
			cfg:  profile.ContainerConfig{PidsLimit: 5, MemoryBytes: 30 * profiletest.MiB},
			pids: 48, memory: 96 * profiletest.MiB,
			pidsF: "--pids-limit=48", memoryF: "--memory=96m",
		},
		{
			name:    "an odd byte limit it ran with",
			res:     profile.Resources{PeakMemoryBytes: 10 * profiletest.MiB},
			cfg:     profile.ContainerConfig{MemoryBytes: 20*profiletest.MiB + 5},
			memory:  20*profiletest.MiB + 5,
			memoryF: "--memory=20971525b",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := ResourceLimits(&profile.Recording{Resources: tc.res, Config: tc.cfg})
			for _, c := range []struct {
				what     string
				a        LimitAdvice
				want     int64
				wantFlag string
				peak     int64
			}{
				{"pids", l.Pids, tc.pids, tc.pidsF, tc.res.PeakTasks},
				{"memory", l.Memory, tc.memory, tc.memoryF, tc.res.PeakMemoryBytes},
				{"nofile", l.Nofile, tc.nofile, tc.filesF, tc.res.PeakOpenFiles},
			} {
				if c.a.Suggested != c.want || c.a.Flag != c.wantFlag || c.a.Peak != c.peak {
					t.Errorf("%s: %+v, want %d %q", c.what, c.a, c.want, c.wantFlag)
				}
				if c.a.Suggested != 0 && c.a.Suggested < c.peak {
					t.Errorf("%s: suggested %d below the peak %d", c.what, c.a.Suggested, c.peak)
				}
				if c.peak == 0 && !strings.Contains(c.a.Reason, "not observed") {
					t.Errorf("%s: reason %q does not say the peak was not observed", c.what, c.a.Reason)
				}
			}
			var want []string
			for _, f := range []string{tc.pidsF, tc.memoryF, tc.filesF} {
				if f != "" {
					want = append(want, f)
				}
			}
			if !slices.Equal(l.Flags(), want) {
				t.Errorf("flags %q, want %q", l.Flags(), want)
			}
		})
	}
}

// Peaks that differ a little give the same limits.
func TestResourceLimitsAreStable(t *testing.T) {
	flags := func(tasks, memory, files int64) []string {
		return ResourceLimits(&profile.Recording{Resources: profile.Resources{PeakTasks: tasks, PeakMemoryBytes: memory, PeakOpenFiles: files, OpenFilesLimit: 512}}).Flags()
	}
	a, b := flags(6, 40*profiletest.MiB, 30), flags(7, 41*profiletest.MiB+12345, 60)
	if !slices.Equal(a, b) || len(a) != 3 {
		t.Errorf("%q and %q differ", a, b)
	}
}

// Never below the peak, whatever it is.
func TestResourceLimitsNeverBelowPeak(t *testing.T) {
	for _, peak := range []int64{1, 2, 31, 32, 33, 1023, 1024, 1025, 64 * profiletest.MiB, 64*profiletest.MiB + 1, 1 << 40, 1<<62 - 1, math.MaxInt64 - 1<<19, math.MaxInt64} {
		l := ResourceLimits(&profile.Recording{Resources: profile.Resources{PeakTasks: peak, PeakMemoryBytes: peak, PeakOpenFiles: peak}})
		for _, a := range []LimitAdvice{l.Pids, l.Memory, l.Nofile} {
			if a.Suggested < peak {
				t.Errorf("peak %d: suggested %d (%s)", peak, a.Suggested, a.Reason)
			}
		}
	}
}

// The limits go at the end of docker-run.flags.
func TestDockerRunFlagsLimits(t *testing.T) {
	rec := profiletest.BatchRecording(t)
	flags := New(rec, profile.Capabilities(rec), "/p/seccomp.json")
	// 512 MiB for the processes, and as much for the tmpfs on /tmp.
	want := []string{"--pids-limit=48", "--memory=1024m", "--ulimit=nofile=2048:2048"}
	if got := flags[len(flags)-3:]; !slices.Equal(got, want) {
		t.Errorf("flags end in %q, want %q", got, want)
	}
	if !slices.Contains(flags, "--tmpfs=/tmp:size=512m") {
		t.Errorf("the tmpfs on /tmp is not sized: %q", flags)
	}
}

// Files in a tmpfs are memory of the container's cgroup: each tmpfs
// --read-only comes with is sized, and --memory leaves the processes their
// headroom on top of every tmpfs full (the upload that filled /tmp then
// gets ENOSPC, not the OOM killer).
func TestTmpfsCountsAgainstMemory(t *testing.T) {
	rec := &profile.Recording{Host: profile.Host{Arch: "x86_64"}, FilesRecorded: true,
		Resources: profile.Resources{PeakMemoryBytes: 3800 * 1024},
		Files: []profile.FileAccess{
			{Path: "/run/app.pid", Access: []string{profile.AccessCreate, profile.AccessWrite}},
			{Path: "/tmp/upload-1", Access: []string{profile.AccessCreate, profile.AccessWrite}},
		}}
	l := ResourceLimits(rec)
	if l.TmpfsBytes != 64*profiletest.MiB || l.TmpfsMounts != 2 {
		t.Fatalf("tmpfs %d x %d, want 2 x 64 MiB", l.TmpfsMounts, l.TmpfsBytes)
	}
	if l.Memory.Suggested != 3*64*profiletest.MiB || l.Memory.Flag != "--memory=192m" {
		t.Errorf("memory %+v, want 64 MiB for the processes + 2 x 64 MiB", l.Memory)
	}
	for _, w := range []string{"count against --memory", "ENOSPC", "size="} {
		if !strings.Contains(l.Memory.Reason, w) {
			t.Errorf("reason %q does not say %q", l.Memory.Reason, w)
		}
	}
	flags := New(rec, profile.Capabilities(rec), "/p/seccomp.json")
	for _, want := range []string{"--read-only", "--tmpfs=/run:size=64m", "--tmpfs=/tmp:size=64m", "--memory=192m"} {
		if !slices.Contains(flags, want) {
			t.Errorf("no %s in %q", want, flags)
		}
	}
	// No memory peak: nothing to size from, the tmpfs is as Docker mounts it.
	rec.Resources = profile.Resources{}
	if l := ResourceLimits(rec); l.TmpfsBytes != 0 || l.Memory.Flag != "" {
		t.Errorf("no peak: %+v", l)
	}
	if flags := New(rec, profile.Capabilities(rec), "/p/seccomp.json"); !slices.Contains(flags, "--tmpfs=/tmp") {
		t.Errorf("no peak: %q", flags)
	}
}
