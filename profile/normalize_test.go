package profile

import (
	"math/rand/v2"
	"reflect"
	"testing"
)

// randomRecording draws from small alphabets, so that duplicates, ties
// and empty-but-not-nil slices are common.
func randomRecording(r *rand.Rand) *Recording {
	pick := func(words ...string) string { return words[r.IntN(len(words))] }
	strs := func(words ...string) []string {
		switch r.IntN(4) {
		case 0:
			return nil
		case 1:
			return []string{}
		}
		out := make([]string, r.IntN(4)+1)
		for i := range out {
			out[i] = pick(words...)
		}
		return out
	}
	n := func() int { return r.IntN(4) }
	rec := &Recording{
		PrivilegedExecs: strs("/bin/su", "/bin/ping"),
		Warnings:        strs("a", "b", "c"),
		Learning:        Learning{CapAdd: strs("NET_RAW", "CHOWN"), CapDrop: strs("ALL")},
		SignalsSent:     strs("term", "kill"),
		Ptrace:          strs("read", "trace"),
		SharedMemory:    strs("read", "write", "exec"),
	}
	for range n() {
		rec.Syscalls = append(rec.Syscalls, SyscallUse{Arch: Arch(pick("SCMP_ARCH_X86_64", "SCMP_ARCH_X86")), Name: pick("read", "write"), Number: r.IntN(2), Count: uint64(r.IntN(2)), Source: pick("", SourceRuntime)})
	}
	for range n() {
		a := ArgValues{Arch: ArchX86_64, Syscall: pick("clone", "socket"), Index: r.IntN(2), Overflow: r.IntN(3) == 0}
		for range n() {
			a.Values = append(a.Values, uint64(r.IntN(3)))
		}
		if r.IntN(2) == 0 && a.Values == nil {
			a.Values = []uint64{}
		}
		rec.SyscallArgs = append(rec.SyscallArgs, a)
	}
	for range n() {
		rec.Capabilities = append(rec.Capabilities, CapabilityUse{Name: pick("CAP_CHOWN", "CAP_KILL"), Granted: uint64(r.IntN(2)), Syscalls: strs("chown", "kill"), NoAudit: uint64(r.IntN(2))})
	}
	for range n() {
		rec.Files = append(rec.Files, FileAccess{Path: pick("/a", "/b", "/c"), Access: strs(AccessRead, AccessWrite), Mount: pick("", MountRootfs, MountTmpfs)})
	}
	for range n() {
		rec.Sockets = append(rec.Sockets, SocketUse{Family: pick("inet", "unix"), Type: pick("stream", "dgram")})
	}
	for range n() {
		rec.Mounts = append(rec.Mounts, MountUse{Target: pick("/m", "/n"), FSType: pick("tmpfs", "proc")})
	}
	for range n() {
		rec.ContainerMounts = append(rec.ContainerMounts, ContainerMount{Type: pick("bind", "volume"), Destination: pick("/d", "/e"), Source: pick("/x", "/y")})
	}
	return rec
}

// Normalized may hand back its argument only when normalizing it would
// change nothing, and everything it returns is in normal form; it never
// changes its argument.
func TestNormalizedReturnsItsArgumentOnlyWhenNormal(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var same, copied int
	for i := range 20000 {
		rec := randomRecording(r)
		if i%2 == 1 {
			rec = Normalized(rec) // normal ones, often
		}
		before := CloneRecording(rec)
		full := CloneRecording(rec)
		Normalize(full)

		got := Normalized(rec)
		if !reflect.DeepEqual(rec, before) {
			t.Fatalf("Normalized changed its argument:\n%+v\nwas\n%+v", rec, before)
		}
		if !reflect.DeepEqual(got, full) {
			t.Fatalf("Normalized(%+v)\n= %+v\nwant %+v", before, got, full)
		}
		if got == rec {
			same++
		} else {
			copied++
		}
	}
	if same == 0 || copied == 0 {
		t.Errorf("the fast path was taken %d times and the copy %d times: the test does not exercise both", same, copied)
	}
	t.Logf("returned the argument %d times, a copy %d times", same, copied)
}

// Normalizing twice is normalizing once, and a normalized recording is
// recognised as normal unless it has ties Normalize cannot order.
func TestNormalizeIsIdempotent(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 5000 {
		once := Normalized(randomRecording(r))
		twice := CloneRecording(once)
		Normalize(twice)
		if !reflect.DeepEqual(once, twice) {
			t.Fatalf("normalizing again changed\n%+v\nto\n%+v", once, twice)
		}
	}
}
