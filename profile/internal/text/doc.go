// Package text holds the small formatting helpers of tailor's messages,
// reports and reviews: paths and strings made safe to print, plurals,
// durations and sizes spelled for people.
//
// It imports only the standard library: no kernel, no Docker, nothing of
// tailor's.
package text
