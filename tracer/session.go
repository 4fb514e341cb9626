package tracer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

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
	early map[string]ContainerInfo
	// destroyed are containers Docker removed, and when: what the maps
	// above keep of them is dropped once no namespace of theirs can still
	// be waiting for attribution (pendingLimit), so that a long session
	// does not grow with every container it ever saw.
	destroyed map[string]time.Time
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
	// settingsUnknown: why Docker could not be asked about the container.
	settingsUnknown string
	files           map[string]*fileUse // by path inside the container
	mounts          []profile.MountUse
	outsideRoot     int // file accesses the kernel could not place under the root
	execs           []profile.ExecIdentity
	rootOnly        []profile.RootOnlyAccess
	memoryDir       string // the container's memory cgroup, for sampling
	peakMemory      int64
	peakFiles       int64
	openFilesLimit  int64 // soft RLIMIT_NOFILE of its first process
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
		destroyed:  map[string]time.Time{},
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

// nameOps are the accesses that make or remove a name in a directory.
const nameOps = bpf.RecorderAccessBitsACCESS_CREATE | bpf.RecorderAccessBitsACCESS_UNLINK | bpf.RecorderAccessBitsACCESS_RENAME |
	bpf.RecorderAccessBitsACCESS_MKDIR | bpf.RecorderAccessBitsACCESS_RMDIR | bpf.RecorderAccessBitsACCESS_LINK | bpf.RecorderAccessBitsACCESS_SYMLINK

// testHookAttribute, when set by a test, runs before attribute asks Docker
// about a container: it lets a test remove the container first, as a busy
// machine may.
var testHookAttribute func(id string)

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
