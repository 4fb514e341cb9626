package tracer

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"

	"github.com/tailorsec/tailor/profile"
)

// ErrDocker wraps every failure to reach the Docker daemon.
var ErrDocker = errors.New("cannot reach the Docker daemon")

// ContainerInfo is what tailor needs to know of a Docker container.
type ContainerInfo struct {
	ID, Name, Image, ImageID, Runtime string
	Labels                            map[string]string
	Pid                               int
	Running                           bool
	Learning                          profile.Learning
	// Mounts are the volumes, binds and tmpfs mounts Docker set up.
	Mounts []profile.ContainerMount
	// Config is the rest of what Docker was told.
	Config profile.ContainerConfig
}

// ContainerEvent is a container's life-cycle event from the Docker daemon.
type ContainerEvent struct {
	Action string // "create", "start", "oom", "die", "destroy"
	ID     string
	Name   string
	Image  string
	// Labels are the container's labels, which Docker sends with every
	// event: a container gone before it could be inspected is still
	// selected and named by them.
	Labels   map[string]string
	ExitCode *int
	Time     time.Time
}

// Docker finds containers through the Docker API.
type Docker struct {
	cli     *client.Client
	Version string
	// usernsRemap: dockerd maps container root to an unprivileged user.
	usernsRemap bool
}

// ConnectDocker connects to the daemon named by DOCKER_HOST (default: the
// local socket) and checks that it answers.
func ConnectDocker(ctx context.Context) (*Docker, error) {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDocker, err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := cli.ServerVersion(pctx)
	if err != nil {
		cli.Close()
		return nil, fmt.Errorf("%w at %s: %v", ErrDocker, cli.DaemonHost(), err)
	}
	d := &Docker{cli: cli, Version: v.Version}
	if info, err := cli.Info(pctx); err == nil {
		for _, opt := range info.SecurityOptions {
			if strings.Contains(opt, "name=userns") {
				d.usernsRemap = true
			}
		}
	}
	return d, nil
}

// Close releases the client.
func (d *Docker) Close() error { return d.cli.Close() }

// Inspect returns what tailor needs of one container, by id or name.
func (d *Docker) Inspect(ctx context.Context, idOrName string) (ContainerInfo, error) {
	r, err := d.cli.ContainerInspect(ctx, idOrName)
	if err != nil {
		return ContainerInfo{}, err
	}
	info := ContainerInfo{
		ID:      r.ID,
		Name:    strings.TrimPrefix(r.Name, "/"),
		ImageID: r.Image,
	}
	if r.Config != nil {
		info.Image = r.Config.Image
		info.Labels = maps.Clone(r.Config.Labels)
	}
	if r.State != nil {
		info.Pid = r.State.Pid
		info.Running = r.State.Running
	}
	if r.HostConfig != nil {
		info.Runtime = r.HostConfig.Runtime
		info.Learning = learningFrom(r.HostConfig)
		info.Config = configFrom(r.HostConfig)
	}
	if r.Config != nil {
		info.Config.User = r.Config.User
		hc := r.Config.Healthcheck
		info.Config.Healthcheck = hc != nil && len(hc.Test) > 0 && hc.Test[0] != "NONE"
	}
	for _, m := range r.Mounts {
		info.Mounts = append(info.Mounts, profile.ContainerMount{
			Type: string(m.Type), Destination: m.Destination, ReadOnly: !m.RW,
			Source: mountSource(m), Propagation: string(m.Propagation),
		})
	}
	info.Config.DaemonUsernsRemap = d.usernsRemap
	return info, nil
}

// eventLabels takes the labels out of an event's attributes, where Docker
// mixes them with the attributes of its own.
func eventLabels(attrs map[string]string) map[string]string {
	var labels map[string]string
	for k, v := range attrs {
		switch k {
		case "name", "image", "exitCode", "signal", "execDuration":
			continue
		}
		if labels == nil {
			labels = map[string]string{}
		}
		labels[k] = v
	}
	return labels
}

func mountSource(m container.MountPoint) string {
	if m.Type == "volume" && m.Name != "" {
		return m.Name
	}
	return m.Source
}

// configFrom keeps what the hardening checklists ask of a host config.
func configFrom(hc *container.HostConfig) profile.ContainerConfig {
	c := profile.ContainerConfig{
		Privileged:     hc.Privileged,
		NetworkMode:    string(hc.NetworkMode),
		PidMode:        string(hc.PidMode),
		IpcMode:        string(hc.IpcMode),
		UTSMode:        string(hc.UTSMode),
		UsernsMode:     string(hc.UsernsMode),
		CgroupnsMode:   string(hc.CgroupnsMode),
		ReadonlyRootfs: hc.ReadonlyRootfs,
		SecurityOpt:    slices.Clone(hc.SecurityOpt),
		MemoryBytes:    hc.Memory,
		CPUShares:      hc.CPUShares,
		NanoCPUs:       hc.NanoCPUs,
		RestartPolicy:  string(hc.RestartPolicy.Name),
		RestartRetries: hc.RestartPolicy.MaximumRetryCount,
	}
	if hc.PidsLimit != nil {
		c.PidsLimit = *hc.PidsLimit
	}
	for _, d := range hc.Devices {
		c.Devices = append(c.Devices, d.PathOnHost)
	}
	for _, u := range hc.Ulimits {
		c.Ulimits = append(c.Ulimits, profile.Ulimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard})
	}
	for port, bindings := range hc.PortBindings {
		for _, b := range bindings {
			c.Ports = append(c.Ports, profile.PortBinding{ContainerPort: string(port), HostIP: b.HostIP, HostPort: b.HostPort})
		}
	}
	slices.SortFunc(c.Ports, func(a, b profile.PortBinding) int {
		return strings.Compare(a.ContainerPort+a.HostIP+a.HostPort, b.ContainerPort+b.HostIP+b.HostPort)
	})
	return c
}

// learningFrom reads how the container is confined from its host config.
func learningFrom(hc *container.HostConfig) profile.Learning {
	l := profile.Learning{Seccomp: "default", Privileged: hc.Privileged}
	if hc.Privileged {
		l.Seccomp = "unconfined" // Docker disables seccomp for --privileged
	}
	for _, opt := range hc.SecurityOpt {
		key, val, _ := strings.Cut(opt, "=")
		if key == opt { // "no-new-privileges:true" uses a colon
			key, val, _ = strings.Cut(opt, ":")
		}
		switch key {
		case "seccomp":
			if val == "unconfined" {
				l.Seccomp = "unconfined"
			} else {
				l.Seccomp = "custom"
			}
		case "no-new-privileges":
			l.NoNewPrivileges = val == "" || val == "true"
		}
	}
	l.CapAdd = append([]string(nil), hc.CapAdd...)
	l.CapDrop = append([]string(nil), hc.CapDrop...)
	return l
}

// Running lists the ids of running containers.
func (d *Docker) Running(ctx context.Context) ([]string, error) {
	list, err := d.cli.ContainerList(ctx, container.ListOptions{})
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(list))
	for _, c := range list {
		ids = append(ids, c.ID)
	}
	return ids, nil
}

// Events streams container life-cycle events until ctx ends. When the
// daemon goes away the stream is reopened (from the time it broke, so no
// event is missed), and errs reports each interruption.
func (d *Docker) Events(ctx context.Context) (<-chan ContainerEvent, <-chan error) {
	out := make(chan ContainerEvent, 64)
	errs := make(chan error, 8)
	go func() {
		defer close(out)
		since := time.Now()
		f := filters.NewArgs(filters.Arg("type", string(events.ContainerEventType)))
		for _, a := range []string{"create", "start", "oom", "die", "destroy"} {
			f.Add("event", a)
		}
		for ctx.Err() == nil {
			msgs, merrs := d.cli.Events(ctx, events.ListOptions{Since: strconv.FormatInt(since.Unix(), 10), Filters: f})
		stream:
			for {
				select {
				case <-ctx.Done():
					return
				case m := <-msgs:
					ev := ContainerEvent{
						Action: string(m.Action),
						ID:     m.Actor.ID,
						Name:   m.Actor.Attributes["name"],
						Image:  m.Actor.Attributes["image"],
						Labels: eventLabels(m.Actor.Attributes),
						Time:   time.Unix(0, m.TimeNano),
					}
					if code, err := strconv.Atoi(m.Actor.Attributes["exitCode"]); err == nil {
						ev.ExitCode = &code
					}
					if m.TimeNano > 0 {
						since = time.Unix(0, m.TimeNano)
					}
					select {
					case out <- ev:
					case <-ctx.Done():
						return
					}
				case err := <-merrs:
					if ctx.Err() != nil {
						return
					}
					select {
					case errs <- fmt.Errorf("Docker event stream interrupted (reconnecting): %w", err):
					default:
					}
					break stream
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
	}()
	return out, errs
}

var containerIDPattern = regexp.MustCompile(`[0-9a-f]{64}`)

// ContainerIDFromCgroups finds a container id in leaf cgroup names as
// runtimes name them: "<id>" (cgroupfs driver), "docker-<id>.scope"
// (systemd driver), "libpod-<id>.scope", "cri-containerd-<id>.scope".
func ContainerIDFromCgroups(names []string) string {
	for _, n := range names {
		if id := containerIDPattern.FindString(n); id != "" {
			return id
		}
	}
	return ""
}
