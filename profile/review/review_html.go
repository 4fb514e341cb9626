package review

// `tailor report --format html` is one self-contained file a reviewer can
// open or attach to a ticket: inline CSS, no script, no external resource.
// html/template escapes everything that comes from a recording.

import (
	"html/template"
	"io"
	"strings"

	"github.com/tailorsec/tailor/profile/internal/text"
	"github.com/tailorsec/tailor/profile/report"
	"github.com/tailorsec/tailor/profile/runflags"
)

// HTML writes the report as one self-contained HTML page.
func HTML(w io.Writer, reviews []Container) error {
	var total Summary
	for _, r := range reviews {
		total.Fail += r.Summary.Fail
		total.Warn += r.Summary.Warn
		total.Pass += r.Summary.Pass
		total.Info += r.Summary.Info
	}
	return reviewTemplate.Execute(w, struct {
		Reviews []Container
		Total   Summary
	}{reviews, total})
}

var reviewTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"name":          reviewName,
	"short":         text.ShortID,
	"recorded":      recordedLine,
	"recordedShort": recordedShort,
	"plural":        text.Plural,
	"safe":          text.TermSafe,
	"arrows":        arrows,
	"status":        statusClass,
	"decision":      userDecisionTitle,
	"limitPeak":     limitPeak,
	"limitValue":    limitValue,
	"bytes":         text.Bytes,
	"upper":         strings.ToUpper,
	"command":       commandLines,
}).Parse(reviewHTML))

// statusClass is a status as a CSS class: only the known ones.
func statusClass(s string) string {
	switch s {
	case report.StatusFail, report.StatusWarn, report.StatusPass, report.StatusInfo:
		return s
	}
	return "info"
}

// arrows is termSafe with the ASCII arrows of evidence drawn as arrows.
func arrows(s string) string {
	s = strings.ReplaceAll(text.TermSafe(s), " -> ", " → ")
	return strings.ReplaceAll(s, " -&gt; ", " → ") // as Markdown escaped it
}

func userDecisionTitle(d string) string {
	switch d {
	case runflags.UserKeep:
		return "Runs as a non-root user"
	case runflags.UserNonRoot:
		return "Never needed root"
	case runflags.UserDropsInEntrypoint:
		return "Root only to drop to another user"
	case runflags.UserRootNeeded:
		return "Needs root"
	}
	return "Not known"
}

func limitPeak(a runflags.LimitAdvice, isBytes bool) string {
	if a.Peak <= 0 {
		return "not observed"
	}
	if isBytes {
		return text.Bytes(a.Peak)
	}
	return text.Itoa64(a.Peak)
}

func limitValue(v int64, isBytes bool) string {
	if v <= 0 {
		return "none"
	}
	if isBytes {
		return text.Bytes(v)
	}
	return text.Itoa64(v)
}

const reviewHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tailor report: {{plural (len .Reviews) "container"}}</title>
<style>
:root {
  --fg: #1f2328; --muted: #59636e; --line: #d8dee4; --bg: #f4f6f8; --card: #ffffff;
  --fail: #b42318; --fail-bg: #fdecea; --warn: #9a6700; --warn-bg: #fff4d6;
  --pass: #1a7f37; --pass-bg: #e6f4ea; --info: #0b5cad; --info-bg: #e7f0fb;
  --accent: #24292f;
}
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", "Liberation Sans", sans-serif; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", "DejaVu Sans Mono", monospace; font-size: 12.5px; }
header.top { background: var(--accent); color: #fff; padding: 28px 40px 24px; }
header.top .brand { font-weight: 700; letter-spacing: .12em; text-transform: uppercase; font-size: 12px; opacity: .75; }
header.top h1 { margin: 4px 0 6px; font-size: 26px; font-weight: 650; }
header.top p { margin: 0; opacity: .85; max-width: 900px; }
header.top .totals { margin-top: 14px; display: flex; gap: 8px; flex-wrap: wrap; }
main { max-width: 1320px; margin: 0 auto; padding: 24px 32px 40px; }
section.panel { background: var(--card); border: 1px solid var(--line); border-radius: 10px; margin: 0 0 28px; padding: 22px 26px; box-shadow: 0 1px 2px rgba(31,35,40,.06); }
h2 { margin: 0; font-size: 21px; font-weight: 650; overflow-wrap: anywhere; }
h3 { margin: 0 0 8px; font-size: 12px; font-weight: 650; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); }
a { color: var(--info); text-decoration: none; }
a:hover { text-decoration: underline; }
.pill { display: inline-block; border-radius: 999px; padding: 1px 10px; font-size: 12px; font-weight: 600; white-space: nowrap; border: 1px solid transparent; }
.pill.fail { color: var(--fail); background: var(--fail-bg); border-color: #f5c2bd; }
.pill.warn { color: var(--warn); background: var(--warn-bg); border-color: #f0d890; }
.pill.pass { color: var(--pass); background: var(--pass-bg); border-color: #b4dfc0; }
.pill.info { color: var(--info); background: var(--info-bg); border-color: #b9d3f2; }
header.top .pill { border-color: rgba(255,255,255,.25); }
table { border-collapse: collapse; width: 100%; }
th { text-align: left; font-size: 12px; font-weight: 650; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; padding: 8px 10px; border-bottom: 2px solid var(--line); }
td { padding: 10px; border-bottom: 1px solid var(--line); vertical-align: top; overflow-wrap: break-word; }
table.overview td.num, table.overview th.num { text-align: right; width: 64px; font-variant-numeric: tabular-nums; }
.bar { display: flex; height: 10px; border-radius: 5px; overflow: hidden; min-width: 160px; background: var(--line); }
.bar span { display: block; height: 100%; }
.bar .fail { background: var(--fail); } .bar .warn { background: #d4a72c; } .bar .pass { background: var(--pass); } .bar .info { background: #6f9fd8; }
.head { display: flex; align-items: baseline; gap: 14px; flex-wrap: wrap; margin-bottom: 14px; }
.head .image { color: var(--muted); overflow-wrap: anywhere; }
.head .pills { margin-left: auto; display: flex; gap: 6px; }
dl.meta { display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr)); gap: 10px 24px; margin: 0 0 18px; padding: 14px 16px; background: #f8fafc; border: 1px solid var(--line); border-radius: 8px; }
dl.meta div { min-width: 0; }
dl.meta dt { font-size: 11px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
.cards { display: grid; grid-template-columns: minmax(0, 1.3fr) minmax(0, 1fr); gap: 16px; margin-bottom: 22px; }
.card.run { grid-row: span 2; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; min-width: 0; }
.card p { margin: 0 0 6px; }
.card .decision { font-weight: 650; }
pre.flags { margin: 0; padding: 12px 14px; background: #0d1117; color: #e6edf3; border-radius: 6px; white-space: pre-wrap; word-break: break-all; line-height: 1.5; }
.card table td, .card table th { padding: 4px 8px; font-size: 13px; white-space: nowrap; }
.card table th { font-size: 11px; border-bottom-width: 1px; }
.card table td.flag { font-size: 12px; }
.muted { color: var(--muted); }
table.checklist { table-layout: fixed; }
table.checklist col.status { width: 78px; } table.checklist col.item { width: 17%; } table.checklist col.cur { width: 20%; } table.checklist col.rec { width: 24%; }
table.checklist tbody tr td:first-child { border-left: 4px solid transparent; }
table.checklist tr.fail td:first-child { border-left-color: var(--fail); }
table.checklist tr.warn td:first-child { border-left-color: #d4a72c; }
table.checklist tr.pass td:first-child { border-left-color: var(--pass); }
table.checklist tr.info td:first-child { border-left-color: #6f9fd8; }
table.checklist tr.fail { background: #fffafa; }
.badge { display: inline-block; min-width: 46px; text-align: center; border-radius: 4px; padding: 1px 6px; font-size: 11px; font-weight: 700; letter-spacing: .05em; }
.badge.fail { color: #fff; background: var(--fail); } .badge.warn { color: #3b2300; background: #f2c94c; }
.badge.pass { color: #fff; background: var(--pass); } .badge.info { color: #fff; background: #4a86cf; }
.id { font-size: 11.5px; color: var(--muted); font-weight: 600; }
.title { font-weight: 600; }
ul.evidence { margin: 0; padding-left: 16px; font-size: 12.5px; color: #3d444d; }
ul.evidence li { margin: 0 0 2px; }
footer { max-width: 1320px; margin: 0 auto; padding: 0 32px 32px; color: var(--muted); font-size: 12.5px; }
footer .pill { margin-right: 4px; }
@media (max-width: 900px) { .cards { grid-template-columns: 1fr; } .card.run { grid-row: auto; } main { padding: 16px; } }
@media print { body { background: #fff; } section.panel { box-shadow: none; break-inside: auto; } tr { break-inside: avoid; } header.top { padding: 16px 0; } }
</style>
</head>
<body>
<header class="top">
  <div class="brand">tailor</div>
  <h1>Container hardening report</h1>
  <p>{{plural (len .Reviews) "container"}} recorded by tailor, checked against Docker's hardening advice and the CIS Docker Benchmark (section 5, container runtime, and 4.1, a non-root user). Each item says how the container ran, what tailor recommends, and the evidence from the recording.</p>
  <div class="totals"><span class="pill fail">{{.Total.Fail}} fail</span><span class="pill warn">{{.Total.Warn}} warn</span><span class="pill pass">{{.Total.Pass}} pass</span><span class="pill info">{{.Total.Info}} info</span></div>
</header>
<main>
<section class="panel overview">
  <h3>Containers</h3>
  <table class="overview">
    <thead><tr><th>Container</th><th>Image</th><th>Recorded</th><th class="num">Fail</th><th class="num">Warn</th><th class="num">Pass</th><th class="num">Info</th><th>Checklist</th></tr></thead>
    <tbody>
    {{- range $i, $r := .Reviews}}
      <tr><td><a href="#container-{{$i}}">{{safe (name $r)}}</a></td><td class="mono">{{safe $r.Container.Image}}</td><td>{{safe (recordedShort $r)}}</td>
        <td class="num">{{$r.Summary.Fail}}</td><td class="num">{{$r.Summary.Warn}}</td><td class="num">{{$r.Summary.Pass}}</td><td class="num">{{$r.Summary.Info}}</td>
        <td><div class="bar" title="{{$r.Summary.Fail}} fail, {{$r.Summary.Warn}} warn, {{$r.Summary.Pass}} pass, {{$r.Summary.Info}} info"><span class="fail" style="flex-grow: {{$r.Summary.Fail}}"></span><span class="warn" style="flex-grow: {{$r.Summary.Warn}}"></span><span class="pass" style="flex-grow: {{$r.Summary.Pass}}"></span><span class="info" style="flex-grow: {{$r.Summary.Info}}"></span></div></td></tr>
    {{- end}}
    </tbody>
  </table>
</section>
{{range $i, $r := .Reviews}}
<section class="panel container" id="container-{{$i}}">
  <div class="head">
    <h2>{{safe (name $r)}}</h2><span class="image mono">{{safe $r.Container.Image}}</span>
    <div class="pills"><span class="pill fail">{{$r.Summary.Fail}} fail</span><span class="pill warn">{{$r.Summary.Warn}} warn</span><span class="pill pass">{{$r.Summary.Pass}} pass</span><span class="pill info">{{$r.Summary.Info}} info</span></div>
  </div>
  <dl class="meta">
    {{- if $r.Container.ID}}<div><dt>Container</dt><dd class="mono">{{short $r.Container.ID}}</dd></div>{{end}}
    {{- if $r.Container.Runtime}}<div><dt>Runtime</dt><dd>{{safe $r.Container.Runtime}}</dd></div>{{end}}
    <div><dt>Recorded</dt><dd>{{safe (recorded $r)}}</dd></div>
    {{- if $r.ArmedBy}}<div><dt>Armed by</dt><dd>{{safe $r.ArmedBy}}</dd></div>{{end}}
    {{- if $r.Host.Kernel}}<div><dt>Kernel</dt><dd>{{safe $r.Host.Kernel}} ({{safe $r.Host.Arch}})</dd></div>{{end}}
    {{- if $r.Host.DockerVersion}}<div><dt>Docker</dt><dd>{{safe $r.Host.DockerVersion}}</dd></div>{{end}}
    {{- if $r.Dir}}<div><dt>Profile</dt><dd class="mono">{{safe $r.Dir}}</dd></div>{{end}}
    {{- if $r.Source}}<div><dt>Read from</dt><dd class="mono">{{$r.Source}}</dd></div>{{end}}
  </dl>
  <div class="cards">
    <div class="card run">
      <h3>Run it hardened</h3>
      <pre class="flags">{{command $r.Flags $r.Container.Image}}</pre>
      <p class="muted" style="margin-top:8px">The flags are in docker-run.flags: <code>docker run $(cat docker-run.flags) IMAGE</code>. Load apparmor.profile on the host first.</p>
    </div>
    <div class="card">
      <h3>User</h3>
      <p class="decision">{{decision $r.User.Decision}}{{if $r.User.User}}: <code>--user={{$r.User.User}}</code>{{end}}</p>
      <p class="muted">Ran as {{safe $r.User.Current}}.</p>
      <p>{{safe $r.User.Reason}}</p>
    </div>
    <div class="card">
      <h3>Resource limits</h3>
      <table>
        <thead><tr><th></th><th>Peak</th><th>Ran with</th><th>Suggested</th></tr></thead>
        <tbody>
          <tr><td>Tasks</td><td>{{limitPeak $r.Limits.Pids false}}</td><td>{{limitValue $r.Limits.Pids.Current false}}</td><td class="mono flag">{{or $r.Limits.Pids.Flag "—"}}</td></tr>
          <tr><td>Memory</td><td>{{limitPeak $r.Limits.Memory true}}</td><td>{{limitValue $r.Limits.Memory.Current true}}</td><td class="mono flag">{{or $r.Limits.Memory.Flag "—"}}</td></tr>
          <tr><td>Open files</td><td>{{limitPeak $r.Limits.Nofile false}}</td><td>{{limitValue $r.Limits.Nofile.Current false}}</td><td class="mono flag">{{or $r.Limits.Nofile.Flag "—"}}</td></tr>
        </tbody>
      </table>
    </div>
  </div>
  <h3>Checklist</h3>
  <table class="checklist">
    <colgroup><col class="status"><col class="item"><col class="cur"><col class="rec"><col class="ev"></colgroup>
    <thead><tr><th>Status</th><th>Item</th><th>How it ran</th><th>Recommendation</th><th>Evidence</th></tr></thead>
    <tbody>
    {{- range $r.Checklist}}
      <tr class="{{status .Status}}"><td><span class="badge {{status .Status}}">{{upper (status .Status)}}</span></td><td><div class="id">{{safe .ID}}</div><div class="title">{{safe .Title}}</div></td><td>{{safe .Current}}</td><td{{if eq .Recommendation "keep it so"}} class="muted"{{end}}>{{arrows .Recommendation}}</td><td>{{if .Evidence}}<ul class="evidence">{{range .Evidence}}<li>{{arrows .}}</li>{{end}}</ul>{{end}}</td></tr>
    {{- end}}
    </tbody>
  </table>
</section>
{{end}}
</main>
<footer>
  <span class="pill fail">fail</span> a setting that hands a compromised container the host, or privilege it never used ·
  <span class="pill warn">warn</span> an item not followed ·
  <span class="pill pass">pass</span> followed ·
  <span class="pill info">info</span> not answered by the recording, or a matter of choice.
  CIS item numbers follow the CIS Docker Benchmark v1.6.0.
</footer>
</body>
</html>
`
