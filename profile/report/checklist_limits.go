package report

// The items on limits and lifecycle: memory (5.10), CPU (5.11), restart
// policy (5.14), ulimits (5.18), health check (5.26) and pids (5.28).

import (
	"fmt"
	"strings"

	"github.com/tailorsec/tailor/profile/internal/text"
	"github.com/tailorsec/tailor/profile/runflags"
)

// limitItem is a resource limit item: pass when the container ran with a
// limit, warn otherwise.
func (c checklistInput) limitItem(id, title string, current int64, format func(int64) string, a runflags.LimitAdvice) ChecklistItem {
	it := item(id, title)
	if a.Flag != "" {
		it.Recommendation = a.Flag + " (in docker-run.flags)"
	} else {
		it.Recommendation = "set a limit from what it uses under load (not observed while recording)"
	}
	it.Evidence = []string{a.Reason}
	switch {
	case current > 0:
		it.Status, it.Current = StatusPass, "limited to "+format(current)
	case !c.config:
		it.Status, it.Current = StatusInfo, notRecordedConfig
	default:
		it.Status, it.Current = StatusWarn, "no limit"
	}
	return it
}

func (c checklistInput) memory510() ChecklistItem {
	return c.limitItem("5.10", "Memory limited", c.rec.Config.MemoryBytes, text.Bytes, c.limits.Memory)
}

func (c checklistInput) pids528() ChecklistItem {
	return c.limitItem("5.28", "PIDs limited", max(c.rec.Config.PidsLimit, 0), text.Itoa64, c.limits.Pids)
}

func (c checklistInput) cpu511() ChecklistItem {
	it := item("5.11", "CPU priority set")
	it.Recommendation = "set --cpus or --cpu-shares from your capacity plan (tailor does not measure CPU use)"
	cfg := c.rec.Config
	switch {
	case cfg.NanoCPUs > 0:
		it.Status, it.Current = StatusPass, "--cpus="+strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", float64(cfg.NanoCPUs)/1e9), "0"), ".")
	case cfg.CPUShares > 0 && cfg.CPUShares != 1024:
		it.Status, it.Current = StatusPass, fmt.Sprintf("--cpu-shares=%d", cfg.CPUShares)
	case !c.config:
		return c.notRecorded(it, it.Recommendation)
	default:
		it.Status, it.Current = StatusWarn, "default CPU shares, no CPU limit"
	}
	return it
}

func (c checklistInput) restart514() ChecklistItem {
	it := item("5.14", "Restart policy on-failure, at most 5 retries")
	it.Recommendation = "--restart=on-failure:5"
	cfg := c.rec.Config
	switch p := cfg.RestartPolicy; {
	case !c.config:
		return c.notRecorded(it, it.Recommendation)
	case p == "" || p == "no":
		it.Status, it.Current, it.Recommendation = StatusPass, "no restart policy", "keep it so, or --restart=on-failure:5"
	case p == "on-failure" && cfg.RestartRetries > 0 && cfg.RestartRetries <= 5:
		it.Status, it.Current, it.Recommendation = StatusPass, fmt.Sprintf("on-failure:%d", cfg.RestartRetries), "keep it so"
	case p == "on-failure" && cfg.RestartRetries == 0:
		it.Status, it.Current = StatusWarn, "on-failure, retried without end"
	case p == "on-failure":
		it.Status, it.Current = StatusWarn, fmt.Sprintf("on-failure:%d", cfg.RestartRetries)
	default:
		it.Status, it.Current = StatusWarn, p+": a crash loop never ends"
	}
	return it
}

func (c checklistInput) ulimits518() ChecklistItem {
	it := item("5.18", "Ulimits set where needed")
	a := c.limits.Nofile
	if a.Flag != "" {
		it.Recommendation = a.Flag + " (in docker-run.flags)"
	} else {
		it.Recommendation = "keep the daemon's default ulimits unless the container needs others"
	}
	it.Evidence = []string{a.Reason}
	switch {
	case len(c.rec.Config.Ulimits) > 0:
		var set []string
		for _, u := range c.rec.Config.Ulimits {
			set = append(set, fmt.Sprintf("%s=%d:%d", u.Name, u.Soft, u.Hard))
		}
		it.Status, it.Current = StatusPass, "--ulimit "+strings.Join(set, " --ulimit ")
	case !c.config:
		it.Status, it.Current = StatusInfo, notRecordedConfig
	default:
		it.Status, it.Current = StatusInfo, "the daemon's defaults"
	}
	return it
}

func (c checklistInput) healthcheck526() ChecklistItem {
	it := item("5.26", "Health check configured")
	it.Recommendation = "add a HEALTHCHECK to the image, or --health-cmd (tailor cannot write one)"
	switch {
	case c.rec.Config.Healthcheck:
		it.Status, it.Current, it.Recommendation = StatusPass, "health check configured", "keep it so"
	case !c.config:
		return c.notRecorded(it, it.Recommendation)
	default:
		it.Status, it.Current = StatusWarn, "no health check"
	}
	return it
}
