// Package review is tailor report: it reads profile directories back
// (report.json, recording.json) into one Container review each and renders
// them as text for a terminal (Text), Markdown (Markdown) and one
// self-contained HTML page (HTML), or as JSON (Marshal). Everything it
// prints from a recording is made safe for the medium: terminal escapes,
// HTML and Markdown in names and paths are shown, never obeyed.
//
// It imports the profile packages below it (profile, report, runflags)
// and no kernel and no Docker.
package review
