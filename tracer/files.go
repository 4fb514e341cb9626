package tracer

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"path"
	"strings"
	"unsafe"

	"github.com/tailorsec/tailor/bpf"
	"github.com/tailorsec/tailor/profile"
)

// fileSyscalls tells the kernel side what each file-related syscall means.
// Numbers come from libseccomp for the machine's architecture, so the C code
// holds none; a name the architecture lacks (open on arm64) is skipped.
var fileSyscalls = []struct {
	name string
	kind bpf.RecorderSyscallKind
	op   bpf.RecorderAccessBits
}{
	{"open", bpf.RecorderSyscallKindKIND_OPEN, 0},
	{"openat", bpf.RecorderSyscallKindKIND_OPENAT, 0},
	{"openat2", bpf.RecorderSyscallKindKIND_OPENAT2, 0},
	{"creat", bpf.RecorderSyscallKindKIND_CREAT, 0},
	{"mmap", bpf.RecorderSyscallKindKIND_MMAP, 0},
	{"unlink", bpf.RecorderSyscallKindKIND_PATH, bpf.RecorderAccessBitsACCESS_UNLINK},
	{"rmdir", bpf.RecorderSyscallKindKIND_PATH, bpf.RecorderAccessBitsACCESS_RMDIR},
	{"mkdir", bpf.RecorderSyscallKindKIND_PATH, bpf.RecorderAccessBitsACCESS_MKDIR},
	{"chmod", bpf.RecorderSyscallKindKIND_PATH, bpf.RecorderAccessBitsACCESS_CHMOD},
	{"chown", bpf.RecorderSyscallKindKIND_PATH, bpf.RecorderAccessBitsACCESS_CHOWN},
	{"lchown", bpf.RecorderSyscallKindKIND_PATH, bpf.RecorderAccessBitsACCESS_CHOWN},
	{"truncate", bpf.RecorderSyscallKindKIND_PATH, bpf.RecorderAccessBitsACCESS_TRUNCATE | bpf.RecorderAccessBitsACCESS_WRITE},
	{"mknod", bpf.RecorderSyscallKindKIND_PATH, bpf.RecorderAccessBitsACCESS_CREATE},
	{"unlinkat", bpf.RecorderSyscallKindKIND_PATH_AT, bpf.RecorderAccessBitsACCESS_UNLINK},
	{"mkdirat", bpf.RecorderSyscallKindKIND_PATH_AT, bpf.RecorderAccessBitsACCESS_MKDIR},
	{"fchmodat", bpf.RecorderSyscallKindKIND_PATH_AT, bpf.RecorderAccessBitsACCESS_CHMOD},
	{"fchmodat2", bpf.RecorderSyscallKindKIND_PATH_AT, bpf.RecorderAccessBitsACCESS_CHMOD},
	{"fchownat", bpf.RecorderSyscallKindKIND_PATH_AT, bpf.RecorderAccessBitsACCESS_CHOWN},
	{"mknodat", bpf.RecorderSyscallKindKIND_PATH_AT, bpf.RecorderAccessBitsACCESS_CREATE},
	{"rename", bpf.RecorderSyscallKindKIND_PATH2, bpf.RecorderAccessBitsACCESS_RENAME},
	{"link", bpf.RecorderSyscallKindKIND_PATH2, bpf.RecorderAccessBitsACCESS_LINK},
	{"symlink", bpf.RecorderSyscallKindKIND_PATH2, bpf.RecorderAccessBitsACCESS_SYMLINK},
	{"renameat", bpf.RecorderSyscallKindKIND_PATH2AT, bpf.RecorderAccessBitsACCESS_RENAME},
	{"renameat2", bpf.RecorderSyscallKindKIND_PATH2AT, bpf.RecorderAccessBitsACCESS_RENAME},
	{"linkat", bpf.RecorderSyscallKindKIND_PATH2AT, bpf.RecorderAccessBitsACCESS_LINK},
	{"symlinkat", bpf.RecorderSyscallKindKIND_SYMLINKAT, bpf.RecorderAccessBitsACCESS_SYMLINK},
	{"fchmod", bpf.RecorderSyscallKindKIND_FD, bpf.RecorderAccessBitsACCESS_CHMOD},
	{"fchown", bpf.RecorderSyscallKindKIND_FD, bpf.RecorderAccessBitsACCESS_CHOWN},
	{"ftruncate", bpf.RecorderSyscallKindKIND_FD, bpf.RecorderAccessBitsACCESS_TRUNCATE | bpf.RecorderAccessBitsACCESS_WRITE},
	{"flock", bpf.RecorderSyscallKindKIND_FD, bpf.RecorderAccessBitsACCESS_LOCK},
	{"fcntl", bpf.RecorderSyscallKindKIND_FCNTL, 0},
	{"socket", bpf.RecorderSyscallKindKIND_SOCKET, 0},
	{"socketpair", bpf.RecorderSyscallKindKIND_SOCKETPAIR, 0},
	{"connect", bpf.RecorderSyscallKindKIND_CONNECT, bpf.RecorderAccessBitsACCESS_CONNECT},
	{"bind", bpf.RecorderSyscallKindKIND_CONNECT, bpf.RecorderAccessBitsACCESS_CREATE},
	{"kill", bpf.RecorderSyscallKindKIND_KILL, 0},
	{"tkill", bpf.RecorderSyscallKindKIND_KILL, 0},
	{"tgkill", bpf.RecorderSyscallKindKIND_TGKILL, 0},
	{"rt_tgsigqueueinfo", bpf.RecorderSyscallKindKIND_TGKILL, 0},
	{"rt_sigqueueinfo", bpf.RecorderSyscallKindKIND_SIGQUEUE, 0},
	{"pidfd_send_signal", bpf.RecorderSyscallKindKIND_SIGQUEUE, 0},
	{"ptrace", bpf.RecorderSyscallKindKIND_PTRACE, 0},
	{"mount", bpf.RecorderSyscallKindKIND_MOUNT, 0},
}

// nameOpSyscalls create or remove names (or, connect, use a unix socket's
// name): their exits are watched so that
// only what succeeded is recorded (see name_op_exit in bpf/files.bpf.h).
var nameOpSyscalls = []string{"mkdir", "mkdirat", "rmdir", "unlink", "unlinkat", "rename", "renameat", "renameat2",
	"link", "linkat", "symlink", "symlinkat", "mknod", "mknodat", "bind", "connect"}

// syscallTables builds the kernel's syscall_kinds and syscall_ops tables
// for the native architecture.
func syscallTables() (kinds [maxSyscallNr]uint8, ops [maxSyscallNr]uint32, err error) {
	native := profile.NativeArch()
	for _, s := range fileSyscalls {
		nr, ok := profile.SyscallNumber(native, s.name)
		if !ok {
			continue // not on this architecture
		}
		if nr < 0 || nr >= maxSyscallNr {
			return kinds, ops, fmt.Errorf("syscall %s is number %d, beyond the kernel table (%d)", s.name, nr, maxSyscallNr)
		}
		kinds[nr] = uint8(s.kind)
		ops[nr] = uint32(s.op)
	}
	return kinds, ops, nil
}

// FileEvent is one path a container's process used, as the kernel saw it.
type FileEvent struct {
	Mount     bool // a mount(2) onto Path, not a file access
	Slot, Gen uint32
	Access    bpf.RecorderAccessBits
	Flags     bpf.RecorderFileEventFlags
	// OnRoot: the path is on the container's root filesystem.
	OnRoot bool
	FSType string
	// Path is the path inside the container: resolved by the kernel, or
	// a resolved directory joined with the name the process gave.
	Path string
	// FSUID is the acting task's file-system uid; InoUID and InoMode the
	// owner and mode of the file (of the directory, for an operation on a
	// name), DirUID and DirMode those of its parent directory.
	FSUID, InoUID, DirUID uint32
	InoMode, DirMode      uint16
}

// fileEventDataOffset is offsetof(struct file_event, data).
var fileEventDataOffset = int(unsafe.Offsetof(bpf.RecorderFileEvent{}.Data))

func decodeFileEvent(b []byte) (FileEvent, error) {
	if len(b) < fileEventDataOffset {
		return FileEvent{}, fmt.Errorf("file event of %d bytes is too short", len(b))
	}
	// Events are as long as their path: decode the header from a copy
	// padded to the struct's full size.
	var raw bpf.RecorderFileEvent
	full := make([]byte, binary.Size(raw))
	copy(full, b)
	if err := binary.Read(bytes.NewReader(full), binary.NativeEndian, &raw); err != nil {
		return FileEvent{}, fmt.Errorf("decode file event: %w", err)
	}
	data := b[fileEventDataOffset:]
	pathLen, nameLen := int(raw.PathLen), int(raw.NameLen)
	if pathLen > len(data) {
		return FileEvent{}, fmt.Errorf("file event path of %d bytes overruns the event (%d)", pathLen, len(data))
	}
	fstype := make([]byte, len(raw.Fstype))
	for i, c := range raw.Fstype {
		fstype[i] = byte(c)
	}
	e := FileEvent{
		Mount:  raw.Type == uint32(bpf.RecorderEventTypeEVENT_MOUNT),
		Slot:   raw.Slot,
		Gen:    raw.Gen,
		Access: bpf.RecorderAccessBits(raw.Access),
		Flags:  bpf.RecorderFileEventFlags(raw.Flags),
		OnRoot: raw.MntId == raw.RootMntId,
		FSType: cBytes(fstype),
		Path:   string(data[:pathLen]),
		FSUID:  raw.Fsuid, InoUID: raw.InoUid, InoMode: raw.InoMode, DirUID: raw.DirUid, DirMode: raw.DirMode,
	}
	if e.Flags&bpf.RecorderFileEventFlagsFILE_NAME_UNRESOLVED != 0 {
		nameAt := len(raw.Data) - 256
		if nameAt+nameLen > len(data) {
			return FileEvent{}, fmt.Errorf("file event name of %d bytes overruns the event", nameLen)
		}
		e.Path = joinContainerPath(e.Path, string(data[nameAt:nameAt+nameLen]))
	}
	if e.Flags&bpf.RecorderFileEventFlagsFILE_DIR != 0 && !strings.HasSuffix(e.Path, "/") {
		e.Path += "/"
	}
	return e, nil
}

// joinContainerPath resolves name against dir lexically, as the kernel
// will (it has not looked the name up yet). An absolute name stands alone.
func joinContainerPath(dir, name string) string {
	if strings.HasPrefix(name, "/") {
		return path.Clean(name)
	}
	return path.Clean(dir + "/" + name)
}

func cBytes(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// accessNames spells access bits as the profile model does.
func accessNames(a bpf.RecorderAccessBits) []string {
	var out []string
	for _, n := range []struct {
		bit  bpf.RecorderAccessBits
		name string
	}{
		{bpf.RecorderAccessBitsACCESS_READ, profile.AccessRead},
		{bpf.RecorderAccessBitsACCESS_WRITE, profile.AccessWrite},
		{bpf.RecorderAccessBitsACCESS_APPEND, profile.AccessAppend},
		{bpf.RecorderAccessBitsACCESS_CREATE, profile.AccessCreate},
		{bpf.RecorderAccessBitsACCESS_TRUNCATE, profile.AccessTruncate},
		{bpf.RecorderAccessBitsACCESS_EXEC, profile.AccessExec},
		{bpf.RecorderAccessBitsACCESS_MMAP, profile.AccessMmapExec},
		{bpf.RecorderAccessBitsACCESS_UNLINK, profile.AccessUnlink},
		{bpf.RecorderAccessBitsACCESS_RENAME, profile.AccessRename},
		{bpf.RecorderAccessBitsACCESS_MKDIR, profile.AccessMkdir},
		{bpf.RecorderAccessBitsACCESS_RMDIR, profile.AccessRmdir},
		{bpf.RecorderAccessBitsACCESS_LINK, profile.AccessLink},
		{bpf.RecorderAccessBitsACCESS_SYMLINK, profile.AccessSymlink},
		{bpf.RecorderAccessBitsACCESS_CHMOD, profile.AccessChmod},
		{bpf.RecorderAccessBitsACCESS_CHOWN, profile.AccessChown},
		{bpf.RecorderAccessBitsACCESS_LOCK, profile.AccessLock},
		{bpf.RecorderAccessBitsACCESS_CONNECT, profile.AccessConnect},
		{bpf.RecorderAccessBitsACCESS_OPEN_CREATE, profile.AccessOpenCreate},
	} {
		if a&n.bit != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

// Socket families and types in AppArmor's spelling (apparmor.d(5)).
var socketFamilies = map[int]string{
	1: "unix", 2: "inet", 3: "ax25", 4: "ipx", 5: "appletalk", 6: "netrom", 7: "bridge",
	8: "atmpvc", 9: "x25", 10: "inet6", 11: "rose", 13: "netbeui", 14: "security", 15: "key",
	16: "netlink", 17: "packet", 18: "ash", 19: "econet", 20: "atmsvc", 21: "rds", 22: "sna",
	23: "irda", 24: "pppox", 25: "wanpipe", 26: "llc", 27: "ib", 28: "mpls", 29: "can",
	30: "tipc", 31: "bluetooth", 32: "iucv", 33: "rxrpc", 34: "isdn", 35: "phonet",
	36: "ieee802154", 37: "caif", 38: "alg", 39: "nfc", 40: "vsock", 41: "kcm", 42: "qipcrtr",
	43: "smc", 44: "xdp", 45: "mctp",
}

var socketTypes = map[int]string{1: "stream", 2: "dgram", 3: "raw", 4: "rdm", 5: "seqpacket", 6: "dccp", 10: "packet"}

func socketUses(bits [numSockTypes]uint64) []profile.SocketUse {
	var out []profile.SocketUse
	for typ, families := range bits {
		for fam := 0; fam < 64; fam++ {
			if families&(1<<fam) == 0 {
				continue
			}
			f, ok := socketFamilies[fam]
			if !ok {
				f = fmt.Sprintf("family-%d", fam)
			}
			t, ok := socketTypes[typ]
			if !ok {
				t = fmt.Sprintf("type-%d", typ)
			}
			out = append(out, profile.SocketUse{Family: f, Type: t})
		}
	}
	return out
}

// Signal names in AppArmor's spelling; 0 is kill(pid, 0).
var signalNames = []string{"exists", "hup", "int", "quit", "ill", "trap", "abrt", "bus", "fpe", "kill", "usr1",
	"segv", "usr2", "pipe", "alrm", "term", "stkflt", "chld", "cont", "stop", "stp", "ttin", "ttou", "urg",
	"xcpu", "xfsz", "vtalrm", "prof", "winch", "io", "pwr", "sys"}

func signalSet(bits uint64) []string {
	var out []string
	for sig := 0; sig < 64; sig++ {
		if bits&(1<<sig) == 0 {
			continue
		}
		if sig < len(signalNames) {
			out = append(out, signalNames[sig])
		} else {
			out = append(out, fmt.Sprintf("rtmin+%d", sig-32)) // the kernel's SIGRTMIN is 32
		}
	}
	return out
}

// ptraceSet maps ptrace requests to AppArmor's ptrace permissions: reading
// another process's memory or registers, or tracing it.
// protSet spells PROT_READ, PROT_WRITE and PROT_EXEC bits.
func protSet(bits uint64) []string {
	var out []string
	for _, p := range []struct {
		bit  uint64
		name string
	}{{1, "read"}, {2, "write"}, {4, "exec"}} {
		if bits&p.bit != 0 {
			out = append(out, p.name)
		}
	}
	return out
}

func ptraceSet(bits uint64) []string {
	read := bits&(1<<1|1<<2|1<<3|1<<12|1<<14) != 0 // PEEKTEXT/DATA/USER, GETREGS, GETFPREGS
	trace := bits&^(1<<1|1<<2|1<<3|1<<12|1<<14) != 0
	var out []string
	if read {
		out = append(out, "read")
	}
	if trace {
		out = append(out, "trace")
	}
	return out
}
