package vm

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestImageDependency(t *testing.T) {
	record := []byte(`Package: linux-image-amd64
Source: linux-signed-amd64 (6.1.158+1)
Version: 6.1.158-1
Depends: linux-image-6.1.0-41-amd64 (= 6.1.158-1)
Description: Linux for 64-bit PCs (meta-package)
`)
	pkg, version, err := imageDependency(record)
	if err != nil || pkg != "linux-image-6.1.0-41-amd64" || version != "6.1.158-1" {
		t.Fatalf("imageDependency = %q %q %v", pkg, version, err)
	}
	if _, _, err := imageDependency([]byte("Package: linux-image-amd64\nDepends: initramfs-tools\n")); err == nil {
		t.Fatal("a Depends without a linux-image package must be an error")
	}
}

func TestLookupKernel(t *testing.T) {
	k, err := LookupKernel("6.12")
	if err != nil || k.Suite != "bookworm-backports" {
		t.Fatalf("LookupKernel(6.12) = %+v, %v", k, err)
	}
	if _, err := LookupKernel("4.19"); err == nil || !strings.Contains(err.Error(), "5.10") {
		t.Fatalf("unknown kernel: err = %v, want one listing the known kernels", err)
	}
}

func TestDescribeUnpacked(t *testing.T) {
	root := t.TempDir()
	for _, p := range []string{"boot/vmlinuz-6.12.9+bpo-amd64", "usr/lib/modules/6.12.9+bpo-amd64/modules.dep"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	k, err := describeUnpacked(root)
	if err != nil {
		t.Fatal(err)
	}
	if k.Release != "6.12.9+bpo-amd64" || k.ModulesDir != filepath.Join(root, "usr/lib/modules/6.12.9+bpo-amd64") {
		t.Fatalf("describeUnpacked = %+v", k)
	}
}

func TestParseLdd(t *testing.T) {
	out := []byte(`	linux-vdso.so.1 (0x00007ffd5b3f0000)
	libmount.so.1 => /lib/x86_64-linux-gnu/libmount.so.1 (0x00007f0a1c0a0000)
	libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f0a1bebf000)
	/lib64/ld-linux-x86-64.so.2 (0x00007f0a1c11f000)
`)
	libs, err := parseLdd(out)
	want := []string{"/lib/x86_64-linux-gnu/libmount.so.1", "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"}
	if err != nil || !slices.Equal(libs, want) {
		t.Fatalf("parseLdd = %v, %v; want %v", libs, err, want)
	}
	if _, err := parseLdd([]byte("\tlibfoo.so.1 => not found\n")); err == nil {
		t.Fatal("a missing library must be an error")
	}
}

// cpioEntry is one entry read back from a newc archive.
type cpioEntry struct {
	name  string
	mode  uint32
	rdev  uint32
	data  string
	nlink uint32
}

// readNewc parses a newc archive, checking the format as the kernel's
// unpacker does: magic, hex fields, 4-byte alignment, the trailer last.
func readNewc(t *testing.T, b []byte) []cpioEntry {
	t.Helper()
	var out []cpioEntry
	off := 0
	align := func(n int) int { return (n + 3) &^ 3 }
	for {
		if len(b)-off < 110 || string(b[off:off+6]) != "070701" {
			t.Fatalf("bad header at %d", off)
		}
		field := func(i int) uint32 {
			v, err := strconv.ParseUint(string(b[off+6+8*i:off+14+8*i]), 16, 32)
			if err != nil {
				t.Fatalf("field %d at %d: %v", i, off, err)
			}
			return uint32(v)
		}
		mode, nlink, size, rmaj, rmin, namesize := field(1), field(4), field(6), field(9), field(10), field(11)
		name := string(b[off+110 : off+110+int(namesize)-1])
		if b[off+110+int(namesize)-1] != 0 {
			t.Fatalf("%s: name not NUL-terminated", name)
		}
		off = align(off + 110 + int(namesize))
		data := string(b[off : off+int(size)])
		off = align(off + int(size))
		if name == "TRAILER!!!" {
			if off != len(b) {
				t.Fatalf("%d bytes after the trailer", len(b)-off)
			}
			return out
		}
		out = append(out, cpioEntry{name: name, mode: mode, rdev: rmaj<<16 | rmin, data: data, nlink: nlink})
	}
}

func TestInitramfs(t *testing.T) {
	host := filepath.Join(t.TempDir(), "tool")
	if err := os.WriteFile(host, []byte("#!/bin/sh\necho hi\n"), 0o750); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	r := NewInitramfs(&buf)
	steps := []error{
		r.File("/init", 0o755, []byte("#!/bin/busybox sh\n")),
		r.Symlink("/bin/sh", "busybox"),
		r.CharDevice("/dev/console", 0o600, 5, 1),
		r.HostFile("/usr/local/bin/tool", host),
		r.File("/init", 0o644, []byte("ignored: the first content stays")),
		r.Dir("/tmp", 0o1777),
	}
	for i, err := range steps {
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	got := readNewc(t, buf.Bytes())
	var names []string
	byName := map[string]cpioEntry{}
	for _, e := range got {
		names = append(names, e.name)
		byName[e.name] = e
	}
	want := []string{"init", "bin", "bin/sh", "dev", "dev/console", "usr", "usr/local", "usr/local/bin", "usr/local/bin/tool", "tmp"}
	if !slices.Equal(names, want) {
		t.Fatalf("entries %v, want %v (parents before children, no duplicates)", names, want)
	}
	checks := []struct {
		name string
		mode uint32
		data string
	}{
		{"init", 0o100755, "#!/bin/busybox sh\n"},
		{"bin", 0o040755, ""},
		{"bin/sh", 0o120777, "busybox"},
		{"dev/console", 0o020600, ""},
		{"usr/local/bin/tool", 0o100750, "#!/bin/sh\necho hi\n"},
		{"tmp", 0o040000 | 0o777, ""}, // fs.FileMode.Perm drops the sticky bit
	}
	for _, c := range checks {
		e := byName[c.name]
		if e.mode != c.mode || e.data != c.data {
			t.Errorf("%s: mode %o data %q, want %o %q", c.name, e.mode, e.data, c.mode, c.data)
		}
	}
	if byName["dev/console"].rdev != 5<<16|1 {
		t.Errorf("dev/console rdev = %x", byName["dev/console"].rdev)
	}
}

func TestInitramfsReportsMissingHostFile(t *testing.T) {
	r := NewInitramfs(&bytes.Buffer{})
	if err := r.HostFile("/x", filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("HostFile of a missing file succeeded")
	}
	if err := r.Close(); err == nil {
		t.Fatal("Close must return the earlier error")
	}
}

func TestMachineArgs(t *testing.T) {
	m := Machine{Kernel: "/k/vmlinuz", Initrd: "/k/initrd", Append: []string{"quiet"}, MemoryMiB: 512,
		Disk:   &Disk{Path: "/img/root,1.qcow2", Snapshot: true},
		Shares: []Share{{Tag: "src", Path: "/work/src", ReadOnly: true}}}
	tcg := strings.Join(m.Args(AccelTCG), " ")
	for _, want := range []string{"-accel tcg,thread=single", "-smp 1", "-m 512", "-no-reboot", "-kernel /k/vmlinuz", "-initrd /k/initrd",
		"-append quiet console=ttyS0 panic=-1", "file=/img/root,,1.qcow2,format=qcow2,if=virtio,cache=unsafe,snapshot=on",
		"path=/work/src,security_model=none,multidevs=remap,readonly=on", "mount_tag=src"} {
		if !strings.Contains(tcg, want) {
			t.Errorf("TCG args lack %q:\n%s", want, tcg)
		}
	}
	if strings.Contains(tcg, "kvm") {
		t.Errorf("TCG args mention kvm: %s", tcg)
	}
	m.Append = []string{"console=hvc0", "panic=5"}
	kvm := strings.Join(m.Args(AccelKVM), " ")
	if !strings.Contains(kvm, "-accel kvm -kernel") || !strings.Contains(kvm, "-append console=hvc0 panic=5 ") {
		t.Errorf("KVM args: %s", kvm)
	}
}

func TestChooseAccelHonoursEnv(t *testing.T) {
	t.Setenv("TAILOR_VM_ACCEL", "tcg")
	if a, _ := ChooseAccel(); a != AccelTCG {
		t.Fatalf("TAILOR_VM_ACCEL=tcg chose %s", a)
	}
	t.Setenv("TAILOR_VM_ACCEL", "bogus")
	if a, reason := ChooseAccel(); a != AccelTCG || !strings.Contains(reason, "bogus") {
		t.Fatalf("TAILOR_VM_ACCEL=bogus chose %s (%s)", a, reason)
	}
}

func TestAptFailed(t *testing.T) {
	for _, tc := range []struct {
		out  string
		fail bool
	}{
		{"Hit:1 http://deb.debian.org/debian bookworm InRelease\nReading package lists...\n", false},
		{"W: Download is performed unsandboxed as root\n", false},
		{"Err:1 http://deb.debian.org/debian bookworm InRelease\nW: Failed to fetch http://deb.debian.org/debian/dists/bookworm/InRelease  Could not resolve 'deb.debian.org'\nW: Some index files failed to download. They have been ignored, or old ones used instead.\n", true},
		{"W: GPG error: http://deb.debian.org/debian bookworm InRelease: The following signatures couldn't be verified because the public key is not available: NO_PUBKEY 6ED0E7B82643E131\nE: The repository 'http://deb.debian.org/debian bookworm InRelease' is not signed.\n", true},
	} {
		if got := aptFailed([]byte(tc.out)); got != tc.fail {
			t.Errorf("aptFailed(%q) = %v, want %v", tc.out, got, tc.fail)
		}
	}
}
