// Package tracer is the only package that touches the kernel's BPF and
// Docker's API. It loads and attaches the programs of package bpf, picks
// the hooks this kernel offers, and reads what they saw (Kernel: loading
// in kernel.go, the capability hooks in caphooks.go, the targets' slots in
// slots.go, counts in snapshot.go, events in events.go, arguments and
// files in args.go and files.go);
// it follows Docker's containers (Docker: docker.go) and ties the two
// together in a recording Session, which attributes each mount namespace
// the kernel saw to its container (attribute.go), handles the kernel's
// and Docker's events (kernelevents.go, dockerevents.go), samples what
// the kernel does not count (sampling.go, resources.go) and builds one
// profile.Recording per container (build.go).
//
// It imports bpf, the cilium/ebpf and Docker client libraries and the
// profile core, never the emitters under profile/: what a recording
// becomes is not its business. Its tests need root; tracertest has what
// they share.
package tracer
