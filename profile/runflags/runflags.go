package runflags

// docker-run.flags is read back for comparison and conversion: it, not
// capabilities.json, is what docker run applies, and it alone says whether
// no-new-privileges and --read-only are on.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/internal/jsonfile"
	"github.com/tailorsec/tailor/profile/internal/sets"
)

// Flags is a docker run flags line, understood.
type Flags struct {
	CapDropAll      bool     `json:"cap_drop_all"`
	CapDrop         []string `json:"cap_drop,omitempty"` // besides ALL, CAP_ spelling
	CapAdd          []string `json:"cap_add"`            // CAP_ spelling
	Seccomp         string   `json:"seccomp,omitempty"`  // a path, or "unconfined"
	AppArmor        string   `json:"apparmor,omitempty"` // a profile name, or "unconfined"
	NoNewPrivileges bool     `json:"no_new_privileges"`
	ReadOnly        bool     `json:"read_only"`
	Tmpfs           []string `json:"tmpfs,omitempty"`
	Privileged      bool     `json:"privileged,omitempty"`
	// User is --user (-u) as given; "" when not given: the image's user
	// (root unless the image sets USER).
	User string `json:"user,omitempty"`
	// PidsLimit is --pids-limit and MemoryBytes --memory (-m) in bytes:
	// 0 when not given, NoLimit when given as unlimited (--pids-limit -1
	// or 0, --memory 0).
	PidsLimit   int64 `json:"pids_limit,omitempty"`
	MemoryBytes int64 `json:"memory_bytes,omitempty"`
	// Ulimits are the --ulimit NAME=SOFT[:HARD] flags, one per name (the
	// last given wins, as in docker), sorted by name; NoLimit is
	// unlimited.
	Ulimits []profile.Ulimit `json:"ulimits,omitempty"`
	// Given are the --user, --pids-limit, --memory and --ulimit flags as
	// given, spelled --name=value, in order: convert passes them on.
	Given []string `json:"given,omitempty"`
	// Other are the flags tailor does not write, as given.
	Other []string `json:"other,omitempty"`
}

// valueFlags are the flags whose value may be the next word.
var valueFlags = []string{"--cap-add", "--cap-drop", "--security-opt", "--tmpfs", "--user", "-u", "--pids-limit", "--memory", "-m", "--ulimit"}

// Parse reads a flags line as a POSIX shell would split it (single
// and double quotes, backslashes; no expansions). Comment lines and blank
// lines are skipped.
func Parse(text []byte) (*Flags, error) {
	words, err := flagWords(text)
	if err != nil {
		return nil, err
	}
	f := &Flags{CapAdd: []string{}}
	for i := 0; i < len(words); i++ {
		w := words[i]
		name, value, hasValue := strings.Cut(w, "=")
		if len(w) > 2 && (w[:2] == "-u" || w[:2] == "-m") && w[2] != '=' {
			name, value, hasValue = w[:2], w[2:], true // -u1000, -m64m
		}
		takesValue := slices.Contains(valueFlags, name)
		if takesValue && !hasValue {
			if i+1 >= len(words) {
				return nil, fmt.Errorf("%s: %s without a value", profile.FlagsFile, name)
			}
			i++
			value = words[i]
		}
		switch name {
		case "--cap-add":
			for _, c := range strings.Split(value, ",") {
				f.CapAdd = append(f.CapAdd, profile.CanonicalCapability(c))
			}
		case "--cap-drop":
			for _, c := range strings.Split(value, ",") {
				if strings.EqualFold(strings.TrimSpace(c), "ALL") {
					f.CapDropAll = true
				} else {
					f.CapDrop = append(f.CapDrop, profile.CanonicalCapability(c))
				}
			}
		case "--security-opt":
			key, v, _ := strings.Cut(value, "=")
			if !strings.Contains(value, "=") {
				key, v, _ = strings.Cut(value, ":") // the old spelling
			}
			switch key {
			case "seccomp":
				f.Seccomp = v
			case "apparmor":
				f.AppArmor = v
			case "no-new-privileges":
				f.NoNewPrivileges = v == "" || v == "true"
			default:
				f.Other = append(f.Other, "--security-opt="+value)
			}
		case "--read-only":
			f.ReadOnly = !hasValue || value == "true"
		case "--privileged":
			f.Privileged = !hasValue || value == "true"
		case "--tmpfs":
			f.Tmpfs = append(f.Tmpfs, value)
		case "--user", "-u":
			f.User = strings.TrimSpace(value)
			f.Given = append(f.Given, "--user="+value)
		case "--pids-limit":
			n, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%s: --pids-limit=%s: not a number (docker takes a count, -1 for unlimited)", profile.FlagsFile, value)
			}
			f.PidsLimit = n
			if n <= 0 {
				f.PidsLimit = profile.NoLimit
			}
			f.Given = append(f.Given, "--pids-limit="+value)
		case "--memory", "-m":
			n, err := ParseDockerBytes(value)
			if err != nil {
				return nil, fmt.Errorf("%s: --memory=%s: %w", profile.FlagsFile, value, err)
			}
			f.MemoryBytes = n
			if n == 0 {
				f.MemoryBytes = profile.NoLimit
			}
			f.Given = append(f.Given, "--memory="+value)
		case "--ulimit":
			u, err := ParseDockerUlimit(value)
			if err != nil {
				return nil, fmt.Errorf("%s: --ulimit=%s: %w", profile.FlagsFile, value, err)
			}
			f.Ulimits = slices.DeleteFunc(f.Ulimits, func(o profile.Ulimit) bool { return o.Name == u.Name })
			f.Ulimits = append(f.Ulimits, u)
			f.Given = append(f.Given, "--ulimit="+value)
		default:
			if !strings.HasPrefix(w, "-") {
				return nil, fmt.Errorf("%s: %q is not a flag", profile.FlagsFile, w)
			}
			f.Other = append(f.Other, w)
		}
	}
	f.CapAdd = sets.Sorted(f.CapAdd)
	f.CapDrop = sets.SortedOrNil(f.CapDrop)
	f.Tmpfs = sets.SortedOrNil(f.Tmpfs)
	slices.SortFunc(f.Ulimits, func(a, b profile.Ulimit) int { return strings.Compare(a.Name, b.Name) })
	return f, nil
}

// flagWords splits a flags file into words, skipping comment and blank
// lines; an error names the line.
func flagWords(text []byte) ([]string, error) {
	var words []string
	for i, line := range strings.Split(string(text), "\n") {
		if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		w, err := shellWords(line)
		if err != nil {
			return nil, fmt.Errorf("%s: line %d: %w", profile.FlagsFile, i+1, err)
		}
		words = append(words, w...)
	}
	return words, nil
}

// Tokens reads a flags file as Parse does and returns its flags one per
// word, each spelled --name=value (or --name alone): a value given as the
// next word is joined to its flag, -u is --user, -m is --memory, and
// --cap-add and --cap-drop name one capability each, without CAP_
// (ALL stays ALL), as tailor writes them. Line(Tokens(f)) means what f
// means.
func Tokens(text []byte) ([]string, error) {
	if _, err := Parse(text); err != nil {
		return nil, err
	}
	words, err := flagWords(text)
	if err != nil {
		return nil, err
	}
	var out []string
	for i := 0; i < len(words); i++ {
		w := words[i]
		name, value, hasValue := strings.Cut(w, "=")
		if len(w) > 2 && (w[:2] == "-u" || w[:2] == "-m") && w[2] != '=' {
			name, value, hasValue = w[:2], w[2:], true
		}
		if slices.Contains(valueFlags, name) && !hasValue {
			i++
			value, hasValue = words[i], true
		}
		switch name {
		case "-u":
			name = "--user"
		case "-m":
			name = "--memory"
		case "--cap-add", "--cap-drop":
			for _, c := range strings.Split(value, ",") {
				c = strings.TrimSpace(c)
				if !strings.EqualFold(c, "ALL") {
					c = strings.TrimPrefix(profile.CanonicalCapability(c), "CAP_")
				} else {
					c = "ALL"
				}
				out = append(out, name+"="+c)
			}
			continue
		}
		if hasValue {
			out = append(out, name+"="+value)
		} else {
			out = append(out, name)
		}
	}
	return out, nil
}

// ParseDockerBytes reads a size as docker run's --memory takes it (go-units'
// RAMInBytes): a number, perhaps with a fraction, then an optional unit b,
// k, m, g, t or p, in either case, with an optional "b" or "ib" after it
// (64m, 64MiB, 1.5g, 67108864). The units are binary: 1k is 1024 bytes.
func ParseDockerBytes(s string) (int64, error) {
	bad := errors.New("not a size docker takes (bytes, or a number with b, k, m, g: 64m, 1g)")
	sep := strings.LastIndexAny(s, "0123456789. ")
	if sep < 0 {
		return 0, bad
	}
	num, unit := s[:sep+1], s[sep+1:]
	if s[sep] == ' ' {
		num = s[:sep]
	}
	if num == "" || strings.IndexFunc(num, func(r rune) bool { return (r < '0' || r > '9') && r != '.' }) >= 0 {
		return 0, bad
	}
	size, err := strconv.ParseFloat(num, 64)
	if err != nil || size < 0 {
		return 0, bad
	}
	mul := float64(1)
	switch unit = strings.ToLower(unit); {
	case unit == "" || unit == "b":
	case len(unit) <= 3 && strings.IndexByte("kmgtp", unit[0]) >= 0 && (len(unit) == 1 || unit[1:] == "b" || unit[1:] == "ib"):
		mul = math.Pow(1024, float64(strings.IndexByte("kmgtp", unit[0])+1))
	default:
		return 0, bad
	}
	if size*mul >= math.MaxInt64 {
		return 0, errors.New("too large")
	}
	return int64(size * mul), nil
}

// ulimitNames are the names docker run's --ulimit takes.
var ulimitNames = []string{"core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile",
	"nproc", "rss", "rtprio", "rttime", "sigpending", "stack"}

// ParseDockerUlimit reads NAME=SOFT[:HARD] as docker run's --ulimit takes
// it: one number sets both limits, and a negative one is unlimited
// (NoLimit).
func ParseDockerUlimit(s string) (profile.Ulimit, error) {
	name, limits, ok := strings.Cut(s, "=")
	if !ok {
		return profile.Ulimit{}, errors.New("not NAME=SOFT[:HARD]")
	}
	if !slices.Contains(ulimitNames, name) {
		return profile.Ulimit{}, fmt.Errorf("unknown ulimit %q (docker takes %s)", name, strings.Join(ulimitNames, ", "))
	}
	soft, hard, hasHard := strings.Cut(limits, ":")
	u := profile.Ulimit{Name: name}
	var err error
	if u.Soft, err = strconv.ParseInt(soft, 10, 64); err != nil {
		return profile.Ulimit{}, fmt.Errorf("soft limit %q is not a number", soft)
	}
	u.Hard = u.Soft
	if hasHard {
		if u.Hard, err = strconv.ParseInt(hard, 10, 64); err != nil {
			return profile.Ulimit{}, fmt.Errorf("hard limit %q is not a number", hard)
		}
	}
	u.Soft, u.Hard = max(u.Soft, profile.NoLimit), max(u.Hard, profile.NoLimit)
	if LimitAbove(u.Soft, u.Hard) {
		return profile.Ulimit{}, errors.New("the soft limit is above the hard limit")
	}
	return u, nil
}

// LimitAbove reports whether limit a is higher than limit b, where a
// negative limit (NoLimit) is unlimited.
func LimitAbove(a, b int64) bool {
	switch {
	case a < 0:
		return b >= 0
	case b < 0:
		return false
	}
	return a > b
}

// Capabilities is the container's capability set under these flags.
func (f *Flags) Capabilities() []string {
	caps := f.CapAdd
	if !f.CapDropAll {
		caps = append(profile.DockerDefaultCapabilities(), f.CapAdd...)
		caps = slices.DeleteFunc(caps, func(c string) bool { return slices.Contains(f.CapDrop, c) })
	}
	return sets.Sorted(caps)
}

// shellWords splits one line into words as sh does, without expanding
// anything; unquoted $, `, ;, |, &, <, > and ( ) are refused, since a
// flags file is not a script.
func shellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, errors.New("unterminated single quote")
			}
			cur.WriteString(s[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\\\"$`\n", s[i+1]) >= 0 {
					i++
				} else if s[i] == '$' || s[i] == '`' {
					return nil, fmt.Errorf("%q inside double quotes: expansions are not supported", s[i])
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, errors.New("unterminated double quote")
			}
			inWord = true
		case c == '\\':
			if i+1 >= len(s) {
				return nil, errors.New("trailing backslash")
			}
			i++
			cur.WriteByte(s[i])
			inWord = true
		case strings.IndexByte("$`;|&<>()", c) >= 0:
			return nil, fmt.Errorf("unquoted %q: a flags file holds flags, not shell syntax", c)
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// ParseCapabilities reads capabilities.json: unknown fields and unknown
// capability names are errors.
func ParseCapabilities(data []byte) (*profile.CapabilitySet, error) {
	var c profile.CapabilitySet
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%s: %w", profile.CapabilitiesFile, jsonfile.Error(data, err))
	}
	if dec.More() {
		return nil, fmt.Errorf("%s: data after the JSON object", profile.CapabilitiesFile)
	}
	if c.Add == nil {
		return nil, fmt.Errorf("%s: no \"add\" list", profile.CapabilitiesFile)
	}
	known := map[string]bool{}
	for n := 0; n < 64; n++ {
		if name, ok := profile.CapabilityName(n); ok {
			known[name] = true
		}
	}
	for _, list := range [][]string{c.Add, c.Drop, c.Denied} {
		for i, name := range list {
			list[i] = profile.CanonicalCapability(name)
			if !known[list[i]] {
				return nil, fmt.Errorf("%s: unknown capability %q", profile.CapabilitiesFile, name)
			}
		}
	}
	c.Add, c.Drop, c.Denied = sets.Sorted(c.Add), sets.Sorted(c.Drop), sets.Sorted(c.Denied)
	return &c, nil
}

// LastGiven is the last of the flags given that starts with prefix, "" when
// none does.
func (f *Flags) LastGiven(prefix string) string {
	for i := len(f.Given) - 1; i >= 0; i-- {
		if strings.HasPrefix(f.Given[i], prefix) {
			return f.Given[i]
		}
	}
	return ""
}
