package convert

// tailor convert turns a profile directory into the forms other runtimes
// and orchestrators take. It reads the files as they are in the directory
// (what was reviewed and committed, edits included), never the recording.

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/internal/jsonfile"
	"github.com/tailorsec/tailor/profile/internal/sets"
	"github.com/tailorsec/tailor/profile/profiledir"
	"github.com/tailorsec/tailor/profile/runflags"
	"github.com/tailorsec/tailor/profile/seccomp"
	"sigs.k8s.io/yaml"
)

// Options say how Docker profile conditions are resolved (a
// seccomp.json in Docker's own format may have them) and how compose
// services are named.
type Options struct {
	Arch   profile.Arch
	Kernel string
	// Project: compose names containers PROJECT-SERVICE-N (PROJECT_SERVICE_N
	// for docker-compose 1); with it, the service is SERVICE.
	Project string
	// RelativeTo, for compose: name each seccomp.json by its path relative
	// to this directory (where the override file and the project's compose
	// file are) instead of by its absolute path. docker-compose 1.x reads
	// the file relative to its own working directory, Compose v2 relative
	// to the project directory (the first -f file's), so such a file works
	// when it sits next to the project's compose file and docker-compose
	// runs there; an absolute path works from anywhere.
	RelativeTo string
}

// runSettings are a profile's run options, from its flags (what docker run
// applies), else capabilities.json and report.json.
type runSettings struct {
	caps            []string
	seccompPath     string // absolute, or "unconfined", or ""
	apparmor        string
	noNewPrivileges bool
	readOnly        bool
	tmpfs           []string
	// user is --user ("" when not given); pidsLimit and memoryBytes are
	// --pids-limit and --memory (0: not given, NoLimit: unlimited);
	// ulimits the --ulimit flags.
	user        string
	pidsLimit   int64
	memoryBytes int64
	ulimits     []profile.Ulimit
	// given are --user and the limits as the flags spell them, for the
	// forms that pass them on as flags or only name them.
	given []string
	// other are the flags tailor does not write (and --privileged): no
	// form converts them, each names them.
	other []string
}

// unconverted are the flags a form that takes neither --user nor the
// limits names as not converted.
func (s runSettings) unconverted() []string {
	return append(slices.Clone(s.given), s.other...)
}

func settingsOf(p *profiledir.Profile) (runSettings, error) {
	var s runSettings
	s.caps = p.AddedCapabilities()
	if s.caps == nil {
		return s, fmt.Errorf("%s has neither %s nor %s", p.Path, profile.FlagsFile, profile.CapabilitiesFile)
	}
	if p.Seccomp != nil {
		abs, err := filepath.Abs(filepath.Join(p.Path, profile.SeccompFile))
		if err != nil {
			return s, err
		}
		s.seccompPath = abs
	}
	if p.AppArmor != nil && len(p.AppArmor.Names) > 0 {
		s.apparmor = p.AppArmor.Names[0]
	}
	switch {
	case p.Flags != nil:
		f := p.Flags
		if f.Seccomp == "unconfined" {
			s.seccompPath = "unconfined"
		}
		if f.AppArmor != "" {
			s.apparmor = f.AppArmor
		}
		s.noNewPrivileges, s.readOnly, s.tmpfs = f.NoNewPrivileges, f.ReadOnly, slices.Clone(f.Tmpfs)
		s.user, s.pidsLimit, s.memoryBytes, s.ulimits = f.User, f.PidsLimit, f.MemoryBytes, slices.Clone(f.Ulimits)
		s.given = slices.Clone(f.Given)
		s.other = slices.Clone(f.Other)
		if f.Privileged {
			s.other = append(s.other, "--privileged")
		}
	case p.Report != nil:
		// What docker-run.flags would say: the report carries the same
		// suggestions.
		r := p.Report
		s.noNewPrivileges = r.NoNewPrivileges.Suggested
		s.readOnly = r.ReadOnly.Suggested
		if s.readOnly {
			for _, dir := range sets.Sorted(r.ReadOnly.Tmpfs) {
				s.tmpfs = append(s.tmpfs, dir+runflags.TmpfsOptions(r.Limits))
			}
		}
		if r.User.Flag != "" {
			s.user = strings.TrimPrefix(r.User.Flag, "--user=")
			s.given = append(s.given, r.User.Flag)
		}
		s.pidsLimit, s.memoryBytes = r.Limits.Pids.Suggested, r.Limits.Memory.Suggested
		if n := r.Limits.Nofile.Suggested; n > 0 {
			s.ulimits = []profile.Ulimit{{Name: "nofile", Soft: n, Hard: n}}
		}
		s.given = append(s.given, r.Limits.Flags()...)
	}
	return s, nil
}

func shortCaps(caps []string) []string {
	out := make([]string, len(caps))
	for i, c := range caps {
		out[i] = strings.TrimPrefix(profile.CanonicalCapability(c), "CAP_")
	}
	return out
}

// resolvedSeccomp is the profile's seccomp.json as the runtime gets it.
func resolvedSeccomp(p *profiledir.Profile, opts Options) (*specs.LinuxSeccomp, error) {
	if p.Seccomp == nil {
		return nil, fmt.Errorf("%s has no %s", p.Path, profile.SeccompFile)
	}
	return seccomp.Resolve(p.Seccomp, seccomp.Env{Arch: opts.Arch, Capabilities: p.AddedCapabilities(), Kernel: opts.Kernel})
}

// OCI returns the linux.seccomp object of an OCI runtime spec
// (config.json) for the profile, for runc, crun and containerd.
func OCI(p *profiledir.Profile, opts Options) ([]byte, error) {
	r, err := resolvedSeccomp(p, opts)
	if err != nil {
		return nil, err
	}
	return jsonfile.Marshal(r)
}

// Flags returns the docker run (and podman run) flags line for the
// profile, naming its seccomp.json where it is now.
func Flags(p *profiledir.Profile) (string, error) {
	s, err := settingsOf(p)
	if err != nil {
		return "", err
	}
	flags := []string{"--cap-drop=ALL"}
	for _, c := range shortCaps(s.caps) {
		flags = append(flags, "--cap-add="+c)
	}
	if s.seccompPath != "" {
		flags = append(flags, "--security-opt=seccomp="+s.seccompPath)
	}
	if s.apparmor != "" {
		flags = append(flags, "--security-opt=apparmor="+s.apparmor)
	}
	if s.noNewPrivileges {
		flags = append(flags, "--security-opt=no-new-privileges")
	}
	if s.readOnly {
		flags = append(flags, "--read-only")
	}
	for _, t := range s.tmpfs {
		flags = append(flags, "--tmpfs="+t)
	}
	flags = append(flags, s.unconverted()...)
	return runflags.Line(flags), nil
}

// The SeccompProfile custom resource of the security-profiles-operator
// (sigs.k8s.io/security-profiles-operator api/seccompprofile/v1beta1),
// written out here: the operator's Go module brings in hundreds of modules
// (controller-runtime, cosign, cloud SDKs). A test decodes what these
// produce strictly into a mirror of the upstream types.
type spoSeccompProfile struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Metadata   k8sObjectMeta  `json:"metadata"`
	Spec       spoSeccompSpec `json:"spec"`
}

type k8sObjectMeta struct {
	Name        string            `json:"name"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

type spoSeccompSpec struct {
	DefaultAction    specs.LinuxSeccompAction `json:"defaultAction"`
	Architectures    []specs.Arch             `json:"architectures,omitempty"`
	ListenerPath     string                   `json:"listenerPath,omitempty"`
	ListenerMetadata string                   `json:"listenerMetadata,omitempty"`
	Syscalls         []spoSyscall             `json:"syscalls,omitempty"`
	Flags            []specs.LinuxSeccompFlag `json:"flags,omitempty"`
}

type spoSyscall struct {
	Names    []string                 `json:"names"`
	Action   specs.LinuxSeccompAction `json:"action"`
	ErrnoRet uint                     `json:"errnoRet,omitempty"`
	Args     []spoArg                 `json:"args,omitempty"`
}

type spoArg struct {
	Index    uint                       `json:"index"`
	Value    uint64                     `json:"value,omitempty"`
	ValueTwo uint64                     `json:"valueTwo,omitempty"`
	Op       specs.LinuxSeccompOperator `json:"op"`
}

// The pod spec fragment, in the shape of k8s.io/api/core/v1 (a test
// decodes it strictly into those types).
type k8sPodSpec struct {
	Containers []k8sContainer `json:"containers"`
	Volumes    []k8sVolume    `json:"volumes,omitempty"`
}

type k8sContainer struct {
	Name            string             `json:"name"`
	SecurityContext k8sSecurityContext `json:"securityContext"`
	VolumeMounts    []k8sVolumeMount   `json:"volumeMounts,omitempty"`
}

type k8sSecurityContext struct {
	AllowPrivilegeEscalation *bool           `json:"allowPrivilegeEscalation,omitempty"`
	AppArmorProfile          *k8sProfileRef  `json:"appArmorProfile,omitempty"`
	Capabilities             k8sCapabilities `json:"capabilities"`
	ReadOnlyRootFilesystem   *bool           `json:"readOnlyRootFilesystem,omitempty"`
	SeccompProfile           *k8sProfileRef  `json:"seccompProfile,omitempty"`
}

type k8sCapabilities struct {
	Add  []string `json:"add,omitempty"`
	Drop []string `json:"drop"`
}

type k8sProfileRef struct {
	Type             string `json:"type"`
	LocalhostProfile string `json:"localhostProfile,omitempty"`
}

type k8sVolumeMount struct {
	Name      string `json:"name"`
	MountPath string `json:"mountPath"`
}

type k8sVolume struct {
	Name     string      `json:"name"`
	EmptyDir k8sEmptyDir `json:"emptyDir"`
}

type k8sEmptyDir struct {
	Medium string `json:"medium"`
}

// k8sName makes a DNS-1123 label of s (object and container names).
func k8sName(s string) string {
	s = strings.ToLower(s)
	var b strings.Builder
	for _, c := range s {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
		} else {
			b.WriteByte('-')
		}
	}
	name := strings.Trim(b.String(), "-")
	if len(name) > 63 {
		name = strings.Trim(name[:63], "-")
	}
	if name == "" {
		name = "container"
	}
	return name
}

// K8s returns, as YAML, a SeccompProfile object for each profile
// (apply them), then one pod spec fragment with each container's
// securityContext (merge it into the workload's pod template).
func K8s(profiles []*profiledir.Profile, opts Options) ([]byte, error) {
	var b strings.Builder
	b.WriteString("# Generated by tailor convert --to k8s.\n" +
		"# 1. The SeccompProfile objects need the security-profiles-operator; it installs\n" +
		"#    each on every node, under the path its .status.localhostProfile gives\n" +
		"#    (operator/NAME.json for these cluster-wide profiles).\n" +
		"# 2. The last document is not an object to apply: merge its containers'\n" +
		"#    securityContext (and its tmpfs volumes) into your pod template.\n" +
		"# 3. Load each AppArmor profile on every node: apparmor_parser -r -W apparmor.profile\n")
	spec := k8sPodSpec{}
	for _, p := range profiles {
		s, err := settingsOf(p)
		if err != nil {
			return nil, err
		}
		name := k8sName(p.Name)
		sc := k8sSecurityContext{Capabilities: k8sCapabilities{Add: shortCaps(s.caps), Drop: []string{"ALL"}}}
		if len(sc.Capabilities.Add) == 0 {
			sc.Capabilities.Add = nil
		}
		if p.Seccomp != nil && s.seccompPath != "unconfined" {
			r, err := resolvedSeccomp(p, opts)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", p.Path, err)
			}
			cr, err := spoProfile(name, r)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", p.Path, err)
			}
			doc, err := yaml.Marshal(cr)
			if err != nil {
				return nil, err
			}
			fmt.Fprintf(&b, "---\n# seccomp profile of container %s\n%s", name, doc)
			sc.SeccompProfile = &k8sProfileRef{Type: "Localhost", LocalhostProfile: "operator/" + name + ".json"}
		} else if s.seccompPath == "unconfined" {
			sc.SeccompProfile = &k8sProfileRef{Type: "Unconfined"}
		}
		switch s.apparmor {
		case "":
		case "unconfined":
			sc.AppArmorProfile = &k8sProfileRef{Type: "Unconfined"}
		default:
			sc.AppArmorProfile = &k8sProfileRef{Type: "Localhost", LocalhostProfile: s.apparmor}
		}
		if s.noNewPrivileges {
			sc.AllowPrivilegeEscalation = new(bool)
		}
		c := k8sContainer{Name: name, SecurityContext: sc}
		if s.readOnly {
			t := true
			c.SecurityContext.ReadOnlyRootFilesystem = &t
		}
		for i, dir := range s.tmpfs {
			// A tmpfs is a memory emptyDir; its options (size, mode)
			// are not carried over.
			dir, _, _ = strings.Cut(dir, ":")
			vol := fmt.Sprintf("%s-tmpfs-%d", name, i+1)
			c.VolumeMounts = append(c.VolumeMounts, k8sVolumeMount{Name: vol, MountPath: dir})
			spec.Volumes = append(spec.Volumes, k8sVolume{Name: vol, EmptyDir: k8sEmptyDir{Medium: "Memory"}})
		}
		if u := s.unconverted(); len(u) > 0 {
			fmt.Fprintf(&b, "# container %s: flags not converted: %s\n", name, strings.Join(u, " "))
		}
		spec.Containers = append(spec.Containers, c)
	}
	doc, err := yaml.Marshal(spec)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(&b, "---\n# pod spec fragment: merge into spec.template.spec (not an object to apply)\n%s", doc)
	return []byte(b.String()), nil
}

func spoProfile(name string, r *specs.LinuxSeccomp) (*spoSeccompProfile, error) {
	if r.DefaultErrnoRet != nil && *r.DefaultErrnoRet != seccomp.ErrnoEPERM {
		return nil, fmt.Errorf("defaultErrnoRet %d: a SeccompProfile cannot say it (its runtime answers EPERM)", *r.DefaultErrnoRet)
	}
	cr := &spoSeccompProfile{
		APIVersion: "security-profiles-operator.x-k8s.io/v1beta1",
		Kind:       "SeccompProfile",
		Metadata:   k8sObjectMeta{Name: name},
		Spec: spoSeccompSpec{
			DefaultAction: r.DefaultAction, Architectures: r.Architectures,
			ListenerPath: r.ListenerPath, ListenerMetadata: r.ListenerMetadata, Flags: r.Flags,
		},
	}
	for _, sc := range r.Syscalls {
		s := spoSyscall{Names: sc.Names, Action: sc.Action}
		if sc.ErrnoRet != nil {
			if *sc.ErrnoRet == 0 {
				return nil, fmt.Errorf("%s: errnoRet 0 cannot be said in a SeccompProfile", strings.Join(sc.Names, ","))
			}
			s.ErrnoRet = *sc.ErrnoRet
		}
		for _, a := range sc.Args {
			s.Args = append(s.Args, spoArg{Index: a.Index, Value: a.Value, ValueTwo: a.ValueTwo, Op: a.Op})
		}
		cr.Spec.Syscalls = append(cr.Spec.Syscalls, s)
	}
	return cr, nil
}

// composeService is one service of a compose override file. The keys are
// those of the compose specification, which docker-compose 1.27 and later
// and Compose v2 read in any file version.
type composeService struct {
	CapAdd      []string       `json:"cap_add,omitempty"`
	CapDrop     []string       `json:"cap_drop"`
	MemLimit    string         `json:"mem_limit,omitempty"`
	PidsLimit   int64          `json:"pids_limit,omitempty"`
	ReadOnly    bool           `json:"read_only,omitempty"`
	SecurityOpt []string       `json:"security_opt,omitempty"`
	Tmpfs       []string       `json:"tmpfs,omitempty"`
	Ulimits     map[string]any `json:"ulimits,omitempty"`
	User        string         `json:"user,omitempty"`
}

// composeUlimit is a ulimit whose soft and hard limits differ (compose
// takes one number for both otherwise).
type composeUlimit struct {
	Soft int64 `json:"soft"`
	Hard int64 `json:"hard"`
}

// ComposeService is the service name a profile directory gets: its name,
// less PROJECT- and -N (PROJECT_ and _N) when project is given.
func ComposeService(name, project string) string {
	if project != "" {
		for _, sep := range []string{"-", "_"} {
			if rest, ok := strings.CutPrefix(name, project+sep); ok {
				if i := strings.LastIndex(rest, sep); i > 0 && strings.Trim(rest[i+1:], "0123456789") == "" && i+1 < len(rest) {
					rest = rest[:i]
				}
				return rest
			}
		}
	}
	return name
}

// composeMemory spells a --memory value for mem_limit in units every
// compose reads (docker-compose 1.x takes b, k, m and g, not MiB):
// megabytes when whole, else bytes; "0" (no limit) for unlimited.
func composeMemory(n int64) string {
	switch {
	case n == 0:
		return ""
	case n < 0:
		return "0"
	case n%(1<<20) == 0:
		return fmt.Sprintf("%dm", n>>20)
	}
	return fmt.Sprintf("%db", n)
}

// composeSeccompPath is how the override names a seccomp profile: its
// absolute path, or its path relative to opts.RelativeTo.
func composeSeccompPath(abs string, opts Options) (string, error) {
	if opts.RelativeTo == "" || abs == "unconfined" {
		return abs, nil
	}
	base, err := filepath.Abs(opts.RelativeTo)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(base, abs)
	if err != nil {
		return abs, nil
	}
	if rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		// ./ says at a glance that it is a path, not a profile name.
		rel = "." + string(filepath.Separator) + rel
	}
	return filepath.ToSlash(rel), nil
}

// Compose returns a docker compose override file: one service per
// profile, with what its docker-run.flags applies: cap_drop, cap_add,
// security_opt (seccomp, apparmor, no-new-privileges), read_only, tmpfs,
// user, pids_limit, mem_limit and ulimits. Use it as
// `docker compose -f compose.yaml -f THIS up`. It has no version key:
// docker-compose 1.27 and later merge it with a file of any version 2.x or
// 3.x (older ones refuse the mix).
func Compose(profiles []*profiledir.Profile, opts Options) ([]byte, error) {
	services := map[string]composeService{}
	from := map[string]string{}
	var notes []string
	for _, p := range profiles {
		s, err := settingsOf(p)
		if err != nil {
			return nil, err
		}
		name := ComposeService(p.Name, opts.Project)
		if other, ok := from[name]; ok {
			return nil, fmt.Errorf("%s and %s are both service %s: merge them first (tailor merge)", other, p.Path, name)
		}
		from[name] = p.Path
		svc := composeService{CapAdd: shortCaps(s.caps), CapDrop: []string{"ALL"}, ReadOnly: s.readOnly,
			Tmpfs: s.tmpfs, User: s.user, PidsLimit: s.pidsLimit, MemLimit: composeMemory(s.memoryBytes)}
		if len(svc.CapAdd) == 0 {
			svc.CapAdd = nil
		}
		if s.seccompPath != "" {
			path, err := composeSeccompPath(s.seccompPath, opts)
			if err != nil {
				return nil, err
			}
			svc.SecurityOpt = append(svc.SecurityOpt, "seccomp="+path)
		}
		if s.apparmor != "" {
			svc.SecurityOpt = append(svc.SecurityOpt, "apparmor="+s.apparmor)
		}
		if s.noNewPrivileges {
			svc.SecurityOpt = append(svc.SecurityOpt, "no-new-privileges:true")
		}
		for _, u := range s.ulimits {
			if svc.Ulimits == nil {
				svc.Ulimits = map[string]any{}
			}
			if u.Soft == u.Hard {
				svc.Ulimits[u.Name] = u.Soft
			} else {
				svc.Ulimits[u.Name] = composeUlimit{Soft: u.Soft, Hard: u.Hard}
			}
		}
		if len(s.other) > 0 {
			notes = append(notes, fmt.Sprintf("# service %s: flags not converted: %s", name, strings.Join(s.other, " ")))
		}
		services[name] = svc
	}
	if len(services) == 0 {
		return nil, errors.New("no profiles to convert")
	}
	doc, err := yaml.Marshal(map[string]any{"services": services})
	if err != nil {
		return nil, err
	}
	paths := "# seccomp profiles are named by absolute path; "
	if opts.RelativeTo != "" {
		paths = "# seccomp profiles are named relative to the project directory: run\n" +
			"# docker-compose there. "
	}
	head := "# Generated by tailor convert --to compose: an override file.\n" +
		"#   docker compose -f compose.yaml -f THIS-FILE up\n" +
		paths + "AppArmor profiles must be loaded\n" +
		"# on the host first (apparmor_parser -r -W .../apparmor.profile).\n"
	if len(notes) > 0 {
		head += strings.Join(notes, "\n") + "\n"
	}
	return []byte(head + string(doc)), nil
}
