package runflags

// --read-only makes the container's root filesystem read-only: a
// compromised process can no longer change the programs and configuration
// it runs from. It is suggested when the recording shows writes to the root
// filesystem only in scratch directories, which then get a tmpfs each.
// Writes to volumes, bind mounts, tmpfs, /proc, /sys and /dev are not on
// the root filesystem and do not matter.

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/internal/sets"
	"github.com/tailorsec/tailor/profile/internal/text"
)

// ReadOnly is whether --read-only is suggested, with the --tmpfs mounts it
// needs.
type ReadOnly struct {
	Suggested bool `json:"suggested"`
	// Tmpfs are the directories to mount a tmpfs on (--tmpfs=DIR), sorted.
	Tmpfs []string `json:"tmpfs"`
	// Conventional are those of Tmpfs the run did not write to: scratch
	// directories mounted empty so that a path the run did not take does
	// not fail (see conventionalTmpfs). Comparisons do not count them as
	// needed.
	Conventional []string `json:"conventional,omitempty"`
	Reason       string   `json:"reason"`
}

// tmpfsRoots are the scratch directories a tmpfs may replace.
var tmpfsRoots = []string{"/tmp", "/var/tmp", "/run", "/var/run"}

// ReadOnlyRoot decides whether --read-only suits the container. Each write
// to the root filesystem under a scratch directory gets a tmpfs on the
// directory holding it, or on the outermost directory above that the
// container created itself (a tmpfs must be mounted on a directory of the
// image). It is not suggested when the container wrote anywhere else, or
// read a file of the image where a tmpfs would hide it, or executed a file
// where the tmpfs would be (Docker mounts --tmpfs noexec).
func ReadOnlyRoot(rec *profile.Recording) ReadOnly {
	rec = profile.Normalized(rec)
	no := func(reason string) ReadOnly { return ReadOnly{Tmpfs: []string{}, Reason: reason} }
	if !rec.FilesRecorded {
		return no("file access was not recorded, so it is not known where the container writes")
	}

	created := map[string]bool{} // directories it made, without their trailing '/'
	for _, f := range rec.Files {
		if onRootfs(f, rec) && slices.Contains(f.Access, profile.AccessMkdir) {
			created[strings.TrimSuffix(f.Path, "/")] = true
		}
	}
	var outside []string
	written := map[string][]string{} // mount point -> paths written under it
	for _, f := range rec.Files {
		if !onRootfs(f, rec) || !slices.ContainsFunc(f.Access, profile.IsWriteAccess) {
			continue
		}
		p := strings.TrimSuffix(f.Path, "/")
		root := scratchRoot(p)
		if root == "" {
			outside = append(outside, f.Path)
			continue
		}
		mp := root
		if p != root {
			mp = parentDir(p)
			for mp != root && created[mp] {
				mp = parentDir(mp)
			}
		}
		written[mp] = append(written[mp], f.Path)
	}
	if len(outside) > 0 {
		return no(fmt.Sprintf("the container wrote to its root filesystem at %s: "+
			"mount a volume there or make it a tmpfs to allow --read-only", ListPaths(outside)))
	}

	var tmpfs []string
	for _, mp := range sets.SortedKeys(written) {
		if !slices.ContainsFunc(tmpfs, func(outer string) bool { return IsUnder(mp, outer) }) {
			tmpfs = append(tmpfs, mp)
		}
	}
	for _, mp := range tmpfs {
		if strings.Contains(mp, ":") {
			return no(fmt.Sprintf("a tmpfs would be needed on %s, which docker run --tmpfs cannot name (it holds ':')", text.DisplayPath(mp)))
		}
	}
	for _, f := range rec.Files {
		if !onRootfs(f, rec) {
			continue
		}
		p := strings.TrimSuffix(f.Path, "/")
		i := slices.IndexFunc(tmpfs, func(mp string) bool { return IsUnder(p, mp) && p != mp })
		if i < 0 {
			continue
		}
		if slices.Contains(f.Access, profile.AccessExec) || slices.Contains(f.Access, profile.AccessMmapExec) {
			return no(fmt.Sprintf("the container executed %s, and Docker mounts --tmpfs noexec: "+
				"to use --read-only, add --tmpfs=%s:exec yourself", text.DisplayPath(f.Path), tmpfs[i]))
		}
		if !slices.ContainsFunc(f.Access, profile.IsWriteAccess) {
			return no(fmt.Sprintf("the container read %s from the image, and the tmpfs on %s "+
				"that its writes there need would hide it", text.DisplayPath(f.Path), tmpfs[i]))
		}
	}

	conventional := conventionalTmpfs(rec, tmpfs)
	if len(tmpfs) == 0 && len(conventional) == 0 {
		return ReadOnly{Suggested: true, Tmpfs: []string{}, Reason: "the container did not write to its root filesystem"}
	}
	var held []string
	for _, mp := range tmpfs {
		var paths []string
		for _, inner := range sets.SortedKeys(written) {
			if IsUnder(inner, mp) {
				paths = append(paths, written[inner]...)
			}
		}
		slices.Sort(paths)
		held = append(held, fmt.Sprintf("--tmpfs=%s holds %s", mp, ListPaths(paths)))
	}
	reason := "the container did not write to its root filesystem"
	if len(held) > 0 {
		reason = "the container wrote to its root filesystem only in scratch directories, which " +
			"tmpfs mounts keep in memory: " + strings.Join(held, "; ")
	}
	if len(conventional) > 0 {
		reason += "; a tmpfs on " + andList(conventional) + " too, where programs write without " +
			"asking (temporary files, pid and lock files): mounted empty, so that a path the learning run " +
			"did not take does not fail with a read-only file system"
	}
	return ReadOnly{Suggested: true, Tmpfs: sets.Sorted(append(tmpfs, conventional...)), Conventional: conventional, Reason: reason}
}

// conventionalTmpfs are the scratch directories --read-only gets a tmpfs
// on although the run did not write there: /tmp always (every program may
// make a temporary file: an upload, a sort, a compiler's output), /run and
// /var/tmp where the run shows they exist. Left out is a directory that
// already has a tmpfs (needed, or under one), a mount of the container's
// own, or one where a tmpfs would break what the run did: it read a file
// of the image there, which the tmpfs would hide, or executed one (Docker
// mounts --tmpfs noexec).
func conventionalTmpfs(rec *profile.Recording, needed []string) []string {
	var out []string
	for _, dir := range []string{"/tmp", "/run", "/var/tmp"} {
		if slices.ContainsFunc(needed, func(mp string) bool { return IsUnder(dir, mp) || IsUnder(mp, dir) }) {
			continue
		}
		if slices.ContainsFunc(rec.ContainerMounts, func(m profile.ContainerMount) bool {
			d := strings.TrimRight(m.Destination, "/")
			return IsUnder(dir, d) || IsUnder(d, dir)
		}) {
			continue
		}
		present, breaks := dir == "/tmp", false
		for _, f := range rec.Files {
			p := strings.TrimSuffix(f.Path, "/")
			if !IsUnder(p, dir) {
				continue
			}
			present = true
			if p == dir || !onRootfs(f, rec) {
				continue // listing the directory itself is fine
			}
			if slices.Contains(f.Access, profile.AccessExec) || slices.Contains(f.Access, profile.AccessMmapExec) ||
				!slices.ContainsFunc(f.Access, profile.IsWriteAccess) {
				breaks = true
			}
		}
		if present && !breaks {
			out = append(out, dir)
		}
	}
	return out
}

// dockerMounts are mounted by Docker in every container, whatever the
// recording says about them.
var dockerMounts = []string{"/proc", "/sys", "/dev", "/etc/hosts", "/etc/hostname", "/etc/resolv.conf"}

// onRootfs reports whether f is on the container's root filesystem: so
// recorded, or of unknown mount (the cautious answer), and not under one of
// the mounts Docker makes or gave the container.
func onRootfs(f profile.FileAccess, rec *profile.Recording) bool {
	if f.Mount != profile.MountRootfs && f.Mount != "" {
		return false
	}
	for _, m := range dockerMounts {
		if IsUnder(f.Path, m) {
			return false
		}
	}
	for _, m := range rec.ContainerMounts {
		if IsUnder(f.Path, strings.TrimRight(m.Destination, "/")) {
			return false
		}
	}
	return true
}

// scratchRoot returns the scratch directory p is in (or is), "" if none.
func scratchRoot(p string) string {
	for _, root := range tmpfsRoots {
		if IsUnder(p, root) {
			return root
		}
	}
	return ""
}

// IsUnder reports whether path is dir or inside it (dir without a trailing
// '/'; path with or without one).
func IsUnder(path, dir string) bool {
	return path == dir || strings.HasPrefix(path, dir+"/")
}

// parentDir is the directory holding p ("/a/b" -> "/a", "/a" -> "/").
func parentDir(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

// ListPaths names up to three paths, and how many more there are.
func ListPaths(paths []string) string {
	shown := make([]string, 0, 3)
	for _, p := range paths[:min(3, len(paths))] {
		shown = append(shown, text.DisplayPath(p))
	}
	s := strings.Join(shown, ", ")
	if len(paths) > 3 {
		s += fmt.Sprintf(" and %d more", len(paths)-3)
	}
	return s
}

// andList joins "a", "b" and "c" as "a, b and c".
func andList(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}
