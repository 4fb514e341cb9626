// Package bpf holds tailor's eBPF programs (C, compiled with CO-RE) and the
// Go bindings that bpf2go generated from them. The generated files are
// committed, so building tailor needs no clang; `make generate` rebuilds them.
package bpf

//go:generate go tool bpf2go -cc $BPF_CLANG -cflags $BPF_CFLAGS -target amd64,arm64 -type event -type counters -type target -type task_state -type ns_entry -type phase -type armed_by -type ns_kind -type event_type -type stat_index -type abi -type file_event -type syscall_kind -type access_bits -type file_event_flags -type arg_select -type arg_key -type ns_masks -type live_counts Recorder recorder.bpf.c -- -I./include
//go:generate go tool bpf2go -cc $BPF_CLANG -cflags $BPF_CFLAGS -target amd64,arm64 Floor floor.bpf.c -- -I./include
