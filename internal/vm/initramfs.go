package vm

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
)

// Initramfs writes a cpio archive in the "newc" format, the one the kernel
// unpacks as its initramfs (uncompressed: unpacking is then fastest under
// emulation). Paths are absolute paths in the guest; parent directories
// are made as needed, and a path written twice keeps its first content.
// Close writes the trailer.
type Initramfs struct {
	w     *bufio.Writer
	ino   uint32
	known map[string]bool
	err   error
}

// NewInitramfs writes an archive to w.
func NewInitramfs(w io.Writer) *Initramfs {
	return &Initramfs{w: bufio.NewWriterSize(w, 1<<20), known: map[string]bool{"/": true}}
}

// Dir adds a directory (and its parents).
func (r *Initramfs) Dir(name string, perm fs.FileMode) error {
	name = path.Clean("/" + name)
	if r.known[name] {
		return r.err
	}
	if err := r.parents(name); err != nil {
		return err
	}
	r.known[name] = true
	return r.entry(name, 0o040000|uint32(perm.Perm()), 0, nil, 0)
}

// File adds a regular file with data.
func (r *Initramfs) File(name string, perm fs.FileMode, data []byte) error {
	return r.stream(name, perm, int64(len(data)), bytes.NewReader(data))
}

// HostFile adds the host file src (following symlinks) as name, with its
// permissions.
func (r *Initramfs) HostFile(name, src string) error {
	f, err := os.Open(src)
	if err != nil {
		return r.fail(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return r.fail(err)
	}
	if !st.Mode().IsRegular() {
		return r.fail(fmt.Errorf("initramfs: %s is not a regular file", src))
	}
	return r.stream(name, st.Mode().Perm(), st.Size(), f)
}

// Symlink adds name pointing at target.
func (r *Initramfs) Symlink(name, target string) error {
	name = path.Clean("/" + name)
	if r.known[name] {
		return r.err
	}
	if err := r.parents(name); err != nil {
		return err
	}
	r.known[name] = true
	return r.entry(name, 0o120000|0o777, int64(len(target)), strings.NewReader(target), 0)
}

// CharDevice adds a character device node, such as /dev/console (5, 1),
// which the kernel opens for init's standard streams before any devtmpfs
// is mounted.
func (r *Initramfs) CharDevice(name string, perm fs.FileMode, major, minor uint32) error {
	name = path.Clean("/" + name)
	if r.known[name] {
		return r.err
	}
	if err := r.parents(name); err != nil {
		return err
	}
	r.known[name] = true
	return r.entry(name, 0o020000|uint32(perm.Perm()), 0, nil, major<<16|minor)
}

// HostBinary adds the host's executable at the same path in the guest,
// with the shared libraries and the loader it needs (as ldd lists them),
// each at its path too. A static binary comes alone.
func (r *Initramfs) HostBinary(bin string) error {
	if err := r.HostFile(bin, bin); err != nil {
		return err
	}
	libs, err := sharedLibraries(bin)
	if err != nil {
		return r.fail(err)
	}
	for _, lib := range libs {
		if err := r.HostFile(lib, lib); err != nil {
			return err
		}
	}
	return nil
}

// Close ends the archive and flushes it; it returns the first error of any
// call before it.
func (r *Initramfs) Close() error {
	if r.err != nil {
		return r.err
	}
	if err := r.entry("TRAILER!!!", 0, 0, nil, 0); err != nil {
		return err
	}
	return r.fail(r.w.Flush())
}

func (r *Initramfs) stream(name string, perm fs.FileMode, size int64, data io.Reader) error {
	name = path.Clean("/" + name)
	if r.known[name] {
		return r.err
	}
	if err := r.parents(name); err != nil {
		return err
	}
	r.known[name] = true
	return r.entry(name, 0o100000|uint32(perm.Perm()), size, data, 0)
}

func (r *Initramfs) parents(name string) error {
	if dir := path.Dir(name); !r.known[dir] {
		return r.Dir(dir, 0o755)
	}
	return r.err
}

func (r *Initramfs) fail(err error) error {
	if r.err == nil && err != nil {
		r.err = err
	}
	return r.err
}

// entry writes one newc header, name and data, each padded to 4 bytes.
func (r *Initramfs) entry(name string, mode uint32, size int64, data io.Reader, rdev uint32) error {
	if r.err != nil {
		return r.err
	}
	if size > 0xffffffff {
		return r.fail(fmt.Errorf("initramfs: %s is too large for cpio (%d bytes)", name, size))
	}
	// The archive's names are relative ("bin/sh"), as cpio writes them.
	rel := strings.TrimPrefix(name, "/")
	r.ino++
	nlink := uint32(1)
	if mode&0o170000 == 0o040000 {
		nlink = 2
	}
	fields := []uint32{r.ino, mode, 0, 0, nlink, 0, uint32(size), 0, 0, rdev >> 16, rdev & 0xffff, uint32(len(rel) + 1), 0}
	var hdr strings.Builder
	hdr.WriteString("070701")
	for _, f := range fields {
		fmt.Fprintf(&hdr, "%08x", f)
	}
	hdr.WriteString(rel)
	hdr.WriteByte(0)
	r.pad(&hdr, hdr.Len())
	if _, err := r.w.WriteString(hdr.String()); err != nil {
		return r.fail(err)
	}
	if size > 0 {
		n, err := io.CopyN(r.w, data, size)
		if err != nil {
			return r.fail(fmt.Errorf("initramfs: %s: wrote %d of %d bytes: %w", name, n, size, err))
		}
		var p strings.Builder
		r.pad(&p, int(size))
		if _, err := r.w.WriteString(p.String()); err != nil {
			return r.fail(err)
		}
	}
	return nil
}

func (r *Initramfs) pad(b *strings.Builder, n int) {
	for ; n%4 != 0; n++ {
		b.WriteByte(0)
	}
}

// lddLine matches ldd's "libc.so.6 => /lib/.../libc.so.6 (0x...)" and
// "/lib64/ld-linux-x86-64.so.2 (0x...)".
var lddLine = regexp.MustCompile(`^\s*(?:\S+\s+=>\s+)?(/\S+)\s+\(0x[0-9a-f]+\)`)

// sharedLibraries lists the absolute paths ldd prints for bin; none for a
// static binary.
func sharedLibraries(bin string) ([]string, error) {
	out, err := exec.Command("ldd", bin).CombinedOutput()
	if err != nil {
		if bytes.Contains(out, []byte("not a dynamic executable")) || bytes.Contains(out, []byte("statically linked")) {
			return nil, nil
		}
		return nil, fmt.Errorf("ldd %s: %v: %s", bin, err, out)
	}
	return parseLdd(out)
}

func parseLdd(out []byte) ([]string, error) {
	var libs []string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "=> not found") {
			return nil, errors.New("ldd: " + strings.TrimSpace(line))
		}
		if m := lddLine.FindStringSubmatch(line); m != nil {
			libs = append(libs, filepath.Clean(m[1]))
		}
	}
	return libs, nil
}
