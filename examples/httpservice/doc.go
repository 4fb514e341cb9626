// Command httpservice is the service of tailor's httpservice example: a
// small HTTP API whose container profile is recorded by tailor and kept in
// baseline/ as the release gate (see README.md).
//
//	GET  /health   "ok"
//	GET  /counter  {"count": N}
//	POST /counter  adds one and returns {"count": N}
//	GET  /quote    {"n": I, "quote": "..."}: line I (?n=I, default 0) of
//	               the quotes file the image ships (/data/quotes.txt)
//	POST /hash     {"sha256": "...", "rounds": N}: the body stretched by N
//	               rounds of SHA-256, as a password hash would be (CPU work)
//
// Setting HTTPSERVICE_AUDIT_LOG=PATH turns on a feature the baseline was
// not recorded with: every request is appended to PATH and synced to disk.
// It stands for the next release of the service, one that needs more than
// the last: a file written on the root filesystem and a new syscall
// (fsync). tailor check catches it.
package main
