package main

import (
	"context"
	"testing"
)

// Mistakes in the command line are reported before anything is built or
// booted.
func TestRunGuestRefusesBadArguments(t *testing.T) {
	t.Setenv("CMD", "")
	t.Setenv("TAILOR_VM_CACHE", t.TempDir())
	for name, args := range map[string][]string{
		"no command":     {"-kernel", "6.1"},
		"blank command":  {"-kernel", "6.1", "--", "  "},
		"unknown driver": {"-cgroup-driver", "cgroupv1", "--", "true"},
		"unknown flag":   {"-no-such-flag", "--", "true"},
	} {
		if got := runGuest(context.Background(), args); got != 2 {
			t.Errorf("%s: exit %d, want 2", name, got)
		}
	}
}

func TestRunIsASubcommand(t *testing.T) {
	if subcommands["run"].run == nil {
		t.Fatal("tailor-vm has no run subcommand")
	}
}
