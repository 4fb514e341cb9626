// Package report builds report.json, the record of one learning run beside
// its profile: what was observed, what each emitted rule rests on (New,
// Marshal, Parse), and the checklist of CIS Docker Benchmark items the
// recording lets tailor judge (Checklist). It also has the one-line
// summaries tailor prints after recording and in tailor status
// (Summarize, WriteSummaryTable).
//
// It imports the profile packages below it (profile, seccomp, apparmor,
// runflags) and no kernel and no Docker.
package report
