package tracer

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/features"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"
)

// Capability checks: cap_capable is seen through its tracepoint (Linux
// 6.14+), an fexit program or a kprobe pair, whichever this kernel offers
// and its lockdown allows; LoadKernel tries them in CapabilityHooks' order
// and says why each that did not load failed.

// CapabilityHook is how the recorder sees the kernel's capability checks
// (cap_capable).
type CapabilityHook string

const (
	// CapabilityTracepoint is the cap_capable tracepoint (Linux 6.14+),
	// which does not pass the check's options: no audit/noaudit.
	CapabilityTracepoint CapabilityHook = "tracepoint"
	// CapabilityFexit is an fexit program on the cap_capable function.
	CapabilityFexit CapabilityHook = "fexit"
	// CapabilityKprobe is a kprobe and a kretprobe on cap_capable.
	CapabilityKprobe CapabilityHook = "kprobe"
)

// CapabilityHooks are the hooks in the order LoadKernel tries them: the
// tracepoint is a stable interface, fexit costs less per check than a
// kprobe pair.
var CapabilityHooks = []CapabilityHook{CapabilityTracepoint, CapabilityFexit, CapabilityKprobe}

// attachCapabilityHook loads and attaches the first capability hook that
// works here (only want, if set) and says which in k.CapabilityMechanism,
// or why none did. Attaching already here, not in Start, is what tells
// whether a hook works (lockdown refuses fexit and kprobes at load or at
// attach); it records nothing before Start, as no task has state before
// sys_enter gives it one.
func (k *Kernel) attachCapabilityHook(want CapabilityHook, types *btf.Cache, load func(dst any) error) {
	hooks := CapabilityHooks
	if want != "" {
		hooks = []CapabilityHook{want}
	}
	var reasons []string
	for _, hook := range hooks {
		progs, links, err := loadCapabilityHook(hook, types, load)
		if err != nil {
			reasons = append(reasons, fmt.Sprintf("%s: %v", hook, err))
			continue
		}
		k.optional.Capability = progs
		k.links = append(k.links, links...)
		k.CapabilitiesRecorded = true
		k.CapabilityHook = hook
		k.CapabilityMechanism = string(hook)
		k.CapabilityOptionsSeen = hook != CapabilityTracepoint
		return
	}
	k.CapabilityMechanism = "none: " + strings.Join(reasons, "; ")
}

// loadCapabilityHook loads and attaches one hook's programs; on an error
// nothing of it stays.
func loadCapabilityHook(hook CapabilityHook, types *btf.Cache, load func(dst any) error) (progs []*ebpf.Program, links []link.Link, err error) {
	defer func() {
		if err != nil {
			for _, l := range links {
				l.Close()
			}
			for _, p := range progs {
				p.Close()
			}
			progs, links = nil, nil
		}
	}()
	// A tracing program (tp_btf, fexit) attaches through its BTF target.
	tracing := func(p *ebpf.Program) ([]*ebpf.Program, []link.Link, error) {
		l, err := link.AttachTracing(link.TracingOptions{Program: p})
		if err != nil {
			return []*ebpf.Program{p}, nil, fmt.Errorf("attach: %w", err)
		}
		return []*ebpf.Program{p}, []link.Link{l}, nil
	}
	switch hook {
	case CapabilityTracepoint:
		if !kernelHasTracepoint(types, "cap_capable") {
			return nil, nil, errors.New("no cap_capable tracepoint (Linux 6.14+)")
		}
		var o struct {
			P *ebpf.Program `ebpf:"cap_capable"`
		}
		if err := load(&o); err != nil {
			return nil, nil, shortLoadError(err)
		}
		return tracing(o.P)
	case CapabilityFexit:
		if err := checkCapCapable(types); err != nil {
			return nil, nil, err
		}
		var o struct {
			P *ebpf.Program `ebpf:"cap_capable_fexit"`
		}
		if err := load(&o); err != nil {
			return nil, nil, shortLoadError(err)
		}
		return tracing(o.P)
	case CapabilityKprobe:
		if err := checkCapCapable(types); err != nil {
			return nil, nil, err
		}
		if err := features.HaveProgramType(ebpf.Kprobe); err != nil {
			return nil, nil, err
		}
		var o struct {
			Entry *ebpf.Program `ebpf:"cap_capable_kprobe"`
			Exit  *ebpf.Program `ebpf:"cap_capable_kretprobe"`
		}
		if err := load(&o); err != nil {
			return nil, nil, shortLoadError(err)
		}
		progs = append(progs, o.Entry, o.Exit)
		// The return first: an entry without its return would leave a
		// saved call behind; a return without its entry finds none.
		exit, err := link.Kretprobe("cap_capable", o.Exit, nil)
		if err != nil {
			return progs, nil, fmt.Errorf("attach kretprobe: %w", err)
		}
		links = append(links, exit)
		entry, err := link.Kprobe("cap_capable", o.Entry, nil)
		if err != nil {
			return progs, links, fmt.Errorf("attach kprobe: %w", err)
		}
		return progs, append(links, entry), nil
	}
	return nil, nil, fmt.Errorf("unknown capability hook %q (want one of %v)", hook, CapabilityHooks)
}

// shortLoadError is loadError without the ErrUnsupported prefix: a hook
// that does not load is a reason in CapabilityMechanism, not a failure.
func shortLoadError(err error) error {
	var ve *ebpf.VerifierError
	if errors.As(err, &ve) {
		return fmt.Errorf("the verifier rejected it: %s", lastLines(fmt.Sprintf("%+v", ve), 3))
	}
	if errors.Is(err, unix.EPERM) {
		return fmt.Errorf("the kernel refused to load it (EPERM: lockdown, or a seccomp/LSM policy): %v", err)
	}
	return err
}

// checkCapCapable makes sure the kernel's cap_capable is the function the
// fexit and kprobe programs read: (cred, user namespace, int cap, unsigned
// int opts) returning int, as from Linux 5.1 to 6.18 (5.0 and before had
// an int audit where opts is). Arguments are read by position, which CO-RE
// cannot relocate, so a kernel that changed them must be refused, not
// misread.
func checkCapCapable(types *btf.Cache) error {
	spec, err := types.Kernel()
	if err != nil {
		return err
	}
	var fn *btf.Func
	if err := spec.TypeByName("cap_capable", &fn); err != nil {
		return errors.New("no cap_capable function in the kernel's BTF")
	}
	proto, ok := fn.Type.(*btf.FuncProto)
	if !ok || len(proto.Params) != 4 {
		return fmt.Errorf("cap_capable is %v, not (cred, ns, cap, opts)", fn.Type)
	}
	isInt := func(t btf.Type, signed bool) bool {
		i, ok := btf.UnderlyingType(t).(*btf.Int)
		return ok && i.Size == 4 && (i.Encoding&btf.Signed != 0) == signed
	}
	_, ptr0 := btf.UnderlyingType(proto.Params[0].Type).(*btf.Pointer)
	_, ptr1 := btf.UnderlyingType(proto.Params[1].Type).(*btf.Pointer)
	if !ptr0 || !ptr1 || !isInt(proto.Params[2].Type, true) || !isInt(proto.Params[3].Type, false) || !isInt(proto.Return, true) {
		return fmt.Errorf("cap_capable's signature is not (const struct cred *, struct user_namespace *, int cap, unsigned int opts) int: %v", proto)
	}
	return nil
}

func kernelHasTracepoint(types *btf.Cache, name string) bool {
	spec, err := types.Kernel()
	if err != nil {
		return false
	}
	var td *btf.Typedef
	return spec.TypeByName("btf_trace_"+name, &td) == nil
}
