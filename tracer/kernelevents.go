package tracer

// The kernel's events: new and armed namespaces, privileged execs, files
// opened, mounts and execs. They are read in order from the ring buffer;
// a container that died is finalized only once the queue is empty, so
// that its last events are in its recording.

import (
	"errors"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/cilium/ebpf/ringbuf"
	"github.com/tailorsec/tailor/bpf"
	"github.com/tailorsec/tailor/profile"
)

// kernelLoop reads the kernel's events. Whenever the queue is empty it
// finalizes the containers that died: every event of theirs was queued
// before their death, so by then it has been read.
func (s *Session) kernelLoop() {
	defer s.loops.Done()
	for {
		s.kernel.SetEventDeadline(time.Now().Add(100 * time.Millisecond))
		e, err := s.kernel.ReadEvent()
		switch {
		case errors.Is(err, os.ErrDeadlineExceeded):
			s.finalizeDead()
			continue
		case errors.Is(err, ringbuf.ErrFlushed), errors.Is(err, ringbuf.ErrClosed):
			s.finalizeDead()
			return
		case err != nil:
			s.warn("reading kernel events: %v", err)
			s.finalizeDead()
			return
		}
		s.handleKernelEvent(e)
		if !s.kernel.EventsPending() {
			s.finalizeDead()
		}
	}
}

// finalizeDead finalizes the containers whose death was reported.
func (s *Session) finalizeDead() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ev := range s.dead {
		if rec := s.containers[ev.ID]; rec != nil && len(rec.live) > 0 {
			s.finalizeLocked(rec, ev.Time, ev.ExitCode)
		}
	}
	s.dead = nil
}

func (s *Session) handleKernelEvent(e Event) {
	sg := slotGen{e.Slot, e.Gen}
	switch e.Type {
	case EventNewTarget:
		// Judged when it arms: by then the runtime has put it in the
		// container's cgroup (crun joins it only after making the
		// namespace).
		s.mu.Lock()
		s.pending[sg] = pendingTarget{id: ContainerIDFromCgroups(e.Cgroups), since: time.Now()}
		s.mu.Unlock()
	case EventArmed:
		id := ContainerIDFromCgroups(e.Cgroups)
		s.mu.Lock()
		if id == "" {
			id = s.pending[sg].id
		}
		delete(s.pending, sg)
		s.mu.Unlock()
		// No container id: a mount namespace that is no container (a
		// service's private /tmp, an unshare): stop looking at it.
		s.attribute(sg, id)
	case EventPrivilegedExec:
		s.mu.Lock()
		if rec := s.targets[sg]; rec != nil && !slices.Contains(rec.privExecs, e.Path) {
			rec.privExecs = append(rec.privExecs, e.Path)
		}
		s.mu.Unlock()
	case EventFile, EventMount:
		s.mu.Lock()
		if rec := s.targets[sg]; rec != nil {
			rec.addFile(e.File)
		}
		s.mu.Unlock()
	case EventExec:
		s.mu.Lock()
		if rec := s.targets[sg]; rec != nil {
			id := profile.ExecIdentity{Path: e.Path, UID: e.UID, GID: e.GID}
			if !slices.Contains(rec.execs, id) {
				rec.execs = append(rec.execs, id)
			}
		}
		s.mu.Unlock()
	}
}

// addFile records one file event of the container.
func (rec *containerRec) addFile(f *FileEvent) {
	if f.Mount {
		rec.mounts = append(rec.mounts, profile.MountUse{Target: f.Path})
		return
	}
	if f.Flags&bpf.RecorderFileEventFlagsFILE_OUTSIDE_ROOT != 0 {
		// Not reachable from the container's root (a descriptor passed
		// in from outside): no path inside it to name.
		rec.outsideRoot++
		return
	}
	// An exec through a /proc magic link (/proc/self/exe): the kernel
	// checks the file it points to, which the event of the exec'd file
	// names already.
	if f.Flags&bpf.RecorderFileEventFlagsFILE_NAME_UNRESOLVED != 0 && f.Access&bpf.RecorderAccessBitsACCESS_EXEC != 0 && strings.HasPrefix(f.Path, "/proc/") {
		return
	}
	p := f.Path
	if f.Access&(bpf.RecorderAccessBitsACCESS_MKDIR|bpf.RecorderAccessBitsACCESS_RMDIR) != 0 && !strings.HasSuffix(p, "/") {
		p += "/" // a directory, as AppArmor names it
	}
	if rec.files == nil {
		rec.files = map[string]*fileUse{}
	}
	u := rec.files[p]
	if u == nil {
		u = &fileUse{onRoot: f.OnRoot, fstype: f.FSType}
		rec.files[p] = u
	}
	// A file the container made itself would belong to whatever user it
	// ran as: using it later needs no root.
	ownFile := u.access&(bpf.RecorderAccessBitsACCESS_CREATE|bpf.RecorderAccessBitsACCESS_MKDIR) != 0 && f.Access&nameOps == 0
	u.access |= f.Access
	u.resolved = u.resolved || f.Flags&bpf.RecorderFileEventFlagsFILE_NAME_UNRESOLVED == 0
	if ownFile {
		return
	}
	for _, r := range rootOnlyAccesses(p, f) {
		if !slices.Contains(rec.rootOnly, r) {
			rec.rootOnly = append(rec.rootOnly, r)
		}
	}
}

// rootOnlyAccesses are the accesses of a file event that only root could
// make: the process ran as root, the file (or the directory a name was
// made or removed in) belongs to root, and its mode gives others no such
// right. Group rights are not counted: a non-root user might lack them.
func rootOnlyAccesses(path string, f *FileEvent) []profile.RootOnlyAccess {
	if f.FSUID != 0 {
		return nil
	}
	var out []profile.RootOnlyAccess
	check := func(access string, owner uint32, mode uint16, other uint16) {
		if owner == 0 && mode&other == 0 {
			out = append(out, profile.RootOnlyAccess{Path: path, Access: access, Owner: owner, Mode: uint32(mode & 07777)})
		}
	}
	named := f.Flags&bpf.RecorderFileEventFlagsFILE_NAME_UNRESOLVED != 0
	const r, w, x = 04, 02, 01
	if f.Access&nameOps != 0 {
		// Making or removing a name needs write access to the directory:
		// the event's own inode for a name operation, the parent of a
		// file created by open.
		owner, mode := f.DirUID, f.DirMode
		if named {
			owner, mode = f.InoUID, f.InoMode
		}
		for _, a := range accessNames(f.Access & nameOps) {
			check(a, owner, mode, w)
		}
		return out // a file it just created is its own
	}
	if named {
		return out
	}
	if f.Access&bpf.RecorderAccessBitsACCESS_READ != 0 {
		check(profile.AccessRead, f.InoUID, f.InoMode, r)
	}
	if f.Access&(bpf.RecorderAccessBitsACCESS_WRITE|bpf.RecorderAccessBitsACCESS_APPEND|bpf.RecorderAccessBitsACCESS_TRUNCATE) != 0 {
		check(profile.AccessWrite, f.InoUID, f.InoMode, w)
	}
	if f.Access&bpf.RecorderAccessBitsACCESS_EXEC != 0 {
		check(profile.AccessExec, f.InoUID, f.InoMode, x)
	}
	return out
}
