package tracer

import (
	"bytes"
	"encoding/binary"
	"slices"
	"testing"

	"github.com/tailorsec/tailor/bpf"
	"github.com/tailorsec/tailor/profile"
)

// rawFileEvent lays out a struct file_event as the kernel sends it.
func rawFileEvent(access, flags uint32, onRoot bool, fstype, path, name string) []byte {
	raw := bpf.RecorderFileEvent{Type: uint32(bpf.RecorderEventTypeEVENT_FILE), Slot: 3, Gen: 7, Access: access, Flags: flags,
		MntId: 11, RootMntId: 12, PathLen: uint16(len(path)), NameLen: uint16(len(name))}
	if onRoot {
		raw.RootMntId = 11
	}
	for i := 0; i < len(fstype); i++ {
		raw.Fstype[i] = int8(fstype[i])
	}
	var buf bytes.Buffer
	binary.Write(&buf, binary.NativeEndian, raw)
	b := buf.Bytes()[:fileEventDataOffset]
	b = append(b, path...)
	if name != "" {
		pad := make([]byte, 1024-len(path))
		b = append(append(b, pad...), name...)
	}
	return b
}

func TestDecodeFileEvent(t *testing.T) {
	read := uint32(bpf.RecorderAccessBitsACCESS_READ)
	unlink := uint32(bpf.RecorderAccessBitsACCESS_UNLINK)
	dir := uint32(bpf.RecorderFileEventFlagsFILE_DIR)
	named := uint32(bpf.RecorderFileEventFlagsFILE_NAME_UNRESOLVED)
	for _, tc := range []struct {
		raw    []byte
		path   string
		onRoot bool
	}{
		{rawFileEvent(read, 0, true, "overlay", "/etc/passwd", ""), "/etc/passwd", true},
		{rawFileEvent(read, dir, true, "overlay", "/tmp", ""), "/tmp/", true},
		{rawFileEvent(unlink, named, false, "tmpfs", "/tmp", "work/../x y"), "/tmp/x y", false},
		{rawFileEvent(unlink, named, true, "overlay", "/", "/abs/./z"), "/abs/z", true},
		{rawFileEvent(read, 0, true, "overlay", "/odd\n\xff\"name", ""), "/odd\n\xff\"name", true},
	} {
		e, err := decodeFileEvent(tc.raw)
		if err != nil {
			t.Fatal(err)
		}
		if e.Path != tc.path || e.OnRoot != tc.onRoot || e.Slot != 3 || e.Gen != 7 {
			t.Errorf("decoded %+v, want path %q onRoot %v", e, tc.path, tc.onRoot)
		}
	}
	// Truncated or lying events are errors, not panics.
	good := rawFileEvent(read, 0, true, "overlay", "/etc/passwd", "")
	for _, bad := range [][]byte{good[:10], good[:fileEventDataOffset+3]} {
		if _, err := decodeFileEvent(bad); err == nil {
			t.Errorf("decoding %d bytes: no error", len(bad))
		}
	}
}

func FuzzDecodeFileEvent(f *testing.F) {
	f.Add(rawFileEvent(1, 8, true, "overlay", "/tmp", "x"))
	f.Add(rawFileEvent(1, 0, false, "proc", "/proc/1/stat", ""))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = decodeFileEvent(b) // must not panic
	})
}

func TestClassifyMount(t *testing.T) {
	mounts := []profile.ContainerMount{{Type: "volume", Destination: "/data"}, {Type: "bind", Destination: "/data/conf"}, {Type: "tmpfs", Destination: "/run"}}
	for _, tc := range []struct {
		path        string
		onRoot      bool
		fstype      string
		kind, point string
	}{
		{"/etc/passwd", true, "overlay", profile.MountRootfs, ""},
		{"/data/dump.rdb", false, "ext4", "volume", "/data"},
		{"/data/conf/x", false, "ext4", "bind", "/data/conf"},
		{"/database", false, "ext4", profile.MountBind, "/database"}, // not under /data
		{"/run/nginx.pid", false, "tmpfs", "tmpfs", "/run"},
		{"/proc/1/stat", false, "proc", profile.MountProc, "/proc"},
		{"/sys/fs/cgroup/memory.max", false, "cgroup2", profile.MountSys, "/sys"},
		{"/dev/null", false, "tmpfs", profile.MountDev, "/dev"},
		{"/etc/hosts", false, "ext4", profile.MountBind, "/etc/hosts"},
	} {
		kind, point := classifyMount(tc.path, tc.onRoot, tc.fstype, mounts)
		if kind != tc.kind || point != tc.point {
			t.Errorf("classifyMount(%q) = %q %q, want %q %q", tc.path, kind, point, tc.kind, tc.point)
		}
	}
}

func TestSocketsSignalsPtrace(t *testing.T) {
	var bits [numSockTypes]uint64
	bits[1] = 1<<2 | 1<<1 // stream: inet, unix
	bits[2] = 1 << 10     // dgram: inet6
	got := socketUses(bits)
	want := []profile.SocketUse{{Family: "unix", Type: "stream"}, {Family: "inet", Type: "stream"}, {Family: "inet6", Type: "dgram"}}
	if !slices.Equal(got, want) {
		t.Errorf("socketUses = %v, want %v", got, want)
	}
	if got := signalSet(1<<0 | 1<<15 | 1<<9 | 1<<34); !slices.Equal(got, []string{"exists", "kill", "term", "rtmin+2"}) {
		t.Errorf("signalSet = %v", got)
	}
	if got := ptraceSet(1 << 2); !slices.Equal(got, []string{"read"}) {
		t.Errorf("ptraceSet(PEEKDATA) = %v", got)
	}
	if got := ptraceSet(1<<16 | 1<<63); !slices.Equal(got, []string{"trace"}) {
		t.Errorf("ptraceSet(ATTACH, SEIZE) = %v", got)
	}
	if got := protSet(0x1 | 0x2); !slices.Equal(got, []string{"read", "write"}) {
		t.Errorf("protSet(PROT_READ|PROT_WRITE) = %v", got)
	}
}

func TestSyscallTables(t *testing.T) {
	kinds, ops, err := syscallTables()
	if err != nil {
		t.Fatal(err)
	}
	nr, _ := profile.SyscallNumber(profile.NativeArch(), "openat")
	if kinds[nr] != uint8(bpf.RecorderSyscallKindKIND_OPENAT) {
		t.Errorf("openat (%d) has kind %d", nr, kinds[nr])
	}
	nr, _ = profile.SyscallNumber(profile.NativeArch(), "unlinkat")
	if ops[nr] != uint32(bpf.RecorderAccessBitsACCESS_UNLINK) {
		t.Errorf("unlinkat (%d) has op %d", nr, ops[nr])
	}
}

func TestRootOnlyAccesses(t *testing.T) {
	read := bpf.RecorderAccessBitsACCESS_READ
	write := bpf.RecorderAccessBitsACCESS_WRITE
	create := bpf.RecorderAccessBitsACCESS_CREATE
	mkdir := bpf.RecorderAccessBitsACCESS_MKDIR
	named := bpf.RecorderFileEventFlagsFILE_NAME_UNRESOLVED
	for _, tc := range []struct {
		name string
		ev   FileEvent
		want []string
	}{
		{"root reads a world-readable root file", FileEvent{Access: read, InoUID: 0, InoMode: 0o644}, nil},
		{"root reads a root-only file", FileEvent{Access: read, InoUID: 0, InoMode: 0o600}, []string{"read"}},
		{"a user reads", FileEvent{FSUID: 1000, Access: read, InoUID: 0, InoMode: 0o600}, nil},
		{"root writes a file it does not own", FileEvent{Access: write, InoUID: 33, InoMode: 0o600}, nil},
		{"root creates in a root directory", FileEvent{Access: create | write, InoUID: 0, InoMode: 0o644, DirUID: 0, DirMode: 0o755}, []string{"create"}},
		{"root creates in /tmp", FileEvent{Access: create | write, DirUID: 0, DirMode: 0o1777}, nil},
		{"mkdir by name in a root directory", FileEvent{Access: mkdir, Flags: named, InoUID: 0, InoMode: 0o755}, []string{"mkdir"}},
	} {
		var got []string
		for _, r := range rootOnlyAccesses("/x", &tc.ev) {
			got = append(got, r.Access)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// sys_enter looks closer only at the syscalls the watch bitmap marks: every
// one with a file kind or an argument selector, and nothing else.
func TestWatchBitmap(t *testing.T) {
	kinds, _, err := syscallTables()
	if err != nil {
		t.Fatal(err)
	}
	argsel, err := argSelectTable()
	if err != nil {
		t.Fatal(err)
	}
	w := watchBitmap(kinds, argsel)
	for nr := range kinds {
		want := kinds[nr] != 0 || argsel[nr] != 0
		if got := w[nr/64]&(1<<(nr%64)) != 0; got != want {
			name, _ := profile.SyscallName(profile.NativeArch(), nr)
			t.Errorf("syscall %d (%s) watched=%v, want %v", nr, name, got, want)
		}
	}
	for _, name := range []string{"openat", "ioctl", "socket", "kill"} {
		nr, _ := profile.SyscallNumber(profile.NativeArch(), name)
		if w[nr/64]&(1<<(nr%64)) == 0 {
			t.Errorf("%s is not watched", name)
		}
	}
	nr, _ := profile.SyscallNumber(profile.NativeArch(), "getppid")
	if w[nr/64]&(1<<(nr%64)) != 0 {
		t.Error("getppid is watched: it has neither a file kind nor an argument")
	}
	for _, word := range w[(maxSyscallNr+63)/64:] {
		if word != 0 {
			t.Errorf("bits beyond the kernel's table (%d) are set: %x", maxSyscallNr, w)
		}
	}
}

// The profile core's list of syscalls whose arguments the recorder keeps
// (no family may add one without a rule) is this package's argSyscalls.
func TestConstrainedArgSyscallsMatchTheRecorder(t *testing.T) {
	var names []string
	for _, s := range argSyscalls {
		names = append(names, s.name)
	}
	if !slices.Equal(names, profile.ConstrainedArgSyscalls) {
		t.Errorf("tracer keeps the arguments of %v, profile.ConstrainedArgSyscalls = %v", names, profile.ConstrainedArgSyscalls)
	}
}
