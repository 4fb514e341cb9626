package tracer

// ContainerStatus is what one container has done so far, for a live
// display while the session runs.
type ContainerStatus struct {
	ID, Name, Image string
	Labels          map[string]string
	// Syscalls counts distinct syscalls (native and compat), Capabilities
	// distinct capabilities checked (granted or denied), Files distinct
	// paths, all since the container armed.
	Syscalls, Capabilities, Files int
	Running                       bool
}

// Status reports every container recorded so far, in the order they
// started. It reads the kernel's counters of the running ones, so call it
// about once a second, not in a tight loop.
func (s *Session) Status() []ContainerStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return nil
	}
	out := make([]ContainerStatus, 0, len(s.order))
	for _, id := range s.order {
		rec := s.containers[id]
		snaps := rec.snaps
		for _, sg := range rec.live {
			if snap, ok, err := s.kernel.Snapshot(sg.slot, sg.gen); err == nil && ok {
				snaps = append(snaps[:len(snaps):len(snaps)], snap)
			}
		}
		st := ContainerStatus{
			ID: rec.info.ID, Name: rec.info.Name, Image: rec.info.Image, Labels: rec.info.Labels,
			Files: len(rec.files), Running: len(rec.live) > 0,
		}
		type abiNr struct{ abi, nr int }
		syscalls := map[abiNr]bool{}
		caps := map[int]bool{}
		for _, snap := range snaps {
			for abi, counts := range snap.Syscalls {
				for nr, n := range counts {
					if n > 0 {
						syscalls[abiNr{abi, nr}] = true
					}
				}
			}
			for c := range snap.CapGranted {
				if snap.CapGranted[c]+snap.CapDenied[c] > 0 {
					caps[c] = true
				}
			}
		}
		st.Syscalls, st.Capabilities = len(syscalls), len(caps)
		out = append(out, st)
	}
	return out
}
