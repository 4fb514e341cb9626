package apparmor

// File rules: what each recorded access needs in AppArmor's terms, how a
// path is written as a pattern that matches exactly it (file names are
// input, and may hold anything but NUL), and where names are generalised so
// that the next run of the same container, with other pids and other
// temporary names, still fits.

import (
	"fmt"
	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/internal/text"
	"slices"
	"strings"
)

// permSet is a set of AppArmor file permissions.
type permSet uint8

const (
	permRead permSet = 1 << iota
	permWrite
	permAppend
	permLink
	permLock
	permMmap
	permExec
)

// String spells the set in a fixed order (x without an exec mode), for
// messages.
func (p permSet) String() string {
	var b strings.Builder
	for _, l := range []struct {
		bit permSet
		c   byte
	}{{permMmap, 'm'}, {permRead, 'r'}, {permWrite, 'w'}, {permAppend, 'a'}, {permLink, 'l'}, {permLock, 'k'}, {permExec, 'x'}} {
		if p&l.bit != 0 {
			b.WriteByte(l.c)
		}
	}
	return b.String()
}

// allowPerms spells the set for an allow rule: w already includes append
// (apparmor_parser refuses both), and exec is "ix", inheriting this profile.
func (p permSet) allowPerms() string {
	if p&permWrite != 0 {
		p &^= permAppend
	}
	s := (p &^ permExec).String()
	if p&permExec != 0 {
		s += "ix"
	}
	return s
}

// parsePerms reads a permission string as the kernel applies it: w grants
// append too, and ix implies m (apparmor_parser adds it).
func parsePerms(s string) permSet {
	var p permSet
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case 'r':
			p |= permRead
		case 'w':
			p |= permWrite | permAppend
		case 'a':
			p |= permAppend
		case 'l':
			p |= permLink
		case 'k':
			p |= permLock
		case 'm':
			p |= permMmap
		case 'x':
			p |= permExec
			if i > 0 && s[i-1] == 'i' {
				p |= permMmap
			}
		}
	}
	return p
}

// neededPerms is what AppArmor must allow on a path for the recorded
// operations on it.
func neededPerms(access []string) permSet {
	var p permSet
	for _, a := range access {
		switch a {
		case profile.AccessRead:
			p |= permRead
		case profile.AccessWrite, profile.AccessCreate, profile.AccessTruncate, profile.AccessUnlink, profile.AccessMkdir, profile.AccessRmdir,
			profile.AccessSymlink, profile.AccessChmod, profile.AccessChown:
			p |= permWrite
		case profile.AccessConnect:
			// connect(2) and bind(2) to a unix socket's path are writes to it.
			p |= permWrite
		case profile.AccessOpenCreate:
			// AppArmor's create permission comes only with w (a does
			// not include it).
			p |= permWrite
		case profile.AccessRename:
			// The kernel checks read and write on a rename's source; the
			// recording does not say which side a path was.
			p |= permRead | permWrite
		case profile.AccessAppend:
			p |= permAppend
		case profile.AccessMmapExec:
			p |= permMmap
		case profile.AccessExec:
			// The kernel reads and maps what it executes.
			p |= permMmap | permRead | permExec
		case profile.AccessLink:
			p |= permLink
		case profile.AccessLock:
			p |= permLock
		}
	}
	return p
}

// aaSpecialBytes are the bytes AppArmor reads as glob, alternation or
// variable syntax; escapeAppArmor puts a backslash before each.
const aaSpecialBytes = `*?[]{}^,@$`

// escapeAppArmor returns s as an AppArmor pattern, to be written in double
// quotes, that matches exactly s: a backslash before \ " and the special
// bytes, and every control byte, DEL and non-ASCII byte as \ooo. Nothing in
// s can end the quotes, the rule or the line.
//
// A backslash that ends s is written \134 instead: apparmor_parser's lexer
// reads a quoted string as ([^"]|\")*, so in "a\\" the last \" would
// be taken for an escaped quote and the string would run on to the next
// quote in the file.
func escapeAppArmor(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i == len(s)-1:
			b.WriteString(`\134`)
		case c == '\\' || c == '"' || strings.IndexByte(aaSpecialBytes, c) >= 0:
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, `\%03o`, c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Generalisation thresholds.
const (
	// appArmorCollapseThreshold: this many files directly in one directory,
	// with the same permissions, become one rule dir/*. Fewer stay listed:
	// a handful of files says little about what else the directory holds.
	appArmorCollapseThreshold = 8
	// appArmorMinWriteGlobDepth: a glob that allows writing (w, a, l) is
	// only made in a directory this many components deep (/var/lib/x/, not
	// /var/lib/ or /etc/), or under a scratch root, so that no glob can
	// write next to the system's own top-level directories.
	appArmorMinWriteGlobDepth = 3
	// appArmorRandomDigits and appArmorRandomAlnum: a run of this many
	// digits, or of this many letters and digits mixed, in the name of a
	// file the container created, removed or renamed is taken for a random
	// or per-run part (mktemp's tmp.aB3dE9, redis's temp-1234.rdb). A
	// shorter number standing alone in such a name, one @{pid} matches, is
	// taken for a pid (redis's temp-23.rdb, written by a child whose pid in
	// the container's namespace differs from run to run): it becomes
	// @{pid}, unless it is part of a dotted number such as a version's 3.11.
	appArmorRandomDigits = 4
	appArmorRandomAlnum  = 6
)

// scratchRoots are the directories meant for a container's transient
// files. Writes there are generalised more freely, and need no volume
// under --read-only, only a tmpfs.
var scratchRoots = []string{"/tmp", "/var/tmp", "/run", "/var/run", "/dev/shm"}

// appArmorSensitivePaths must stay out of reach unless the recording shows
// the container using them; no generalised rule may cover them.
var appArmorSensitivePaths = []string{
	"/etc/shadow",
	"/etc/gshadow",
	"/root/.ssh/id_rsa",
	"/root/.ssh/authorized_keys",
	"/proc/kcore",
	"/proc/sysrq-trigger",
	"/sys/firmware/efi/efivars/x",
}

// fileRuleDraft is a rule while it is being generalised.
type fileRuleDraft struct {
	pattern string
	perms   permSet
}

// appArmorFileRules turns the recorded file accesses into sorted rules,
// with warnings for accesses no rule can express.
func appArmorFileRules(files []profile.FileAccess) ([]FileRule, []string) {
	var warnings []string
	drafts := map[string]*fileRuleDraft{}
	recorded := map[string]bool{}
	for _, f := range files {
		recorded[f.Path] = true
	}
	for _, f := range files {
		if !strings.HasPrefix(f.Path, "/") {
			// Pipes, sockets and anonymous inodes have no path; AppArmor
			// does not mediate them by name.
			warnings = append(warnings, fmt.Sprintf("%s is not an absolute path: it has no file rule", text.DisplayPath(f.Path)))
			continue
		}
		perms := neededPerms(f.Access)
		if perms == 0 {
			continue
		}
		pattern := appArmorPattern(f, recorded)
		if f.NameOnly && !strings.HasSuffix(f.Path, "/") && slices.ContainsFunc(f.Access, fileOrDirectory) {
			// AppArmor names a directory with a trailing slash; a chmod,
			// chown or rename of a bare name may have been either.
			pattern += "{,/}"
		}
		d := drafts[pattern]
		if d == nil {
			d = &fileRuleDraft{pattern: pattern}
			drafts[pattern] = d
		}
		d.perms |= perms
	}
	collapseDirectories(drafts, recorded)

	rules := make([]FileRule, 0, len(drafts))
	for _, d := range drafts {
		rules = append(rules, FileRule{Path: d.pattern, Perms: d.perms.allowPerms()})
	}
	slices.SortFunc(rules, func(a, b FileRule) int { return strings.Compare(a.Path, b.Path) })
	return rules, warnings
}

// appArmorPattern is the pattern for one recorded path: escaped, with the
// pids of /proc replaced by @{pid} and @{tid}, and with random-looking runs
// in the name of a file the container created, removed or renamed replaced
// by * where that is safe.
func appArmorPattern(f profile.FileAccess, recorded map[string]bool) string {
	comps := strings.Split(f.Path[1:], "/") // "/a/b/" -> a, b, ""
	name := len(comps) - 1
	if comps[name] == "" && name > 0 {
		name-- // a directory: its name is the component before the '/'
	}
	proc := comps[0] == "proc" && len(comps) > 1
	parts := make([]string, len(comps))
	for i, c := range comps {
		switch {
		case proc && i == 0:
			parts[i] = "@{PROC}"
		case proc && i == 1 && isAppArmorPid(c):
			parts[i] = "@{pid}"
		case proc && i == 3 && parts[1] == "@{pid}" && comps[2] == "task" && isAppArmorPid(c):
			parts[i] = "@{tid}"
		default:
			parts[i] = escapeAppArmor(c)
		}
	}
	pattern := "/" + strings.Join(parts, "/")
	if proc {
		pattern = strings.Join(parts, "/") // @{PROC} is "/proc/" already
	}
	if !slices.ContainsFunc(f.Access, createsOrRemoves) || name == 0 || parts[name] != escapeAppArmor(comps[name]) {
		return pattern // not created or removed, or in /, or a pid
	}
	random, ok := randomisedName(comps[name])
	if !ok {
		return pattern
	}
	parts[name] = random
	dir := strings.Join(parts[:name], "/") + "/"
	if !proc {
		dir = "/" + dir
	}
	if random == "*" && !writeGlobAllowed(dir) {
		return pattern
	}
	general := dir + strings.Join(parts[name:], "/")
	if coversSensitive(general, recorded) {
		return pattern
	}
	return general
}

// fileOrDirectory: operations on a name that work on files and directories
// alike.
func fileOrDirectory(a string) bool {
	return a == profile.AccessChmod || a == profile.AccessChown || a == profile.AccessRename
}

// createsOrRemoves: operations after which the name is gone or new, so it
// may differ in the next run.
func createsOrRemoves(a string) bool {
	switch a {
	case profile.AccessCreate, profile.AccessUnlink, profile.AccessRename, profile.AccessMkdir, profile.AccessRmdir, profile.AccessSymlink, profile.AccessLink:
		return true
	}
	return false
}

// isAppArmorPid reports whether s is matched by @{pid}: 1 to 7 digits
// without a leading zero, seven only from 1 to 4.
func isAppArmorPid(s string) bool {
	if s == "" || len(s) > 7 || s[0] == '0' || strings.Trim(s, "0123456789") != "" {
		return false
	}
	return len(s) < 7 || s[0] <= '4'
}

// randomisedName escapes name with each random-looking run (see
// appArmorRandomDigits) replaced by * and each pid-like number by @{pid};
// false when there is neither.
func randomisedName(name string) (string, bool) {
	var b strings.Builder
	changed := false
	for i := 0; i < len(name); {
		j := i
		alnum := isASCIIAlnum(name[i])
		for j < len(name) && isASCIIAlnum(name[j]) == alnum {
			j++
		}
		run := name[i:j]
		switch {
		case !alnum:
			b.WriteString(escapeAppArmor(run))
		case len(run) < appArmorRandomDigits && isAppArmorPid(run) && !inDottedNumber(name, i, j):
			b.WriteString("@{pid}")
			changed = true
		case len(run) >= appArmorRandomAlnum && strings.ContainsAny(run, "0123456789") &&
			strings.Trim(run, "0123456789") != "":
			b.WriteByte('*')
			changed = true
		default:
			// Runs of letters separate the runs of digits, so no two *
			// become adjacent (** would mean something else).
			for k := 0; k < len(run); {
				m := k
				digit := isDigit(run[k])
				for m < len(run) && isDigit(run[m]) == digit {
					m++
				}
				if digit && m-k >= appArmorRandomDigits {
					b.WriteByte('*')
					changed = true
				} else {
					b.WriteString(run[k:m])
				}
				k = m
			}
		}
		i = j
	}
	return b.String(), changed
}

// inDottedNumber reports whether the digits name[i:j] are one part of a
// dotted number (3.11, 1.2.3): a dot and a digit next to them on either
// side.
func inDottedNumber(name string, i, j int) bool {
	return i >= 2 && name[i-1] == '.' && isDigit(name[i-2]) ||
		j+1 < len(name) && name[j] == '.' && isDigit(name[j+1])
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isASCIIAlnum(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// writeGlobAllowed reports whether a glob allowing writes may be made in
// the directory pattern dir (ending in '/').
func writeGlobAllowed(dir string) bool {
	for _, root := range scratchRoots {
		if strings.HasPrefix(dir, root+"/") {
			return true
		}
	}
	depth := strings.Count(strings.Trim(dir, "/"), "/") + 1
	return dir != "/" && depth >= appArmorMinWriteGlobDepth
}

// coversSensitive reports whether pattern matches a sensitive path the
// recording did not show.
func coversSensitive(pattern string, recorded map[string]bool) bool {
	m, err := compileAppArmor(pattern)
	if err != nil {
		return true // never happens for our patterns; refuse to generalise
	}
	for _, s := range appArmorSensitivePaths {
		if !recorded[s] && m.match(s) {
			return true
		}
	}
	return false
}

// collapseDirectories replaces appArmorCollapseThreshold or more rules for
// files directly in one directory, with the same permissions, by dir/*.
func collapseDirectories(drafts map[string]*fileRuleDraft, recorded map[string]bool) {
	type group struct {
		dir   string
		perms permSet
	}
	groups := map[group][]string{}
	for pattern, d := range drafts {
		if strings.HasSuffix(pattern, "/") {
			continue // a directory itself
		}
		dir := pattern[:strings.LastIndexByte(pattern, '/')+1]
		groups[group{dir, d.perms}] = append(groups[group{dir, d.perms}], pattern)
	}
	for g, patterns := range groups {
		if len(patterns) < appArmorCollapseThreshold || g.dir == "/" {
			continue
		}
		if g.perms&(permWrite|permAppend|permLink) != 0 && !writeGlobAllowed(g.dir) {
			continue
		}
		general := g.dir + "*"
		if coversSensitive(general, recorded) {
			continue
		}
		merged := drafts[general]
		if merged == nil {
			merged = &fileRuleDraft{pattern: general}
		}
		for _, p := range patterns {
			merged.perms |= drafts[p].perms
			if p != general {
				delete(drafts, p)
			}
		}
		drafts[general] = merged
	}
}
