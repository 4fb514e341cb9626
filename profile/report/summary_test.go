package report

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/tailorsec/tailor/profile"
)

func TestDockerDefaultSyscalls(t *testing.T) {
	amd64 := DockerDefaultSyscalls("amd64")
	arm64 := DockerDefaultSyscalls("arm64")
	if len(amd64) < 300 || len(arm64) < 300 {
		t.Fatalf("Docker's default profile allows %d (amd64), %d (arm64) syscalls: too few to be it", len(amd64), len(arm64))
	}
	for _, want := range []string{"read", "execve", "clone", "arch_prctl", "chown", "setuid"} {
		if !slices.Contains(amd64, want) {
			t.Errorf("amd64 default lacks %s", want)
		}
	}
	// Need a capability Docker does not grant by default, or another
	// architecture.
	for _, never := range []string{"mount", "ptrace_not_a_syscall", "bpf", "reboot", "arm_fadvise64_64", "s390_pci_mmio_read"} {
		if slices.Contains(amd64, never) {
			t.Errorf("amd64 default allows %s", never)
		}
	}
	if !slices.Contains(arm64, "arm_fadvise64_64") || slices.Contains(arm64, "arch_prctl") {
		t.Errorf("arm64 default: arm_fadvise64_64 %v, arch_prctl %v", slices.Contains(arm64, "arm_fadvise64_64"), slices.Contains(arm64, "arch_prctl"))
	}
}

func TestSummaryTable(t *testing.T) {
	rec := &profile.Recording{
		Container:            profile.Container{Name: "web-1", Image: "shop/web\x1b[2J:1"},
		Host:                 profile.Host{Arch: "amd64"},
		CapabilitiesRecorded: true,
		Syscalls: []profile.SyscallUse{
			{Arch: profile.ArchX86_64, Name: "read", Count: 1, Source: profile.SourceWorkload},
			{Arch: profile.ArchX86_64, Name: "write", Count: 1, Source: profile.SourceWorkload},
		},
		Capabilities: []profile.CapabilityUse{{Name: "CAP_NET_BIND_SERVICE", Granted: 1}},
	}
	s := Summarize("web", rec)
	if s.Syscalls < 2 || s.DockerSyscalls < 300 || s.DockerCapabilities != 14 {
		t.Errorf("summary %+v", s)
	}
	var b bytes.Buffer
	if err := WriteSummaryTable(&b, []Summary{s}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"PROFILE", "web", "1 of 14: NET_BIND_SERVICE", `shop/web\x1b[2J:1`} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b") {
		t.Errorf("table passes an escape sequence through:\n%q", out)
	}
}
