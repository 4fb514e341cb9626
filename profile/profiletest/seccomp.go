package profiletest

import (
	"testing"

	"github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"
)

// LoadWithDocker loads a seccomp.json as dockerd does for a container with
// the bounding capabilities given, and fails the test if Docker rejects it.
func LoadWithDocker(t *testing.T, data []byte, bounding []string) *specs.LinuxSeccomp {
	t.Helper()
	spec := &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: bounding}}}
	oci, err := seccomp.LoadProfile(string(data), spec)
	if err != nil {
		t.Fatalf("Docker rejects the profile: %v\n%s", err, data)
	}
	if oci == nil {
		t.Fatalf("Docker read the profile as \"no seccomp\":\n%s", data)
	}
	return oci
}
