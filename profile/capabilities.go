package profile

// Capabilities are decided from what the kernel answered when the container
// checked them: a capability that was granted is needed, one that was never
// checked is not. The one exception is a check the kernel makes on its own
// behalf (IsKernelProbe), which says nothing about what the program needs.
// Names and Docker's defaults come from moby's own packages so that what we
// emit is spelled exactly as dockerd expects it.

import (
	"github.com/tailorsec/tailor/profile/internal/jsonfile"
	"slices"
	"strings"

	"github.com/moby/sys/capability"
	"github.com/tailorsec/tailor/profile/internal/sets"
)

// CapSysAdmin is the capability the kernel probes for memory accounting.
const CapSysAdmin = "CAP_SYS_ADMIN"

// CapabilityName returns the name of capability number n, e.g. "CAP_CHOWN"
// for 0; false when the number is unknown.
func CapabilityName(n int) (string, bool) {
	if n < 0 {
		return "", false
	}
	c := capability.Cap(n)
	if !slices.Contains(capability.ListKnown(), c) {
		return "", false
	}
	return "CAP_" + strings.ToUpper(c.String()), true
}

// DockerDefaultCapabilities returns, sorted, the capabilities Docker gives a
// container unless told otherwise.
func DockerDefaultCapabilities() []string {
	defaults := slices.Clone(dockerDefaultCapabilities)
	slices.Sort(defaults)
	return defaults
}

// dockerDefaultCapabilities is the set Docker grants every container unless
// told otherwise (moby oci/caps/defaults.go, unchanged since Docker 1.x).
// Written out rather than imported: Docker's package drags containerd in.
var dockerDefaultCapabilities = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
	"CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}

// CapabilitySet is what capabilities.json holds. All lists are sorted and
// never nil, so that empty ones marshal as [].
type CapabilitySet struct {
	// Add are the capabilities the container needs: --cap-add after
	// --cap-drop=ALL.
	Add []string `json:"add"`
	// Drop are Docker's default capabilities that are not in Add: what the
	// profile takes away compared to a plain docker run.
	Drop []string `json:"drop"`
	// Denied were asked for and refused during learning. The container ran
	// without them, so they are listed for review, never added.
	Denied []string `json:"denied"`
}

// memoryAccountingSyscalls are the syscalls during which the kernel charges
// memory against the overcommit policy. Each charge goes through
// security_vm_enough_memory -> cap_vm_enough_memory, which asks
// cap_capable(CAP_SYS_ADMIN, CAP_OPT_NOAUDIT) to decide whether to leave the
// admin reserve untouched. The answer only tunes overcommit; the syscall
// succeeds either way.
var memoryAccountingSyscalls = []string{
	"brk", "clone", "clone3", "execve", "execveat", "fork", "madvise",
	"mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect", "mremap",
	"munmap", "shmat", "vfork",
}

// KernelProbeReason says, in the report, why a kernel probe is ignored.
const KernelProbeReason = "CAP_SYS_ADMIN was checked only during syscalls that charge memory " +
	"(mmap, brk, execve, clone...): that is the kernel's overcommit accounting " +
	"(cap_vm_enough_memory), not a need of the program"

// IsKernelProbe reports whether a capability check is the kernel's
// overcommit accounting probe rather than something the program asked for:
// CAP_SYS_ADMIN checked only during memory-accounting syscalls (see
// memoryAccountingSyscalls). Without this rule every program that maps
// memory would get CAP_SYS_ADMIN in a privileged learning run, and a denied
// probe would be reported in every other one. A check with no syscalls
// recorded is not a probe: we cannot tell, so it counts.
func IsKernelProbe(c CapabilityUse) bool {
	if CanonicalCapability(c.Name) != CapSysAdmin || len(c.Syscalls) == 0 {
		return false
	}
	for _, sc := range c.Syscalls {
		if !slices.Contains(memoryAccountingSyscalls, sc) {
			return false
		}
	}
	return true
}

// Capabilities decides which capabilities the container needs. When the
// kernel could not report capability checks it keeps Docker's defaults: we
// cannot know, and the report says so.
func Capabilities(rec *Recording) CapabilitySet {
	rec = Normalized(rec)
	defaults := DockerDefaultCapabilities()
	set := CapabilitySet{Add: []string{}, Drop: []string{}, Denied: []string{}}

	if !rec.CapabilitiesRecorded {
		set.Add = defaults
	} else {
		for _, c := range rec.Capabilities {
			if c.Granted > 0 && !IsKernelProbe(c) {
				set.Add = append(set.Add, CanonicalCapability(c.Name))
			}
		}
		set.Add = sets.Sorted(set.Add)
		for _, d := range defaults {
			if !slices.Contains(set.Add, d) {
				set.Drop = append(set.Drop, d)
			}
		}
	}

	for _, c := range rec.Capabilities {
		name := CanonicalCapability(c.Name)
		if c.Denied > 0 && !IsKernelProbe(c) && !slices.Contains(set.Add, name) {
			set.Denied = append(set.Denied, name)
		}
	}
	set.Denied = sets.Sorted(set.Denied)
	return set
}

// CanonicalCapability spells a capability as CAP_NAME, whatever case or
// prefix it came with.
func CanonicalCapability(name string) string {
	name = strings.ToUpper(strings.TrimSpace(name))
	if !strings.HasPrefix(name, "CAP_") {
		name = "CAP_" + name
	}
	return name
}

// MarshalCapabilities renders capabilities.json: indented with two spaces,
// ending in a newline, empty lists as [].
func MarshalCapabilities(c CapabilitySet) ([]byte, error) {
	c.Add, c.Drop, c.Denied = sets.Sorted(c.Add), sets.Sorted(c.Drop), sets.Sorted(c.Denied)
	return jsonfile.Marshal(c)
}
