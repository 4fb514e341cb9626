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
// hierarchy or cgroup2) from a process of it. The pid comes from the
// runtime and may be stale: a container that lived a few milliseconds is
// gone, and its pid may already be a host process's. So the cgroup must
// name the container (runtimes put its id in the path: /docker/ID,
// docker-ID.scope, libpod-ID.scope) when the id is known, and is never the
// hierarchy's root, whose peak is the whole machine's.
func cgroupDirs(pid int, containerID string) (memory string, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return "", err
	}
	defer f.Close()
	var v1, v2 string
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
			v1 = parts[2]
		}
	}
	if !containerCgroup(v1, containerID) {
		v1 = ""
	}
	if !containerCgroup(v2, containerID) {
		v2 = ""
	}
	if v1 != "" {
		return filepath.Join("/sys/fs/cgroup/memory", v1), nil
	}
	if v2 != "" {
		for _, root := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"} {
			dir := filepath.Join(root, v2)
			if _, err := os.Stat(filepath.Join(dir, "memory.current")); err == nil {
				return dir, nil
			}
		}
	}
	return "", fmt.Errorf("no memory cgroup of container %.12s for pid %d", containerID, pid)
}

// containerCgroup tells whether a cgroup path can be the container's own.
func containerCgroup(path, containerID string) bool {
	if path == "" || path == "/" {
		return false
	}
	return containerID == "" || strings.Contains(path, containerID)
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

// openFilesLimit is the soft RLIMIT_NOFILE of a process: for the
// container's first process, what the engine gave the container (Docker
// passes its own limit on, so it differs from host to host). Programs size
// caches from it (MariaDB's table cache), so a suggested --ulimit nofile
// must not go below it. 0 when it cannot be read or is unlimited.
func openFilesLimit(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	if err != nil {
		return 0
	}
	return parseOpenFilesLimit(string(data))
}

// parseOpenFilesLimit reads the soft limit of "Max open files" from the
// text of /proc/PID/limits:
//
//	Limit                     Soft Limit           Hard Limit           Units
//	Max open files            1048576              1048576              files
func parseOpenFilesLimit(text string) int64 {
	for _, line := range strings.Split(text, "\n") {
		rest, ok := strings.CutPrefix(line, "Max open files")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) < 1 {
			return 0
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil || n <= 0 {
			return 0 // "unlimited", or nonsense
		}
		return n
	}
	return 0
}
