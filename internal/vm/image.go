package vm

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// guestFiles are installed into every image: the units and scripts that
// mount the host's shares, configure dockerd, run the command and power
// off. They are part of the image's hash.
//
//go:embed guest
var guestFiles embed.FS

// imageRecipeVersion changes when BuildImage's steps change in a way the
// inputs do not show.
const imageRecipeVersion = "1"

// GuestKernel is what an image needs of a kernel: its release (the
// /lib/modules directory name), its modules and the files of /boot.
type GuestKernel struct {
	Release    string // e.g. "6.1.0-57-amd64"
	ModulesDir string // the unpacked lib/modules/<Release>
	Vmlinuz    string
	Config     string // boot/config-<Release>: mkinitramfs reads it
	// Package names the kernel's exact build (e.g. its .deb's file name):
	// a new build of the same release makes a new image.
	Package string
}

// Image is a bootable guest: a raw ext4 disk (never written: runs boot an
// overlay), the kernel and the initrd made for it from the image's modules.
type Image struct {
	Disk    string
	Vmlinuz string
	Initrd  string
}

// initrdModules are what the initrd needs to mount the root disk; all other
// modules load from the root.
var initrdModules = []string{"virtio_pci", "virtio_blk", "ext4"}

// unusedModuleDirs are module trees no guest loads (graphics, sound, radio,
// cameras...); dropping them halves the image.
var unusedModuleDirs = []string{
	"kernel/drivers/gpu", "kernel/drivers/media", "kernel/drivers/net/wireless",
	"kernel/drivers/infiniband", "kernel/drivers/staging", "kernel/drivers/bluetooth",
	"kernel/drivers/iio", "kernel/drivers/hid", "kernel/drivers/input", "kernel/drivers/usb",
	"kernel/drivers/isdn", "kernel/drivers/scsi", "kernel/drivers/net/ethernet",
	"kernel/sound", "kernel/net/wireless", "kernel/net/mac80211", "kernel/net/bluetooth",
}

// ImageHash names the image built from root recipe rootHash and kernel k,
// with the guest files as they are embedded now.
func ImageHash(rootHash string, k GuestKernel) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "image %s\nroot %s\nkernel %s %s\ninitrd %s\nunused %s\n", imageRecipeVersion,
		rootHash, k.Release, k.Package, strings.Join(initrdModules, ","), strings.Join(unusedModuleDirs, ","))
	err := fs.WalkDir(guestFiles, "guest", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := guestFiles.ReadFile(path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "file %s %d\n", path, len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// guestInstall says where each embedded guest file goes in the root and
// with which mode.
var guestInstall = map[string]struct {
	dest string
	mode os.FileMode
}{
	"guest/setup":                   {"usr/local/lib/tailor-vm/setup", 0o755},
	"guest/run":                     {"usr/local/lib/tailor-vm/run", 0o755},
	"guest/tailor-vm-setup.service": {"etc/systemd/system/tailor-vm-setup.service", 0o644},
	"guest/tailor-vm.service":       {"etc/systemd/system/tailor-vm.service", 0o644},
}

// maskedUnits would only slow a throw-away guest down or talk on a network
// it does not have (and a getty would write a login prompt on the console).
var maskedUnits = []string{
	"apt-daily.timer", "apt-daily-upgrade.timer", "e2scrub_all.timer", "e2scrub_reap.service",
	"fstrim.timer", "systemd-timesyncd.service", "getty@tty1.service", "serial-getty@ttyS0.service",
	"getty.target", "systemd-networkd-wait-online.service", "remote-fs.target",
}

// BuildImage returns the image of root (built from the recipe named
// rootHash) with kernel k, building it under cacheDir/images when missing
// (built reports that): the root is copied, the guest files, k's modules
// and an initrd go in, and mkfs.ext4 -d writes the disk, no loop mount
// needed. sizeMiB is the disk's size (the file is sparse). Needs root.
func BuildImage(ctx context.Context, cacheDir, root, rootHash string, k GuestKernel, sizeMiB int, log io.Writer) (img Image, built bool, err error) {
	hash, err := ImageHash(rootHash, k)
	if err != nil {
		return Image{}, false, err
	}
	images := filepath.Join(cacheDir, "images")
	dir := filepath.Join(images, k.Release+"-"+hash)
	img = Image{
		Disk:    filepath.Join(dir, "root.ext4"),
		Vmlinuz: filepath.Join(dir, "vmlinuz"),
		Initrd:  filepath.Join(dir, "initrd.img"),
	}
	if err := os.MkdirAll(images, 0o755); err != nil {
		return Image{}, false, err
	}
	// One build at a time; runs only read a finished image (through their
	// overlays), so they need no lock.
	unlock, err := lockDir(images)
	if err != nil {
		return Image{}, false, err
	}
	defer unlock()
	if _, err := os.Stat(img.Disk); err == nil {
		return img, false, nil
	}
	tmp := dir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return Image{}, false, err
	}
	stage := filepath.Join(tmp, "root")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return Image{}, false, err
	}
	defer os.RemoveAll(tmp)
	run := func(name string, args ...string) error {
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
		}
		return nil
	}
	if err := run("cp", "-a", root, stage); err != nil {
		return Image{}, false, err
	}
	if err := installGuest(stage); err != nil {
		return Image{}, false, err
	}
	// Bookworm merged /lib into /usr/lib.
	modules := filepath.Join(stage, "usr", "lib", "modules")
	if err := os.MkdirAll(modules, 0o755); err != nil {
		return Image{}, false, err
	}
	if err := run("cp", "-a", k.ModulesDir, filepath.Join(modules, k.Release)); err != nil {
		return Image{}, false, err
	}
	for _, d := range unusedModuleDirs {
		if err := os.RemoveAll(filepath.Join(modules, k.Release, d)); err != nil {
			return Image{}, false, err
		}
	}
	if err := run("cp", k.Config, filepath.Join(stage, "boot", "config-"+k.Release)); err != nil {
		return Image{}, false, err
	}
	if err := writeInitramfsConfig(stage); err != nil {
		return Image{}, false, err
	}
	initrd := "/boot/initrd.img-" + k.Release
	if err := run("chroot", stage, "depmod", k.Release); err != nil {
		return Image{}, false, err
	}
	if err := run("chroot", stage, "mkinitramfs", "-o", initrd, k.Release); err != nil {
		return Image{}, false, err
	}
	if err := run("cp", filepath.Join(stage, initrd), filepath.Join(tmp, "initrd.img")); err != nil {
		return Image{}, false, err
	}
	if err := run("cp", k.Vmlinuz, filepath.Join(tmp, "vmlinuz")); err != nil {
		return Image{}, false, err
	}
	if err := run("mkfs.ext4", "-q", "-F", "-L", "tailor-root", "-d", stage,
		filepath.Join(tmp, "root.ext4"), fmt.Sprintf("%dM", sizeMiB)); err != nil {
		return Image{}, false, err
	}
	if err := os.RemoveAll(stage); err != nil {
		return Image{}, false, err
	}
	if err := os.RemoveAll(dir); err != nil {
		return Image{}, false, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return Image{}, false, err
	}
	// The same kernel's images of older recipes are not booted again.
	// (A run still booting one keeps it open, and unlinked files stay
	// readable until closed.)
	if err := removeSiblings(images, k.Release+"-", dir); err != nil {
		return Image{}, false, err
	}
	return img, true, nil
}

// installGuest writes the guest files, the fstab and hostname, enables the
// units and masks maskedUnits, all as files: systemctl in a chroot would
// need more of a running system than it is worth.
func installGuest(stage string) error {
	for src, to := range guestInstall {
		b, err := guestFiles.ReadFile(src)
		if err != nil {
			return err
		}
		dest := filepath.Join(stage, to.dest)
		if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(dest, b, to.mode); err != nil {
			return err
		}
	}
	files := map[string]string{
		"etc/fstab":    "LABEL=tailor-root / ext4 rw,errors=remount-ro 0 1\n",
		"etc/hostname": "tailor-vm\n",
		"etc/hosts":    "127.0.0.1 localhost\n127.0.1.1 tailor-vm\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(stage, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	wants := filepath.Join(stage, "etc/systemd/system/multi-user.target.wants")
	if err := os.MkdirAll(wants, 0o755); err != nil {
		return err
	}
	for _, unit := range []string{"tailor-vm-setup.service", "tailor-vm.service"} {
		if err := relink("/etc/systemd/system/"+unit, filepath.Join(wants, unit)); err != nil {
			return err
		}
	}
	for _, unit := range slices.Sorted(slices.Values(maskedUnits)) {
		if err := relink("/dev/null", filepath.Join(stage, "etc/systemd/system", unit)); err != nil {
			return err
		}
	}
	return nil
}

// writeInitramfsConfig makes mkinitramfs put only initrdModules in the
// initrd: the guest's hardware is known, and a small initrd boots faster
// under emulation.
func writeInitramfsConfig(stage string) error {
	conf := filepath.Join(stage, "etc/initramfs-tools/conf.d/tailor-vm.conf")
	if err := os.WriteFile(conf, []byte("MODULES=list\n"), 0o644); err != nil {
		return err
	}
	list := strings.Join(initrdModules, "\n") + "\n"
	return os.WriteFile(filepath.Join(stage, "etc/initramfs-tools/modules"), []byte(list), 0o644)
}

// relink points link at target, replacing whatever link was.
func relink(target, link string) error {
	if err := os.Remove(link); err != nil && !os.IsNotExist(err) {
		return err
	}
	return os.Symlink(target, link)
}

// GuestKernelOf is what an image needs of a fetched kernel.
func GuestKernelOf(k *Kernel) GuestKernel {
	return GuestKernel{
		Release:    k.Release,
		ModulesDir: k.ModulesDir,
		Vmlinuz:    k.Vmlinuz,
		Config:     filepath.Join(k.Root, "boot", "config-"+k.Release),
		Package:    k.Package + "_" + k.Version,
	}
}
