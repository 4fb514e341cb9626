package tracer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cilium/ebpf/ringbuf"

	"github.com/tailorsec/tailor/bpf"
	"github.com/tailorsec/tailor/profile"
)

// SessionOptions configure a recording session.
type SessionOptions struct {
	// Containers selects containers by name or id (prefix); they may
	// already run. Empty: every container that starts during the session.
	Containers []string
	// Match narrows the selection by name glob, image and label. The
	// kernel forgets the containers it does not select as soon as they are
	// identified.
	Match profile.Match
	// MaxContainers bounds how many containers are recorded at once.
	MaxContainers int
	// TailorVersion goes into every report.
	TailorVersion string
	// Warnf receives problems worth telling the user as they happen. May
	// be nil.
	Warnf func(format string, args ...any)
}

// Session records containers from StartSession to Stop. It is the one code
// path behind `tailor record` and the Go API.
type Session struct {
	opts   SessionOptions
	kernel *Kernel
	docker *Docker
	host   profile.Host

	cancel  context.CancelFunc
	loops   sync.WaitGroup
	stopped bool

	mu         sync.Mutex
	pending    map[slotGen]pendingTarget // new namespaces, not armed yet
	targets    map[slotGen]*containerRec // armed namespaces and their container
	containers map[string]*containerRec  // by container id
	order      []string                  // container ids in order of arming
	seen       map[string]ContainerEvent // names and images from Docker's event stream
	// early holds what Docker said of a container when it was created (or
	// started), for a container that is gone by the time it is attributed:
	// a short --rm container is removed within milliseconds of its exit,
	// and its runtime and security settings must not be lost with it.
	early     map[string]ContainerInfo
	loopCtx   context.Context           // ends when the session stops
	died      map[string]ContainerEvent // deaths of containers not attributed yet
	oomKilled map[string]bool           // containers the OOM killer hit
	// dead are containers that died, to finalize once the kernel's events
	// queued before their death have been read (their last files).
	dead     []ContainerEvent
	warnings []string // session-wide, copied into every report
}

type slotGen struct{ slot, gen uint32 }

// pendingTarget is a new mount namespace that has not armed yet. Its
// container id may be unknown: crun makes the namespace before it joins
// the container's cgroup.
type pendingTarget struct {
	id    string
	since time.Time
}

// pendingLimit is how long a new namespace may stay unarmed before it is
// taken for no container (a service's private /tmp, an unshare that never
// execs) and ignored. Runtimes arm within milliseconds.
const pendingLimit = time.Minute

// containerRec accumulates one container. A restarted container gets a new
// mount namespace, so it may span several kernel targets.
type containerRec struct {
	info        ContainerInfo
	live        []slotGen  // targets still counting in the kernel
	snaps       []Snapshot // final snapshots of released targets
	startMissed bool
	start, stop time.Time
	stopped     bool
	exitCode    *int
	privExecs   []string
	warnings    []string
	files       map[string]*fileUse // by path inside the container
	mounts      []profile.MountUse
	outsideRoot int // file accesses the kernel could not place under the root
	execs       []profile.ExecIdentity
	rootOnly    []profile.RootOnlyAccess
	memoryDir   string // the container's memory cgroup, for sampling
	peakMemory  int64
	peakFiles   int64
}

// fileUse accumulates what was done to one path.
type fileUse struct {
	access   bpf.RecorderAccessBits
	onRoot   bool
	fstype   string
	resolved bool // seen as a file by the kernel at least once, not only as a name
}

// StartSession connects to Docker, loads and attaches the BPF programs and
// starts recording. The caller must call Stop, which also releases the
// programs.
func StartSession(ctx context.Context, opts SessionOptions) (_ *Session, err error) {
	if opts.Warnf == nil {
		opts.Warnf = func(string, ...any) {}
	}
	// Docker answers while the verifier works: the two are independent and
	// together make up most of the time to ready. A kernel that cannot
	// record is the error to report first.
	type connected struct {
		docker *Docker
		err    error
	}
	dockerc := make(chan connected, 1)
	go func() {
		d, err := ConnectDocker(ctx)
		dockerc <- connected{d, err}
	}()
	kernel, kerr := LoadKernel(KernelOptions{MaxTargets: opts.MaxContainers})
	c := <-dockerc
	if kerr != nil || c.err != nil {
		if kernel != nil {
			kernel.Close()
		}
		if c.docker != nil {
			c.docker.Close()
		}
		return nil, cmp.Or(kerr, c.err)
	}
	docker := c.docker
	s := &Session{
		opts: opts, kernel: kernel, docker: docker,
		pending:    map[slotGen]pendingTarget{},
		targets:    map[slotGen]*containerRec{},
		containers: map[string]*containerRec{},
		seen:       map[string]ContainerEvent{},
		early:      map[string]ContainerInfo{},
		died:       map[string]ContainerEvent{},
		oomKilled:  map[string]bool{},
		host: profile.Host{
			Kernel:        kernelRelease(),
			Arch:          runtime.GOARCH,
			TailorVersion: opts.TailorVersion,
			DockerVersion: docker.Version,

			CapabilityMechanism: kernel.CapabilityMechanism,
		},
	}
	defer func() {
		if err != nil {
			kernel.Close()
			docker.Close()
		}
	}()
	if !kernel.CapabilitiesRecorded {
		s.warn("this kernel (%s) offers no hook for capability checks (%s): they are not recorded, Docker's default capabilities are kept", s.host.Kernel, strings.TrimPrefix(kernel.CapabilityMechanism, "none: "))
	}

	// Subscribe before attaching so that no container slips between.
	loopCtx, cancel := context.WithCancel(context.Background())
	s.cancel, s.loopCtx = cancel, loopCtx
	dockerEvents, dockerErrs := docker.Events(loopCtx)

	if err := s.registerRunning(ctx); err != nil {
		cancel()
		return nil, err
	}
	if err := kernel.Start(); err != nil {
		cancel()
		return nil, err
	}
	s.loops.Add(4)
	go s.kernelLoop()
	go s.dockerLoop(dockerEvents, dockerErrs)
	go s.reapLoop(loopCtx)
	go s.sampleLoop(loopCtx)
	return s, nil
}

func (s *Session) warn(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	s.mu.Lock()
	s.warnings = append(s.warnings, msg)
	s.mu.Unlock()
	s.opts.Warnf("%s", msg)
}

func (s *Session) selected(info ContainerInfo) bool {
	if !s.opts.Match.Selects(profile.Container{Name: info.Name, Image: info.Image, Labels: info.Labels}) {
		return false
	}
	if len(s.opts.Containers) == 0 {
		return true
	}
	for _, sel := range s.opts.Containers {
		if sel == info.Name || (len(sel) >= 4 && strings.HasPrefix(info.ID, sel)) {
			return true
		}
	}
	return false
}

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

// nameOps are the accesses that make or remove a name in a directory.
const nameOps = bpf.RecorderAccessBitsACCESS_CREATE | bpf.RecorderAccessBitsACCESS_UNLINK | bpf.RecorderAccessBitsACCESS_RENAME |
	bpf.RecorderAccessBitsACCESS_MKDIR | bpf.RecorderAccessBitsACCESS_RMDIR | bpf.RecorderAccessBitsACCESS_LINK | bpf.RecorderAccessBitsACCESS_SYMLINK

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

// testHookAttribute, when set by a test, runs before attribute asks Docker
// about a container: it lets a test remove the container first, as a busy
// machine may.
var testHookAttribute func(id string)

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
			rec.warnings = append(rec.warnings, fmt.Sprintf("the container was gone before Docker could be asked about it (%v): runtime and security settings are unknown", err))
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
			s.mu.Unlock()
		}
	}
}

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

// Stop ends the session: it takes the last counts of every container,
// releases all BPF objects (always, also on error) and returns one recording
// per container, in the order they started. Containers still running are
// marked partial.
func (s *Session) Stop() ([]*profile.Recording, error) {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return nil, errors.New("session already stopped")
	}
	s.stopped = true
	s.mu.Unlock()

	// Handle the kernel events still queued (a container armed just now),
	// then stop both loops.
	s.kernel.FlushEvents()
	s.cancel()
	s.loops.Wait()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s.mu.Lock()
	for _, id := range s.order {
		rec := s.containers[id]
		if len(rec.live) == 0 {
			continue
		}
		// The die event may still be on its way: ask Docker directly.
		info, err := s.docker.Inspect(ctx, id)
		switch {
		case err != nil:
			s.finalizeLocked(rec, time.Now(), nil) // removed (--rm): it has ended
		case !info.Running:
			s.finalizeLocked(rec, time.Now(), nil)
		default:
			// Still running: counts so far, marked partial.
			for _, sg := range rec.live {
				if snap, ok, err := s.kernel.Snapshot(sg.slot, sg.gen); err == nil && ok {
					rec.snaps = append(rec.snaps, snap)
				}
			}
			rec.live = nil
			rec.stop = time.Now()
		}
	}
	stats, statsErr := s.kernel.Stats()
	s.mu.Unlock()

	closeErr := errors.Join(s.kernel.Close(), s.docker.Close())
	if statsErr != nil {
		s.warnings = append(s.warnings, fmt.Sprintf("reading the recorder's error counters failed: %v", statsErr))
	}
	if stats.NoSlot > 0 {
		s.warnings = append(s.warnings, fmt.Sprintf("%d new mount namespaces could not be recorded: all slots were busy (raise --max-containers)", stats.NoSlot))
	}
	if stats.NoStorage > 0 {
		s.warnings = append(s.warnings, fmt.Sprintf("%d processes could not be tracked: the kernel refused task storage", stats.NoStorage))
	}

	var out []*profile.Recording
	for _, id := range s.order {
		out = append(out, buildRecording(s.containers[id], s.host, s.kernel.CapabilitiesRecorded, stats, s.warnings))
	}
	return out, closeErr
}

// buildRecording turns a container's snapshots into the pure model.
func buildRecording(rec *containerRec, host profile.Host, capsRecorded bool, stats Stats, sessionWarnings []string) *profile.Recording {
	r := &profile.Recording{
		Container: profile.Container{
			ID: rec.info.ID, Name: rec.info.Name, Image: rec.info.Image,
			ImageID: rec.info.ImageID, Runtime: rec.info.Runtime, ExitCode: rec.exitCode,
			Labels: maps.Clone(rec.info.Labels),
		},
		Host:                 host,
		Start:                rec.start,
		Stop:                 rec.stop,
		StartMissed:          rec.startMissed,
		Partial:              !rec.stopped,
		Learning:             rec.info.Learning,
		CapabilitiesRecorded: capsRecorded,
		PrivilegedExecs:      slices.Clone(rec.privExecs),
		EventsLost:           stats.EventsLost,
		Warnings:             append(slices.Clone(sessionWarnings), rec.warnings...),
	}
	native := profile.NativeArch()
	compat, x32 := profile.CompatArchs(native)
	archOf := [numABIs]profile.Arch{native, compat, x32}

	type key struct {
		arch profile.Arch
		nr   int
	}
	counts := map[key]uint64{}
	runtimeNrs := map[int]bool{}
	argsWorkload, argsSetup, argsOverflow := map[int][]uint64{}, map[int][]uint64{}, map[int]bool{}
	var granted, denied, noaudit, otherNS [numCaps]uint64
	var capSyscalls [numCaps]map[int]bool
	for _, snap := range rec.snaps {
		if r.ArmedBy == "" || r.ArmedBy == profile.ArmedByFilter && snap.ArmedBy == ArmedExec {
			r.ArmedBy = armedByName(snap.ArmedBy)
		}
		r.UnknownSyscalls += snap.Overflow
		for abi := range snap.Syscalls {
			if archOf[abi] == "" {
				continue
			}
			for nr, n := range snap.Syscalls[abi] {
				if n > 0 {
					counts[key{archOf[abi], nr}] += n
				}
			}
		}
		if snap.ArmedBy == ArmedExec {
			// No filter was loaded: the runtime's last steps before the
			// exec would run under one next time.
			for _, nr := range snap.Tail {
				runtimeNrs[nr] = true
			}
		}
		for nr, v := range snap.Args.workload {
			argsWorkload[nr] = append(argsWorkload[nr], v...)
		}
		for nr, v := range snap.Args.setup {
			argsSetup[nr] = append(argsSetup[nr], v...)
		}
		for _, nr := range snap.ArgsOverflow {
			argsOverflow[nr] = true
		}
		for cp := 0; cp < numCaps; cp++ {
			granted[cp] += snap.CapGranted[cp]
			denied[cp] += snap.CapDenied[cp]
			noaudit[cp] += snap.CapNoAudit[cp]
			otherNS[cp] += snap.CapOtherNS[cp]
			for _, nr := range snap.CapSyscalls[cp] {
				if capSyscalls[cp] == nil {
					capSyscalls[cp] = map[int]bool{}
				}
				capSyscalls[cp][nr] = true
			}
		}
	}
	for k, n := range counts {
		name, _ := profile.SyscallName(k.arch, k.nr)
		r.Syscalls = append(r.Syscalls, profile.SyscallUse{Arch: k.arch, Name: name, Number: k.nr, Count: n})
	}
	for nr := range runtimeNrs {
		if _, counted := counts[key{native, nr}]; counted {
			continue
		}
		name, _ := profile.SyscallName(native, nr)
		r.Syscalls = append(r.Syscalls, profile.SyscallUse{Arch: native, Name: name, Number: nr, Source: profile.SourceRuntime})
	}
	for cp := 0; cp < numCaps; cp++ {
		if granted[cp] == 0 && denied[cp] == 0 {
			continue
		}
		name, ok := profile.CapabilityName(cp)
		if !ok {
			name = fmt.Sprintf("CAP_%d", cp) // newer than this build knows
		}
		use := profile.CapabilityUse{Name: name, Granted: granted[cp], Denied: denied[cp], NoAudit: noaudit[cp], OtherUserNS: otherNS[cp]}
		for nr := range capSyscalls[cp] {
			if name, ok := profile.SyscallName(native, nr); ok {
				use.Syscalls = append(use.Syscalls, name)
			}
		}
		r.Capabilities = append(r.Capabilities, use)
	}
	if r.ArmedBy == "" {
		r.ArmedBy = armedByName(ArmedNone)
	}

	r.SyscallArgs = syscallArgs(native, argsWorkload, argsSetup, runtimeNrs, argsOverflow)
	r.Identity = profile.Identity{Execs: slices.Clone(rec.execs), RootOnly: slices.Clone(rec.rootOnly)}
	r.Resources = profile.Resources{PeakMemoryBytes: rec.peakMemory, PeakOpenFiles: rec.peakFiles}
	for _, snap := range rec.snaps {
		r.Resources.PeakTasks = max(r.Resources.PeakTasks, snap.PeakTasks)
	}
	r.Config = rec.info.Config
	if stats.ArgsFull > 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%d argument values could not be kept (the kernel's table was full): those syscalls are allowed with any argument", stats.ArgsFull))
	}
	r.ContainerMounts = slices.Clone(rec.info.Mounts)
	r.FilesRecorded = true
	for _, snap := range rec.snaps {
		r.Sockets = append(r.Sockets, snap.Sockets...)
		r.SignalsSent = append(r.SignalsSent, snap.SignalsSent...)
		r.Ptrace = append(r.Ptrace, snap.Ptrace...)
		r.SharedMemory = append(r.SharedMemory, snap.SharedMemory...)
		for abi := ABICompat; abi <= ABIX32; abi++ {
			for _, n := range snap.Syscalls[abi] {
				if n > 0 {
					r.FilesRecorded = false
				}
			}
		}
	}
	if !r.FilesRecorded {
		r.Warnings = append(r.Warnings, "the container made 32-bit syscalls, whose file access tailor does not record: the AppArmor profile allows all file access")
	}
	for p, u := range rec.files {
		kind, point := classifyMount(p, u.onRoot, u.fstype, rec.info.Mounts)
		r.Files = append(r.Files, profile.FileAccess{Path: p, Access: accessNames(u.access), Mount: kind, MountPoint: point, NameOnly: !u.resolved})
	}
	r.Mounts = slices.Clone(rec.mounts)
	if rec.outsideRoot > 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%d file accesses were to files outside the container's root (descriptors passed in from outside) and are not in the profile", rec.outsideRoot))
	}
	profile.Normalize(r)
	return r
}

// classifyMount says where a path lives: the container's root filesystem,
// a mount Docker made for it (the longest matching destination), or one of
// the kernel's own filesystems.
func classifyMount(p string, onRoot bool, fstype string, mounts []profile.ContainerMount) (kind, point string) {
	if onRoot {
		return profile.MountRootfs, ""
	}
	best := -1
	for i, m := range mounts {
		d := strings.TrimSuffix(m.Destination, "/")
		if (p == d || strings.HasPrefix(p, d+"/")) && (best < 0 || len(d) > len(mounts[best].Destination)) {
			best = i
		}
	}
	if best >= 0 {
		return mounts[best].Type, mounts[best].Destination
	}
	switch {
	case fstype == "proc":
		return profile.MountProc, "/proc"
	case fstype == "sysfs" || strings.HasPrefix(fstype, "cgroup"):
		return profile.MountSys, "/sys"
	case p == "/dev" || strings.HasPrefix(p, "/dev/"):
		return profile.MountDev, "/dev"
	case fstype == "tmpfs":
		return profile.MountTmpfs, ""
	}
	// Docker's own bind mounts: /etc/hosts, /etc/hostname, /etc/resolv.conf.
	return profile.MountBind, p
}

func armedByName(a ArmedBy) string {
	switch a {
	case ArmedFilter:
		return profile.ArmedByFilter
	case ArmedExec:
		return profile.ArmedByExec
	case ArmedLate:
		return profile.ArmedLate
	}
	return a.String()
}
