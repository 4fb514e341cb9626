package report

// The checklist walks Docker's hardening advice and the container runtime
// section (5) of the CIS Docker Benchmark, plus its item 4.1 (a non-root
// user), for one recorded container: for each item how the container ran
// (from docker inspect, in Recording.Config and Learning), what tailor
// recommends, and the evidence from the recording. Items the recording
// cannot answer say so (status info) rather than guess.
//
// Statuses describe how the container ran, not the profile: "fail" is a
// setting that gives a compromised container the host (privileged, host
// namespaces, the Docker socket, sensitive host paths, capabilities beyond
// Docker's defaults that it never used, root it never needed), "warn" an
// item of the checklist not followed, "pass" one followed, "info" one the
// recording cannot answer or that is a matter of choice.

import (
	"strings"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/runflags"
)

// Checklist statuses.
const (
	StatusPass = "pass"
	StatusWarn = "warn"
	StatusFail = "fail"
	StatusInfo = "info"
)

// ChecklistTailor is the ID of items that are tailor's own, not CIS's.
const ChecklistTailor = "tailor"

// ChecklistItem is one item of the hardening checklist for one container.
type ChecklistItem struct {
	// ID is the CIS Docker Benchmark item ("CIS 5.4"), or "tailor".
	ID    string `json:"id"`
	Title string `json:"title"`
	// Status is one of the Status* constants.
	Status string `json:"status"`
	// Current is how the container ran.
	Current        string   `json:"current"`
	Recommendation string   `json:"recommendation"`
	Evidence       []string `json:"evidence"`
}

// notRecordedConfig is Current for items that need docker inspect's answer
// when the recording does not have it.
const notRecordedConfig = "not recorded (a recording by an older tailor: record again to check this)"

// Checklist returns the checklist items for rec, in the benchmark's order
// followed by tailor's own.
func Checklist(rec *profile.Recording) []ChecklistItem {
	rec = profile.Normalized(rec)
	c := checklistInput{
		rec:     rec,
		caps:    profile.Capabilities(rec),
		user:    runflags.UserSuggestion(rec),
		limits:  runflags.ResourceLimits(rec),
		config:  runflags.ConfigRecorded(rec),
		ran:     capabilitiesRan(rec),
		seccomp: seccompMode(rec),
	}
	items := []ChecklistItem{
		c.user41(), c.apparmor51(), c.capabilities53(), c.privileged54(), c.sensitiveMounts55(),
		c.privilegedPorts57(), c.hostNetwork59(), c.memory510(), c.cpu511(), c.readOnly512(),
		c.portInterfaces513(), c.restart514(), c.hostPID515(), c.hostIPC516(), c.devices517(),
		c.ulimits518(), c.propagation519(), c.hostUTS520(), c.seccomp521(), c.noNewPrivileges525(),
		c.healthcheck526(), c.pids528(), c.userns530(), c.dockerSocket531(),
		c.learnedSeccomp(), c.recordingComplete(),
	}
	for i := range items {
		if items[i].Evidence == nil {
			items[i].Evidence = []string{}
		}
	}
	return items
}

// ChecklistCounts counts items per status.
func ChecklistCounts(items []ChecklistItem) map[string]int {
	n := map[string]int{StatusPass: 0, StatusWarn: 0, StatusFail: 0, StatusInfo: 0}
	for _, it := range items {
		n[it.Status]++
	}
	return n
}

type checklistInput struct {
	rec     *profile.Recording
	caps    profile.CapabilitySet
	user    runflags.UserAdvice
	limits  runflags.LimitsAdvice
	config  bool
	ran     ranCapabilities
	seccomp string // "default", "unconfined", "custom", "" unknown
}

func item(id, title string) ChecklistItem { return ChecklistItem{ID: "CIS " + id, Title: title} }

// notRecorded fills an item that needs docker inspect's answer when the
// recording has none: an older tailor did not ask, or the container was
// gone before Docker could be asked.
func (c checklistInput) notRecorded(it ChecklistItem, recommendation string) ChecklistItem {
	it.Status, it.Current, it.Recommendation = StatusInfo, notRecordedConfig, recommendation
	if c.rec.SettingsUnknown != "" {
		it.Current = "unknown: " + c.rec.SettingsUnknown
	}
	return it
}

// settingsKnown: Docker told the container's security settings (its
// privileged flag, seccomp and no-new-privileges), in Config or, from
// older recordings, in Learning alone.
func (c checklistInput) settingsKnown() bool {
	return c.config || c.rec.Learning.Seccomp != ""
}

func (c checklistInput) privileged() bool {
	return c.rec.Config.Privileged || c.rec.Learning.Privileged
}

// securityOpt finds one --security-opt by key ("apparmor", "seccomp",
// "no-new-privileges"), in either spelling (key=value or key:value).
func securityOpt(opts []string, key string) (string, bool) {
	for _, o := range opts {
		k, v, found := strings.Cut(o, "=")
		if !found {
			k, v, _ = strings.Cut(o, ":")
		}
		if k == key {
			return v, true
		}
	}
	return "", false
}
