package report

// The items on what the container sees of the host's files: sensitive
// mounts (5.5), a read-only root (5.12), devices (5.17), mount propagation
// (5.19) and the engine's socket (5.31).

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/internal/text"
	"github.com/tailorsec/tailor/profile/runflags"
)

// sensitiveHostDirs may not be mounted into a container at all (CIS 5.5):
// with them a container can change or read the host's system.
var sensitiveHostDirs = []string{"/", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/sys", "/usr", "/bin", "/sbin", "/root", "/var/lib/docker"}

// sensitiveHostTrees are the directories whose contents are sensitive too:
// a bind of something below them is flagged (read-only: warn).
var sensitiveHostTrees = []string{"/boot", "/dev", "/etc", "/proc", "/sys", "/root", "/var/lib/docker", "/usr", "/lib", "/lib64", "/bin", "/sbin"}

// runtimeSockets are the sockets that control a container engine: whoever
// can connect to one is root on the host.
var runtimeSockets = []string{"docker.sock", "containerd.sock", "podman.sock", "crio.sock", "dockershim.sock"}

// bindSource is a bind mount's host path ("" when not recorded or not a
// bind).
func bindSource(m profile.ContainerMount) string {
	if m.Type != "bind" || m.Source == "" {
		return ""
	}
	return path.Clean(m.Source)
}

func isRuntimeSocket(p string) bool {
	return slices.Contains(runtimeSockets, path.Base(p))
}

func (c checklistInput) sensitiveMounts55() ChecklistItem {
	it := item("5.5", "No sensitive host paths mounted")
	it.Recommendation = "mount only what the container needs, read-only where it only reads"
	var bad, ro []string
	var sourcesKnown, binds int
	for _, m := range c.rec.ContainerMounts {
		if m.Type != "bind" {
			continue
		}
		binds++
		src := bindSource(m)
		if src == "" {
			continue
		}
		sourcesKnown++
		exact := slices.Contains(sensitiveHostDirs, src) || isRuntimeSocket(src)
		below := slices.ContainsFunc(sensitiveHostTrees, func(d string) bool { return runflags.IsUnder(src, d) })
		if !exact && !below {
			continue
		}
		line := fmt.Sprintf("%s -> %s (%s)%s", text.DisplayPath(src), text.DisplayPath(m.Destination), rwWord(m.ReadOnly), c.usage(m))
		if exact || !m.ReadOnly {
			bad = append(bad, line)
		} else {
			ro = append(ro, line)
		}
	}
	it.Evidence = append(bad, ro...)
	switch {
	case len(bad) > 0:
		it.Status = StatusFail
		it.Current = text.Plural(len(bad)+len(ro), "sensitive host path") + " mounted"
	case len(ro) > 0:
		it.Status = StatusWarn
		it.Current = text.Plural(len(ro), "path") + " below sensitive host directories mounted read-only"
	case binds > sourcesKnown:
		it.Status = StatusInfo
		it.Current = text.Plural(binds-sourcesKnown, "bind mount") + " whose host paths were not recorded"
		it.Recommendation = "record again with this tailor to check them"
	case !c.config && len(c.rec.ContainerMounts) == 0:
		return c.notRecorded(it, it.Recommendation)
	default:
		it.Status = StatusPass
		it.Current = "no sensitive host path mounted"
		it.Recommendation = "keep it so"
	}
	return it
}

func rwWord(readOnly bool) string {
	if readOnly {
		return "read-only"
	}
	return "read-write"
}

// usage says whether the container used anything under a mount.
func (c checklistInput) usage(m profile.ContainerMount) string {
	if !c.rec.FilesRecorded {
		return ""
	}
	dest := strings.TrimRight(m.Destination, "/")
	var used []string
	var wrote, connected bool
	for _, f := range c.rec.Files {
		p := strings.TrimSuffix(f.Path, "/")
		if dest != "" && runflags.IsUnder(p, dest) || dest == "" {
			used = append(used, f.Path)
			wrote = wrote || slices.ContainsFunc(f.Access, profile.IsWriteAccess)
			connected = connected || slices.Contains(f.Access, profile.AccessConnect)
		}
	}
	switch {
	case len(used) == 0:
		return ": never used -> remove it"
	case connected:
		// A read-only mount does not stop connect(2) to a socket on it.
		return fmt.Sprintf(": it connected to %s", runflags.ListPaths(used))
	case !wrote && !m.ReadOnly:
		return fmt.Sprintf(": only read (%s) -> mount it read-only at least", runflags.ListPaths(used))
	}
	return fmt.Sprintf(": used (%s)", runflags.ListPaths(used))
}

func (c checklistInput) readOnly512() ChecklistItem {
	it := item("5.12", "Root filesystem read-only")
	ro := runflags.ReadOnlyRoot(c.rec)
	if ro.Suggested {
		flags := []string{"--read-only"}
		for _, d := range ro.Tmpfs {
			flags = append(flags, "--tmpfs="+d+runflags.TmpfsOptions(c.limits))
		}
		it.Recommendation = strings.Join(flags, " ") + " (in docker-run.flags)"
	} else {
		it.Recommendation = "not suggested: " + ro.Reason
	}
	it.Evidence = []string{ro.Reason}
	switch {
	case c.rec.Config.ReadonlyRootfs:
		it.Status, it.Current = StatusPass, "read-only (--read-only)"
	case !c.config:
		it.Status, it.Current = StatusInfo, notRecordedConfig
	default:
		it.Status, it.Current = StatusWarn, "writable"
	}
	return it
}

func (c checklistInput) devices517() ChecklistItem {
	it := item("5.17", "No host devices exposed")
	it.Recommendation = "expose only the devices it uses, with the permissions it needs (--device=PATH:PATH:rw)"
	switch {
	case c.privileged():
		it.Status, it.Current = StatusFail, "every host device (--privileged)"
		it.Recommendation = "run it without --privileged"
		for _, f := range c.rec.Files {
			if f.Mount == profile.MountDev || runflags.IsUnder(f.Path, "/dev") {
				it.Evidence = append(it.Evidence, "it used "+text.DisplayPath(f.Path))
			}
		}
		it.Evidence = runflags.LimitEvidence(it.Evidence)
		return it
	case !c.config:
		return c.notRecorded(it, it.Recommendation)
	case len(c.rec.Config.Devices) == 0:
		it.Status, it.Current, it.Recommendation = StatusPass, "no host device", "keep it so"
		return it
	}
	it.Status = StatusWarn
	it.Current = text.Plural(len(c.rec.Config.Devices), "host device") + ": " + runflags.ListPaths(c.rec.Config.Devices)
	for _, d := range c.rec.Config.Devices {
		if !c.rec.FilesRecorded {
			it.Evidence = append(it.Evidence, text.DisplayPath(d)+": file access not recorded")
			continue
		}
		used := slices.ContainsFunc(c.rec.Files, func(f profile.FileAccess) bool { return strings.TrimSuffix(f.Path, "/") == d })
		if used {
			it.Evidence = append(it.Evidence, text.DisplayPath(d)+": used -> keep")
		} else {
			it.Evidence = append(it.Evidence, text.DisplayPath(d)+": never used -> remove")
		}
	}
	return it
}

func (c checklistInput) propagation519() ChecklistItem {
	it := item("5.19", "No shared mount propagation")
	it.Recommendation = "mount it with the default (private) propagation"
	for _, m := range c.rec.ContainerMounts {
		if m.Propagation == "shared" || m.Propagation == "rshared" {
			src := m.Source
			if src == "" {
				src = m.Type
			}
			it.Evidence = append(it.Evidence, fmt.Sprintf("%s -> %s (%s)", text.DisplayPath(src), text.DisplayPath(m.Destination), m.Propagation))
		}
	}
	switch {
	case len(it.Evidence) > 0:
		it.Status, it.Current = StatusFail, text.Plural(len(it.Evidence), "mount")+" with shared propagation"
	case !c.config:
		// Older recordings kept mounts without their propagation.
		return c.notRecorded(it, it.Recommendation)
	default:
		it.Status, it.Current, it.Recommendation = StatusPass, "no shared mount", "keep it so"
	}
	return it
}

func (c checklistInput) dockerSocket531() ChecklistItem {
	it := item("5.31", "Docker socket not mounted")
	it.Recommendation = "do not mount it: whoever can use it is root on the host"
	for _, m := range c.rec.ContainerMounts {
		if !isRuntimeSocket(m.Source) && !isRuntimeSocket(m.Destination) {
			continue
		}
		src := m.Source
		if src == "" {
			src = "(host path not recorded)"
		}
		line := fmt.Sprintf("%s -> %s (%s)", text.DisplayPath(src), text.DisplayPath(m.Destination), rwWord(m.ReadOnly))
		if c.rec.FilesRecorded {
			dest := strings.TrimRight(m.Destination, "/")
			connected := slices.ContainsFunc(c.rec.Files, func(f profile.FileAccess) bool {
				return f.Path == dest && (slices.Contains(f.Access, profile.AccessConnect) || slices.ContainsFunc(f.Access, profile.IsWriteAccess))
			})
			if connected {
				line += ": it connected to it; give it a narrower API (a socket proxy that allows only what it needs)"
			} else {
				line += ": it never connected to it -> remove the mount"
			}
		}
		it.Evidence = append(it.Evidence, line)
	}
	switch {
	case len(it.Evidence) > 0:
		it.Status, it.Current = StatusFail, "the container engine's socket is mounted"
	case !c.config && len(c.rec.ContainerMounts) == 0:
		return c.notRecorded(it, it.Recommendation)
	default:
		it.Status, it.Current, it.Recommendation = StatusPass, "not mounted", "keep it so"
	}
	return it
}
