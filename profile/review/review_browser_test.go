package review

// The HTML report is opened in a real browser: Debian's chromium, headless.
// It must load from one file with nothing else (no network, no script),
// render the checklist of every container, and look like something (the
// screenshot is a PNG of the page, with the header's colour where it
// belongs). Set TAILOR_REPORT_SCREENSHOT=FILE to keep the screenshot.

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// chromium finds Debian's chromium; without it the test skips, unless
// TAILOR_REQUIRE_E2E says everything must run (as in CI).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "chromium is not installed (apt-get install chromium): the HTML report is not checked in a browser"
	if os.Getenv("TAILOR_REQUIRE_E2E") != "" {
		t.Fatal("TAILOR_REQUIRE_E2E is set, but " + msg)
	}
	t.Skip(msg)
	return ""
}

// runChromium runs headless chromium with a throw-away profile, no network
// services and the given extra arguments, on url.
func runChromium(t *testing.T, bin, url string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	argv := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
		"--user-data-dir=" + t.TempDir(), "--window-size=1280,2000",
	}, args...)
	cmd := exec.CommandContext(ctx, bin, append(argv, url)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// chromium looks for a D-Bus session and a home it can write to.
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "DBUS_SESSION_BUS_ADDRESS=disabled:")
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", bin, err, tail(stderr.String(), 2000))
	}
	return stdout.Bytes()
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

func TestReviewHTMLInChromium(t *testing.T) {
	bin := chromium(t)
	reviews := testReviews(t)
	var page bytes.Buffer
	if err := HTML(&page, reviews); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "report.html")
	if err := os.WriteFile(file, page.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	url := "file://" + file

	shot := filepath.Join(dir, "report.png")
	runChromium(t, bin, url, "--screenshot="+shot)
	data, err := os.ReadFile(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	if keep := os.Getenv("TAILOR_REPORT_SCREENSHOT"); keep != "" {
		if err := os.WriteFile(keep, data, 0o644); err != nil {
			t.Error(err)
		}
	}
	if len(data) == 0 || !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("screenshot is not a PNG (%d bytes)", len(data))
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1280 || b.Dy() != 2000 {
		t.Errorf("screenshot is %v, want 1280x2000", b)
	}
	// The page's header is dark (#24292f): the stylesheet was applied.
	if r, g, b, _ := img.At(8, 8).RGBA(); r>>8 > 0x40 || g>>8 > 0x40 || b>>8 > 0x40 {
		t.Errorf("header pixel is #%02x%02x%02x, not the dark header", r>>8, g>>8, b>>8)
	}
	// Somewhere a fail badge (#b42318) was painted.
	red := false
	for y := 0; y < 2000 && !red; y += 2 {
		for x := 0; x < 1280; x += 2 {
			r, g, b, _ := img.At(x, y).RGBA()
			if r>>8 > 0xa0 && g>>8 < 0x40 && b>>8 < 0x40 {
				red = true
				break
			}
		}
	}
	if !red {
		t.Error("no fail badge painted in the screenshot")
	}

	dom := string(runChromium(t, bin, url, "--dump-dom"))
	if !strings.Contains(dom, "Container hardening report") {
		t.Fatalf("the DOM is not the report:\n%s", tail(dom, 2000))
	}
	sections := regexp.MustCompile(`(?s)<section class="panel container" id="container-\d+">.*?</section>`).FindAllString(dom, -1)
	if len(sections) != len(reviews) {
		t.Fatalf("%d container sections in the DOM, want %d", len(sections), len(reviews))
	}
	row := regexp.MustCompile(`<tr class="(pass|warn|fail|info)"><td><span class="badge (?:pass|warn|fail|info)">`)
	for i, r := range reviews {
		rows := row.FindAllStringSubmatch(sections[i], -1)
		if len(rows) != len(r.Checklist) {
			t.Errorf("%s: %d checklist rows, want %d", reviewName(r), len(rows), len(r.Checklist))
			continue
		}
		for j, it := range r.Checklist {
			if rows[j][1] != it.Status {
				t.Errorf("%s: row %d (%s) is %s, want %s", reviewName(r), j, it.ID, rows[j][1], it.Status)
			}
		}
		for _, id := range []string{"CIS 4.1", "CIS 5.4", "CIS 5.31", "Recording complete"} {
			if !strings.Contains(sections[i], id) {
				t.Errorf("%s: no %s row", reviewName(r), id)
			}
		}
	}
	// The hostile names are text, not elements, once a browser parsed them.
	if strings.Contains(dom, "<script>alert") || strings.Contains(dom, "<img src") || strings.Contains(dom, "<svg") {
		t.Error("markup from the recording became elements")
	}
	if !strings.Contains(dom, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the hostile container name is not shown")
	}
}
