package tracer

// Attribution: which Docker container a mount namespace the kernel saw
// belongs to. A namespace is judged when it arms (by then the runtime has
// put it in the container's cgroup), containers that already run are
// registered at the start, and namespaces that never arm are dropped.

import (
	"context"
	"fmt"
	"time"

	"github.com/tailorsec/tailor/profile"
)

// registerRunning makes the selected containers that already run targets.
func (s *Session) registerRunning(ctx context.Context) error {
	if len(s.opts.Containers) == 0 {
		return nil
	}
	for _, sel := range s.opts.Containers {
		info, err := s.docker.Inspect(ctx, sel)
		if err != nil || !info.Running || info.Pid <= 0 {
			continue // recorded when it starts
		}
		if !s.opts.Match.Selects(profile.Container{Name: info.Name, Image: info.Image, Labels: info.Labels}) {
			s.opts.Warnf("container %s is not recorded: --match does not select it", info.Name)
			continue
		}
		mntns, err := mntnsOf(fmt.Sprintf("/proc/%d/ns/mnt", info.Pid))
		if err != nil {
			return fmt.Errorf("container %s: %w", info.Name, err)
		}
		slot, gen, err := s.kernel.RegisterRunning(mntns)
		if err != nil {
			return fmt.Errorf("container %s: %w", info.Name, err)
		}
		rec := &containerRec{info: info, startMissed: true, start: time.Now()}
		rec.live = append(rec.live, slotGen{slot, gen})
		s.containers[info.ID] = rec
		s.targets[slotGen{slot, gen}] = rec
		s.order = append(s.order, info.ID)
		s.opts.Warnf("container %s was already running: its start was missed", info.Name)
	}
	return nil
}

// attribute ties an armed namespace to its Docker container, or lets the
// kernel forget it.
func (s *Session) attribute(sg slotGen, id string) {
	if id == "" {
		_ = s.kernel.Ignore(sg.slot, sg.gen)
		return
	}
	if testHookAttribute != nil {
		testHookAttribute(id)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	info, err := s.docker.Inspect(ctx, id)
	cancel()
	s.mu.Lock()
	defer s.mu.Unlock()
	if early := s.early[id]; err != nil && early.ID != "" {
		info, err = early, nil // removed already, but Docker was asked in time
	}
	if err != nil {
		ev, ok := s.seen[id]
		if !ok {
			// Not a Docker container (another runtime): not ours.
			_ = s.kernel.Ignore(sg.slot, sg.gen)
			return
		}
		// Gone before we could ask (a very short --rm container).
		info = ContainerInfo{ID: id, Name: ev.Name, Image: ev.Image, Labels: ev.Labels}
	}
	if !s.selected(info) {
		_ = s.kernel.Ignore(sg.slot, sg.gen)
		return
	}
	rec := s.containers[id]
	if rec == nil {
		rec = &containerRec{info: info}
		if snap, ok, _ := s.kernel.Snapshot(sg.slot, sg.gen); ok {
			rec.start = snap.CreatedAt
		}
		if rec.start.IsZero() {
			rec.start = time.Now()
		}
		if err != nil {
			rec.settingsUnknown = fmt.Sprintf("the container was gone before Docker could be asked about it (%v)", err)
			rec.warnings = append(rec.warnings, rec.settingsUnknown+": runtime and security settings are unknown")
		}
		s.containers[id] = rec
		s.order = append(s.order, id)
	}
	rec.live = append(rec.live, sg)
	rec.stopped = false
	s.targets[sg] = rec
	if info.Pid > 0 && rec.memoryDir == "" {
		rec.memoryDir, _ = cgroupDirs(info.Pid, info.ID)
		if rec.memoryDir != "" {
			// The pid is the container's (its cgroup names it): its
			// limit is what the engine gave the container.
			rec.openFilesLimit = openFilesLimit(info.Pid)
			// A first sample now: a container that ends before the
			// sampling loop's next tick would otherwise get no peak.
			go s.sample(rec)
		}
	}
	if ev, ok := s.died[id]; ok {
		delete(s.died, id)
		s.dead = append(s.dead, ev) // after the events still queued behind this one
	}
}

// reapLoop ignores new namespaces that never arm (see pendingLimit).
func (s *Session) reapLoop(ctx context.Context) {
	defer s.loops.Done()
	tick := time.NewTicker(pendingLimit / 6)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			s.mu.Lock()
			for sg, p := range s.pending {
				if now.Sub(p.since) > pendingLimit {
					_ = s.kernel.Ignore(sg.slot, sg.gen)
					delete(s.pending, sg)
				}
			}
			s.forgetDestroyedLocked(now)
			s.mu.Unlock()
		}
	}
}

// forgetDestroyedLocked drops what the session keeps of containers Docker
// removed more than pendingLimit ago: their names and settings from the
// event stream, a death never attributed, and an OOM kill once the
// container is finalized. Their recordings stay in s.containers.
func (s *Session) forgetDestroyedLocked(now time.Time) {
	for id, at := range s.destroyed {
		if now.Sub(at) <= pendingLimit {
			continue
		}
		delete(s.seen, id)
		delete(s.early, id)
		delete(s.died, id)
		delete(s.destroyed, id)
		if rec := s.containers[id]; rec == nil || len(rec.live) == 0 {
			delete(s.oomKilled, id) // read when a container is finalized
		}
	}
}
