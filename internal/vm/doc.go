// Package vm boots Debian's kernels under qemu for tests that need a kernel
// other than the host's: the kernel matrix (`make kernels`) and the guest
// with dockerd and AppArmor (`make vm`).
//
// It owns three things:
//
//   - FetchKernel: a Debian kernel package by short name ("5.10", "6.1",
//     "6.12"), downloaded by apt itself from Debian's archive with a private
//     sources list and state under the cache, so the archive's signatures
//     and hashes are checked as for any install, and unpacked with
//     `dpkg-deb -x`. The cache directory is DefaultCacheDir (TAILOR_VM_CACHE
//     overrides it); a kernel fetched once is used from there without the
//     network until its directory is removed.
//   - Machine: one qemu run of a kernel with an initramfs, an optional disk
//     and 9p shares, its serial console written to an io.Writer. It uses KVM
//     when /dev/kvm really opens, otherwise single-threaded TCG with one
//     vCPU (multi-threaded TCG hung guests); TAILOR_VM_ACCEL=kvm|tcg forces
//     one. The qemu process ends with the context or the timeout, and with
//     the process that started it.
//   - Initramfs: a cpio (newc) archive writer for the kernel's initramfs,
//     which creates parent directories itself and copies host binaries with
//     the shared libraries and loader they need.
//
// Nothing here needs root except what qemu and apt need of the cache
// directory and /dev/kvm.
package vm
