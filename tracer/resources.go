package tracer

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Resource peaks the kernel side does not count: a container's memory (its
// cgroup keeps the peak) and the highest descriptor any of its processes
// held (what --ulimit nofile must allow: it limits descriptor numbers).
// Sampled while the container runs; the task count is exact, from the
// kernel (see count_task in bpf/recorder.bpf.c).

// cgroupDirs finds the container's memory cgroup directory (v1 memory
// hierarchy or cgroup2) from a process of it.
func cgroupDirs(pid int) (memory string, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return "", err
	}
	defer f.Close()
	var v2 string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// hierarchy-ID:controller-list:path
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		switch {
		case parts[1] == "":
			v2 = parts[2]
		case hasController(parts[1], "memory"):
			return filepath.Join("/sys/fs/cgroup/memory", parts[2]), nil
		}
	}
	if v2 != "" {
		for _, root := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"} {
			dir := filepath.Join(root, v2)
			if _, err := os.Stat(filepath.Join(dir, "memory.current")); err == nil {
				return dir, nil
			}
		}
	}
	return "", fmt.Errorf("no memory cgroup for pid %d", pid)
}

func hasController(list, name string) bool {
	for _, c := range strings.Split(list, ",") {
		if c == name {
			return true
		}
	}
	return false
}

// memoryPeak reads the cgroup's peak memory use: kept by the kernel in v1
// (max_usage_in_bytes) and in cgroup2 since 5.19 (memory.peak); otherwise
// the current use, which sampling turns into a peak.
func memoryPeak(dir string) int64 {
	for _, name := range []string{"memory.max_usage_in_bytes", "memory.peak", "memory.usage_in_bytes", "memory.current"} {
		if v, err := readInt(filepath.Join(dir, name)); err == nil {
			return v
		}
	}
	return 0
}

// highestDescriptor is the highest descriptor number + 1 held by any
// process of the cgroup.
func highestDescriptor(dir string) int64 {
	procs, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		return 0
	}
	var top int64
	for _, field := range strings.Fields(string(procs)) {
		fds, err := os.ReadDir("/proc/" + field + "/fd")
		if err != nil {
			continue
		}
		for _, fd := range fds {
			if n, err := strconv.ParseInt(fd.Name(), 10, 64); err == nil && n+1 > top {
				top = n + 1
			}
		}
	}
	return top
}

func readInt(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
}
