package change

import (
	"cmp"
	"slices"
	"strings"
)

// Kinds of change, in the order a report lists them.
const (
	KindContainer      = "container"       // a container only one side has a profile for
	KindProfileFile    = "profile-file"    // a profile file only one side has
	KindSeccompDefault = "seccomp-default" // the seccomp default action
	KindArch           = "architecture"    // a seccomp architecture
	KindSyscall        = "syscall"         // a syscall allowed on one side only
	KindArgument       = "argument-rule"   // a syscall allowed on both, under other arguments
	KindCapability     = "capability"      // the container's capability set
	KindFileRule       = "file-rule"       // an AppArmor file rule
	KindFileAccess     = "file-access"     // a recorded file access the baseline does not allow
	KindNetworkRule    = "network-rule"    // AppArmor network access
	KindAppArmorRule   = "apparmor-rule"   // other AppArmor rules (capability, signal, ptrace, mount, ...)
	KindRunFlag        = "run-flag"        // docker run flags (no-new-privileges, --read-only, ...)
)

var kindOrder = []string{KindContainer, KindProfileFile, KindSeccompDefault, KindArch, KindSyscall, KindArgument,
	KindCapability, KindFileRule, KindFileAccess, KindNetworkRule, KindAppArmorRule, KindRunFlag}

// What happened to the subject of a change.
const (
	OpAdded      = "added"
	OpRemoved    = "removed"
	OpRelaxed    = "relaxed"    // allowed on both sides, more in NEW
	OpRestricted = "restricted" // allowed on both sides, less in NEW
	OpChanged    = "changed"    // neither more nor less, or both
	OpNeeded     = "needed"     // coverage: the recording needs it, the baseline lacks it
)

// Change is one difference between OLD and NEW.
type Change struct {
	// Container is the profile directory's name; "" when single profiles
	// are compared.
	Container string `json:"container,omitempty"`
	Kind      string `json:"kind"`
	Op        string `json:"change"`
	Subject   string `json:"subject"`
	Detail    string `json:"detail,omitempty"`
	// Widening: NEW grants something OLD did not.
	Widening bool `json:"widening"`
}

// Compare orders changes as a report lists them: by container, kind, op,
// subject and detail.
func Compare(a, b Change) int {
	return cmp.Or(
		strings.Compare(a.Container, b.Container),
		cmp.Compare(slices.Index(kindOrder, a.Kind), slices.Index(kindOrder, b.Kind)),
		cmp.Compare(opRank(a.Op), opRank(b.Op)),
		strings.Compare(a.Subject, b.Subject),
		strings.Compare(a.Detail, b.Detail),
	)
}

func opRank(op string) int {
	return slices.Index([]string{OpNeeded, OpAdded, OpRelaxed, OpChanged, OpRestricted, OpRemoved}, op)
}

// Dedup drops repeated changes from a list sorted by Compare.
func Dedup(c []Change) []Change {
	return slices.CompactFunc(c, func(a, b Change) bool { return a == b })
}
