// Package tracertest holds what tailor's root-only tests share: the ground
// truth probe and the rule for skipping.
package tracertest
