package vm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// RootRecipe says how the guest's root filesystem is debootstrapped. Its
// Hash names the cached result, so changing any field rebuilds it.
type RootRecipe struct {
	Suite    string   // Debian suite, e.g. "bookworm"
	Mirror   string   // archive URL
	Variant  string   // debootstrap --variant
	Packages []string // installed on top of the variant (dependencies follow)
}

// rootRecipeVersion changes when BuildRoot's steps change in a way the
// fields do not show.
const rootRecipeVersion = "1"

// GuestRoot is the Debian 12 root `make vm` boots: systemd, dockerd,
// AppArmor and what the end-to-end tests call.
func GuestRoot() RootRecipe {
	return RootRecipe{
		Suite:   "bookworm",
		Mirror:  "http://deb.debian.org/debian",
		Variant: "minbase",
		Packages: []string{
			// boot: systemd as init, udev for the virtio devices, kmod for
			// the kernel's modules, initramfs-tools (and zstd) for the initrd.
			"systemd", "systemd-sysv", "udev", "kmod", "dbus", "initramfs-tools", "zstd",
			// the container runtime and AppArmor, enforcing.
			"docker.io", "apparmor", "apparmor-utils",
			// what tests and their authors call in the guest.
			"curl", "redis-tools", "iproute2", "procps", "psmisc", "jq",
		},
	}
}

// Hash names the recipe: a short hex digest of every field and of
// rootRecipeVersion. Package order does not matter.
func (r RootRecipe) Hash() string {
	pkgs := slices.Clone(r.Packages)
	slices.Sort(pkgs)
	h := sha256.New()
	fmt.Fprintf(h, "root %s\nsuite %s\nmirror %s\nvariant %s\npackages %s\n",
		rootRecipeVersion, r.Suite, r.Mirror, r.Variant, strings.Join(pkgs, ","))
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// BuildRoot returns the directory holding the recipe's root filesystem,
// debootstrapping it under cacheDir/rootfs when it is not there yet (built
// reports that). Downloaded packages stay in cacheDir/rootfs/debs for the
// next recipe. Needs root and debootstrap.
func BuildRoot(ctx context.Context, cacheDir string, r RootRecipe, log io.Writer) (dir string, built bool, err error) {
	base := filepath.Join(cacheDir, "rootfs")
	dir = filepath.Join(base, "root-"+r.Hash())
	debs := filepath.Join(base, "debs")
	if err := os.MkdirAll(debs, 0o755); err != nil {
		return "", false, err
	}
	// One build at a time: a second run waits and finds the root built.
	unlock, err := lockDir(base)
	if err != nil {
		return "", false, err
	}
	defer unlock()
	if _, err := os.Stat(filepath.Join(dir, "etc", "os-release")); err == nil {
		return dir, false, nil
	}
	// Build beside the final name and rename: an interrupted build never
	// looks finished.
	tmp := dir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return "", false, err
	}
	args := []string{"--variant=" + r.Variant, "--cache-dir=" + debs}
	if len(r.Packages) > 0 {
		args = append(args, "--include="+strings.Join(r.Packages, ","))
	}
	args = append(args, r.Suite, tmp, r.Mirror)
	cmd := exec.CommandContext(ctx, "debootstrap", args...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return "", false, fmt.Errorf("debootstrap %s: %w (see its log)", r.Suite, err)
	}
	// Docker's images and layers come from the host at each run; what the
	// packages shipped as caches is only weight in every image.
	for _, junk := range []string{"var/cache/apt/archives", "var/lib/apt/lists"} {
		if err := clearDir(filepath.Join(tmp, junk)); err != nil {
			return "", false, err
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		return "", false, err
	}
	// Images are made from a copy of the root, so older roots serve
	// nothing: a changed recipe does not leave its predecessor behind.
	if err := removeSiblings(base, "root-", dir); err != nil {
		return "", false, err
	}
	return dir, true, nil
}

// removeSiblings removes the entries of parent whose names start with
// prefix, except keep (a path).
func removeSiblings(parent, prefix, keep string) error {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return err
	}
	for _, e := range entries {
		p := filepath.Join(parent, e.Name())
		if strings.HasPrefix(e.Name(), prefix) && p != keep {
			if err := os.RemoveAll(p); err != nil {
				return err
			}
		}
	}
	return nil
}

// clearDir removes the files under dir, keeping dir and its subdirectories
// (apt expects archives/partial to exist).
func clearDir(dir string) error {
	return filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		return os.Remove(path)
	})
}
