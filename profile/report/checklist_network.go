package report

// The items on the host's namespaces and ports: privileged ports (5.7),
// the host's network (5.9), port interfaces (5.13), the host's pid (5.15),
// ipc (5.16) and uts (5.20) namespaces.

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/internal/sets"
	"github.com/tailorsec/tailor/profile/internal/text"
)

// hostPort is the first host port of a binding (0: none or random).
func hostPort(p profile.PortBinding) int {
	s, _, _ := strings.Cut(p.HostPort, "-")
	n, _ := strconv.Atoi(s)
	return n
}

func portLine(p profile.PortBinding) string {
	ip := p.HostIP
	if ip == "" {
		ip = "0.0.0.0"
	}
	hp := p.HostPort
	if hp == "" {
		hp = "(random)"
	}
	if strings.Contains(ip, ":") {
		ip = "[" + ip + "]"
	}
	return fmt.Sprintf("%s:%s -> %s", ip, hp, p.ContainerPort)
}

func (c checklistInput) privilegedPorts57() ChecklistItem {
	it := item("5.7", "No privileged host ports mapped")
	it.Recommendation = "publish on host ports 1024 and above"
	if !c.config {
		return c.notRecorded(it, it.Recommendation)
	}
	for _, p := range c.rec.Config.Ports {
		if n := hostPort(p); n > 0 && n < 1024 {
			it.Evidence = append(it.Evidence, portLine(p))
		}
	}
	switch {
	case len(it.Evidence) > 0:
		it.Status = StatusWarn
		it.Current = text.Plural(len(it.Evidence), "port") + " published on host ports below 1024"
	case len(c.rec.Config.Ports) == 0:
		it.Status, it.Current, it.Recommendation = StatusPass, "no port published", "keep it so"
	default:
		it.Status, it.Current, it.Recommendation = StatusPass, "only host ports 1024 and above", "keep it so"
	}
	return it
}

// hostNamespace is a namespace item: fail when the mode is "host".
func (c checklistInput) hostNamespace(id, title, mode, flag, what string, evidence []string) ChecklistItem {
	it := item(id, title)
	switch {
	case mode == "host":
		it.Status, it.Current = StatusFail, flag+"=host: "+what
		it.Recommendation = "run it without " + flag + "=host"
		it.Evidence = evidence
	case !c.config:
		return c.notRecorded(it, "do not share it")
	default:
		it.Status, it.Current, it.Recommendation = StatusPass, "its own", "keep it so"
		if mode != "" {
			it.Current = "its own (" + mode + ")"
			if strings.HasPrefix(mode, "container:") {
				it.Current = "shared with " + mode
			}
		}
	}
	return it
}

func (c checklistInput) hostNetwork59() ChecklistItem {
	var ev []string
	var fams []string
	for _, s := range c.rec.Sockets {
		fams = append(fams, s.Family)
	}
	if fams = sets.Sorted(fams); len(fams) > 0 {
		ev = append(ev, "socket families it used: "+strings.Join(fams, ", "))
	}
	if len(c.rec.Sockets) > 0 && !slices.Contains(fams, "inet") && !slices.Contains(fams, "inet6") && !slices.Contains(fams, "netlink") {
		ev = append(ev, "it made no network socket: --network=none may do")
	}
	it := c.hostNamespace("5.9", "Host network namespace not shared", c.rec.Config.NetworkMode, "--network",
		"it sees and can bind every host interface", ev)
	if it.Status == StatusFail {
		it.Recommendation += "; publish the ports it serves with -p HOSTIP:PORT:PORT"
	}
	return it
}

func (c checklistInput) hostPID515() ChecklistItem {
	var ev []string
	if len(c.rec.SignalsSent) > 0 {
		ev = append(ev, "signals it sent: "+strings.Join(c.rec.SignalsSent, ", "))
	}
	if len(c.rec.Ptrace) > 0 {
		ev = append(ev, "ptrace requests it made: "+strings.Join(c.rec.Ptrace, ", "))
	}
	return c.hostNamespace("5.15", "Host PID namespace not shared", c.rec.Config.PidMode, "--pid",
		"it sees, and may signal, every host process", ev)
}

func (c checklistInput) hostIPC516() ChecklistItem {
	return c.hostNamespace("5.16", "Host IPC namespace not shared", c.rec.Config.IpcMode, "--ipc",
		"it shares the host's shared memory and semaphores", nil)
}

func (c checklistInput) hostUTS520() ChecklistItem {
	return c.hostNamespace("5.20", "Host UTS namespace not shared", c.rec.Config.UTSMode, "--uts",
		"it may change the host's hostname", nil)
}

func (c checklistInput) portInterfaces513() ChecklistItem {
	it := item("5.13", "Published ports bound to one host interface")
	it.Recommendation = "publish on the address that should reach it: -p 127.0.0.1:PORT:PORT, or an internal interface"
	if !c.config {
		return c.notRecorded(it, it.Recommendation)
	}
	for _, p := range c.rec.Config.Ports {
		if p.HostIP == "" || p.HostIP == "0.0.0.0" || p.HostIP == "::" {
			it.Evidence = append(it.Evidence, portLine(p))
		}
	}
	switch {
	case len(it.Evidence) > 0:
		it.Status = StatusWarn
		it.Current = text.Plural(len(it.Evidence), "port") + " published on every host interface"
	case len(c.rec.Config.Ports) == 0:
		it.Status, it.Current, it.Recommendation = StatusPass, "no port published", "keep it so"
	default:
		it.Status, it.Current, it.Recommendation = StatusPass, "every published port bound to one address", "keep it so"
		for _, p := range c.rec.Config.Ports {
			it.Evidence = append(it.Evidence, portLine(p))
		}
	}
	return it
}
