package profile

import (
	"fmt"
	"path"
	"strings"
)

// ComposeServiceLabel is the label Docker Compose puts on every container
// of a service. Its value names the service's profile, whatever the
// container itself is called (web-1, proj_web_2, a random name).
const ComposeServiceLabel = "com.docker.compose.service"

// Match selects containers. Within one kind the patterns are alternatives,
// and a container must satisfy every kind that has patterns, the way
// `docker ps --filter` combines filters. The zero Match selects every
// container.
type Match struct {
	// Names are shell globs (path.Match) on the container name.
	Names []string
	// Images are shell globs on the image reference. A pattern without a
	// tag or digest also matches every tag and digest of that image.
	Images []string
	// Labels are "key" (the label is set) or "key=value" (value may be a
	// glob).
	Labels []string
}

// ParseMatch reads --match expressions: "name=GLOB", "image=GLOB",
// "label=KEY" or "label=KEY=VALUE"; a bare GLOB is a name.
func ParseMatch(exprs []string) (Match, error) {
	var m Match
	for _, e := range exprs {
		kind, value, found := strings.Cut(e, "=")
		if !found {
			kind, value = "name", e
		}
		if value == "" {
			return Match{}, fmt.Errorf("--match %q: nothing to match after %q", e, kind+"=")
		}
		var pattern string
		switch kind {
		case "name":
			m.Names = append(m.Names, value)
			pattern = value
		case "image":
			m.Images = append(m.Images, value)
			pattern = value
		case "label":
			m.Labels = append(m.Labels, value)
			_, pattern, _ = strings.Cut(value, "=")
			if strings.HasPrefix(value, "=") {
				return Match{}, fmt.Errorf("--match %q: the label key is empty", e)
			}
		default:
			return Match{}, fmt.Errorf("--match %q: unknown kind %q (use name=, image= or label=)", e, kind)
		}
		if _, err := path.Match(pattern, ""); err != nil {
			return Match{}, fmt.Errorf("--match %q: bad pattern: %v", e, err)
		}
	}
	return m, nil
}

// IsZero reports whether m selects everything.
func (m Match) IsZero() bool {
	return len(m.Names) == 0 && len(m.Images) == 0 && len(m.Labels) == 0
}

// Selects reports whether the container is one to record.
func (m Match) Selects(c Container) bool {
	if len(m.Names) > 0 && !anyGlob(m.Names, strings.TrimPrefix(c.Name, "/")) {
		return false
	}
	if len(m.Images) > 0 && !imageMatches(m.Images, c.Image) {
		return false
	}
	if len(m.Labels) > 0 && !labelMatches(m.Labels, c.Labels) {
		return false
	}
	return true
}

func anyGlob(patterns []string, s string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, s); ok {
			return true
		}
	}
	return false
}

func imageMatches(patterns []string, image string) bool {
	repo := imageRepository(image)
	for _, p := range patterns {
		if ok, _ := path.Match(p, image); ok {
			return true
		}
		if imageRepository(p) == p { // no tag or digest in the pattern
			if ok, _ := path.Match(p, repo); ok {
				return true
			}
		}
	}
	return false
}

func labelMatches(patterns []string, labels map[string]string) bool {
	for _, p := range patterns {
		key, want, hasValue := strings.Cut(p, "=")
		got, ok := labels[key]
		if !ok {
			continue
		}
		if !hasValue {
			return true
		}
		if ok, _ := path.Match(want, got); ok {
			return true
		}
	}
	return false
}

// imageRepository strips the tag and digest: registry:5000/team/app:1.2
// is registry:5000/team/app.
func imageRepository(image string) string {
	if at := strings.IndexByte(image, '@'); at >= 0 {
		image = image[:at]
	}
	if colon := strings.LastIndexByte(image, ':'); colon > strings.LastIndexByte(image, '/') {
		image = image[:colon]
	}
	return image
}

// NameBy chooses the stable key that names a container's profile when it
// is not part of a Compose service.
type NameBy struct {
	kind  string // "name", "image" or "label"
	label string
}

// ParseNameBy reads --name-by: "name" (the container name, the default),
// "image" (the image without its tag) or "label=KEY".
func ParseNameBy(s string) (NameBy, error) {
	switch {
	case s == "" || s == "name":
		return NameBy{kind: "name"}, nil
	case s == "image":
		return NameBy{kind: "image"}, nil
	case strings.HasPrefix(s, "label="):
		key := strings.TrimPrefix(s, "label=")
		if key == "" {
			return NameBy{}, fmt.Errorf("--name-by %q: the label key is empty", s)
		}
		return NameBy{kind: "label", label: key}, nil
	}
	return NameBy{}, fmt.Errorf("--name-by %q: use name, image or label=KEY", s)
}

func (n NameBy) String() string {
	switch n.kind {
	case "image":
		return "image"
	case "label":
		return "label=" + n.label
	}
	return "name"
}

// ProfileName is the directory name of the container's profile: its
// Compose service when it has one, else what n chooses, made safe to use
// as one path element. Recordings with the same name are merged into one
// profile. A container without the chosen key (no such label, no name)
// falls back to its name, then to its short id.
func (n NameBy) ProfileName(c Container) string {
	candidates := []string{c.Labels[ComposeServiceLabel]}
	switch n.kind {
	case "image":
		candidates = append(candidates, imageRepository(c.Image))
	case "label":
		candidates = append(candidates, c.Labels[n.label])
	}
	candidates = append(candidates, strings.TrimPrefix(c.Name, "/"))
	for _, cand := range candidates {
		if name := safePathElement(cand); name != "" {
			return name
		}
	}
	if len(c.ID) >= 12 {
		return c.ID[:12]
	}
	return "unnamed"
}

// safePathElement maps s to a name made of [A-Za-z0-9_.-] that starts
// with a letter or digit: slashes (image paths) and other bytes become
// '-', so a hostile label or image cannot escape the output directory.
func safePathElement(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '.', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	name := strings.TrimLeft(b.String(), "-_.")
	name = strings.TrimRight(name, "-")
	if len(name) > 128 {
		name = name[:128]
	}
	return name
}
