package tracer

// Small facts about the host the recorder reads outside BPF: namespace
// inodes, the boot clock and the kernel's release.

import (
	"fmt"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

func mntnsOf(nsPath string) (uint32, error) {
	var st unix.Stat_t
	if err := unix.Stat(nsPath, &st); err != nil {
		return 0, fmt.Errorf("read mount namespace %s: %w", nsPath, err)
	}
	return uint32(st.Ino), nil
}

func bootNanos() uint64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts)
	return uint64(ts.Nano())
}

// bootTime converts a CLOCK_BOOTTIME stamp from the kernel to wall time.
func bootTime(ns uint64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	now := time.Now()
	return now.Add(-time.Duration(bootNanos() - ns))
}

func kernelRelease() string {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return "unknown"
	}
	return unix.ByteSliceToString(u.Release[:])
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
