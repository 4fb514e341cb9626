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
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	moby "github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/apparmor"
	"github.com/tailorsec/tailor/profile/internal/sets"
	"github.com/tailorsec/tailor/profile/internal/text"
	"github.com/tailorsec/tailor/profile/runflags"
	"github.com/tailorsec/tailor/profile/seccomp"
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

// sensitiveHostDirs may not be mounted into a container at all (CIS 5.5):
// with them a container can change or read the host's system.
var sensitiveHostDirs = []string{"/", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/sys", "/usr", "/bin", "/sbin", "/root", "/var/lib/docker"}

// sensitiveHostTrees are the directories whose contents are sensitive too:
// a bind of something below them is flagged (read-only: warn).
var sensitiveHostTrees = []string{"/boot", "/dev", "/etc", "/proc", "/sys", "/root", "/var/lib/docker", "/usr", "/lib", "/lib64", "/bin", "/sbin"}

// runtimeSockets are the sockets that control a container engine: whoever
// can connect to one is root on the host.
var runtimeSockets = []string{"docker.sock", "containerd.sock", "podman.sock", "crio.sock", "dockershim.sock"}

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

func (c checklistInput) user41() ChecklistItem {
	it := ChecklistItem{ID: "CIS 4.1", Title: "Run as a non-root user", Current: c.user.Current,
		Recommendation: c.user.Reason, Evidence: slices.Clone(c.user.Evidence)}
	switch c.user.Decision {
	case runflags.UserKeep:
		it.Status = StatusPass
		if c.user.Flag != "" {
			it.Recommendation += " (" + c.user.Flag + ", in docker-run.flags)"
		}
	case runflags.UserNonRoot:
		it.Status = StatusFail
		if c.user.Flag != "" {
			it.Recommendation += " (" + c.user.Flag + ", in docker-run.flags)"
		}
	case runflags.UserDropsInEntrypoint, runflags.UserRootNeeded:
		it.Status = StatusWarn
	default:
		it.Status = StatusInfo
	}
	return it
}

func (c checklistInput) apparmor51() ChecklistItem {
	it := item("5.1", "AppArmor profile applied")
	name := apparmor.ProfileName(c.rec)
	it.Recommendation = fmt.Sprintf("load apparmor.profile (apparmor_parser -r -W apparmor.profile) and run with "+
		"--security-opt=apparmor=%s (in docker-run.flags)", name)
	if c.rec.FilesRecorded {
		it.Evidence = append(it.Evidence, fmt.Sprintf("%s allows the %d paths the container used and the "+
			"socket families, signals and mounts it used, and denies what docker-default denies", name, len(c.rec.Files)))
	} else {
		it.Evidence = append(it.Evidence, fmt.Sprintf("file access was not recorded: %s allows all files, "+
			"with docker-default's deny rules", name))
	}
	opt, set := securityOpt(c.rec.Config.SecurityOpt, "apparmor")
	switch {
	case c.privileged():
		it.Status, it.Current = StatusFail, "unconfined (--privileged turns AppArmor off)"
	case set && opt == "unconfined":
		it.Status, it.Current = StatusFail, "unconfined (--security-opt=apparmor=unconfined)"
	case set:
		it.Status, it.Current = StatusPass, "profile "+opt
	case !c.config:
		return c.notRecorded(it, it.Recommendation)
	default:
		it.Status, it.Current = StatusPass, "docker-default (Docker's profile, on hosts that run AppArmor)"
	}
	return it
}

// ranCapabilities is the capability set the container ran with.
type ranCapabilities struct {
	set     []string
	how     string
	added   []string // added beyond Docker's defaults
	byPriv  bool
	unknown bool // --cap-add=ALL and the like: the whole set
}

func capabilitiesRan(rec *profile.Recording) ranCapabilities {
	all := everyCapability()
	if rec.Config.Privileged || rec.Learning.Privileged {
		return ranCapabilities{set: all, how: fmt.Sprintf("--privileged: all %d capabilities", len(all)), byPriv: true}
	}
	defaults := profile.DockerDefaultCapabilities()
	set := slices.Clone(defaults)
	var parts []string
	for _, d := range rec.Learning.CapDrop {
		if strings.EqualFold(strings.TrimSpace(d), "ALL") {
			set = nil
		} else {
			set = slices.DeleteFunc(set, func(s string) bool { return s == profile.CanonicalCapability(d) })
		}
		parts = append(parts, "--cap-drop="+strings.TrimPrefix(profile.CanonicalCapability(d), "CAP_"))
	}
	var added []string
	for _, a := range rec.Learning.CapAdd {
		if strings.EqualFold(strings.TrimSpace(a), "ALL") {
			set = all
			added = append(added, all...)
		} else {
			set = append(set, profile.CanonicalCapability(a))
			added = append(added, profile.CanonicalCapability(a))
		}
		parts = append(parts, "--cap-add="+strings.TrimPrefix(profile.CanonicalCapability(a), "CAP_"))
	}
	set = sets.Sorted(set)
	added = slices.DeleteFunc(sets.Sorted(added), func(s string) bool { return slices.Contains(defaults, s) })
	how := fmt.Sprintf("Docker's default %d capabilities", len(defaults))
	if len(parts) > 0 {
		how = fmt.Sprintf("%s: %d capabilities", strings.Join(parts, " "), len(set))
	}
	return ranCapabilities{set: set, how: how, added: added}
}

// everyCapability lists every capability the kernel headers know, sorted.
func everyCapability() []string {
	var all []string
	for n := 0; n < 64; n++ {
		if name, ok := profile.CapabilityName(n); ok {
			all = append(all, name)
		}
	}
	return sets.Sorted(all)
}

func (c checklistInput) capabilities53() ChecklistItem {
	it := item("5.3", "Capabilities restricted to what is needed")
	it.Current = c.ran.how
	it.Recommendation = "--cap-drop=ALL"
	if len(c.caps.Add) > 0 {
		var names []string
		for _, a := range c.caps.Add {
			names = append(names, strings.TrimPrefix(a, "CAP_"))
		}
		it.Recommendation += " --cap-add=" + strings.Join(names, ",")
	}
	it.Recommendation += " (in docker-run.flags)"
	if !c.rec.CapabilitiesRecorded {
		it.Status = StatusInfo
		it.Recommendation = "record again on a kernel where tailor can hook cap_capable (its tracepoint, Linux 6.14+, " +
			"or fexit or kprobes where lockdown allows them): without capability checks capabilities.json keeps Docker's defaults"
		it.Evidence = []string{"the kernel could not report capability checks"}
		return it
	}
	checked := map[string]profile.CapabilityUse{}
	for _, u := range c.rec.Capabilities {
		checked[profile.CanonicalCapability(u.Name)] = u
	}
	names := sets.Sorted(append(slices.Clone(c.ran.set), sets.SortedKeys(checked)...))
	defaults := profile.DockerDefaultCapabilities()
	var unused, privilegedOnly []string
	for _, name := range names {
		u, wasChecked := checked[name]
		inRan := slices.Contains(c.ran.set, name)
		how := "granted by default"
		switch {
		case c.ran.byPriv:
			how = "granted by --privileged"
		case slices.Contains(c.ran.added, name):
			how = "added with --cap-add"
		}
		switch {
		case wasChecked && profile.IsKernelProbe(u):
			it.Evidence = append(it.Evidence, fmt.Sprintf("%s: checked %s by the kernel itself during %s "+
				"(overcommit accounting), not by the program -> ignore", name, text.Times(u.Granted+u.Denied), strings.Join(u.Syscalls, ", ")))
			if inRan {
				unused = append(unused, name)
			}
		case slices.Contains(c.caps.Add, name):
			it.Evidence = append(it.Evidence, runflags.CapabilityUseEvidence(u)+" -> keep")
		case wasChecked && u.Denied > 0:
			s := fmt.Sprintf("%s: denied %s", name, text.Times(u.Denied))
			if len(u.Syscalls) > 0 {
				s += " during " + strings.Join(u.Syscalls, ", ")
			}
			it.Evidence = append(it.Evidence, s+" -> not added (it ran without it)")
		case !inRan:
			continue
		case wasChecked:
			unused = append(unused, name)
			it.Evidence = append(it.Evidence, fmt.Sprintf("%s: %s, checked but never needed -> drop", name, how))
		case c.ran.byPriv && !slices.Contains(defaults, name):
			unused = append(unused, name)
			privilegedOnly = append(privilegedOnly, name)
		default:
			unused = append(unused, name)
			it.Evidence = append(it.Evidence, fmt.Sprintf("%s: %s, never checked -> drop", name, how))
		}
	}
	if len(privilegedOnly) > 0 {
		it.Evidence = append(it.Evidence, fmt.Sprintf("%d more capabilities granted by --privileged, never checked -> drop: %s",
			len(privilegedOnly), strings.Join(privilegedOnly, ", ")))
	}
	switch {
	case slices.ContainsFunc(unused, func(n string) bool { return !slices.Contains(defaults, n) }):
		it.Status = StatusFail
	case len(unused) > 0:
		it.Status = StatusWarn
	default:
		it.Status = StatusPass
	}
	if len(unused) > 0 {
		it.Current += fmt.Sprintf(", %d of them never needed", len(unused))
	}
	return it
}

func (c checklistInput) privileged54() ChecklistItem {
	it := item("5.4", "No privileged container")
	if !c.privileged() && !c.settingsKnown() {
		return c.notRecorded(it, "run it without --privileged, with docker-run.flags")
	}
	if !c.privileged() {
		it.Status, it.Current, it.Recommendation = StatusPass, "not privileged", "keep it so"
		return it
	}
	it.Status, it.Current = StatusFail, "--privileged: every capability and device, no seccomp, no AppArmor"
	needs := "no capability"
	if len(c.caps.Add) > 0 {
		needs = strings.Join(c.caps.Add, ", ")
	}
	it.Recommendation = "run it without --privileged, with docker-run.flags: it needs " + needs
	if !c.rec.CapabilitiesRecorded {
		it.Recommendation = "run it without --privileged (capability checks were not recorded: which capabilities it needs is not known)"
	}
	for _, u := range c.rec.Capabilities {
		if slices.Contains(c.caps.Add, profile.CanonicalCapability(u.Name)) {
			it.Evidence = append(it.Evidence, runflags.CapabilityUseEvidence(u))
		}
	}
	if len(c.rec.Mounts) > 0 {
		it.Evidence = append(it.Evidence, fmt.Sprintf("it made %d mounts itself", len(c.rec.Mounts)))
	}
	return it
}

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

// hostPort is the first host port of a binding (0: none or random).
func hostPort(p profile.PortBinding) int {
	s, _, _ := strings.Cut(p.HostPort, "-")
	n, _ := strconv.Atoi(s)
	return n
}

func portLine(p profile.PortBinding) string {
	ip := p.HostIP
	if ip == "" {
		ip = "0.0.0.0"
	}
	hp := p.HostPort
	if hp == "" {
		hp = "(random)"
	}
	if strings.Contains(ip, ":") {
		ip = "[" + ip + "]"
	}
	return fmt.Sprintf("%s:%s -> %s", ip, hp, p.ContainerPort)
}

func (c checklistInput) privilegedPorts57() ChecklistItem {
	it := item("5.7", "No privileged host ports mapped")
	it.Recommendation = "publish on host ports 1024 and above"
	if !c.config {
		return c.notRecorded(it, it.Recommendation)
	}
	for _, p := range c.rec.Config.Ports {
		if n := hostPort(p); n > 0 && n < 1024 {
			it.Evidence = append(it.Evidence, portLine(p))
		}
	}
	switch {
	case len(it.Evidence) > 0:
		it.Status = StatusWarn
		it.Current = text.Plural(len(it.Evidence), "port") + " published on host ports below 1024"
	case len(c.rec.Config.Ports) == 0:
		it.Status, it.Current, it.Recommendation = StatusPass, "no port published", "keep it so"
	default:
		it.Status, it.Current, it.Recommendation = StatusPass, "only host ports 1024 and above", "keep it so"
	}
	return it
}

// hostNamespace is a namespace item: fail when the mode is "host".
func (c checklistInput) hostNamespace(id, title, mode, flag, what string, evidence []string) ChecklistItem {
	it := item(id, title)
	switch {
	case mode == "host":
		it.Status, it.Current = StatusFail, flag+"=host: "+what
		it.Recommendation = "run it without " + flag + "=host"
		it.Evidence = evidence
	case !c.config:
		return c.notRecorded(it, "do not share it")
	default:
		it.Status, it.Current, it.Recommendation = StatusPass, "its own", "keep it so"
		if mode != "" {
			it.Current = "its own (" + mode + ")"
			if strings.HasPrefix(mode, "container:") {
				it.Current = "shared with " + mode
			}
		}
	}
	return it
}

func (c checklistInput) hostNetwork59() ChecklistItem {
	var ev []string
	var fams []string
	for _, s := range c.rec.Sockets {
		fams = append(fams, s.Family)
	}
	if fams = sets.Sorted(fams); len(fams) > 0 {
		ev = append(ev, "socket families it used: "+strings.Join(fams, ", "))
	}
	if len(c.rec.Sockets) > 0 && !slices.Contains(fams, "inet") && !slices.Contains(fams, "inet6") && !slices.Contains(fams, "netlink") {
		ev = append(ev, "it made no network socket: --network=none may do")
	}
	it := c.hostNamespace("5.9", "Host network namespace not shared", c.rec.Config.NetworkMode, "--network",
		"it sees and can bind every host interface", ev)
	if it.Status == StatusFail {
		it.Recommendation += "; publish the ports it serves with -p HOSTIP:PORT:PORT"
	}
	return it
}

func (c checklistInput) hostPID515() ChecklistItem {
	var ev []string
	if len(c.rec.SignalsSent) > 0 {
		ev = append(ev, "signals it sent: "+strings.Join(c.rec.SignalsSent, ", "))
	}
	if len(c.rec.Ptrace) > 0 {
		ev = append(ev, "ptrace requests it made: "+strings.Join(c.rec.Ptrace, ", "))
	}
	return c.hostNamespace("5.15", "Host PID namespace not shared", c.rec.Config.PidMode, "--pid",
		"it sees, and may signal, every host process", ev)
}

func (c checklistInput) hostIPC516() ChecklistItem {
	return c.hostNamespace("5.16", "Host IPC namespace not shared", c.rec.Config.IpcMode, "--ipc",
		"it shares the host's shared memory and semaphores", nil)
}

func (c checklistInput) hostUTS520() ChecklistItem {
	return c.hostNamespace("5.20", "Host UTS namespace not shared", c.rec.Config.UTSMode, "--uts",
		"it may change the host's hostname", nil)
}

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

func (c checklistInput) readOnly512() ChecklistItem {
	it := item("5.12", "Root filesystem read-only")
	ro := runflags.ReadOnlyRoot(c.rec)
	if ro.Suggested {
		flags := []string{"--read-only"}
		for _, d := range ro.Tmpfs {
			flags = append(flags, "--tmpfs="+d)
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

func (c checklistInput) portInterfaces513() ChecklistItem {
	it := item("5.13", "Published ports bound to one host interface")
	it.Recommendation = "publish on the address that should reach it: -p 127.0.0.1:PORT:PORT, or an internal interface"
	if !c.config {
		return c.notRecorded(it, it.Recommendation)
	}
	for _, p := range c.rec.Config.Ports {
		if p.HostIP == "" || p.HostIP == "0.0.0.0" || p.HostIP == "::" {
			it.Evidence = append(it.Evidence, portLine(p))
		}
	}
	switch {
	case len(it.Evidence) > 0:
		it.Status = StatusWarn
		it.Current = text.Plural(len(it.Evidence), "port") + " published on every host interface"
	case len(c.rec.Config.Ports) == 0:
		it.Status, it.Current, it.Recommendation = StatusPass, "no port published", "keep it so"
	default:
		it.Status, it.Current, it.Recommendation = StatusPass, "every published port bound to one address", "keep it so"
		for _, p := range c.rec.Config.Ports {
			it.Evidence = append(it.Evidence, portLine(p))
		}
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

// seccompMode is how seccomp confined the container: from Learning, or
// from its security options.
func seccompMode(rec *profile.Recording) string {
	if rec.Config.Privileged || rec.Learning.Privileged {
		return "unconfined"
	}
	if rec.Learning.Seccomp != "" {
		return rec.Learning.Seccomp
	}
	if v, ok := securityOpt(rec.Config.SecurityOpt, "seccomp"); ok {
		if v == "unconfined" {
			return "unconfined"
		}
		return "custom"
	}
	return ""
}

func (c checklistInput) seccomp521() ChecklistItem {
	it := item("5.21", "Seccomp not disabled")
	it.Recommendation = "--security-opt=seccomp=seccomp.json, tailor's profile (in docker-run.flags)"
	switch c.seccomp {
	case "unconfined":
		it.Status = StatusFail
		it.Current = "unconfined: every syscall allowed"
		if c.privileged() {
			it.Current += " (--privileged)"
		}
	case "default":
		it.Status, it.Current = StatusPass, "Docker's default profile"
	case "custom":
		it.Status, it.Current = StatusPass, "a custom profile"
	default:
		return c.notRecorded(it, it.Recommendation)
	}
	return it
}

func (c checklistInput) noNewPrivileges525() ChecklistItem {
	it := item("5.25", "No new privileges")
	nnp := runflags.SuggestNoNewPrivileges(c.rec)
	if nnp.Suggested {
		it.Recommendation = "--security-opt=no-new-privileges (in docker-run.flags)"
	} else {
		it.Recommendation = "not suggested: " + nnp.Reason
	}
	it.Evidence = []string{nnp.Reason}
	v, set := securityOpt(c.rec.Config.SecurityOpt, "no-new-privileges")
	switch {
	case c.rec.Learning.NoNewPrivileges || set && (v == "" || v == "true"):
		it.Status, it.Current = StatusPass, "no-new-privileges"
	case !c.settingsKnown():
		return c.notRecorded(it, it.Recommendation)
	case !nnp.Suggested:
		it.Status, it.Current = StatusInfo, "setuid and file capabilities allowed"
	default:
		it.Status, it.Current = StatusWarn, "setuid and file capabilities allowed"
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

func (c checklistInput) userns530() ChecklistItem {
	it := item("5.30", "User namespace not shared with the host")
	cfg := c.rec.Config
	switch {
	case !c.config:
		return c.notRecorded(it, "run dockerd with --userns-remap, and do not opt out with --userns=host")
	case cfg.DaemonUsernsRemap && cfg.UsernsMode == "host":
		it.Status, it.Current = StatusFail, "--userns=host: root in the container is root on the host"
		it.Recommendation = "run it without --userns=host"
	case cfg.DaemonUsernsRemap:
		it.Status, it.Current, it.Recommendation = StatusPass, "remapped (dockerd --userns-remap)", "keep it so"
	case c.user.Decision == runflags.UserKeep:
		it.Status, it.Current = StatusPass, "the host's (no --userns-remap), as a non-root user"
		it.Recommendation = "keep the non-root user; dockerd --userns-remap would add a second line of defence"
	default:
		it.Status, it.Current = StatusInfo, "the host's (no --userns-remap): uid 0 in the container is uid 0 on the host"
		it.Recommendation = "run dockerd with --userns-remap, or the container as a non-root user (CIS 4.1)"
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

// dockerDefaultAllowed counts the syscalls Docker's default profile allows
// a container without added capabilities.
func dockerDefaultAllowed() int {
	var names []string
	for _, rule := range moby.DefaultProfile().Syscalls {
		if rule.Action != specs.ActAllow || rule.Includes != nil && len(rule.Includes.Caps) > 0 {
			continue
		}
		names = append(names, rule.Names...)
		if rule.Name != "" {
			names = append(names, rule.Name)
		}
	}
	return len(sets.Sorted(names))
}

func (c checklistInput) learnedSeccomp() ChecklistItem {
	it := ChecklistItem{ID: ChecklistTailor, Title: "Seccomp profile learned from the container"}
	names := seccomp.RecordedNames(c.rec)
	it.Recommendation = "apply it: --security-opt=seccomp=seccomp.json (in docker-run.flags)"
	switch c.seccomp {
	case "custom":
		it.Current = "a custom profile"
	case "default":
		it.Current = "Docker's default profile"
	case "unconfined":
		it.Current = "unconfined"
	default:
		it.Current = "not recorded"
	}
	it.Evidence = append(it.Evidence, fmt.Sprintf("seccomp.json allows the %d syscalls the container made; "+
		"Docker's default profile allows %d", len(names), dockerDefaultAllowed()))
	if n := len(c.rec.SyscallArgs); n > 0 {
		it.Evidence = append(it.Evidence, fmt.Sprintf("argument values were learned for %d syscall arguments "+
			"(clone flags, socket families, ...): see report.json", n))
	}
	switch c.rec.ArmedBy {
	case profile.ArmedByFilter:
		it.Evidence = append(it.Evidence, "recorded from the moment the runtime loaded the container's seccomp filter")
	case profile.ArmedByExec:
		it.Evidence = append(it.Evidence, "recorded from the entrypoint's exec, with the runtime's last steps before it")
	case profile.ArmedLate:
		it.Evidence = append(it.Evidence, "recorded from when tailor attached: the container was already running")
	}
	switch {
	case len(names) == 0:
		it.Status = StatusWarn
		it.Recommendation = "record it again: no syscall was recorded"
	case c.rec.EventsLost > 0 || c.rec.StartMissed || c.rec.UnknownSyscalls > 0:
		it.Status = StatusWarn
		it.Recommendation += "; the recording is incomplete (see below): record it again before relying on it"
	case c.seccomp != "custom":
		it.Status = StatusWarn
	default:
		it.Status = StatusPass
	}
	return it
}

func (c checklistInput) recordingComplete() ChecklistItem {
	it := ChecklistItem{ID: ChecklistTailor, Title: "Recording complete"}
	r := c.rec
	it.Current = "recorded"
	if !r.Start.IsZero() && !r.Stop.IsZero() && r.Stop.After(r.Start) {
		it.Current = "recorded for " + text.Duration(r.Stop.Sub(r.Start))
	}
	if r.Container.ExitCode != nil {
		it.Current += fmt.Sprintf(", exit code %d", *r.Container.ExitCode)
	}
	if r.Partial {
		it.Current += ", still running at the end"
	}
	it.Evidence = reportWarnings(r)
	incomplete := r.EventsLost > 0 || r.StartMissed || r.Partial || !r.CapabilitiesRecorded || !r.FilesRecorded
	switch {
	case incomplete:
		it.Status = StatusWarn
		it.Recommendation = "record it again, running everything it does in production, before relying on the profile"
	case len(it.Evidence) > 0:
		it.Status = StatusInfo
		it.Recommendation = "review the warnings"
	default:
		it.Status = StatusPass
		it.Recommendation = "make sure the recorded run exercised everything the container does in production: " +
			"what did not run is not allowed"
	}
	return it
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
