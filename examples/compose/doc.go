// Package compose is the Compose example: README.md's commands (record a
// project's suite, convert the profiles to a Compose override, run the
// suite hardened) as a Go test, against real dockerd and docker-compose.
// It holds no code of its own: the test drives the built tailor binary.
package compose
