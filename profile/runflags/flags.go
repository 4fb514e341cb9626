package runflags

// docker-run.flags is the profile in the form people use it: flags to paste
// into docker run (or splice into a script with $(cat docker-run.flags)).
// Capabilities start from nothing (--cap-drop=ALL) and add back what was
// used, so the result does not depend on the daemon's defaults.

import (
	"fmt"
	"strings"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/apparmor"
	"github.com/tailorsec/tailor/profile/internal/sets"
)

// New returns the docker run flags that apply the profile:
// --cap-drop=ALL, one --cap-add per needed capability, the seccomp profile
// at seccompPath (which should be absolute: docker resolves it against the
// client's working directory), the AppArmor profile by name (it must be
// loaded on the host, see report.json) and, when suggested, --user (see
// UserSuggestion), no-new-privileges, --read-only with its --tmpfs mounts,
// and the resource limits of ResourceLimits.
func New(rec *profile.Recording, caps profile.CapabilitySet, seccompPath string) []string {
	flags := []string{"--cap-drop=ALL"}
	for _, c := range sets.Sorted(caps.Add) {
		// Docker documents capabilities without the CAP_ prefix.
		flags = append(flags, "--cap-add="+strings.TrimPrefix(profile.CanonicalCapability(c), "CAP_"))
	}
	if u := UserSuggestion(rec); u.Flag != "" {
		flags = append(flags, u.Flag)
	}
	flags = append(flags, "--security-opt=seccomp="+seccompPath)
	flags = append(flags, "--security-opt=apparmor="+apparmor.ProfileName(rec))
	if SuggestNoNewPrivileges(profile.Normalized(rec)).Suggested {
		flags = append(flags, "--security-opt=no-new-privileges")
	}
	limits := ResourceLimits(rec)
	if ro := ReadOnlyRoot(rec); ro.Suggested {
		flags = append(flags, "--read-only")
		for _, dir := range sets.Sorted(ro.Tmpfs) {
			flags = append(flags, "--tmpfs="+dir+TmpfsOptions(limits))
		}
	}
	flags = append(flags, limits.Flags()...)
	return flags
}

// TmpfsOptions are the options of each --tmpfs mount (":size=64m"), ""
// when they are not sized (see LimitsAdvice.TmpfsBytes).
func TmpfsOptions(l LimitsAdvice) string {
	if l.TmpfsBytes <= 0 {
		return ""
	}
	return fmt.Sprintf(":size=%dm", l.TmpfsBytes>>20)
}

// TmpfsDir is the directory of a --tmpfs value, without its options.
func TmpfsDir(value string) string {
	dir, _, _ := strings.Cut(value, ":")
	return dir
}

// Line joins flags into one shell line, quoting only the flags that
// need it. It does not end in a newline. (A flag that itself contains a
// newline, e.g. from a strange directory name, is quoted correctly but
// makes the line span two.)
func Line(flags []string) string {
	quoted := make([]string, len(flags))
	for i, f := range flags {
		quoted[i] = ShellQuote(f)
	}
	return strings.Join(quoted, " ")
}

// ShellQuote returns s as one word for a POSIX shell: unchanged when it
// holds only characters no shell treats specially, otherwise in single
// quotes, inside which only the single quote itself needs care: it closes
// the quotes, adds an escaped quote and reopens them.
func ShellQuote(s string) string {
	if s == "" {
		return "''"
	}
	if strings.IndexFunc(s, needsQuoting) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// needsQuoting is true for every rune outside the set that is safe unquoted
// in any POSIX shell position: letters, digits and _ @ % + = : , . / -.
func needsQuoting(r rune) bool {
	switch {
	case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		return false
	case strings.ContainsRune("_@%+=:,./-", r):
		return false
	}
	return true
}

// NoNewPrivileges is whether --security-opt=no-new-privileges is suggested.
type NoNewPrivileges struct {
	Suggested bool   `json:"suggested"`
	Reason    string `json:"reason"`
}

// SuggestNoNewPrivileges suggests no-new-privileges unless something in the
// container relied on gaining privileges through exec, which it would stop.
func SuggestNoNewPrivileges(rec *profile.Recording) NoNewPrivileges {
	if len(rec.PrivilegedExecs) == 0 {
		return NoNewPrivileges{
			Suggested: true,
			Reason:    "no program gained privileges through exec (setuid/setgid or file capabilities)",
		}
	}
	return NoNewPrivileges{
		Suggested: false,
		Reason: strings.Join(sets.Sorted(rec.PrivilegedExecs), ", ") +
			" gained privileges through exec (setuid/setgid or file capabilities); no-new-privileges would stop it",
	}
}
