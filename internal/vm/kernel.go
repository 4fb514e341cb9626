package vm

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// DefaultCacheDir is where downloads and builds are kept between runs,
// shared by `make kernels` and `make vm`.
const DefaultCacheDir = "/var/cache/tailor-vm"

// CacheDir is TAILOR_VM_CACHE when set, else DefaultCacheDir.
func CacheDir() string {
	if d := os.Getenv("TAILOR_VM_CACHE"); d != "" {
		return d
	}
	return DefaultCacheDir
}

// Archive is the Debian mirror the kernels come from; CI reaches only this
// one. Its signatures are checked with ArchiveKeyring.
const (
	Archive        = "http://deb.debian.org/debian"
	ArchiveKeyring = "/usr/share/keyrings/debian-archive-keyring.gpg"
)

// A KernelSource names a kernel by its short name: the Debian suite whose
// linux-image-amd64 (or -arm64) metapackage picks the kernel.
type KernelSource struct {
	Name  string // "6.1"
	Suite string // "bookworm"
	// Distro is the Debian release users know it from, for tables.
	Distro string
	// Default kernels are the ones `make kernels` runs without KERNELS.
	Default bool
}

// Kernels are the kernels FetchKernel knows, oldest first. Trixie's kernel
// is the 6.12 line of bookworm-backports' but its own build (a later
// stable release, Debian 13's configuration): what new installs run.
var Kernels = []KernelSource{
	{Name: "5.10", Suite: "bullseye", Distro: "Debian 11", Default: true},
	{Name: "6.1", Suite: "bookworm", Distro: "Debian 12", Default: true},
	{Name: "6.12", Suite: "bookworm-backports", Distro: "Debian 12 backports", Default: true},
	{Name: "6.12-trixie", Suite: "trixie", Distro: "Debian 13", Default: true},
}

// LookupKernel returns the source of a kernel name.
func LookupKernel(name string) (KernelSource, error) {
	for _, k := range Kernels {
		if k.Name == name {
			return k, nil
		}
	}
	var names []string
	for _, k := range Kernels {
		names = append(names, k.Name)
	}
	return KernelSource{}, fmt.Errorf("unknown kernel %q (known: %s)", name, strings.Join(names, ", "))
}

// Kernel is a kernel package unpacked in the cache.
type Kernel struct {
	Name    string // short name, "6.1"
	Suite   string // "bookworm"
	Package string // "linux-image-6.1.0-41-amd64"
	Version string // the package's Debian version
	// Release is what `uname -r` prints in the guest, "6.1.0-41-amd64".
	Release string
	// Deb is the downloaded package, kept for guests that install it.
	Deb string
	// Root is where the package is unpacked (boot/, lib/modules/ or
	// usr/lib/modules/).
	Root string
	// Vmlinuz is the kernel image to boot, ModulesDir its modules
	// (ROOT/lib/modules/RELEASE).
	Vmlinuz    string
	ModulesDir string
}

// kernelRecord is the file that marks a finished unpack.
const kernelRecord = "kernel.json"

// FetchKernel returns the kernel called name ("5.10", "6.1", "6.12", see
// Kernels) from cacheDir, downloading and unpacking it on first use. The
// download is apt's, from Archive, with the suite's InRelease signature
// checked against ArchiveKeyring and the package's hash against the signed
// index. Concurrent calls (other processes too) for the same kernel wait
// for each other. Remove cacheDir/kernels/NAME to fetch a newer one.
func FetchKernel(ctx context.Context, cacheDir, name string) (*Kernel, error) {
	src, err := LookupKernel(name)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(cacheDir, "kernels", name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	defer unlock()

	if k, err := readKernelRecord(filepath.Join(dir, kernelRecord)); err == nil {
		return k, nil
	}
	a, err := newPrivateApt(filepath.Join(dir, "apt"), src.Suite)
	if err != nil {
		return nil, err
	}
	if err := a.run(ctx, "apt-get", "update"); err != nil {
		return nil, fmt.Errorf("kernel %s: apt-get update of %s: %w", name, src.Suite, err)
	}
	meta := "linux-image-" + debianArch()
	pkg, version, err := a.imagePackage(ctx, meta)
	if err != nil {
		return nil, fmt.Errorf("kernel %s: %w", name, err)
	}
	dlDir := filepath.Join(dir, "debs")
	if err := os.MkdirAll(dlDir, 0o755); err != nil {
		return nil, err
	}
	a.dir = dlDir
	if err := a.run(ctx, "apt-get", "download", pkg+"="+version); err != nil {
		return nil, fmt.Errorf("kernel %s: apt-get download %s: %w", name, pkg, err)
	}
	deb, err := findDeb(dlDir, pkg)
	if err != nil {
		return nil, fmt.Errorf("kernel %s: %w", name, err)
	}
	root := filepath.Join(dir, "root")
	if err := os.RemoveAll(root); err != nil {
		return nil, err
	}
	if out, err := exec.CommandContext(ctx, "dpkg-deb", "-x", deb, root).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("kernel %s: dpkg-deb -x %s: %v\n%s", name, deb, err, out)
	}
	k, err := describeUnpacked(root)
	if err != nil {
		return nil, fmt.Errorf("kernel %s: %w", name, err)
	}
	k.Name, k.Suite, k.Package, k.Version, k.Deb = name, src.Suite, pkg, version, deb
	if err := writeKernelRecord(filepath.Join(dir, kernelRecord), k); err != nil {
		return nil, err
	}
	// The suite's package lists (~150 MB for bookworm) are not needed
	// again: the next fetch of this kernel starts from a new update.
	os.RemoveAll(filepath.Join(dir, "apt"))
	return k, nil
}

// debianArch is the Debian name of the host's architecture, which is the
// guest's too (qemu runs the host's).
func debianArch() string {
	if qemuArch() == "aarch64" {
		return "arm64"
	}
	return "amd64"
}

// describeUnpacked finds the kernel image and modules in an unpacked
// package: boot/vmlinuz-RELEASE, and lib/modules/RELEASE (usr/lib/modules
// since trixie's merged /usr).
func describeUnpacked(root string) (*Kernel, error) {
	images, _ := filepath.Glob(filepath.Join(root, "boot", "vmlinuz-*"))
	if len(images) != 1 {
		return nil, fmt.Errorf("expected one boot/vmlinuz-* in %s, found %d", root, len(images))
	}
	release := strings.TrimPrefix(filepath.Base(images[0]), "vmlinuz-")
	k := &Kernel{Root: root, Release: release, Vmlinuz: images[0]}
	for _, d := range []string{"lib/modules", "usr/lib/modules"} {
		p := filepath.Join(root, d, release)
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			k.ModulesDir = p
			break
		}
	}
	if k.ModulesDir == "" {
		return nil, fmt.Errorf("no modules directory for %s in %s", release, root)
	}
	return k, nil
}

func findDeb(dir, pkg string) (string, error) {
	debs, _ := filepath.Glob(filepath.Join(dir, pkg+"_*.deb"))
	if len(debs) == 0 {
		return "", fmt.Errorf("apt-get download left no %s_*.deb in %s", pkg, dir)
	}
	sort.Strings(debs)
	return debs[len(debs)-1], nil
}

func readKernelRecord(path string) (*Kernel, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var k Kernel
	if err := json.Unmarshal(b, &k); err != nil {
		return nil, err
	}
	for _, p := range []string{k.Vmlinuz, k.ModulesDir} {
		if _, err := os.Stat(p); err != nil {
			return nil, err
		}
	}
	return &k, nil
}

// writeKernelRecord writes atomically: a record means a complete unpack.
func writeKernelRecord(path string, k *Kernel) error {
	b, err := json.MarshalIndent(k, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// lockDir takes an exclusive flock on dir/.lock until unlock is called.
func lockDir(dir string) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	return func() { f.Close() }, nil
}

// privateApt runs apt-get and apt-cache on one suite only, with its lists,
// state and cache under its own directory: the host's sources, preferences
// and installed packages play no part, but apt's verification is the same.
type privateApt struct {
	opts []string
	dir  string // working directory (apt-get download writes there)
}

func newPrivateApt(base, suite string) (*privateApt, error) {
	for _, d := range []string{"lists/partial", "archives/partial", "etc/sources.list.d", "etc/preferences.d"} {
		if err := os.MkdirAll(filepath.Join(base, d), 0o755); err != nil {
			return nil, err
		}
	}
	sources := filepath.Join(base, "etc", "sources.list")
	line := fmt.Sprintf("deb [signed-by=%s] %s %s main\n", ArchiveKeyring, Archive, suite)
	if err := os.WriteFile(sources, []byte(line), 0o644); err != nil {
		return nil, err
	}
	status := filepath.Join(base, "status")
	if err := os.WriteFile(status, nil, 0o644); err != nil {
		return nil, err
	}
	set := func(k, v string) string { return "-o" + k + "=" + v }
	arch := debianArch()
	return &privateApt{dir: base, opts: []string{
		set("Dir::State", base),
		set("Dir::State::Lists", filepath.Join(base, "lists")),
		set("Dir::State::status", status),
		set("Dir::Cache", base),
		set("Dir::Cache::archives", filepath.Join(base, "archives")),
		set("Dir::Etc::SourceList", sources),
		set("Dir::Etc::SourceParts", filepath.Join(base, "etc", "sources.list.d")),
		set("Dir::Etc::Preferences", filepath.Join(base, "etc", "preferences")),
		set("Dir::Etc::PreferencesParts", filepath.Join(base, "etc", "preferences.d")),
		set("APT::Architecture", arch),
		set("APT::Architectures", arch),
		set("Acquire::Languages", "none"),
		// The cache belongs to whoever runs this (root in CI), not _apt.
		set("APT::Sandbox::User", "root"),
		// Our own lock (lockDir) serializes users of this directory;
		// apt's would be the host's /var/lib/dpkg lock.
		set("Debug::NoLocking", "1"),
	}}, nil
}

func (a *privateApt) command(ctx context.Context, tool string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, tool, append(slices.Clone(a.opts), args...)...)
	cmd.Dir = a.dir
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive", "LC_ALL=C")
	return cmd
}

func (a *privateApt) run(ctx context.Context, tool string, args ...string) error {
	out, err := a.command(ctx, tool, append([]string{"-q"}, args...)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v\n%s", err, tail(out, 20))
	}
	// apt-get update can exit 0 when the suite could not be fetched or
	// verified (the old lists are then kept, or none): it says so in W:
	// and E: lines, which are errors here.
	if aptFailed(out) {
		return fmt.Errorf("%s", tail(out, 20))
	}
	return nil
}

func aptFailed(out []byte) bool {
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "E:") || strings.HasPrefix(l, "W: Failed to fetch") || strings.HasPrefix(l, "W: Some index files failed") ||
			strings.HasPrefix(l, "W: GPG error") || strings.Contains(l, "NO_PUBKEY") || strings.Contains(l, "is not signed") {
			return true
		}
	}
	return false
}

// imagePackage resolves the metapackage (linux-image-amd64) to the kernel
// package it depends on and that package's version.
func (a *privateApt) imagePackage(ctx context.Context, meta string) (pkg, version string, err error) {
	out, err := a.command(ctx, "apt-cache", "show", "--no-all-versions", meta).Output()
	if err != nil {
		return "", "", fmt.Errorf("apt-cache show %s: %v", meta, err)
	}
	return imageDependency(out)
}

var dependsRE = regexp.MustCompile(`^(linux-image-[^ ,|]+)\s*\(=\s*([^)]+)\)`)

// imageDependency reads apt-cache show's record of the metapackage: its
// Depends names the versioned image package first, with an exact version.
func imageDependency(record []byte) (pkg, version string, err error) {
	sc := bufio.NewScanner(bytes.NewReader(record))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "Depends:") {
			continue
		}
		for _, dep := range strings.Split(strings.TrimPrefix(line, "Depends:"), ",") {
			if m := dependsRE.FindStringSubmatch(strings.TrimSpace(dep)); m != nil {
				return m[1], strings.TrimSpace(m[2]), nil
			}
		}
	}
	return "", "", errors.New("the kernel metapackage depends on no linux-image-* package of an exact version")
}

// tail is the last n lines of out, for error messages.
func tail(out []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
