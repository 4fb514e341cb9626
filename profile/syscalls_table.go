//go:build !cgo

package profile

// Without cgo there is no libseccomp: the generated table answers (see
// zsyscall_table.go, made from libseccomp by `make generate`).

func resolveName(arch Arch, nr int) (string, bool) {
	names, ok := syscallNames[arch]
	if !ok || nr >= len(names) || names[nr] == "" {
		return "", false
	}
	return names[nr], true
}

func resolveNumber(arch Arch, name string) (int, bool) {
	nr, ok := syscallNumbers[arch][name]
	return nr, ok
}

// LibseccompVersion is the version of the libseccomp the table came from.
func LibseccompVersion() string { return tableLibseccompVersion }
