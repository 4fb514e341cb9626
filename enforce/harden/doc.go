// Package harden applies a saved profile (profiledir.Profile) to a Docker
// container create request, as tailor enforce does for each container its
// command creates: the profile is a ceiling over what the caller asked
// for. It decodes and encodes the create body with Docker's own API types
// (api/types/container), keeping fields those types do not know, and
// reports every setting it changed, kept or skipped.
//
// It is pure: no Docker daemon, no kernel, no programs run. What it needs
// to know of the host (is AppArmor on, which profiles are loaded) is an
// argument.
package harden
