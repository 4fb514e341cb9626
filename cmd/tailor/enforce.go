package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/tailorsec/tailor/enforce/harden"
	"github.com/tailorsec/tailor/enforce/proxy"
	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/profiledir"
	"github.com/tailorsec/tailor/profile/report"
)

const enforceAbout = `
Run COMMAND with its containers hardened by their saved profiles: tailor
starts a Docker API proxy on a private socket and runs COMMAND with
DOCKER_HOST pointing at it, so that everything that honours DOCKER_HOST
(the docker CLI, docker-compose, the SDKs, testcontainers) goes through
it. Every request passes unchanged, except a container create: the
container's profile key, the one tailor record names its profile by (the
Compose service, --name-by, --match), selects DIR/<key>, and that
profile's settings are added to the create:

  cap-drop ALL and cap-add of the profile's capabilities that the caller
  grants too (a --cap-add outside the profile is dropped); --privileged
  replaced; the profile's seccomp.json, inline, in place of the caller's
  seccomp option; the AppArmor profile by name, loaded first with
  apparmor_parser (skipped with a warning where the host has no AppArmor),
  in place of the caller's; and what docker-run.flags says of
  no-new-privileges, --read-only and its --tmpfs mounts, --user (a
  caller's non-root user is kept) and the limits (of two, the lower).

A container without a profile runs as asked and is listed as not covered.
At the end, a table per container says what was set, replaced, dropped,
kept or skipped; --summary writes it as JSON. A broken profile directory
is an error before COMMAND starts. tailor exits with COMMAND's exit code.

Examples:
  tailor enforce --profiles profiles -- ./run-integration-tests.sh
  tailor enforce --profiles profiles --summary enforce.json -- docker-compose up --abort-on-container-exit`

type enforceFlags struct {
	record   recordFlags
	profiles string
	summary  string
}

func cmdEnforce(args []string, stdout, stderr io.Writer) int {
	var f enforceFlags
	fs := newFlags("enforce", "--profiles DIR [flags] -- COMMAND [ARG...]", enforceAbout, stdout)
	fs.SetInterspersed(false)
	fs.StringVar(&f.profiles, "profiles", "", "directory of profile directories (as record -o writes), one per profile key")
	f.record.register(fs)
	fs.StringVar(&f.summary, "summary", "", "also write what was applied to each container to this JSON file")
	fs.BoolVarP(&f.record.quiet, "quiet", "q", false, "print only errors and warnings: no table at the end")
	if done, code := parseFlags(fs, args, stderr); done {
		return code
	}
	f.record.command = fs.Args()
	switch {
	case f.profiles == "":
		fmt.Fprintln(stderr, "tailor enforce: --profiles is required (see 'tailor enforce --help')")
		return exitUsage
	case len(f.record.command) == 0:
		fmt.Fprintln(stderr, "tailor enforce: no COMMAND to run (tailor enforce --profiles DIR -- COMMAND)")
		return exitUsage
	}
	if _, err := f.record.options(); err != nil {
		fmt.Fprintf(stderr, "tailor enforce: %v\n", err)
		return exitUsage
	}
	return enforce(f, stdout, stderr)
}

// enforcement is one container create and what was done with it.
type enforcement struct {
	Name    string `json:"name"`
	Image   string `json:"image"`
	ID      string `json:"id,omitempty"`
	Profile string `json:"profile,omitempty"`
	// Covered is whether a profile was applied.
	Covered bool `json:"covered"`
	// Reason says why not, when not covered.
	Reason string `json:"reason,omitempty"`
	// Status is the daemon's answer to the create; Error its message
	// when it refused.
	Status  int             `json:"status,omitempty"`
	Error   string          `json:"error,omitempty"`
	Changes []harden.Change `json:"changes,omitempty"`
}

// enforceSummary is --summary's JSON.
type enforceSummary struct {
	Profiles   string         `json:"profiles"`
	Command    []string       `json:"command"`
	ExitCode   int            `json:"exit_code"`
	Containers []*enforcement `json:"containers"`
	// Unused are the profiles no container was created for.
	Unused   []string `json:"unused_profiles"`
	Warnings []string `json:"warnings,omitempty"`
}

// enforcer decides, create by create, which profile applies.
type enforcer struct {
	dir      string
	profiles map[string]*profiledir.Profile
	host     harden.Host
	match    profile.Match
	nameBy   profile.NameBy
	names    []string // --container

	mu      sync.Mutex
	created []*enforcement
}

func enforce(f enforceFlags, stdout, stderr io.Writer) int {
	opts, _ := f.record.options()
	logf := func(format string, args ...any) {
		fmt.Fprintf(stderr, "tailor: "+format+"\n", args...)
	}
	profiles, err := loadEnforceProfiles(f.profiles)
	if err != nil {
		fmt.Fprintf(stderr, "tailor enforce: %v\n", err)
		return exitUsage
	}
	if f.summary != "" {
		if err := checkWritable(filepath.Dir(f.summary)); err != nil {
			fmt.Fprintf(stderr, "tailor enforce: cannot write %s: %v\n", f.summary, err)
			return exitOutput
		}
	}
	var warnings []string
	warn := func(format string, args ...any) {
		w := fmt.Sprintf(format, args...)
		warnings = append(warnings, w)
		logf("warning: %s", w)
	}
	host, err := prepareAppArmor(profiles, warn)
	if err != nil {
		fmt.Fprintf(stderr, "tailor enforce: %v", err)
		return exitSetup
	}
	network, address, err := proxy.Upstream(os.Getenv("DOCKER_HOST"), os.Getenv("DOCKER_TLS_VERIFY") != "")
	if err != nil {
		fmt.Fprintf(stderr, "tailor enforce: %v\n", err)
		return exitSetup
	}
	if c, err := net.DialTimeout(network, address, 5*time.Second); err != nil {
		fmt.Fprintf(stderr, "tailor enforce: cannot reach the Docker daemon at %s: %v\n  fix: start the Docker daemon (systemctl start docker, or dockerd &) or set DOCKER_HOST\n", address, err)
		return exitSetup
	} else {
		c.Close()
	}
	e := &enforcer{dir: f.profiles, profiles: profiles, host: host, match: opts.Match, nameBy: opts.NameBy, names: opts.Containers}
	px, err := proxy.Start(proxy.Options{Network: network, Address: address, Create: e.create})
	if err != nil {
		fmt.Fprintf(stderr, "tailor enforce: starting the Docker API proxy: %v\n", err)
		return exitSetup
	}
	defer px.Close()

	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	if !f.record.quiet {
		logf("enforcing %s while %s runs", f.profiles, strings.Join(f.record.command, " "))
	}
	code, _ := runCommand(f.record.command, enforceEnv(os.Environ(), px.DockerHost()), f.record.duration, os.Stdout, os.Stderr, sigs, logf)
	_ = px.Close()

	sum := e.summary(f.profiles, f.record.command, code, warnings)
	if !f.record.quiet {
		printEnforceSummary(stdout, sum)
	}
	if f.summary != "" {
		b, _ := json.MarshalIndent(sum, "", "  ")
		if err := os.WriteFile(f.summary, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintf(stderr, "tailor enforce: writing %s: %v\n", f.summary, err)
			if code == 0 {
				return exitOutput
			}
		}
	}
	return code
}

// loadEnforceProfiles reads DIR: a directory of profile directories. A
// broken file is an error that names it.
func loadEnforceProfiles(dir string) (map[string]*profiledir.Profile, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("--profiles: %v", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("--profiles %s is not a directory", dir)
	}
	if profiledir.IsDir(dir) {
		return nil, fmt.Errorf("--profiles %s is one profile directory: give the directory that holds it (profiles are picked by name, as DIR/<name>)", dir)
	}
	profiles, _, err := profiledir.LoadAll(dir)
	if err != nil {
		return nil, fmt.Errorf("cannot read the profiles: %v", err)
	}
	return profiles, nil
}

// prepareAppArmor loads the profiles' AppArmor profiles where the host has
// AppArmor; where it has none, it says so once and they are skipped.
func prepareAppArmor(profiles map[string]*profiledir.Profile, warn func(string, ...any)) (harden.Host, error) {
	host := harden.Host{AppArmorLoaded: map[string]bool{}}
	var files []string
	for _, name := range sortedKeys(profiles) {
		p := profiles[name]
		if p.AppArmor != nil {
			files = append(files, filepath.Join(p.Path, profile.AppArmorFile))
		}
	}
	if len(files) == 0 {
		return host, nil
	}
	if err := apparmorUsable(); err != nil {
		first, _, _ := strings.Cut(err.Error(), "\n")
		warn("AppArmor profiles are skipped: %s", first)
		return host, nil
	}
	host.AppArmor = true
	for _, f := range files {
		name, err := apparmorProfileName(f)
		if err != nil {
			return host, fmt.Errorf("%v\n", err)
		}
		if _, err := loadAppArmor(f, name); err != nil {
			return host, err
		}
		host.AppArmorLoaded[name] = true
	}
	return host, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// enforceEnv is the command's environment: DOCKER_HOST at the proxy, and
// nothing that would send the client elsewhere (a context, TLS settings
// for the real daemon).
func enforceEnv(env []string, dockerHost string) []string {
	out := slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH", "DOCKER_TLS":
			return true
		}
		return false
	})
	return append(out, "DOCKER_HOST="+dockerHost)
}

// create is the proxy's hook: each container create is matched to its
// profile and hardened by it.
func (e *enforcer) create(c *proxy.Create) error {
	req, err := harden.Decode(c.Body)
	if err != nil {
		return err
	}
	name := strings.TrimPrefix(c.Query.Get("name"), "/")
	cont := profile.Container{Name: name, Image: req.Config.Image, Labels: req.Config.Labels}
	en := &enforcement{Name: name, Image: req.Config.Image}
	switch {
	case len(e.names) > 0 && !slices.Contains(e.names, name):
		en.Reason = "not one of --container"
	case !e.match.Selects(cont):
		en.Reason = "not selected by --match"
	default:
		key := e.nameBy.ProfileName(cont)
		p, ok := e.profiles[key]
		switch {
		case key == "unnamed":
			en.Reason = "no name at create (Docker picks one), no Compose service, no --name-by label"
		case !ok:
			en.Profile = key
			en.Reason = "no profile " + filepath.Join(e.dir, key)
		default:
			en.Profile = key
			out, changes, err := harden.Apply(p, req.CreateRequest, e.host)
			if err != nil {
				return fmt.Errorf("applying %s: %v", p.Path, err)
			}
			if unknown := req.Unknown(); len(unknown) > 0 {
				changes = append(changes, harden.Change{Setting: "request", Action: harden.Kept,
					Detail: "fields tailor's Docker API types do not know, passed on: " + strings.Join(unknown, ", ")})
			}
			req.CreateRequest = out
			body, err := req.Encode()
			if err != nil {
				return fmt.Errorf("encoding the hardened create: %v", err)
			}
			c.Body = body
			en.Covered, en.Changes = true, changes
		}
	}
	c.Done = func(status int, body []byte) {
		var answer struct {
			ID      string `json:"Id"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(body, &answer)
		e.mu.Lock()
		defer e.mu.Unlock()
		en.Status, en.ID, en.Error = status, answer.ID, answer.Message
	}
	e.mu.Lock()
	e.created = append(e.created, en)
	e.mu.Unlock()
	return nil
}

func (e *enforcer) summary(dir string, command []string, code int, warnings []string) *enforceSummary {
	e.mu.Lock()
	defer e.mu.Unlock()
	used := map[string]bool{}
	for _, c := range e.created {
		if c.Covered {
			used[c.Profile] = true
		}
	}
	s := &enforceSummary{Profiles: dir, Command: command, ExitCode: code, Containers: slices.Clone(e.created), Unused: []string{}, Warnings: warnings}
	if s.Containers == nil {
		s.Containers = []*enforcement{}
	}
	for _, name := range sortedKeys(e.profiles) {
		if !used[name] {
			s.Unused = append(s.Unused, name)
		}
	}
	return s
}

// printEnforceSummary prints one block per container created: its
// profile, or why it was not covered, then what was done, setting by
// setting.
func printEnforceSummary(w io.Writer, s *enforceSummary) {
	covered := 0
	for _, c := range s.Containers {
		if c.Covered {
			covered++
		}
	}
	fmt.Fprintf(w, "\ntailor enforce: %d container(s) created, %d hardened, %d not covered\n", len(s.Containers), covered, len(s.Containers)-covered)
	for _, c := range s.Containers {
		name := c.Name
		if name == "" {
			name = "(unnamed)"
		}
		id := ""
		if len(c.ID) >= 12 {
			id = ", id " + c.ID[:12]
		}
		failed := ""
		if c.Status >= 400 {
			failed = fmt.Sprintf("; Docker refused the create (%d): %s", c.Status, c.Error)
		}
		if !c.Covered {
			fmt.Fprintf(w, "\n%s (image %s%s): not covered: %s; runs as asked%s\n", report.TermSafe(name), report.TermSafe(c.Image), id, report.TermSafe(c.Reason), report.TermSafe(failed))
			continue
		}
		fmt.Fprintf(w, "\n%s (image %s%s): profile %s%s\n", report.TermSafe(name), report.TermSafe(c.Image), id, report.TermSafe(c.Profile), report.TermSafe(failed))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, ch := range c.Changes {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", ch.Action, ch.Setting, report.TermSafe(ch.Detail))
		}
		_ = tw.Flush()
	}
	if len(s.Unused) > 0 {
		fmt.Fprintf(w, "\nprofiles no container was created for: %s\n", report.TermSafe(strings.Join(s.Unused, ", ")))
	}
}
