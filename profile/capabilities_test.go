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

func TestCapabilities(t *testing.T) {
	for _, tc := range []struct {
		name string
		rec  *Recording
		want CapabilitySet
	}{
		{
			name: "nginx",
			rec:  nginxRecording(t),
			want: CapabilitySet{
				Add: []string{"CAP_CHOWN", "CAP_NET_BIND_SERVICE", "CAP_SETGID", "CAP_SETUID"},
				Drop: []string{"CAP_AUDIT_WRITE", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
					"CAP_MKNOD", "CAP_NET_RAW", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_SYS_CHROOT"},
				Denied: []string{},
			},
		},
		{
			name: "nothing checked",
			rec:  &Recording{CapabilitiesRecorded: true},
			want: CapabilitySet{Add: []string{}, Drop: DockerDefaultCapabilities(), Denied: []string{}},
		},
		{
			name: "capabilities not recorded keeps Docker's defaults",
			rec:  &Recording{},
			want: CapabilitySet{Add: DockerDefaultCapabilities(), Drop: []string{}, Denied: []string{}},
		},
		{
			name: "non-default granted, denied listed, probe ignored",
			rec: &Recording{CapabilitiesRecorded: true, Capabilities: []CapabilityUse{
				{Name: "CAP_NET_ADMIN", Granted: 1, Syscalls: []string{"ioctl"}},
				{Name: "CAP_SYS_ADMIN", Granted: 5, Denied: 5, Syscalls: []string{"mmap"}},
				{Name: "CAP_SYS_PTRACE", Denied: 2, Syscalls: []string{"ptrace"}},
				{Name: "CAP_KILL", Denied: 1, Syscalls: []string{"kill"}},
				{Name: "CAP_KILL", Granted: 1, Syscalls: []string{"kill"}}, // duplicate entry
			}},
			want: CapabilitySet{
				Add: []string{"CAP_KILL", "CAP_NET_ADMIN"},
				Drop: []string{"CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID",
					"CAP_MKNOD", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP",
					"CAP_SETUID", "CAP_SYS_CHROOT"},
				Denied: []string{"CAP_SYS_PTRACE"},
			},
		},
		{
			name: "admin probe during mount is a need",
			rec: &Recording{CapabilitiesRecorded: true, Capabilities: []CapabilityUse{
				{Name: "CAP_SYS_ADMIN", Denied: 4, Syscalls: []string{"brk", "mount"}},
			}},
			want: CapabilitySet{Add: []string{}, Drop: DockerDefaultCapabilities(), Denied: []string{"CAP_SYS_ADMIN"}},
		},
	} {
		got := Capabilities(tc.rec)
		if !slices.Equal(got.Add, tc.want.Add) || !slices.Equal(got.Drop, tc.want.Drop) || !slices.Equal(got.Denied, tc.want.Denied) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, got, tc.want)
		}
		if got.Add == nil || got.Drop == nil || got.Denied == nil {
			t.Errorf("%s: a list is nil: %#v", tc.name, got)
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
