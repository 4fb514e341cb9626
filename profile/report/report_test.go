package report

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/profiletest"
)

func verdicts(r *Report) map[string]string {
	m := map[string]string{}
	for _, c := range r.Capabilities {
		m[c.Name] = c.Verdict
	}
	return m
}

func TestReportVerdicts(t *testing.T) {
	rec := &profile.Recording{CapabilitiesRecorded: true, Capabilities: []profile.CapabilityUse{
		{Name: "CAP_CHOWN", Granted: 1, Syscalls: []string{"chown"}},
		{Name: "CAP_KILL", Syscalls: []string{"kill"}},
		{Name: "CAP_SYS_PTRACE", Denied: 1, Syscalls: []string{"ptrace"}},
		{Name: "CAP_SYS_ADMIN", Denied: 3, Syscalls: []string{"mmap"}},
		{Name: "CAP_SYS_NICE", Syscalls: []string{"setpriority"}},
	}}
	r := New(rec, profile.Capabilities(rec))
	want := map[string]string{
		"CAP_CHOWN":      VerdictAdd,
		"CAP_KILL":       VerdictDrop,
		"CAP_SYS_PTRACE": VerdictDenied,
		"CAP_SYS_ADMIN":  VerdictKernelProbe,
		"CAP_SYS_NICE":   VerdictUnused,
	}
	got := verdicts(r)
	for name, v := range want {
		if got[name] != v {
			t.Errorf("%s: verdict %q, want %q", name, got[name], v)
		}
	}
	for _, c := range r.Capabilities {
		if (c.Verdict == VerdictKernelProbe) != (c.Reason != "") {
			t.Errorf("%s: verdict %s with reason %q", c.Name, c.Verdict, c.Reason)
		}
	}
}

func TestReportWarningsAndNoNewPrivileges(t *testing.T) {
	r := New(profiletest.UnconfinedRecording(t), profile.Capabilities(profiletest.UnconfinedRecording(t)))
	if r.NoNewPrivileges.Suggested {
		t.Error("no-new-privileges suggested despite sudo")
	}
	if !strings.HasPrefix(r.NoNewPrivileges.Reason, "/usr/bin/sudo gained privileges through exec") {
		t.Errorf("reason = %q", r.NoNewPrivileges.Reason)
	}
	for _, want := range []string{
		"syscall number 463 on SCMP_ARCH_X86_64 is unknown to libseccomp: it is not in seccomp.json, add it by hand if needed",
		"the container was killed (SIGKILL)",
	} {
		if !slices.Contains(r.Warnings, want) {
			t.Errorf("missing warning %q in %q", want, r.Warnings)
		}
	}
	for _, part := range []string{"were made 2 times", "5 events were lost", "still running", "/usr/bin/sudo"} {
		if !slices.ContainsFunc(r.Warnings, func(w string) bool { return strings.Contains(w, part) }) {
			t.Errorf("no warning mentions %q: %q", part, r.Warnings)
		}
	}
	if !slices.IsSorted(r.Warnings) {
		t.Errorf("warnings not sorted: %q", r.Warnings)
	}

	clean := New(profiletest.NginxRecording(t), profile.Capabilities(profiletest.NginxRecording(t)))
	if !clean.ReadOnly.Suggested || !slices.Equal(clean.ReadOnly.Tmpfs, []string{"/run", "/tmp"}) {
		t.Errorf("nginx: read-only %+v", clean.ReadOnly)
	}
	if clean.AppArmor.Profile != "tailor-web" || len(clean.AppArmor.Problems) != 0 || clean.AppArmor.Load != "apparmor_parser -r -W apparmor.profile" {
		t.Errorf("nginx: apparmor %+v", clean.AppArmor)
	}
	if !clean.NoNewPrivileges.Suggested || len(clean.Warnings) != 0 {
		t.Errorf("nginx: nnp %+v, warnings %q", clean.NoNewPrivileges, clean.Warnings)
	}
	if clean.Start != "2025-03-14T09:30:00.123456789Z" {
		t.Errorf("start = %s, want RFC 3339 in UTC", clean.Start)
	}
}

func TestReportFiles(t *testing.T) {
	rec := &profile.Recording{FilesRecorded: true, Files: []profile.FileAccess{
		{Path: "/b", Access: []string{profile.AccessWrite, profile.AccessRead, profile.AccessWrite}, Mount: profile.MountRootfs},
		{Path: "/a\xff\n", Access: []string{profile.AccessRead}},
		{Path: "/b", Access: []string{profile.AccessCreate}},
	}}
	r := New(rec, profile.Capabilities(rec))
	want := []FileAccess{
		{Path: "/a\xff\n", PathBase64: base64.StdEncoding.EncodeToString([]byte("/a\xff\n")), Access: []string{profile.AccessRead}},
		{Path: "/b", Access: []string{profile.AccessCreate, profile.AccessRead, profile.AccessWrite}, Mount: profile.MountRootfs},
	}
	if !reflect.DeepEqual(r.Files, want) {
		t.Errorf("files = %+v, want %+v", r.Files, want)
	}
	data, err := Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Files []struct {
			PathBase64 string `json:"path_base64"`
		} `json:"files"`
	}
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(back.Files[0].PathBase64)
	if string(raw) != "/a\xff\n" || back.Files[1].PathBase64 != "" {
		t.Errorf("path_base64 = %q, %q", raw, back.Files[1].PathBase64)
	}
}

func TestReportWarnsWithoutCapabilities(t *testing.T) {
	r := New(profiletest.CompatRecording(t), profile.Capabilities(profiletest.CompatRecording(t)))
	for _, part := range []string{"could not report capability checks", "began after the container started"} {
		if !slices.ContainsFunc(r.Warnings, func(w string) bool { return strings.Contains(w, part) }) {
			t.Errorf("no warning mentions %q: %q", part, r.Warnings)
		}
	}
}
