package tracer

// What the kernel side does not count, sampled: a container's memory and
// open descriptors, read once a second for the resource limits.

import (
	"context"
	"time"
)

// sampleLoop reads what the kernel side does not count (memory, open
// descriptors) of every live container once a second.
func (s *Session) sampleLoop(ctx context.Context) {
	defer s.loops.Done()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			s.mu.Lock()
			var live []*containerRec
			for _, id := range s.order {
				if rec := s.containers[id]; len(rec.live) > 0 && rec.memoryDir != "" {
					live = append(live, rec)
				}
			}
			s.mu.Unlock()
			for _, rec := range live {
				s.sample(rec)
			}
		}
	}
}

// sample takes the resource peaks of one container.
func (s *Session) sample(rec *containerRec) {
	mem, files := memoryPeak(rec.memoryDir), highestDescriptor(rec.memoryDir)
	s.mu.Lock()
	rec.peakMemory = max(rec.peakMemory, mem)
	rec.peakFiles = max(rec.peakFiles, files)
	s.mu.Unlock()
}
