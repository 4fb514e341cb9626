package vm

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeQEMU puts a shell script named like qemu first on PATH: Run's
// process handling is tested without qemu.
func fakeQEMU(t *testing.T, script string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, qemuBinary()), []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
}

func TestRunWritesTheConsole(t *testing.T) {
	fakeQEMU(t, `echo "console: $*"; echo "qemu says" >&2`)
	var out strings.Builder
	m := Machine{Kernel: "/k/vmlinuz", Accel: AccelTCG, Console: &out}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "-kernel /k/vmlinuz") || !strings.Contains(out.String(), "qemu says") {
		t.Errorf("console got %q", out.String())
	}
}

func TestRunReportsQEMUFailure(t *testing.T) {
	fakeQEMU(t, `echo "could not open disk" >&2; exit 1`)
	m := Machine{Kernel: "/k/vmlinuz", Accel: AccelTCG}
	err := m.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "could not open disk") {
		t.Fatalf("Run = %v, want qemu's message", err)
	}
}

func TestRunEndsQEMUOnTimeout(t *testing.T) {
	// SIGTERM ends the fake, as it ends qemu.
	fakeQEMU(t, `exec sleep 60`)
	m := Machine{Kernel: "/k/vmlinuz", Accel: AccelTCG, Timeout: 300 * time.Millisecond}
	t0 := time.Now()
	err := m.Run(context.Background())
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("Run = %v, want ErrTimeout", err)
	}
	if d := time.Since(t0); d > 5*time.Second {
		t.Errorf("Run took %v after a 300ms timeout", d)
	}
}

func TestRunEndsQEMUWithContext(t *testing.T) {
	fakeQEMU(t, `exec sleep 60`)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	m := Machine{Kernel: "/k/vmlinuz", Accel: AccelTCG}
	if err := m.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
}
