package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// subcommands maps a name to its function, which gets the arguments after
// the name and returns the exit status.
var subcommands = map[string]struct {
	run  func(ctx context.Context, args []string) int
	help string
}{
	"kernels": {runKernels, "run the tracer's kernel tests on Debian's kernels and the host, print the matrix"},
}

func main() {
	if len(os.Args) < 2 || subcommands[os.Args[1]].run == nil {
		usage()
		os.Exit(2)
	}
	// Ctrl-C or SIGTERM ends the guest (Machine.Run kills qemu) and the
	// host tests, then the report is printed with what ran.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(subcommands[os.Args[1]].run(ctx, os.Args[2:]))
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: tailor-vm COMMAND [flags]\n\ncommands:")
	var names []string
	for name := range subcommands {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(os.Stderr, "  %-10s %s\n", name, subcommands[name].help)
	}
}
