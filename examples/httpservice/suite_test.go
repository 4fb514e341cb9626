package main

// The suite: run the service in a container and drive it with real HTTP
// requests. It is the one source of truth for what "the service's test
// suite" does: TestSuite runs it on its own (go test -run '^TestSuite$',
// the command a user records with tailor record and check, see
// README.md), and the recording tests in integration_test.go run the same
// function under the recorder.

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tailorsec/tailor/tracer/tracertest"
)

// Labels on the suite's containers. ProfileLabel names the profile
// (tailor --name-by label=app), so that whatever the container is called,
// its profile is "httpservice". RunLabel tells one run's containers from
// another's (tailor --match label=tailor.test-run=ID), so that runs and
// tests going on at the same time do not end up in each other's profiles.
const (
	ProfileLabel = "app"
	ProfileName  = "httpservice"
	RunLabel     = "tailor.test-run"
)

// The environment TestSuite reads: the recorded command is configured
// through it.
const (
	// EnvImage is the image to run; unset, the suite builds one (and
	// removes it afterwards).
	EnvImage = "HTTPSERVICE_IMAGE"
	// EnvRun is the RunLabel value; unset, a random one.
	EnvRun = "HTTPSERVICE_RUN"
	// EnvAuditLog is passed into the container: it turns on the audit
	// log feature, which the baseline was not recorded with.
	EnvAuditLog = "HTTPSERVICE_AUDIT_LOG"
)

// minUptime is how long the suite keeps the service up at least. tailor
// samples a container's memory and open descriptors once a second; a
// container that lives for less than that may get no sample, and its
// profile then suggests no --memory or --ulimit, which tailor diff
// rightly reports as a widening against the baseline.
const minUptime = 3 * time.Second

// suiteConfig is one run of the suite.
type suiteConfig struct {
	Image    string // image to run
	Run      string // RunLabel value
	AuditLog string // HTTPSERVICE_AUDIT_LOG inside the container, "" for none
}

// TestSuite runs the service's suite once. Under go test ./... it is the
// service's functional test (it needs dockerd, not root); under tailor
// record or check, the workload that gets recorded.
func TestSuite(t *testing.T) {
	requireDocker(t)
	cfg := suiteConfig{Image: os.Getenv(EnvImage), Run: os.Getenv(EnvRun), AuditLog: os.Getenv(EnvAuditLog)}
	if cfg.Image == "" {
		cfg.Image = buildImage(t)
		t.Cleanup(func() { removeImage(cfg.Image) })
	}
	if cfg.Run == "" {
		cfg.Run = "suite-" + randomID()
	}
	runSuite(t, cfg)
}

// runSuite starts the service (a name of its own, a free port on
// 127.0.0.1), drives it, stops it with docker stop and removes it. Runs
// of the suite, at the same time or not, get different container names,
// as test suites do; the profile is still "httpservice", named by the
// ProfileLabel label.
func runSuite(t testing.TB, cfg suiteConfig) {
	t.Helper()
	name := "example-httpservice-" + randomID()
	args := []string{"run", "-d", "--name", name,
		"--label", ProfileLabel + "=" + ProfileName, "--label", RunLabel + "=" + cfg.Run,
		"-p", "127.0.0.1::8080"}
	if cfg.AuditLog != "" {
		args = append(args, "-e", EnvAuditLog+"="+cfg.AuditLog)
	}
	args = append(args, cfg.Image)
	docker(t, args...)
	defer func() { _ = exec.Command("docker", "rm", "-f", name).Run() }()
	defer func() {
		if t.Failed() {
			out, _ := exec.Command("docker", "logs", name).CombinedOutput()
			t.Logf("docker logs %s:\n%s", name, out)
		}
	}()

	// docker chose the host port: ask which.
	hostPort := strings.TrimSpace(strings.SplitN(docker(t, "port", name, "8080/tcp"), "\n", 2)[0])
	base := "http://" + hostPort
	client := &http.Client{Timeout: 5 * time.Second}
	waitHealthy(t, client, base)
	up := time.Now()

	expect(t, client, "GET", base+"/health", http.StatusOK, "ok\n")

	// The counter, from several clients at once.
	const posts = 40
	var wg sync.WaitGroup
	errs := make(chan error, posts)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < posts/4; i++ {
				resp, err := client.Post(base+"/counter", "application/json", nil)
				if err != nil {
					errs <- err
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					errs <- fmt.Errorf("POST /counter: %s", resp.Status)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var counter struct{ Count int }
	getJSON(t, client, base+"/counter", &counter)
	if counter.Count != posts {
		t.Fatalf("GET /counter: count %d, want %d", counter.Count, posts)
	}

	// The quotes file the image ships.
	for n := 0; n < 3; n++ {
		var q struct {
			N     int
			Quote string
		}
		getJSON(t, client, fmt.Sprintf("%s/quote?n=%d", base, n), &q)
		if q.N != n || q.Quote == "" {
			t.Fatalf("GET /quote?n=%d: %+v", n, q)
		}
	}
	expect(t, client, "GET", base+"/quote?n=x", http.StatusBadRequest, "")

	// CPU work: each request keeps a goroutine busy for tens of
	// milliseconds, long enough for the Go runtime to preempt it with a
	// signal, as it does under load in production.
	for _, text := range []string{"hunter2", "correct horse battery staple", "tailor"} {
		resp, err := client.Post(base+"/hash", "text/plain", strings.NewReader(text))
		if err != nil {
			t.Fatal(err)
		}
		var h struct {
			SHA256 string
			Rounds int
		}
		err = json.NewDecoder(resp.Body).Decode(&h)
		resp.Body.Close()
		if err != nil || h.SHA256 != stretch(text, h.Rounds) {
			t.Fatalf("POST /hash %q: %+v %v", text, h, err)
		}
	}
	expect(t, client, "GET", base+"/nowhere", http.StatusNotFound, "")

	// Light traffic until the service has been up for minUptime.
	for time.Since(up) < minUptime {
		expect(t, client, "GET", base+"/health", http.StatusOK, "ok\n")
		time.Sleep(50 * time.Millisecond)
	}

	// docker stop: SIGTERM, the service shuts down cleanly.
	docker(t, "stop", "-t", "10", name)
	if code := strings.TrimSpace(docker(t, "inspect", "-f", "{{.State.ExitCode}}", name)); code != "0" {
		t.Fatalf("the service exited %s after docker stop, want 0", code)
	}
	if cfg.AuditLog != "" {
		// docker diff reads the container's layer from the daemon: no
		// process runs in the container.
		if changes := docker(t, "diff", name); !strings.Contains(changes, cfg.AuditLog) {
			t.Fatalf("the audit log %s was not written; docker diff:\n%s", cfg.AuditLog, changes)
		}
	}
}

// stretch is what POST /hash computes.
func stretch(text string, rounds int) string {
	sum := sha256.Sum256([]byte(text))
	for i := 1; i < rounds; i++ {
		sum = sha256.Sum256(sum[:])
	}
	return hex.EncodeToString(sum[:])
}

func waitHealthy(t testing.TB, client *http.Client, base string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := client.Get(base + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the service did not answer on %s: %v", base, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func expect(t testing.TB, client *http.Client, method, url string, status int, body string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status || (body != "" && string(got) != body) {
		t.Fatalf("%s %s: %s %q, want %d %q", method, url, resp.Status, got, status, body)
	}
}

func getJSON(t testing.TB, client *http.Client, url string, v any) {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %s", url, resp.Status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v in %s", url, err, body)
	}
}

// buildImage builds the service (static, CGO_ENABLED=0) and a FROM
// scratch image of it under a tag of its own, as the README says: no
// build stage, since the Dockerfile has no image to build in.
func buildImage(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "httpservice-image-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	gobuild := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(dir, "httpservice"), ".")
	gobuild.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := gobuild.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, f := range []string{"Dockerfile", "data/quotes.txt"} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	image := "tailor-example-httpservice:" + randomID()
	build := exec.Command("docker", "build", "-q", "-t", image, dir)
	build.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	return image
}

func removeImage(image string) { _ = exec.Command("docker", "rmi", "-f", image).Run() }

// docker runs a docker command and returns its output; it fails the test
// when the command fails.
func docker(t testing.TB, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("docker", args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("docker %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

func requireDocker(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("docker"); err != nil {
		tracertest.SkipOrFail(t, "skipping: the docker CLI is not installed")
	}
	if out, err := exec.Command("docker", "info").CombinedOutput(); err != nil {
		tracertest.SkipOrFail(t, "skipping: the Docker daemon does not answer (start dockerd): %v\n%s", err, out)
	}
}

func randomID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
