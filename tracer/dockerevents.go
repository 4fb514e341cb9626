package tracer

// Docker's events: a container's create and start (inspected at once, so
// that a short --rm container keeps its settings), its death (finalized
// after the kernel's last events of it) and an OOM kill.

import (
	"context"
	"fmt"
	"time"
)

func (s *Session) dockerLoop(evs <-chan ContainerEvent, errs <-chan error) {
	defer s.loops.Done()
	for {
		select {
		case ev, ok := <-evs:
			if !ok {
				return
			}
			s.handleDockerEvent(ev)
		case err := <-errs:
			s.warn("%v", err)
		}
	}
}

func (s *Session) handleDockerEvent(ev ContainerEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch ev.Action {
	case "create", "start":
		s.seen[ev.ID] = ev
		if _, asked := s.early[ev.ID]; !asked {
			s.early[ev.ID] = ContainerInfo{} // being asked
			s.loops.Add(1)
			go s.inspectEarly(ev.ID)
		}
	case "oom":
		s.oomKilled[ev.ID] = true
	case "destroy":
		s.destroyed[ev.ID] = time.Now() // when we heard: the clock reapLoop compares with
	case "die":
		if rec := s.containers[ev.ID]; rec != nil && len(rec.live) > 0 {
			s.dead = append(s.dead, ev)
		} else {
			s.died[ev.ID] = ev
		}
	}
}

// inspectEarly asks Docker about a container as soon as it is created, so
// that its settings are known even if it is removed before its namespace
// arms and is attributed (see attribute).
func (s *Session) inspectEarly(id string) {
	defer s.loops.Done()
	ctx, cancel := context.WithTimeout(s.loopCtx, 10*time.Second)
	info, err := s.docker.Inspect(ctx, id)
	cancel()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		delete(s.early, id) // a later start event may ask again
		return
	}
	// Its process is gone when this is used: the pid may be another's by then.
	info.Pid, info.Running = 0, false
	s.early[id] = info
}

// finalizeLocked takes the final counts of a container whose processes are
// all gone and hands its namespaces back to the kernel.
func (s *Session) finalizeLocked(rec *containerRec, at time.Time, exitCode *int) {
	if rec.memoryDir != "" {
		rec.peakMemory = max(rec.peakMemory, memoryPeak(rec.memoryDir))
	}
	oom := s.oomKilled[rec.info.ID]
	for _, sg := range rec.live {
		snap, ok, err := s.kernel.Snapshot(sg.slot, sg.gen)
		if err != nil {
			rec.warnings = append(rec.warnings, fmt.Sprintf("reading the final counts failed: %v", err))
		} else if ok {
			rec.snaps = append(rec.snaps, snap)
			oom = oom || snap.OOMKills > 0
		}
		_ = s.kernel.Release(sg.slot, sg.gen)
		delete(s.targets, sg)
	}
	rec.live = nil
	rec.stopped = true
	rec.stop = at
	if rec.stop.IsZero() {
		rec.stop = time.Now()
	}
	rec.exitCode = exitCode
	if oom {
		rec.warnings = append(rec.warnings, fmt.Sprintf("the kernel's OOM killer ended the container (memory limit %d bytes): what it would have done next is not in the profile; raise the limit and record again", rec.info.Config.MemoryBytes))
	} else if exitCode != nil && *exitCode != 0 {
		rec.warnings = append(rec.warnings, fmt.Sprintf("the container exited with code %d (137 is SIGKILL: killed or out of memory): the profile holds what it did until then", *exitCode))
	}
}
