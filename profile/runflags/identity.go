package runflags

// Running as uid 0 is the one hardening item that a seccomp profile and a
// capability list cannot replace: a process that escapes as root owns every
// root-owned file it can reach. UserSuggestion decides from the recording
// whether the container needed root at all, and says why, so that --user is
// only suggested where the recording shows it is safe:
//
//   - root needed: it used a capability (Capabilities' Add), or made an
//     access only root may make (Identity.RootOnly). No --user.
//   - root only to drop: its first program ran as root and everything after
//     the drop ran as one other uid (entrypoints with gosu, setpriv, su-exec),
//     and what needed root was the drop itself (CAP_SETUID, CAP_SETGID,
//     CAP_SETPCAP) and chown-ing data to that uid. Starting as that user is
//     suggested where the image allows it, in the report only: the
//     entrypoint may refuse to run, or need its chown, without root.
//   - never needed root: --user is suggested and goes into
//     docker-run.flags, as the non-root uid it ran as or, when it ran as
//     root, as nobody (65534:65534), which owns nothing.
//
// The last answer needs capability checks and file access to have been
// recorded, and who the processes ran as; without them it is unknown.

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/internal/text"
)

// Decisions of UserSuggestion.
const (
	UserKeep              = "keep"                // already runs as a non-root user
	UserNonRoot           = "non-root"            // never needed root: --user suggested
	UserDropsInEntrypoint = "drops-in-entrypoint" // root only to switch to another user
	UserRootNeeded        = "root-needed"         // needs uid 0
	UserUnknown           = "unknown"             // the recording cannot tell
)

// NobodyUser is the user suggested for a container that ran as root but
// never needed it: nobody and nogroup, which own no file.
const NobodyUser = "65534:65534"

// UserAdvice is UserSuggestion's answer.
type UserAdvice struct {
	// Decision is one of the User* constants.
	Decision string `json:"decision"`
	// Current is who the container ran as.
	Current string `json:"current"`
	// User is the suggested UID:GID, "" when none.
	User string `json:"user,omitempty"`
	// Flag is what docker-run.flags gets (--user=UID:GID, or the non-root
	// user it was run as, kept); "" when the suggestion is for the report
	// only, or there is none.
	Flag   string `json:"flag,omitempty"`
	Reason string `json:"reason"`
	// Evidence are the observations the decision rests on.
	Evidence []string `json:"evidence"`
}

// idSwitchSyscalls are the syscalls of switching to another user and
// dropping capabilities: what CAP_SETUID, CAP_SETGID and CAP_SETPCAP are
// checked for when an entrypoint drops root.
var idSwitchSyscalls = []string{
	"capset", "prctl", "setfsgid", "setfsuid", "setgid", "setgroups", "setregid",
	"setresgid", "setresuid", "setreuid", "setuid",
}

// chownSyscalls are the syscalls of changing a file's owner.
var chownSyscalls = []string{"chown", "fchown", "fchownat", "lchown"}

// maxUserEvidence bounds each kind of evidence listed.
const maxUserEvidence = 10

// UserSuggestion decides whether the container needs to run as root, and
// which user to run it as otherwise. See the package comment above.
func UserSuggestion(rec *profile.Recording) UserAdvice {
	rec = profile.Normalized(rec)
	adv := UserAdvice{Current: currentUser(rec), Evidence: []string{}}
	execs := rec.Identity.Execs
	caps := profile.Capabilities(rec)

	if u := strings.TrimSpace(rec.Config.User); u != "" && !isRootUser(u) {
		adv.Decision = UserKeep
		adv.User = u
		adv.Flag = "--user=" + u
		adv.Reason = fmt.Sprintf("it already runs as user %s (--user or the image's USER): keep it", u)
		adv.Evidence = append(adv.Evidence, execEvidence(execs)...)
		return adv
	}
	if len(execs) > 0 && !slices.ContainsFunc(execs, func(e profile.ExecIdentity) bool { return e.UID == 0 }) {
		adv.Decision = UserKeep
		adv.Reason = fmt.Sprintf("it ran as uid %s from its first program on (the image's USER): keep it", uidList(execs))
		adv.Evidence = append(adv.Evidence, execEvidence(execs)...)
		return adv
	}

	var usedCaps []profile.CapabilityUse // granted and needed
	if rec.CapabilitiesRecorded {
		for _, c := range rec.Capabilities {
			if slices.Contains(caps.Add, profile.CanonicalCapability(c.Name)) {
				usedCaps = append(usedCaps, c)
			}
		}
	}
	rootOnly := rec.Identity.RootOnly

	if drop, ok := dropTarget(execs); ok {
		var byEntrypoint, other []string
		for _, c := range usedCaps {
			if why := entrypointCapability(c, drop); why != "" {
				byEntrypoint = append(byEntrypoint, CapabilityUseEvidence(c)+": "+why)
			} else {
				other = append(other, CapabilityUseEvidence(c))
			}
		}
		var chowned, otherAccess []profile.RootOnlyAccess
		for _, a := range rootOnly {
			if a.Access == profile.AccessChown {
				chowned = append(chowned, a)
			} else {
				otherAccess = append(otherAccess, a)
			}
		}
		dropNote := fmt.Sprintf("it starts as root and drops to uid %d:%d for %s", drop.UID, drop.GID, text.DisplayPath(drop.Path))
		if len(other) > 0 || len(otherAccess) > 0 {
			adv.Decision = UserRootNeeded
			adv.Reason = dropNote + ", but it also used root for more than the drop " +
				"(tailor cannot tell whether the entrypoint or the program did): keep root, with only the capabilities it used"
			adv.Evidence = append(adv.Evidence, LimitEvidence(other)...)
			adv.Evidence = append(adv.Evidence, LimitEvidence(rootOnlyEvidence(otherAccess))...)
			adv.Evidence = append(adv.Evidence, LimitEvidence(byEntrypoint)...)
			adv.Evidence = append(adv.Evidence, LimitEvidence(rootOnlyEvidence(chowned, "the entrypoint chown-ing its data"))...)
			adv.Evidence = append(adv.Evidence, execEvidence(execs)...)
			return adv
		}
		adv.Decision = UserDropsInEntrypoint
		adv.User = fmt.Sprintf("%d:%d", drop.UID, drop.GID)
		if !rec.CapabilitiesRecorded {
			adv.Evidence = append(adv.Evidence, "capability checks were not recorded: whether it needs root for more than the drop is not known")
		}
		if !rec.FilesRecorded {
			adv.Evidence = append(adv.Evidence, "file access was not recorded: whether it needs root for more than the drop is not known")
		}
		adv.Reason = dropNote + ", and used root only for that: start it as --user=" + adv.User +
			" where the image allows it (chown its data in the image or on the volume instead). " +
			"Not in docker-run.flags: the entrypoint may need root to start"
		adv.Evidence = append(adv.Evidence, LimitEvidence(byEntrypoint)...)
		adv.Evidence = append(adv.Evidence, LimitEvidence(rootOnlyEvidence(chowned, "the entrypoint chown-ing its data"))...)
		if later := rootAfterDrop(execs, drop); len(later) > 0 {
			adv.Evidence = append(adv.Evidence, fmt.Sprintf("also ran as root after the drop: %s "+
				"(docker exec runs as root unless the container has --user; check it works as uid %d)", ListPaths(later), drop.UID))
		}
		adv.Evidence = append(adv.Evidence, execEvidence(execs)...)
		return adv
	}

	if len(usedCaps) > 0 || len(rootOnly) > 0 {
		adv.Decision = UserRootNeeded
		adv.Reason = "it used what only root has: keep root, with only the capabilities it used"
		for _, c := range usedCaps {
			adv.Evidence = append(adv.Evidence, CapabilityUseEvidence(c))
		}
		adv.Evidence = LimitEvidence(adv.Evidence)
		adv.Evidence = append(adv.Evidence, LimitEvidence(rootOnlyEvidence(rootOnly))...)
		if switchesWithoutExec(usedCaps) && len(rootOnly) == 0 {
			adv.Evidence = append(adv.Evidence, "it switches users itself, without a new program "+
				"(as nginx's and postgres' workers do): root is needed to start it")
		}
		adv.Evidence = append(adv.Evidence, execEvidence(execs)...)
		return adv
	}

	var unknown []string
	if !rec.CapabilitiesRecorded {
		unknown = append(unknown, "the kernel could not report capability checks")
	}
	if !rec.FilesRecorded {
		unknown = append(unknown, "file access was not recorded")
	}
	if len(execs) == 0 {
		unknown = append(unknown, "who its processes ran as was not recorded (a recording by an older tailor?)")
	}
	if len(unknown) > 0 {
		adv.Decision = UserUnknown
		adv.Reason = "tailor cannot tell whether it needs root: " + strings.Join(unknown, "; ")
		return adv
	}
	if uids := distinctUIDs(execs); len(uids) > 2 || len(uids) == 2 && execs[0].UID != 0 {
		adv.Decision = UserUnknown
		adv.Reason = fmt.Sprintf("it ran as several users (uid %s) without using a capability: "+
			"tailor cannot tell which one to start it as", uidList(execs))
		adv.Evidence = append(adv.Evidence, execEvidence(execs)...)
		return adv
	}

	adv.Decision = UserNonRoot
	adv.User = NobodyUser
	for _, e := range execs {
		if e.UID != 0 {
			adv.User = fmt.Sprintf("%d:%d", e.UID, e.GID)
			break
		}
	}
	adv.Evidence = append(adv.Evidence,
		"no capability was used (every check the kernel made for it was its own probe, or none was made)",
		"no file or directory was used that only root may use")
	adv.Evidence = append(adv.Evidence, execEvidence(execs)...)
	who := "nobody (" + NobodyUser + "), who owns no file"
	if adv.User != NobodyUser {
		who = "uid " + adv.User + ", as it ran"
	}
	if rec.StartMissed {
		adv.Reason = "it never needed root while it was recorded, but its start-up was missed: " +
			"try --user=" + adv.User + " (" + who + "); not in docker-run.flags"
		return adv
	}
	adv.Flag = "--user=" + adv.User
	adv.Reason = "it never needed root: run it as " + who
	return adv
}

// isRootUser reports whether a --user value names root: "0", "root",
// "0:0", "root:somegroup".
func isRootUser(u string) bool {
	name, _, _ := strings.Cut(strings.TrimSpace(u), ":")
	return name == "0" || name == "root" || name == ""
}

// currentUser says who the container ran as, from its configuration and
// the execs.
func currentUser(rec *profile.Recording) string {
	execs := rec.Identity.Execs
	var s string
	switch u := strings.TrimSpace(rec.Config.User); {
	case u != "" && !isRootUser(u):
		s = "user " + u
	case u != "":
		s = "root (--user " + u + ")"
	case len(execs) > 0 && execs[0].UID != 0:
		s = fmt.Sprintf("uid %d:%d", execs[0].UID, execs[0].GID)
	case len(execs) > 0, ConfigRecorded(rec):
		s = "root (uid 0)"
	default:
		return "not recorded"
	}
	if drop, ok := dropTarget(execs); ok {
		s += fmt.Sprintf(", then uid %d:%d from %s on", drop.UID, drop.GID, text.DisplayPath(drop.Path))
	}
	return s
}

// ConfigRecorded reports whether the recording has the container's
// configuration (docker inspect): Docker always reports a network mode.
func ConfigRecorded(rec *profile.Recording) bool {
	c := rec.Config
	return c.NetworkMode != "" || c.User != "" || c.Privileged || c.PidMode != "" || c.IpcMode != "" ||
		c.UTSMode != "" || c.UsernsMode != "" || c.CgroupnsMode != "" || len(c.Devices) > 0 ||
		len(c.Ports) > 0 || c.ReadonlyRootfs || len(c.SecurityOpt) > 0 || c.MemoryBytes != 0 ||
		c.PidsLimit != 0 || c.CPUShares != 0 || c.NanoCPUs != 0 || len(c.Ulimits) > 0 ||
		c.RestartPolicy != "" || c.Healthcheck || c.DaemonUsernsRemap
}

// dropTarget finds the entrypoint pattern: the first program ran as root,
// and every program that did not ran as one other uid. It returns the
// first program run as that uid. Programs run as root after it do not
// break the pattern (docker exec runs as root unless the container was
// started with --user, and then as that user): rootAfterDrop lists them.
func dropTarget(execs []profile.ExecIdentity) (profile.ExecIdentity, bool) {
	if len(execs) < 2 || execs[0].UID != 0 {
		return profile.ExecIdentity{}, false
	}
	i := slices.IndexFunc(execs, func(e profile.ExecIdentity) bool { return e.UID != 0 })
	if i < 0 {
		return profile.ExecIdentity{}, false
	}
	for _, e := range execs[i:] {
		if e.UID != 0 && e.UID != execs[i].UID {
			return profile.ExecIdentity{}, false
		}
	}
	return execs[i], true
}

// rootAfterDrop are the programs run as root after the drop to uid.
func rootAfterDrop(execs []profile.ExecIdentity, drop profile.ExecIdentity) []string {
	i := slices.Index(execs, drop)
	var paths []string
	for _, e := range execs[i+1:] {
		if e.UID == 0 {
			paths = append(paths, e.Path)
		}
	}
	return paths
}

// entrypointCapability says why capability use c counts as an entrypoint's
// drop to user to ("" when it does not): switching users, or chown-ing
// files (to that user, presumably: the recording does not say to whom).
func entrypointCapability(c profile.CapabilityUse, to profile.ExecIdentity) string {
	all := func(set []string) bool {
		return len(c.Syscalls) > 0 && !slices.ContainsFunc(c.Syscalls, func(s string) bool { return !slices.Contains(set, s) })
	}
	switch profile.CanonicalCapability(c.Name) {
	case "CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP":
		if len(c.Syscalls) == 0 || all(idSwitchSyscalls) {
			return fmt.Sprintf("the entrypoint's switch to uid %d", to.UID)
		}
	case "CAP_CHOWN", "CAP_FOWNER", "CAP_FSETID":
		if all(chownSyscalls) {
			return "the entrypoint chown-ing its data (do it in the image or on the volume instead)"
		}
	}
	return ""
}

// switchesWithoutExec reports whether the capabilities used include
// switching users (a server that drops privileges in its workers).
func switchesWithoutExec(used []profile.CapabilityUse) bool {
	return slices.ContainsFunc(used, func(c profile.CapabilityUse) bool {
		n := profile.CanonicalCapability(c.Name)
		return n == "CAP_SETUID" || n == "CAP_SETGID"
	})
}

// CapabilityUseEvidence describes one capability use: "CAP_CHOWN: granted
// 12 times during fchownat".
func CapabilityUseEvidence(c profile.CapabilityUse) string {
	s := fmt.Sprintf("%s: granted %s", profile.CanonicalCapability(c.Name), text.Times(c.Granted))
	if len(c.Syscalls) > 0 {
		s += " during " + strings.Join(c.Syscalls, ", ")
	}
	return s
}

// rootOnlyEvidence describes accesses only root could make, each followed
// by note when one is given.
func rootOnlyEvidence(accesses []profile.RootOnlyAccess, note ...string) []string {
	var out []string
	for _, a := range accesses {
		s := fmt.Sprintf("%s %s: only root may (owner uid %d, mode %04o)", a.Access, text.DisplayPath(a.Path), a.Owner, a.Mode&0o7777)
		if len(note) > 0 {
			s += ": " + note[0]
		}
		out = append(out, s)
	}
	return out
}

// execEvidence lists who ran which program, merging runs of one uid.
func execEvidence(execs []profile.ExecIdentity) []string {
	var out []string
	for i := 0; i < len(execs); {
		j := i
		for j < len(execs) && execs[j].UID == execs[i].UID && execs[j].GID == execs[i].GID {
			j++
		}
		var paths []string
		for _, e := range execs[i:j] {
			paths = append(paths, e.Path)
		}
		who := fmt.Sprintf("uid %d:%d", execs[i].UID, execs[i].GID)
		if execs[i].UID == 0 {
			who = "root"
		}
		out = append(out, fmt.Sprintf("ran as %s: %s", who, ListPaths(paths)))
		i = j
	}
	return out
}

// LimitEvidence keeps the first maxUserEvidence lines and says how many
// more there were.
func LimitEvidence(lines []string) []string {
	if len(lines) <= maxUserEvidence {
		return lines
	}
	return append(slices.Clone(lines[:maxUserEvidence]), fmt.Sprintf("and %d more", len(lines)-maxUserEvidence))
}

func distinctUIDs(execs []profile.ExecIdentity) []uint32 {
	var uids []uint32
	for _, e := range execs {
		if !slices.Contains(uids, e.UID) {
			uids = append(uids, e.UID)
		}
	}
	return uids
}

// uidList spells the distinct uids in order of first use: "0, 999".
func uidList(execs []profile.ExecIdentity) string {
	var s []string
	for _, u := range distinctUIDs(execs) {
		s = append(s, strconv.FormatUint(uint64(u), 10))
	}
	return strings.Join(s, ", ")
}
