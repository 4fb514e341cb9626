package review

// Golden files pin `tailor report` in each format for the containers of
// reviewRecordings. Regenerate them with
//
//	go test ./profile -run ReviewGolden -update

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/apparmor"
	"github.com/tailorsec/tailor/profile/profiledir"
	"github.com/tailorsec/tailor/profile/profiletest"
	"github.com/tailorsec/tailor/profile/report"
	"github.com/tailorsec/tailor/profile/runflags"
)

const reviewGoldenDir = "testdata/report"

// testReviews are the reviews of reviewRecordings, with fixed flags paths.
func testReviews(t *testing.T) []Container {
	t.Helper()
	var out []Container
	for _, rec := range profiletest.ReviewRecordings(t) {
		dir := "profiles/" + apparmor.ProfileName(rec)[len("tailor-"):]
		r := NewContainer(rec, runflags.Line(runflags.New(rec, profile.Capabilities(rec), "/srv/"+dir+"/seccomp.json")))
		r.Dir, r.Source = dir, profile.RecordingFile
		out = append(out, r)
	}
	return out
}

func TestReviewGolden(t *testing.T) {
	reviews := testReviews(t)
	render := map[string]func() ([]byte, error){
		"report.txt": func() ([]byte, error) {
			var b bytes.Buffer
			err := Text(&b, reviews, TextOptions{Width: 110})
			return b.Bytes(), err
		},
		"report-color.txt": func() ([]byte, error) {
			var b bytes.Buffer
			err := Text(&b, reviews[:2], TextOptions{Width: 80, Color: true})
			return b.Bytes(), err
		},
		"report.md": func() ([]byte, error) {
			var b bytes.Buffer
			err := Markdown(&b, reviews)
			return b.Bytes(), err
		},
		"report.html": func() ([]byte, error) {
			var b bytes.Buffer
			err := HTML(&b, reviews)
			return b.Bytes(), err
		},
		"report.json": func() ([]byte, error) { return Marshal(reviews) },
	}
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range render {
			if !yield(k) {
				return
			}
		}
	}) {
		t.Run(name, func(t *testing.T) {
			got, err := render[name]()
			if err != nil {
				t.Fatal(err)
			}
			again, _ := render[name]()
			if !bytes.Equal(got, again) {
				t.Fatal("two renderings differ")
			}
			path := filepath.Join(reviewGoldenDir, name)
			if *profiletest.Update {
				if err := os.MkdirAll(reviewGoldenDir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./profile -run ReviewGolden -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the golden file (run with -update if intended)\ngot:\n%s", path, got)
			}
		})
	}
}

// Names, images and paths from a recording cannot inject markup, links or
// terminal escape sequences into any format.
func TestReviewEscapes(t *testing.T) {
	reviews := []Container{NewContainer(profiletest.MarkupRecording(t), "--cap-drop=ALL '--x=<b>\x1b[31m'")}
	var text, colored, md, html bytes.Buffer
	if err := Text(&text, reviews, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := Text(&colored, reviews, TextOptions{Color: true}); err != nil {
		t.Fatal(err)
	}
	if err := Markdown(&md, reviews); err != nil {
		t.Fatal(err)
	}
	if err := HTML(&html, reviews); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"text": text.String(), "markdown": md.String(), "html": html.String()} {
		if strings.ContainsAny(out, "\x1b\x07") {
			t.Errorf("%s: raw escape sequence in the output", name)
		}
	}
	if strings.Count(colored.String(), "\x1b[2J") > 0 || strings.Contains(colored.String(), "\x1b]0;") {
		t.Error("colored text: the recording's escape sequences got through")
	}
	if !strings.Contains(colored.String(), ansiRed) {
		t.Error("colored text has no colour")
	}
	// Outside code blocks, where Markdown is literal anyway.
	mdText := regexp.MustCompile("(?s)\n```+sh\n.*?\n```+\n").ReplaceAllString(md.String(), "\n")
	for _, bad := range []string{"<script", "<img", "<svg", "<b>", "<i>"} {
		if strings.Contains(mdText, bad) {
			t.Errorf("markdown: %q got through", bad)
		}
		if strings.Contains(html.String(), bad) {
			t.Errorf("html: %q got through", bad)
		}
	}
	if regexp.MustCompile(`[^\\]\]\(http`).MatchString(mdText) {
		t.Error("markdown: a link got through")
	}
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", `\\x1b\[2J\|\*x\*`} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	if !strings.Contains(html.String(), "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("html does not show the name escaped")
	}
	for _, external := range []string{"href=\"http", "href=\"//", "url(", "@import", "<link", "<script"} {
		if strings.Contains(html.String(), external) {
			t.Errorf("html refers to something outside itself: %q", external)
		}
	}
}

func TestMarshalReviews(t *testing.T) {
	data, err := Marshal(testReviews(t))
	if err != nil {
		t.Fatal(err)
	}
	var back Reviews
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if back.SchemaVersion != SchemaVersion || len(back.Containers) != 6 {
		t.Fatalf("schema %d, %d containers", back.SchemaVersion, len(back.Containers))
	}
	c := back.Containers[0]
	if c.Container.Name != "agent" || c.Summary.Fail == 0 || len(c.Checklist) != len(report.Checklist(profiletest.DangerousRecording(t))) {
		t.Errorf("first container: %+v", c.Summary)
	}
	if empty, _ := Marshal(nil); !strings.Contains(string(empty), `"containers": []`) {
		t.Errorf("no containers: %s", empty)
	}
}

func TestFlagWords(t *testing.T) {
	var flags []string
	for _, tc := range profiletest.QuoteCases {
		flags = append(flags, "--x="+tc.In)
	}
	line := runflags.Line(flags)
	words := flagWords(line)
	if len(words) != len(flags) {
		t.Fatalf("%d words, want %d: %q", len(words), len(flags), words)
	}
	for i, w := range words {
		if w != runflags.ShellQuote(flags[i]) {
			t.Errorf("word %d: %q, want %q", i, w, runflags.ShellQuote(flags[i]))
		}
	}
	if got := flagWords("a 'unterminated"); len(got) != 1 {
		t.Errorf("unterminated quote: %q", got)
	}
	if got := flagWords(`a\ b c`); !slices.Equal(got, []string{`a\ b`, "c"}) {
		t.Errorf("escaped space: %q", got)
	}
}

// ReadAll reads a profile directory, or a directory of them; from
// recording.json, or from report.json alone.
func TestReadReviews(t *testing.T) {
	out := t.TempDir()
	recs := []*profile.Recording{profiletest.RedisRecording(t), profiletest.BatchRecording(t), profiletest.NginxRecording(t)}
	for _, rec := range recs {
		if _, err := profiledir.Write(filepath.Join(out, rec.Container.Name), rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(out, "notes.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(out, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}

	all, err := ReadAll(out)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range all {
		names = append(names, r.Container.Name)
		if r.Source != profile.RecordingFile {
			t.Errorf("%s: source %s", r.Container.Name, r.Source)
		}
	}
	if !slices.Equal(names, []string{"cache", "report-job", "web"}) {
		t.Errorf("containers %q", names)
	}
	flags, _ := os.ReadFile(filepath.Join(out, "report-job", profile.FlagsFile))
	if all[1].Flags+"\n" != string(flags) || !strings.Contains(all[1].Flags, "--user=65534:65534") {
		t.Errorf("flags %q, file %q", all[1].Flags, flags)
	}

	one, err := ReadAll(filepath.Join(out, "cache"))
	if err != nil || len(one) != 1 || !reflect.DeepEqual(one[0], all[0]) {
		t.Fatalf("one profile: %v %+v", err, one)
	}

	// Without recording.json (and without docker-run.flags), from
	// report.json: the same review.
	dir := filepath.Join(out, "cache")
	for _, f := range []string{profile.RecordingFile, profile.FlagsFile} {
		if err := os.Remove(filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	fromReport, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fromReport.Source != profile.ReportFile {
		t.Errorf("source %s", fromReport.Source)
	}
	fromReport.Source = profile.RecordingFile
	if !reflect.DeepEqual(fromReport, all[0]) {
		t.Errorf("from report.json:\n%+v\nfrom recording.json:\n%+v", fromReport, all[0])
	}

	if _, err := ReadAll(filepath.Join(out, "empty")); !errors.Is(err, ErrNoProfiles) {
		t.Errorf("empty directory: %v", err)
	}
	if _, err := ReadAll(filepath.Join(out, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing directory: %v", err)
	}
	if err := os.WriteFile(filepath.Join(out, "web", profile.ReportFile), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(out, "web", profile.RecordingFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadAll(out); err == nil || !strings.Contains(err.Error(), "web") {
		t.Errorf("broken report.json: %v", err)
	}
}

// report.json comes from disk: whatever parses is reviewed and rendered in
// every format without panicking, and nothing in it becomes markup.
func FuzzReviewFromReport(f *testing.F) {
	for _, rec := range []*profile.Recording{profiletest.DangerousRecording(&testing.T{}), profiletest.MarkupRecording(&testing.T{}), profiletest.RedisRecording(&testing.T{})} {
		data, err := report.Marshal(report.New(rec, profile.Capabilities(rec)))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := report.Parse(data)
		if err != nil {
			return
		}
		r := NewContainer(report.RecordingFrom(rep), "--cap-drop=ALL")
		reviews := []Container{r}
		var b bytes.Buffer
		if err := Text(&b, reviews, TextOptions{}); err != nil {
			t.Fatal(err)
		}
		if strings.ContainsAny(b.String(), "\x1b\x07\r") {
			t.Fatalf("text report holds a control character")
		}
		b.Reset()
		if err := Markdown(&b, reviews); err != nil {
			t.Fatal(err)
		}
		b.Reset()
		if err := HTML(&b, reviews); err != nil {
			t.Fatal(err)
		}
		if strings.Count(b.String(), "<script") > 0 || strings.Count(b.String(), "<tr class=") != len(r.Checklist) {
			t.Fatalf("html: markup from report.json, or rows missing")
		}
		if _, err := Marshal(reviews); err != nil {
			t.Fatal(err)
		}
	})
}
