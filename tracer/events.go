package tracer

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/tailorsec/tailor/bpf"
)

// The kernel's events, read from the ring buffer in order: new and armed
// namespaces, files, mounts, execs and privileged execs.

// EventType says what an Event reports.
type EventType uint32

const (
	EventNewTarget      = EventType(bpf.RecorderEventTypeEVENT_NEW_TARGET)
	EventArmed          = EventType(bpf.RecorderEventTypeEVENT_ARMED)
	EventPrivilegedExec = EventType(bpf.RecorderEventTypeEVENT_PRIVILEGED_EXEC)
	EventFile           = EventType(bpf.RecorderEventTypeEVENT_FILE)
	EventMount          = EventType(bpf.RecorderEventTypeEVENT_MOUNT)
	EventExec           = EventType(bpf.RecorderEventTypeEVENT_EXEC)
)

// Event is one of the rare things the kernel tells user space as it happens.
type Event struct {
	Type      EventType
	Slot, Gen uint32
	Mntns     uint32
	Tgid, Pid uint32
	ArmedBy   ArmedBy
	Comm      string
	// Cgroups are the leaf cgroup names of the task (v2, then the first v1
	// hierarchy): for Docker they hold the container id.
	Cgroups []string
	Path    string // the executed file, for EventPrivilegedExec and EventExec
	// UID and GID are the effective ids after an exec (EventExec).
	UID, GID uint32
	// File is set for EventFile and EventMount.
	File *FileEvent
}

// SetEventDeadline bounds how long ReadEvent waits (os.ErrDeadlineExceeded
// when it passes); the zero time waits forever.
func (k *Kernel) SetEventDeadline(t time.Time) { k.events.SetDeadline(t) }

// EventsPending says whether events are queued, unread.
func (k *Kernel) EventsPending() bool { return k.events.AvailableBytes() > 0 }

// FlushEvents makes ReadEvent return the events queued now and then
// ringbuf.ErrFlushed, waking a reader blocked in ReadEvent.
func (k *Kernel) FlushEvents() error { return k.events.Flush() }

// ReadEvent blocks until the next event; it returns ringbuf.ErrClosed
// (wrapped) once the kernel side is closed.
func (k *Kernel) ReadEvent() (Event, error) {
	rec, err := k.events.Read()
	if err != nil {
		return Event{}, err
	}
	if len(rec.RawSample) < 4 {
		return Event{}, fmt.Errorf("event of %d bytes", len(rec.RawSample))
	}
	switch t := EventType(binary.NativeEndian.Uint32(rec.RawSample)); t {
	case EventFile, EventMount:
		fe, err := decodeFileEvent(rec.RawSample)
		if err != nil {
			return Event{}, err
		}
		return Event{Type: t, Slot: fe.Slot, Gen: fe.Gen, File: &fe}, nil
	}
	var raw bpf.RecorderEvent
	if err := binaryRead(rec.RawSample, &raw); err != nil {
		return Event{}, fmt.Errorf("decode event: %w", err)
	}
	e := Event{
		Type: EventType(raw.Type), Slot: raw.Slot, Gen: raw.Gen, Mntns: raw.Mntns,
		Tgid: raw.Tgid, Pid: raw.Pid, ArmedBy: ArmedBy(raw.ArmedBy), UID: raw.Uid, GID: raw.Gid,
		Comm: cString(raw.Comm[:]), Path: cString(raw.Path[:]),
	}
	for _, cg := range []string{cString(raw.CgroupV2[:]), cString(raw.CgroupV1[:])} {
		if cg != "" && cg != "/" {
			e.Cgroups = append(e.Cgroups, cg)
		}
	}
	return e, nil
}

func cString(b []int8) string {
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c == 0 {
			break
		}
		out = append(out, byte(c))
	}
	return string(out)
}

func binaryRead(b []byte, v any) error {
	return binary.Read(bytes.NewReader(b), binary.NativeEndian, v)
}
