package profile_test

// Tests of the core that use the shared recordings of profiletest, which
// imports the core: only an external test package may use it.

import (
	"slices"
	"testing"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/profiletest"
)

func TestCapabilities(t *testing.T) {
	for _, tc := range []struct {
		name string
		rec  *profile.Recording
		want profile.CapabilitySet
	}{
		{
			name: "nginx",
			rec:  profiletest.NginxRecording(t),
			want: profile.CapabilitySet{
				Add: []string{"CAP_CHOWN", "CAP_NET_BIND_SERVICE", "CAP_SETGID", "CAP_SETUID"},
				Drop: []string{"CAP_AUDIT_WRITE", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
					"CAP_MKNOD", "CAP_NET_RAW", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_SYS_CHROOT"},
				Denied: []string{},
			},
		},
		{
			name: "nothing checked",
			rec:  &profile.Recording{CapabilitiesRecorded: true},
			want: profile.CapabilitySet{Add: []string{}, Drop: profile.DockerDefaultCapabilities(), Denied: []string{}},
		},
		{
			name: "capabilities not recorded keeps Docker's defaults",
			rec:  &profile.Recording{},
			want: profile.CapabilitySet{Add: profile.DockerDefaultCapabilities(), Drop: []string{}, Denied: []string{}},
		},
		{
			name: "non-default granted, denied listed, probe ignored",
			rec: &profile.Recording{CapabilitiesRecorded: true, Capabilities: []profile.CapabilityUse{
				{Name: "CAP_NET_ADMIN", Granted: 1, Syscalls: []string{"ioctl"}},
				{Name: "CAP_SYS_ADMIN", Granted: 5, Denied: 5, Syscalls: []string{"mmap"}},
				{Name: "CAP_SYS_PTRACE", Denied: 2, Syscalls: []string{"ptrace"}},
				{Name: "CAP_KILL", Denied: 1, Syscalls: []string{"kill"}},
				{Name: "CAP_KILL", Granted: 1, Syscalls: []string{"kill"}}, // duplicate entry
			}},
			want: profile.CapabilitySet{
				Add: []string{"CAP_KILL", "CAP_NET_ADMIN"},
				Drop: []string{"CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID",
					"CAP_MKNOD", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP",
					"CAP_SETUID", "CAP_SYS_CHROOT"},
				Denied: []string{"CAP_SYS_PTRACE"},
			},
		},
		{
			name: "admin probe during mount is a need",
			rec: &profile.Recording{CapabilitiesRecorded: true, Capabilities: []profile.CapabilityUse{
				{Name: "CAP_SYS_ADMIN", Denied: 4, Syscalls: []string{"brk", "mount"}},
			}},
			want: profile.CapabilitySet{Add: []string{}, Drop: profile.DockerDefaultCapabilities(), Denied: []string{"CAP_SYS_ADMIN"}},
		},
	} {
		got := profile.Capabilities(tc.rec)
		if !slices.Equal(got.Add, tc.want.Add) || !slices.Equal(got.Drop, tc.want.Drop) || !slices.Equal(got.Denied, tc.want.Denied) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, got, tc.want)
		}
		if got.Add == nil || got.Drop == nil || got.Denied == nil {
			t.Errorf("%s: a list is nil: %#v", tc.name, got)
		}
	}
}
