package diff

// --user and the resource limits (--pids-limit, --memory, --ulimit) are
// compared by what they mean, not by their text:
//
//   - --user: running as root where OLD ran as another user widens
//     (--user dropped, so that the image's user, root by default, applies;
//     or changed to 0, root, 0:0); the other way narrows. A change from one
//     non-root user to another is reported as a change that does not widen:
//     neither is root, and the files each owns are the image's business. A
//     group changed to root (gid 0) widens: files of group root become
//     reachable. When a side's recording (recording.json or report.json)
//     shows that the image's own user is not root, a side without --user
//     runs as that user.
//   - limits: a higher limit, or none (removed, or -1), widens; a lower or
//     an added one narrows. Sizes are compared in bytes (64m is 67108864);
//     a ulimit by its hard limit, since a process may raise its soft limit
//     up to the hard one itself (a change of the soft limit alone is
//     reported, not widening).
//
// check and merge --check (coverage) ask another question: did the run
// need more than the baseline grants? A limit is then needed when the peak
// the run reached is above the baseline's limit, whatever the new profile
// would suggest, and --user when the run needed root (UserSuggestion says
// root-needed, or that the entrypoint starts as root to drop to a user).

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/change"
	"github.com/tailorsec/tailor/profile/internal/sets"
	"github.com/tailorsec/tailor/profile/internal/text"
	"github.com/tailorsec/tailor/profile/profiledir"
	"github.com/tailorsec/tailor/profile/runflags"
)

// flagsContext is what a profile says beyond its flags: who the image's
// user is and what the run that made it observed (from recording.json, or
// report.json).
type flagsContext struct {
	// imageUser is "UID:GID" when the recording shows that the image's
	// own user (no --user given) is that non-root user, "root" when it
	// shows root, "" when it does not tell.
	imageUser string
	// observed: peaks and userDecision come from a recording.
	observed     bool
	peaks        profile.Resources
	userDecision string
	userReason   string
	// conventionalTmpfs are the side's tmpfs mounts its run did not write
	// to (runflags.ReadOnly.Conventional): a baseline without them lacks
	// nothing the run needed.
	conventionalTmpfs []string
}

func contextOf(p *profiledir.Profile) flagsContext {
	var c flagsContext
	var cfg profile.ContainerConfig
	var execs []profile.ExecIdentity
	switch {
	case p.Recording != nil:
		cfg, execs = p.Recording.Config, p.Recording.Identity.Execs
		adv := runflags.UserSuggestion(p.Recording)
		c.observed, c.peaks, c.userDecision, c.userReason = true, p.Recording.Resources, adv.Decision, adv.Reason
		c.conventionalTmpfs = runflags.ReadOnlyRoot(p.Recording).Conventional
	case p.Report != nil:
		cfg, execs = p.Report.Config, p.Report.Identity.Execs
		c.observed, c.peaks, c.userDecision, c.userReason = true, p.Report.Resources, p.Report.User.Decision, p.Report.User.Reason
		c.conventionalTmpfs = p.Report.ReadOnly.Conventional
	default:
		return c
	}
	if strings.TrimSpace(cfg.User) == "" && len(execs) > 0 {
		c.imageUser = "root"
		if execs[0].UID != 0 {
			c.imageUser = fmt.Sprintf("%d:%d", execs[0].UID, execs[0].GID)
		}
	}
	return c
}

// userSide is who one side's container runs as.
type userSide struct {
	flag string // the --user value, "" when not given
	// root: it runs as root, or may (the image's user is not known).
	root bool
	// uid and gid as spelled ("1000", "app"); gid "" when not given.
	uid, gid string
	who      string // for people: "1000:1000", "root (0:0)", "the image's user, ..."
}

func userOf(f *runflags.Flags, c flagsContext) userSide {
	u := userSide{flag: f.User}
	switch {
	case f.User != "":
		u.uid, u.gid, _ = strings.Cut(f.User, ":")
		u.root = u.uid == "0" || u.uid == "root"
		u.who = f.User
		if u.root && f.User != "root" {
			u.who = "root (" + f.User + ")"
		}
	case c.imageUser != "" && c.imageUser != "root":
		u.uid, u.gid, _ = strings.Cut(c.imageUser, ":")
		u.who = "the image's user, " + c.imageUser + " as recorded"
	case c.imageUser == "root":
		u.root = true
		u.who = "the image's user, root as recorded"
	default:
		u.root = true
		u.who = "the image's user (root unless the image sets USER)"
	}
	return u
}

func isRootGroup(g string) bool { return g == "0" || g == "root" }

// compareUser compares who the container runs as.
func compareUser(o, n userSide, coverage bool, nc flagsContext, add func(op, subject, detail string, widening bool)) {
	subject := "--user"
	switch {
	case n.flag != "":
		subject = "--user=" + n.flag
	case o.flag != "":
		subject = "--user=" + o.flag
	}
	if coverage && nc.observed && nc.userDecision != "" && !o.root {
		if nc.userDecision == runflags.UserRootNeeded || nc.userDecision == runflags.UserDropsInEntrypoint {
			subject := "--user"
			if o.flag != "" {
				subject += "=" + o.flag
			}
			add(change.OpNeeded, subject, fmt.Sprintf("the baseline runs it as %s, but this run needed root: %s", o.who, nc.userReason), true)
			return
		}
		// Nothing in the run needed root: whatever record would write,
		// the baseline's user covers it.
		inner := add
		add = func(op, subject, detail string, _ bool) {
			inner(op, subject, detail+"; nothing in this run needed root (covered)", false)
		}
	}
	userChange := fmt.Sprintf("user %s -> %s", o.who, n.who)
	switch {
	case o.root && n.root:
		// Root on both sides, however spelled.
	case !o.root && n.root:
		op := change.OpChanged // the image's user changed
		switch {
		case n.flag == "" && o.flag != "":
			op = change.OpRemoved
		case n.flag != "":
			op = change.OpRelaxed
		}
		add(op, subject, userChange+" (widens)", true)
	case o.root && !n.root:
		op := change.OpChanged
		switch {
		case o.flag == "" && n.flag != "":
			op = change.OpAdded
		case o.flag != "":
			op = change.OpRestricted
		}
		add(op, subject, userChange+" (narrows)", false)
	case o.uid == n.uid && o.gid == n.gid:
		if o.flag != n.flag {
			op := change.OpAdded
			if n.flag == "" {
				op = change.OpRemoved
			}
			add(op, subject, userChange+" (the same user: no change in privilege)", false)
		}
	case isRootGroup(n.gid) && !isRootGroup(o.gid):
		add(change.OpChanged, subject, userChange+": the group becomes root (gid 0), whose files it may then use (widens)", true)
	default:
		add(change.OpChanged, subject, userChange+" (another non-root user: does not widen)", false)
	}
}

// limitKind describes one of --pids-limit and --memory.
type limitKind struct {
	flag   string // "--pids-limit"
	what   string // "pids limit"
	format func(int64) string
	peak   func(profile.Resources) int64
	// peakWhat spells a peak: "60 tasks".
	peakWhat func(int64) string
}

var (
	pidsLimitKind = limitKind{flag: "--pids-limit", what: "pids limit", format: text.Itoa64,
		peak:     func(r profile.Resources) int64 { return r.PeakTasks },
		peakWhat: func(n int64) string { return text.Itoa64(n) + " tasks" }}
	memoryLimitKind = limitKind{flag: "--memory", what: "memory limit", format: text.Bytes,
		peak:     func(r profile.Resources) int64 { return r.PeakMemoryBytes },
		peakWhat: text.Bytes}
)

// limitOrNone is a limit with "not given" and unlimited as NoLimit.
func limitOrNone(v int64) int64 {
	if v <= 0 {
		return profile.NoLimit
	}
	return v
}

func formatLimit(v int64, format func(int64) string) string {
	if v < 0 {
		return "unlimited"
	}
	return format(v)
}

// compareLimit compares one limit. o and n are limitValues; oFlag and
// nFlag the flags as given ("" when not given).
func compareLimit(k limitKind, o, n int64, oFlag, nFlag string, coverage bool, nc flagsContext, add func(op, subject, detail string, widening bool)) {
	if coverage && nc.observed && o >= 0 {
		peak := k.peak(nc.peaks)
		if peak > o {
			detail := fmt.Sprintf("this run peaked at %s, above the baseline's %s of %s", k.peakWhat(peak), k.what, k.format(o))
			if nFlag != "" {
				detail += " (record would write " + nFlag + ")"
			}
			add(change.OpNeeded, oFlag, detail, true)
			return
		}
		note := fmt.Sprintf("; this run peaked at %s, within the baseline's %s (covered)", k.peakWhat(peak), k.format(o))
		if peak <= 0 {
			note = "; this run's peak was not observed: nothing shows the baseline's " + k.format(o) + " is too low (covered)"
		}
		limitChange(k.what, k.format, o, n, oFlag, nFlag, func(op, subject, detail string, _ bool) {
			add(op, subject, detail+note, false)
		})
		return
	}
	limitChange(k.what, k.format, o, n, oFlag, nFlag, add)
}

// limitChange reports a limit changed from o to n (NoLimit: unlimited).
func limitChange(what string, format func(int64) string, o, n int64, oFlag, nFlag string, add func(op, subject, detail string, widening bool)) {
	subject := nFlag
	if subject == "" {
		subject = oFlag
	}
	os, ns := formatLimit(o, format), formatLimit(n, format)
	switch {
	case o == n:
	case runflags.LimitAbove(n, o):
		switch {
		case n < 0 && nFlag == "":
			add(change.OpRemoved, subject, fmt.Sprintf("%s removed: %s -> unlimited (widens)", what, os), true)
		case n < 0:
			add(change.OpRelaxed, subject, fmt.Sprintf("%s lifted: %s -> unlimited (widens)", what, os), true)
		default:
			add(change.OpRelaxed, subject, fmt.Sprintf("%s raised %s -> %s (widens)", what, os, ns), true)
		}
	default:
		switch {
		case o < 0 && oFlag == "":
			add(change.OpAdded, subject, fmt.Sprintf("%s set: unlimited -> %s (narrows)", what, ns), false)
		case o < 0:
			add(change.OpRestricted, subject, fmt.Sprintf("%s set: unlimited -> %s (narrows)", what, ns), false)
		default:
			add(change.OpRestricted, subject, fmt.Sprintf("%s lowered %s -> %s (narrows)", what, os, ns), false)
		}
	}
}

// compareUlimits compares the --ulimit flags, name by name, by their hard
// limits; a name not given has the daemon's default, which is above any
// limit tailor suggests.
func compareUlimits(o, n *runflags.Flags, coverage bool, nc flagsContext, add func(op, subject, detail string, widening bool)) {
	names := map[string]bool{}
	for _, u := range append(append([]profile.Ulimit{}, o.Ulimits...), n.Ulimits...) {
		names[u.Name] = true
	}
	find := func(f *runflags.Flags, name string) (profile.Ulimit, bool) {
		for _, u := range f.Ulimits {
			if u.Name == name {
				return u, true
			}
		}
		return profile.Ulimit{}, false
	}
	for _, name := range sets.SortedKeys(names) {
		ou, oHas := find(o, name)
		nu, nHas := find(n, name)
		prefix := "--ulimit=" + name + "="
		oFlag, nFlag := o.LastGiven(prefix), n.LastGiven(prefix)
		if oHas && oFlag == "" {
			oFlag = prefix + formatUlimit(ou)
		}
		if nHas && nFlag == "" {
			nFlag = prefix + formatUlimit(nu)
		}
		subject := nFlag
		if subject == "" {
			subject = oFlag
		}
		what := name + " ulimit"
		widening := true
		note := ""
		if coverage && nc.observed && oHas {
			// Only nofile is observed; a ulimit record never writes is
			// not needed by the run.
			widening = false
			if name == "nofile" {
				limit := ou.Soft
				if limit < 0 {
					limit = ou.Hard
				}
				peak := nc.peaks.PeakOpenFiles
				switch {
				case limit >= 0 && peak > limit:
					detail := fmt.Sprintf("this run held %d open files in one process, above the baseline's nofile limit of %d", peak, limit)
					if nFlag != "" {
						detail += " (record would write " + nFlag + ")"
					}
					add(change.OpNeeded, oFlag, detail, true)
					continue
				case peak > 0:
					note = fmt.Sprintf("; this run held at most %d open files in one process, within the baseline's limit (covered)", peak)
				default:
					note = "; this run's open files were not observed: nothing shows the baseline's limit is too low (covered)"
				}
			} else {
				note = "; tailor does not observe this limit (covered)"
			}
		}
		emit := func(op, detail string, wide bool) {
			add(op, subject, detail+note, wide && widening)
		}
		switch {
		case oHas && !nHas:
			emit(change.OpRemoved, fmt.Sprintf("%s removed: the daemon's default applies, usually far higher (was %s) (widens)", what, formatUlimit(ou)), true)
		case !oHas && nHas:
			emit(change.OpAdded, fmt.Sprintf("%s set to %s, below the daemon's default (narrows)", what, formatUlimit(nu)), false)
		case runflags.LimitAbove(nu.Hard, ou.Hard):
			emit(change.OpRelaxed, fmt.Sprintf("%s raised %s -> %s (widens)", what, formatUlimit(ou), formatUlimit(nu)), true)
		case runflags.LimitAbove(ou.Hard, nu.Hard):
			emit(change.OpRestricted, fmt.Sprintf("%s lowered %s -> %s (narrows)", what, formatUlimit(ou), formatUlimit(nu)), false)
		case ou.Soft != nu.Soft:
			dir := "raised"
			if runflags.LimitAbove(ou.Soft, nu.Soft) {
				dir = "lowered"
			}
			emit(change.OpChanged, fmt.Sprintf("%s soft limit %s %s -> %s, hard limit %s unchanged (does not widen: a process may raise its soft limit up to the hard one)",
				what, dir, formatLimit(ou.Soft, text.Itoa64), formatLimit(nu.Soft, text.Itoa64), formatLimit(nu.Hard, text.Itoa64)), false)
		}
	}
}

// formatUlimit spells a ulimit SOFT:HARD, unlimited as such.
func formatUlimit(u profile.Ulimit) string {
	f := func(v int64) string {
		if v < 0 {
			return "unlimited"
		}
		return strconv.FormatInt(v, 10)
	}
	return f(u.Soft) + ":" + f(u.Hard)
}

// compareIdentityAndLimits compares --user and the resource limits of two
// flag sets; oc and nc say what each side's recording showed.
func compareIdentityAndLimits(o, n *runflags.Flags, oc, nc flagsContext, coverage bool, add func(op, subject, detail string, widening bool)) {
	compareUser(userOf(o, oc), userOf(n, nc), coverage, nc, add)
	compareLimit(pidsLimitKind, limitOrNone(o.PidsLimit), limitOrNone(n.PidsLimit),
		limitFlag(o, "--pids-limit", o.PidsLimit, text.Itoa64), limitFlag(n, "--pids-limit", n.PidsLimit, text.Itoa64), coverage, nc, add)
	bytes := func(b int64) string { return text.Itoa64(b) + "b" }
	compareLimit(memoryLimitKind, limitOrNone(o.MemoryBytes), limitOrNone(n.MemoryBytes),
		limitFlag(o, "--memory", o.MemoryBytes, bytes), limitFlag(n, "--memory", n.MemoryBytes, bytes), coverage, nc, add)
	compareUlimits(o, n, coverage, nc, add)
}

// limitFlag is the flag that set a limit as given, "" when it was not
// given (v is 0).
func limitFlag(f *runflags.Flags, flag string, v int64, format func(int64) string) string {
	if v == 0 {
		return ""
	}
	if g := f.LastGiven(flag + "="); g != "" {
		return g
	}
	return flag + "=" + format(v)
}
