package main

import (
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/convert"
	"github.com/tailorsec/tailor/profile/profiledir"
)

const convertAbout = `
Convert profile directories to other runtimes' and orchestrators' forms,
from the files as they are in DIR (edits included). DIR is a profile
directory or, for k8s and compose, a directory of them as record -o writes.

  oci      the linux.seccomp object of an OCI runtime spec (config.json), for
           runc, crun and containerd
  k8s      a SeccompProfile object per container (security-profiles-operator)
           and a pod spec fragment with each container's securityContext:
           capabilities, seccompProfile (Localhost), appArmorProfile,
           allowPrivilegeEscalation: false, readOnlyRootFilesystem
  compose  a docker compose override file, per service what its
           docker-run.flags applies: cap_drop, cap_add, security_opt
           (seccomp, apparmor, no-new-privileges), read_only, tmpfs, user,
           pids_limit, mem_limit, ulimits. seccomp.json is named by its
           absolute path, or with --relative-to DIR by its path relative to
           DIR: give the project directory (where its compose file is and
           docker-compose runs) to commit the override with the profiles
  flags    the docker run (or podman run) flags line, naming seccomp.json
           where it is now

Output is deterministic. Exit codes: 0 converted, 2 error.

Examples:
  tailor convert --to compose --project shop -o compose.tailor.yaml profiles
  tailor convert --to compose --relative-to . -o docker-compose.tailor.yml profiles
  jq --slurpfile s <(tailor convert --to oci profiles/web) '.linux.seccomp = $s[0]' config.json`

func cmdConvert(args []string, stdout, stderr io.Writer) int {
	var to, output, project, relativeTo, arch, kernel string
	fs := newFlags("convert", "--to oci|k8s|compose|flags [-o FILE] DIR", convertAbout, stdout)
	fs.StringVar(&to, "to", "", "output format: oci, k8s, compose or flags")
	fs.StringVarP(&output, "output", "o", "", "write to FILE instead of stdout")
	fs.StringVar(&project, "project", "", "compose project name: containers PROJECT-SERVICE-N become service SERVICE")
	fs.StringVar(&relativeTo, "relative-to", "", "compose: name seccomp profiles by their path relative to `DIR`, the project directory (default: absolute paths)")
	fs.StringVar(&arch, "arch", "", "host architecture for Docker profiles' conditions (default: from the profile, else this host)")
	fs.StringVar(&kernel, "kernel", "", "host kernel major.minor for Docker profiles' minKernel conditions")
	if done, code := parseFlags(fs, args, stderr); done {
		return code
	}
	if !slices.Contains([]string{"oci", "k8s", "compose", "flags"}, to) {
		fmt.Fprintf(stderr, "tailor convert: --to must be oci, k8s, compose or flags (see 'tailor convert --help')\n")
		return exitUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "tailor convert: want one profile directory (see 'tailor convert --help')")
		return exitUsage
	}
	if relativeTo != "" {
		if to != "compose" {
			fmt.Fprintf(stderr, "tailor convert: --relative-to is for --to compose\n")
			return exitUsage
		}
		if st, err := os.Stat(relativeTo); err != nil || !st.IsDir() {
			fmt.Fprintf(stderr, "tailor convert: --relative-to %s: not a directory\n", relativeTo)
			return exitUsage
		}
	}
	opts := convert.Options{Project: project, Kernel: kernel, RelativeTo: relativeTo}
	if arch != "" {
		if opts.Arch = profile.ParseArch(arch); opts.Arch == "" {
			fmt.Fprintf(stderr, "tailor convert: unknown architecture %q\n", arch)
			return exitUsage
		}
	}
	profiles, single, err := profiledir.LoadAll(fs.Arg(0))
	if err == nil && !single && (to == "oci" || to == "flags") {
		err = fmt.Errorf("%s holds several profile directories (%v): --to %s converts one", fs.Arg(0), names(profiles), to)
	}
	if err == nil && single && profiles[""] != nil {
		err = fmt.Errorf("%s is a file: convert takes a profile directory", fs.Arg(0))
	}
	if err != nil {
		fmt.Fprintf(stderr, "tailor convert: %v\n", err)
		return exitUsage
	}
	var list []*profiledir.Profile
	for _, n := range names(profiles) {
		list = append(list, profiles[n])
	}
	var out []byte
	switch to {
	case "oci":
		out, err = convert.OCI(list[0], opts)
	case "flags":
		var line string
		line, err = convert.Flags(list[0])
		out = []byte(line + "\n")
	case "k8s":
		out, err = convert.K8s(list, opts)
	case "compose":
		out, err = convert.Compose(list, opts)
	}
	if err != nil {
		fmt.Fprintf(stderr, "tailor convert: %v\n", err)
		return exitUsage
	}
	if output == "" {
		stdout.Write(out)
		return exitOK
	}
	if err := profiledir.WriteFileAtomic(output, out, 0o644); err != nil {
		fmt.Fprintf(stderr, "tailor convert: %v\n", err)
		return exitUsage
	}
	return exitOK
}

func names(m map[string]*profiledir.Profile) []string {
	var out []string
	for n := range m {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}
