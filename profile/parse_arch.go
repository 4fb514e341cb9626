package profile

// ParseArch reads an architecture as a user gives it (amd64, x86_64,
// arm64, aarch64 or seccomp's spelling); "" when tailor does not know it.
func ParseArch(name string) Arch {
	if a := ArchFromName(name); a != "" {
		return a
	}
	if knownArch(Arch(name)) {
		return Arch(name)
	}
	return ""
}
