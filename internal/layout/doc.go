// Package layout holds no code: its test checks the rules of the module's
// package layout (README, "Code layout") in every test run, so that they
// stay true as the code grows — profile/ and its children touch no kernel
// and no Docker, only bpf and tracer touch BPF, only tracer talks to
// Docker's API, and the profile packages import only those below them.
package layout
