// Package recorder records what containers do while a test suite runs and
// turns it into least-privilege profiles: a seccomp profile, an AppArmor
// profile, the capabilities to keep and `docker run` flags.
//
// It is the Go API behind `tailor record`, for tests that want to record
// without the CLI:
//
//	rec, err := recorder.Start(ctx, recorder.Options{})
//	if err != nil { ... }
//	defer rec.Stop() // releases the eBPF programs even if the test fails
//	... run and drive containers ...
//	result, err := rec.Stop()
//	written, err := result.Write("profiles")
//
// Recording needs root (eBPF), a running Docker daemon and Linux 5.17+
// with BTF.
//
// It is a thin layer over package tracer (the kernel and Docker side) and
// package profiledir (the files): the emitters themselves are under
// profile/, which a test may use directly on a Recording.
package recorder
