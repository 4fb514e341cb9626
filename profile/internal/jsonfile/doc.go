// Package jsonfile is the one JSON style of every file tailor writes
// (Marshal) and the error it reports for a file it cannot parse (Error).
//
// It imports only the standard library: no kernel, no Docker, nothing of
// tailor's.
package jsonfile
