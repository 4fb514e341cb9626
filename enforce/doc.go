// Package enforce holds what tailor enforce is made of: harden (a
// profile applied to a container create request, a pure function) and
// proxy (the Docker API proxy that passes everything through and hands
// each create to a hook). The command itself is cmd/tailor's enforce.go.
package enforce
