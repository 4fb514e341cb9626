package report

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/profiletest"
	"github.com/tailorsec/tailor/profile/runflags"
)

func checklistByID(items []ChecklistItem) map[string]ChecklistItem {
	m := map[string]ChecklistItem{}
	for _, it := range items {
		key := it.ID
		if it.ID == ChecklistTailor {
			key += ": " + it.Title
		}
		m[key] = it
	}
	return m
}

func hasEvidence(it ChecklistItem, part string) bool {
	return slices.ContainsFunc(it.Evidence, func(e string) bool { return strings.Contains(e, part) })
}

// A container started with --privileged, the Docker socket and the host's
// network is flagged for each of them.
func TestChecklistFlagsDangerousContainer(t *testing.T) {
	items := checklistByID(Checklist(profiletest.DangerousRecording(t)))
	for _, tc := range []struct {
		id, current, evidence string
	}{
		{"CIS 5.4", "--privileged", "CAP_NET_ADMIN: granted 4 times during ioctl"},
		{"CIS 5.31", "socket is mounted", "/var/run/docker.sock -> /var/run/docker.sock (read-write): it connected to it"},
		{"CIS 5.9", "--network=host", "socket families it used: netlink, unix"},
		{"CIS 5.5", "3 sensitive host paths", "/ -> /host (read-only): used (/host/proc/stat)"},
		{"CIS 5.5", "", "/etc/ssl/certs -> /etc/ssl/certs (read-only): never used -> remove it"},
		{"CIS 5.15", "--pid=host", ""},
		{"CIS 5.19", "1 mount with shared propagation", "/ -> /host (rshared)"},
		{"CIS 5.21", "unconfined", ""},
		{"CIS 5.1", "unconfined", ""},
		{"CIS 5.17", "every host device", "it used /dev/kmsg"},
		{"CIS 5.3", "--privileged: all", "CAP_NET_RAW: granted by --privileged, never checked -> drop"},
		{"CIS 5.3", "", "CAP_SYS_ADMIN: checked 17 times by the kernel itself during mmap"},
		{"CIS 5.3", "", "CAP_SYS_PTRACE"},
	} {
		it, ok := items[tc.id]
		if !ok {
			t.Fatalf("no %s item", tc.id)
		}
		if it.Status != StatusFail {
			t.Errorf("%s %q: status %s, want fail", tc.id, it.Title, it.Status)
		}
		if !strings.Contains(it.Current, tc.current) {
			t.Errorf("%s: current %q lacks %q", tc.id, it.Current, tc.current)
		}
		if tc.evidence != "" && !hasEvidence(it, tc.evidence) {
			t.Errorf("%s: no evidence has %q: %q", tc.id, tc.evidence, it.Evidence)
		}
	}
	if got := items["CIS 5.4"].Recommendation; !strings.Contains(got, "CAP_DAC_READ_SEARCH, CAP_NET_ADMIN") {
		t.Errorf("5.4 recommendation %q does not name what it needs", got)
	}
	for _, id := range []string{"CIS 5.10", "CIS 5.28", "CIS 5.14", "CIS 5.25"} {
		if items[id].Status != StatusWarn {
			t.Errorf("%s: status %s, want warn", id, items[id].Status)
		}
	}
}

// The same container run the way Docker's and CIS's checklists ask passes.
func TestChecklistHardenedContainerPasses(t *testing.T) {
	items := Checklist(profiletest.HardenedRecording(t))
	n := ChecklistCounts(items)
	if n[StatusFail] != 0 || n[StatusWarn] != 0 {
		for _, it := range items {
			if it.Status != StatusPass {
				t.Errorf("%s %s: %s (%s)", it.ID, it.Title, it.Status, it.Current)
			}
		}
	}
	if n[StatusPass] < len(items)-2 {
		t.Errorf("only %d of %d items pass", n[StatusPass], len(items))
	}
}

func TestChecklistItems(t *testing.T) {
	redis := checklistByID(Checklist(profiletest.RedisRecording(t)))
	for _, tc := range []struct {
		id, status, current, evidence string
	}{
		{"CIS 4.1", StatusWarn, "root (uid 0), then uid 999:999", "the entrypoint's switch to uid 999"},
		{"CIS 5.3", StatusWarn, "11 of them never needed", "CAP_CHOWN: granted 12 times during fchownat -> keep"},
		{"CIS 5.3", StatusWarn, "", "CAP_NET_RAW: granted by default, never checked -> drop"},
		{"CIS 5.13", StatusWarn, "1 port published on every host interface", "0.0.0.0:6379 -> 6379/tcp"},
		{"CIS 5.14", StatusWarn, "always", ""},
		{"CIS 5.12", StatusWarn, "writable", "did not write to its root filesystem"},
		{"CIS 5.10", StatusWarn, "no limit", "peak memory in use (the cgroup's peak): 9.3 MiB; suggested 64 MiB"},
		{"CIS 5.28", StatusWarn, "no limit", "peak tasks (processes and threads) at once: 6; suggested 48"},
		{"CIS 5.18", StatusInfo, "the daemon's defaults", "the engine gave it 1024"},
		{"CIS 5.21", StatusPass, "Docker's default profile", ""},
		{"CIS 5.30", StatusInfo, "uid 0 in the container is uid 0 on the host", ""},
		{"tailor: Seccomp profile learned from the container", StatusWarn, "Docker's default profile", "allows the 16 syscalls"},
	} {
		it := redis[tc.id]
		if it.Status != tc.status || !strings.Contains(it.Current, tc.current) {
			t.Errorf("%s: %s %q, want %s %q", tc.id, it.Status, it.Current, tc.status, tc.current)
		}
		if tc.evidence != "" && !hasEvidence(it, tc.evidence) {
			t.Errorf("%s: no evidence has %q: %q", tc.id, tc.evidence, it.Evidence)
		}
	}

	batch := checklistByID(Checklist(profiletest.BatchRecording(t)))
	if it := batch["CIS 4.1"]; it.Status != StatusFail || !strings.Contains(it.Recommendation, "--user=65534:65534, in docker-run.flags") {
		t.Errorf("batch 4.1: %+v", it)
	}
	if it := batch["CIS 5.9"]; it.Status != StatusPass || it.Current != "its own (none)" {
		t.Errorf("batch 5.9: %+v", it)
	}

	// A recording made before docker inspect's answers were recorded:
	// those items say so, the rest still answer.
	old := checklistByID(Checklist(profiletest.NginxRecording(t)))
	for _, id := range []string{"CIS 5.7", "CIS 5.9", "CIS 5.10", "CIS 5.13", "CIS 5.15", "CIS 5.19", "CIS 5.26", "CIS 5.28", "CIS 5.30"} {
		if it := old[id]; it.Status != StatusInfo || !strings.HasPrefix(it.Current, "not recorded") {
			t.Errorf("old recording %s: %s %q, want info, not recorded", id, it.Status, it.Current)
		}
	}
	if it := old["CIS 5.3"]; it.Status != StatusWarn || !hasEvidence(it, "CAP_NET_BIND_SERVICE: granted 2 times during bind -> keep") {
		t.Errorf("old recording 5.3: %+v", it)
	}
	if it := old["CIS 5.12"]; !strings.HasPrefix(it.Recommendation, "--read-only --tmpfs=/run") {
		t.Errorf("old recording 5.12: %+v", it)
	}

	// Capabilities not recorded: 5.3 cannot answer.
	compat := checklistByID(Checklist(profiletest.CompatRecording(t)))
	if it := compat["CIS 5.3"]; it.Status != StatusInfo {
		t.Errorf("compat 5.3: %+v", it)
	}
}

// Every item is complete, IDs are known, and the order is stable.
func TestChecklistShape(t *testing.T) {
	var first []string
	for _, tc := range profiletest.TestCases(t) {
		items := Checklist(tc.Rec)
		var ids []string
		for _, it := range items {
			ids = append(ids, it.ID+" "+it.Title)
			if it.Title == "" || it.Current == "" || it.Recommendation == "" || it.Evidence == nil {
				t.Errorf("%s: incomplete item %+v", tc.Name, it)
			}
			if !slices.Contains([]string{StatusPass, StatusWarn, StatusFail, StatusInfo}, it.Status) {
				t.Errorf("%s: %s has status %q", tc.Name, it.ID, it.Status)
			}
			if it.ID != ChecklistTailor && !strings.HasPrefix(it.ID, "CIS ") {
				t.Errorf("%s: ID %q", tc.Name, it.ID)
			}
		}
		if first == nil {
			first = ids
		} else if !slices.Equal(ids, first) {
			t.Errorf("%s: items %q, want %q", tc.Name, ids, first)
		}
	}
}

// report.json carries what the checklist needs: rebuilt from it, the
// checklist, the user and limit suggestions and the flags are the same.
func TestChecklistFromReportJSON(t *testing.T) {
	recs := append(profiletest.ReviewRecordings(t), profiletest.UnconfinedRecording(t), profiletest.CompatRecording(t), profiletest.HostileRecording(t))
	for _, rec := range recs {
		data, err := Marshal(New(rec, profile.Capabilities(rec)))
		if err != nil {
			t.Fatal(err)
		}
		report, err := Parse(data)
		if err != nil {
			t.Fatalf("%s: %v", rec.Container.Name, err)
		}
		if !reflect.DeepEqual(report.Checklist, Checklist(rec)) {
			t.Errorf("%q: report.json's checklist differs from Checklist", rec.Container.Name)
		}
		back := RecordingFrom(report)
		if got, want := Checklist(back), Checklist(rec); !reflect.DeepEqual(got, want) {
			for i := range want {
				if i < len(got) && !reflect.DeepEqual(got[i], want[i]) {
					t.Errorf("%q: rebuilt from report.json, %s differs:\n got %+v\nwant %+v", rec.Container.Name, want[i].ID, got[i], want[i])
				}
			}
		}
		if got, want := runflags.UserSuggestion(back), runflags.UserSuggestion(rec); !reflect.DeepEqual(got, want) {
			t.Errorf("%q: user %+v, want %+v", rec.Container.Name, got, want)
		}
		if got, want := runflags.ResourceLimits(back), runflags.ResourceLimits(rec); got != want {
			t.Errorf("%q: limits %+v, want %+v", rec.Container.Name, got, want)
		}
		if got, want := runflags.New(back, profile.Capabilities(back), "/s"), runflags.New(rec, profile.Capabilities(rec), "/s"); !slices.Equal(got, want) {
			t.Errorf("%q: flags %q, want %q", rec.Container.Name, got, want)
		}
	}
}

// A container gone before Docker could be asked has no settings in its
// recording: the items that judge them say "unknown" and why, never
// "pass" for a privileged container whose flag was simply not read (CI
// once saw --privileged reported as "not privileged" this way).
func TestChecklistSettingsUnknown(t *testing.T) {
	rec := profiletest.DangerousRecording(t)
	rec.Config, rec.Learning = profile.ContainerConfig{}, profile.Learning{}
	rec.SettingsUnknown = "the container was gone before Docker could be asked about it (No such container: abc)"
	items := checklistByID(Checklist(rec))
	for _, id := range []string{"CIS 5.4", "CIS 5.21", "CIS 5.25", "CIS 5.1", "CIS 5.9", "CIS 5.15"} {
		it := items[id]
		if it.Status != StatusInfo || !strings.HasPrefix(it.Current, "unknown: the container was gone") {
			t.Errorf("%s %q: %s %q, want info, unknown and why", id, it.Title, it.Status, it.Current)
		}
	}

	// An older recording without Config but with Learning still knows
	// whether the container was privileged.
	rec = profiletest.DangerousRecording(t)
	rec.Config = profile.ContainerConfig{}
	if it := checklistByID(Checklist(rec))["CIS 5.4"]; it.Status != StatusFail {
		t.Errorf("5.4 from Learning alone: %s %q, want fail", it.Status, it.Current)
	}
}
