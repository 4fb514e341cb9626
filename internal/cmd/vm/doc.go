// Command tailor-vm runs tailor's tests on other kernels under qemu, with
// the guests of package internal/vm. Subcommands:
//
//	tailor-vm kernels [flags]   the kernel matrix (make kernels)
//
// The kernels subcommand owns the kernel matrix: it builds one initramfs
// (busybox, util-linux unshare, the static tracer test binary and the
// probe, an /init that runs the tests and prints an end marker:
// initramfs.go), boots it on each kernel, runs the same test binary on the
// host, reads the test output (results.go), and compares each kernel's
// columns with what the expectations table says it must do (expect.go).
// The table it prints is the README's "Kernels" table.
package main
