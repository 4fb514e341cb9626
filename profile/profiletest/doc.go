// Package profiletest holds what the tests of the profile packages share,
// as net/http/httptest does for net/http: the recordings the golden files
// are made from (TestCases and the named fixtures), the review fixtures,
// and the golden-file helpers (the -update flag, CheckGolden).
//
// Only tests import it. It imports package profile (the recording model)
// and nothing above it, so that the tests of every profile package can use
// it without an import cycle; like all of profile/, it touches no kernel
// and no Docker.
package profiletest
