package profile

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestCapabilityName(t *testing.T) {
	for _, tc := range []struct {
		nr   int
		want string
		ok   bool
	}{
		{0, "CAP_CHOWN", true},
		{10, "CAP_NET_BIND_SERVICE", true},
		{21, "CAP_SYS_ADMIN", true},
		{40, "CAP_CHECKPOINT_RESTORE", true},
		{63, "", false},
		{-1, "", false},
	} {
		got, ok := CapabilityName(tc.nr)
		if got != tc.want || ok != tc.ok {
			t.Errorf("CapabilityName(%d) = %q, %v; want %q, %v", tc.nr, got, ok, tc.want, tc.ok)
		}
	}
}

func TestDockerDefaultCapabilities(t *testing.T) {
	d := DockerDefaultCapabilities()
	if len(d) != 14 || !slices.IsSorted(d) || !slices.Contains(d, "CAP_NET_BIND_SERVICE") {
		t.Errorf("DockerDefaultCapabilities() = %v", d)
	}
	d[0] = "changed"
	if DockerDefaultCapabilities()[0] == "changed" {
		t.Error("callers can change the defaults")
	}
}

func TestIsKernelProbe(t *testing.T) {
	for _, tc := range []struct {
		name string
		use  CapabilityUse
		want bool
	}{
		{"overcommit during mmap and brk", CapabilityUse{Name: "CAP_SYS_ADMIN", Denied: 9, Syscalls: []string{"brk", "mmap"}}, true},
		{"granted during execve and clone", CapabilityUse{Name: "CAP_SYS_ADMIN", Granted: 3, Syscalls: []string{"clone", "execve"}}, true},
		{"every accounting syscall", CapabilityUse{Name: "CAP_SYS_ADMIN", Denied: 1, Syscalls: memoryAccountingSyscalls}, true},
		{"lower-case name", CapabilityUse{Name: "sys_admin", Denied: 1, Syscalls: []string{"mmap2"}}, true},
		{"also during mount", CapabilityUse{Name: "CAP_SYS_ADMIN", Denied: 2, Syscalls: []string{"mmap", "mount"}}, false},
		{"only during sethostname", CapabilityUse{Name: "CAP_SYS_ADMIN", Granted: 1, Syscalls: []string{"sethostname"}}, false},
		{"no syscalls known", CapabilityUse{Name: "CAP_SYS_ADMIN", Denied: 1}, false},
		{"another capability during mmap", CapabilityUse{Name: "CAP_IPC_LOCK", Denied: 1, Syscalls: []string{"mmap"}}, false},
	} {
		if got := IsKernelProbe(tc.use); got != tc.want {
			t.Errorf("%s: IsKernelProbe = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestMarshalCapabilitiesEmptyListsAreArrays(t *testing.T) {
	data, err := MarshalCapabilities(CapabilitySet{})
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"add", "drop", "denied"} {
		if string(raw[key]) != "[]" {
			t.Errorf("%s = %s, want []", key, raw[key])
		}
	}
}
