package apparmor

// The AppArmor profile allows what the container was seen to do: the files
// it used (generalised where names vary from run to run), the sockets it
// created, the capabilities it was granted, the signals and ptrace requests
// it made, its mounts. It does not include <abstractions/base>: that would
// allow much the recording never showed. Instead a short baseline, every
// entry justified, covers what any process may need at a moment a learning
// run can miss. Docker's own deny rules come on top, so the profile is never
// weaker than docker-default where it matters.

import (
	"cmp"
	"fmt"
	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/internal/sets"
	"github.com/tailorsec/tailor/profile/internal/text"
	"slices"
	"strings"
	"time"
)

// Profile is the profile as data; Render writes it out.
type Profile struct {
	Name      string    // tailor-NAME
	Container string    // the container's name, for the header
	Image     string    // its image, for the header
	Recorded  time.Time // when the recording began

	// FilesRecorded false: the profile has `file,` (all file access), as
	// docker-default does, and Baseline and Files are empty.
	FilesRecorded bool
	Baseline      []FileRule
	Files         []FileRule
	// SharedMemory are the permissions on "/" that the container's shared
	// mappings of memory with no path need (Recording.SharedMemory): the
	// kernel names their pseudo file "/", and AppArmor mediates the mmap
	// on that name (r for PROT_READ, w for PROT_WRITE, m for PROT_EXEC).
	SharedMemory string

	// AllNetwork: a socket of a family or type AppArmor cannot name was
	// recorded, so `network,` allows all.
	AllNetwork bool
	Network    []profile.SocketUse

	// AllCapabilities: capability checks were not recorded, so
	// `capability,` allows all (the container's bounding set still limits).
	AllCapabilities bool
	Capabilities    []string // AppArmor spelling: chown, net_bind_service, ...

	// SignalsSent restricts the signals sent between the container's own
	// processes. With none recorded, or AllSignals (a signal AppArmor
	// cannot name was recorded), they may send each other any: signals
	// inside one container are not worth breaking it for.
	SignalsSent []string
	AllSignals  bool
	// Trace: the container traced its own processes (ptrace attach).
	Trace bool

	Mounts []MountRule

	// Deny rules are written as they are (unquoted, docker-default's
	// spelling). DenyMount is docker-default's `deny mount,`.
	Deny      []FileRule
	DenyMount bool

	// Warnings say where the profile is weaker than it could be, or which
	// deny rules it had to leave out; they go into the header and the report.
	Warnings []string
}

// FileRule is one file rule.
type FileRule struct {
	// Path is an AppArmor glob, already escaped (see escapeAppArmor), to be
	// written between double quotes.
	Path  string
	Perms string
	// Comment says why the rule is there (baseline and deny rules).
	Comment string
}

// MountRule allows one recorded mount: the mount onto Target (an
// escaped pattern) and its umount.
type MountRule struct {
	FSType string // "" allows any
	Target string
}

// ProfileName is the profile's name: "tailor-" and the recording's
// ProfileName, else the container's name, with every byte outside
// [A-Za-z0-9._-] replaced by '_', or its short id when it has no name.
func ProfileName(rec *profile.Recording) string {
	name := rec.ProfileName
	if name == "" {
		name = strings.TrimPrefix(rec.Container.Name, "/") // Docker's API spells names "/web"
	}
	if name == "" {
		name = text.ShortID(rec.Container.ID)
	}
	if name == "" {
		name = "unnamed"
	}
	b := []byte(name)
	for i, c := range b {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	return "tailor-" + string(b)
}

// New builds the AppArmor profile for rec.
func New(rec *profile.Recording) *Profile {
	rec = profile.Normalized(rec)
	p := &Profile{
		Name:          ProfileName(rec),
		Container:     rec.Container.Name,
		Image:         rec.Container.Image,
		Recorded:      rec.Start,
		FilesRecorded: rec.FilesRecorded,
	}
	if rec.FilesRecorded {
		p.Baseline = slices.Clone(appArmorBaseline)
		p.Files, p.Warnings = appArmorFileRules(rec.Files)
		p.SharedMemory = sharedMemoryPerms(rec.SharedMemory)
		// A recorded rule the baseline already grants says nothing new.
		p.Files = slices.DeleteFunc(p.Files, func(r FileRule) bool {
			return slices.ContainsFunc(appArmorBaseline, func(b FileRule) bool {
				return b.Path == r.Path && parsePerms(r.Perms)&^parsePerms(b.Perms) == 0
			})
		})
	}

	for _, s := range rec.Sockets {
		if !slices.Contains(aaNetworkFamilies, s.Family) || (s.Type != "" && !slices.Contains(aaSocketTypes, s.Type)) {
			p.AllNetwork = true
			p.Warnings = append(p.Warnings, fmt.Sprintf("AppArmor cannot name sockets of family %q and type %q: the profile allows all networking", s.Family, s.Type))
			continue
		}
		p.Network = append(p.Network, s)
	}
	if p.AllNetwork {
		p.Network = nil
	}

	caps := profile.Capabilities(rec)
	p.AllCapabilities = !rec.CapabilitiesRecorded
	if !p.AllCapabilities {
		for _, c := range caps.Add {
			name := strings.ToLower(strings.TrimPrefix(profile.CanonicalCapability(c), "CAP_"))
			if strings.Trim(name, "abcdefghijklmnopqrstuvwxyz_") != "" {
				p.AllCapabilities = true
				p.Warnings = append(p.Warnings, fmt.Sprintf("AppArmor cannot name capability %q: the profile allows all capabilities", c))
				continue
			}
			p.Capabilities = append(p.Capabilities, name)
		}
		if p.AllCapabilities {
			p.Capabilities = nil
		}
	}

	for _, s := range rec.SignalsSent {
		if !isAppArmorSignal(s) {
			p.AllSignals = true
			p.Warnings = append(p.Warnings, fmt.Sprintf("AppArmor cannot name signal %q: the container's processes may send each other any signal", s))
			continue
		}
		p.SignalsSent = append(p.SignalsSent, s)
	}
	if p.AllSignals {
		p.SignalsSent = nil
	}
	p.Trace = slices.Contains(rec.Ptrace, "trace")

	for _, m := range rec.Mounts {
		fstype := m.FSType
		if strings.Trim(fstype, "abcdefghijklmnopqrstuvwxyz0123456789_.-") != "" {
			p.Warnings = append(p.Warnings, fmt.Sprintf("mount of file system type %q onto %s: AppArmor cannot name the type, the rule allows any", fstype, text.DisplayPath(m.Target)))
			fstype = ""
		}
		if !strings.HasPrefix(m.Target, "/") {
			p.Warnings = append(p.Warnings, fmt.Sprintf("mount onto %s: not an absolute path, no rule allows it", text.DisplayPath(m.Target)))
			continue
		}
		// The kernel names a directory mount point with a trailing '/'.
		target := escapeAppArmor(strings.TrimRight(m.Target, "/")) + "{,/}"
		if strings.Trim(m.Target, "/") == "" {
			target = "/"
		}
		p.Mounts = append(p.Mounts, MountRule{FSType: fstype, Target: target})
	}
	slices.SortFunc(p.Mounts, func(a, b MountRule) int {
		return cmp.Or(strings.Compare(a.Target, b.Target), strings.Compare(a.FSType, b.FSType))
	})
	p.Mounts = slices.Compact(p.Mounts)

	p.Deny, p.DenyMount = appArmorDenyRules(rec, p)
	p.Warnings = sets.Sorted(p.Warnings)
	return p
}

// appArmorDenyRules returns docker-default's deny rules and tailor's own,
// without those that would deny something the recording shows the
// container doing: AppArmor's deny always wins, so keeping them would break
// the container. Each one left out adds a warning to p.
func appArmorDenyRules(rec *profile.Recording, p *Profile) ([]FileRule, bool) {
	var kept []FileRule
	for _, d := range append(slices.Clone(dockerDefaultDenies), tailorDenies...) {
		denied := parsePerms(d.Perms)
		m, err := compileAppArmor(d.Path)
		if err != nil {
			panic(fmt.Sprintf("deny rule %s: %v", d.Path, err)) // a constant of ours
		}
		var needed []string
		for _, f := range rec.Files {
			if hit := neededPerms(f.Access) & denied; hit != 0 && m.match(f.Path) {
				needed = append(needed, fmt.Sprintf("%s on %s", hit, text.DisplayPath(f.Path)))
			}
		}
		if len(needed) > 0 {
			p.Warnings = append(p.Warnings, fmt.Sprintf("deny rule `deny %s %s,` left out: the recording needs %s",
				d.Path, d.Perms, strings.Join(firstN(needed, 3), ", ")))
			continue
		}
		kept = append(kept, d)
	}
	denyMount := len(rec.Mounts) == 0
	return kept, denyMount
}

// sharedMemoryPerms are the permissions on "/" for the recorded shared
// mappings with no path.
func sharedMemoryPerms(prot []string) string {
	var p permSet
	for _, s := range prot {
		switch s {
		case "read":
			p |= permRead
		case "write":
			p |= permWrite
		case "exec":
			p |= permMmap
		}
	}
	return p.allowPerms()
}

// firstN returns the first n of s, noting how many more there were.
func firstN(s []string, n int) []string {
	if len(s) <= n {
		return s
	}
	return append(slices.Clone(s[:n]), fmt.Sprintf("and %d more", len(s)-n))
}

// aaNetworkFamilies and aaSocketTypes are the names apparmor_parser 3
// accepts in network rules.
var aaNetworkFamilies = []string{
	"alg", "appletalk", "ash", "atmpvc", "atmsvc", "ax25", "bluetooth", "bridge",
	"caif", "can", "econet", "ib", "ieee802154", "inet", "inet6", "ipx", "irda",
	"isdn", "iucv", "kcm", "key", "llc", "mctp", "mpls", "netbeui", "netlink",
	"netrom", "nfc", "packet", "phonet", "pppox", "qipcrtr", "rds", "rose",
	"rxrpc", "security", "smc", "sna", "tipc", "unix", "vsock", "wanpipe", "x25", "xdp",
}

var aaSocketTypes = []string{"dgram", "packet", "raw", "rdm", "seqpacket", "stream"}

// aaSignals are the signal names of AppArmor 3's signal rules, besides
// rtmin+0 ... rtmin+32.
var aaSignals = []string{
	"abrt", "alrm", "bus", "chld", "cont", "emt", "exists", "fpe", "hup", "ill",
	"int", "io", "kill", "pipe", "prof", "pwr", "quit", "segv", "stkflt", "stop",
	"stp", "sys", "term", "trap", "ttin", "ttou", "urg", "usr1", "usr2", "vtalrm",
	"winch", "xcpu", "xfsz",
}

func isAppArmorSignal(s string) bool {
	if slices.Contains(aaSignals, s) {
		return true
	}
	n, ok := strings.CutPrefix(s, "rtmin+")
	if !ok || n == "" || len(n) > 2 || strings.Trim(n, "0123456789") != "" {
		return false
	}
	v := 0
	for _, c := range n {
		v = v*10 + int(c-'0')
	}
	return v <= 32
}
