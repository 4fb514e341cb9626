package profile

// docker-run.flags is read back for comparison and conversion: it, not
// capabilities.json, is what docker run applies, and it alone says whether
// no-new-privileges and --read-only are on.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// RunFlags is a docker run flags line, understood.
type RunFlags struct {
	CapDropAll      bool     `json:"cap_drop_all"`
	CapDrop         []string `json:"cap_drop,omitempty"` // besides ALL, CAP_ spelling
	CapAdd          []string `json:"cap_add"`            // CAP_ spelling
	Seccomp         string   `json:"seccomp,omitempty"`  // a path, or "unconfined"
	AppArmor        string   `json:"apparmor,omitempty"` // a profile name, or "unconfined"
	NoNewPrivileges bool     `json:"no_new_privileges"`
	ReadOnly        bool     `json:"read_only"`
	Tmpfs           []string `json:"tmpfs,omitempty"`
	Privileged      bool     `json:"privileged,omitempty"`
	// Other are the flags tailor does not write, as given.
	Other []string `json:"other,omitempty"`
}

// ParseRunFlags reads a flags line as a POSIX shell would split it (single
// and double quotes, backslashes; no expansions). Comment lines and blank
// lines are skipped.
func ParseRunFlags(text []byte) (*RunFlags, error) {
	var words []string
	for _, line := range strings.Split(string(text), "\n") {
		if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		w, err := shellWords(line)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", FlagsFile, err)
		}
		words = append(words, w...)
	}
	f := &RunFlags{CapAdd: []string{}}
	for i := 0; i < len(words); i++ {
		w := words[i]
		name, value, hasValue := strings.Cut(w, "=")
		takesValue := slices.Contains([]string{"--cap-add", "--cap-drop", "--security-opt", "--tmpfs"}, name)
		if takesValue && !hasValue {
			if i+1 >= len(words) {
				return nil, fmt.Errorf("%s: %s without a value", FlagsFile, name)
			}
			i++
			value = words[i]
		}
		switch name {
		case "--cap-add":
			for _, c := range strings.Split(value, ",") {
				f.CapAdd = append(f.CapAdd, canonicalCapability(c))
			}
		case "--cap-drop":
			for _, c := range strings.Split(value, ",") {
				if strings.EqualFold(strings.TrimSpace(c), "ALL") {
					f.CapDropAll = true
				} else {
					f.CapDrop = append(f.CapDrop, canonicalCapability(c))
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
		default:
			if !strings.HasPrefix(w, "-") {
				return nil, fmt.Errorf("%s: %q is not a flag", FlagsFile, w)
			}
			f.Other = append(f.Other, w)
		}
	}
	f.CapAdd = sortedSet(f.CapAdd)
	f.CapDrop = sortedSetOrNil(f.CapDrop)
	f.Tmpfs = sortedSetOrNil(f.Tmpfs)
	return f, nil
}

// Capabilities is the container's capability set under these flags.
func (f *RunFlags) Capabilities() []string {
	caps := f.CapAdd
	if !f.CapDropAll {
		caps = append(DockerDefaultCapabilities(), f.CapAdd...)
		caps = slices.DeleteFunc(caps, func(c string) bool { return slices.Contains(f.CapDrop, c) })
	}
	return sortedSet(caps)
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
func ParseCapabilities(data []byte) (*CapabilitySet, error) {
	var c CapabilitySet
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%s: %w", CapabilitiesFile, jsonError(err))
	}
	if dec.More() {
		return nil, fmt.Errorf("%s: data after the JSON object", CapabilitiesFile)
	}
	if c.Add == nil {
		return nil, fmt.Errorf("%s: no \"add\" list", CapabilitiesFile)
	}
	known := map[string]bool{}
	for n := 0; n < 64; n++ {
		if name, ok := CapabilityName(n); ok {
			known[name] = true
		}
	}
	for _, list := range [][]string{c.Add, c.Drop, c.Denied} {
		for i, name := range list {
			list[i] = canonicalCapability(name)
			if !known[list[i]] {
				return nil, fmt.Errorf("%s: unknown capability %q", CapabilitiesFile, name)
			}
		}
	}
	c.Add, c.Drop, c.Denied = sortedSet(c.Add), sortedSet(c.Drop), sortedSet(c.Denied)
	return &c, nil
}
