// Command tailor learns least-privilege security profiles for containers
// from what they really do. See README.md.
//
// Each subcommand has its own file (record.go, diff.go, merge.go, check.go,
// convert.go, show.go, report.go, load.go, status.go); they parse flags
// with pflag and leave the work to packages recorder, tracer and those
// under profile/. The end-to-end tests (*_e2e_test.go) run the built
// binary against real dockerd and real containers.
package main
