package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/apparmor"
	"github.com/tailorsec/tailor/profile/report"
	"github.com/tailorsec/tailor/profile/review"
)

const loadAbout = `
Load the AppArmor profiles of saved profiles into the kernel, in enforce
mode, so that the --security-opt=apparmor=tailor-NAME of their
docker-run.flags takes effect: each DIR is an output directory of tailor
record (or merge), holding one directory per container, or one profile
directory. A profile already loaded under the same name is replaced.
Every profile is loaded with apparmor_parser -r -W (the kernel's compiled
policy cache is written too, so the profile is back after a reboot once
it sits in /etc/apparmor.d); --remove unloads them instead.

This is needed on every Docker host where the flags are used: a profile
lives in the kernel of the host that loaded it.

Example:
  sudo tailor load profiles
  sudo tailor load --remove profiles/web`

// Where the kernel tells whether AppArmor is on (the module parameter) and
// which profiles it holds (securityfs).
const (
	apparmorEnabledFile  = "/sys/module/apparmor/parameters/enabled"
	apparmorProfilesFile = "/sys/kernel/security/apparmor/profiles"
)

func cmdLoad(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("load", "[--remove] DIR...", loadAbout, stdout)
	remove := fs.Bool("remove", false, "unload the profiles instead of loading them")
	if done, code := parseFlags(fs, args, stderr); done {
		return code
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "tailor load: want at least one DIR (see 'tailor load --help')")
		return exitUsage
	}
	var files []string
	for _, arg := range fs.Args() {
		dirs, err := review.ProfileDirs(arg)
		if err != nil {
			hint := ""
			if errors.Is(err, review.ErrNoProfiles) {
				hint = "\n  fix: name a directory tailor record wrote (-o), or one profile directory in it"
			}
			fmt.Fprintf(stderr, "tailor load: cannot read profiles: %v%s\n", err, hint)
			return exitUsage
		}
		for _, dir := range dirs {
			f := filepath.Join(dir, profile.AppArmorFile)
			if _, err := os.Stat(f); err != nil {
				fmt.Fprintf(stderr, "tailor load: %s has no %s: %v\n  fix: write it again with tailor record or tailor merge\n", dir, profile.AppArmorFile, err)
				return exitUsage
			}
			files = append(files, f)
		}
	}
	if err := apparmorUsable(); err != nil {
		fmt.Fprintf(stderr, "tailor load: %v\n", err)
		return exitSetup
	}
	for _, f := range files {
		name, err := apparmorProfileName(f)
		if err != nil {
			fmt.Fprintf(stderr, "tailor load: %v\n", err)
			return exitUsage
		}
		if *remove {
			if err := apparmorParser("-R", f); err != nil {
				fmt.Fprintf(stderr, "tailor load: %v", err)
				return exitSetup
			}
			fmt.Fprintf(stdout, "removed %s\n", report.TermSafe(name))
			continue
		}
		mode, err := loadAppArmor(f, name)
		if err != nil {
			fmt.Fprintf(stderr, "tailor load: %v", err)
			return exitSetup
		}
		fmt.Fprintf(stdout, "loaded %s (%s) from %s\n", report.TermSafe(name), mode, report.TermSafe(f))
	}
	return exitOK
}

// apparmorParser runs apparmor_parser OP -W file; the error ends in a
// newline and holds the parser's output.
func apparmorParser(op, file string) error {
	out, err := exec.Command("apparmor_parser", op, "-W", file).CombinedOutput()
	if err != nil {
		return fmt.Errorf("apparmor_parser %s %s: %v\n%s", op, file, err, indent(string(out)))
	}
	return nil
}

// loadAppArmor loads (or replaces) the profile file defines as name, in
// enforce mode, and returns the mode the kernel then holds it in (tailor
// load and tailor enforce). The error ends in a newline.
func loadAppArmor(file, name string) (mode string, err error) {
	if err := apparmorParser("-r", file); err != nil {
		return "", err
	}
	mode, err = apparmorMode(name)
	if err != nil {
		return "", fmt.Errorf("%v\n", err)
	}
	return mode, nil
}

// apparmorUsable says, in one line with the fix, why profiles cannot be
// loaded here, or nil.
func apparmorUsable() error {
	b, err := os.ReadFile(apparmorEnabledFile)
	if err != nil || strings.TrimSpace(string(b)) != "Y" {
		return errors.New("AppArmor is not enabled in this kernel, so there is nothing to load the profiles into\n  fix: load them on a Docker host with AppArmor (Ubuntu, Debian), or boot with apparmor=1 security=apparmor")
	}
	if _, err := os.Stat(apparmorProfilesFile); err != nil {
		return fmt.Errorf("cannot see the kernel's AppArmor profiles (%v)\n  fix: run as root, with securityfs mounted at /sys/kernel/security", err)
	}
	if _, err := exec.LookPath("apparmor_parser"); err != nil {
		return errors.New("apparmor_parser not found\n  fix: apt-get install apparmor")
	}
	return nil
}

// apparmorProfileName is the name of the one profile the file defines.
func apparmorProfileName(file string) (string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	p, err := apparmor.Parse(b)
	if err != nil {
		return "", fmt.Errorf("%s: %v", file, err)
	}
	if len(p.Names) == 0 {
		return "", fmt.Errorf("%s defines no profile", file)
	}
	return p.Names[0], nil
}

// apparmorMode is the mode the kernel holds profile name in ("enforce",
// "complain"), from securityfs.
func apparmorMode(name string) (string, error) {
	b, err := os.ReadFile(apparmorProfilesFile)
	if err != nil {
		return "", err
	}
	return loadedMode(string(b), name)
}

// loadedMode finds name in the kernel's profile list, whose lines read
// "NAME (MODE)".
func loadedMode(list, name string) (string, error) {
	for _, line := range strings.Split(list, "\n") {
		n, mode, ok := strings.Cut(strings.TrimSpace(line), " (")
		if ok && n == name {
			return strings.TrimSuffix(mode, ")"), nil
		}
	}
	return "", fmt.Errorf("apparmor_parser loaded %s, but the kernel does not list it in %s", name, apparmorProfilesFile)
}

func indent(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString("  " + line + "\n")
	}
	return b.String()
}
