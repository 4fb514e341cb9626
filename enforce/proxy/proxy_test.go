package proxy

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// recordingListener keeps the bytes each accepted connection read, so a
// test can compare what the daemon received with and without the proxy.
type recordingListener struct {
	net.Listener
	mu   sync.Mutex
	read []*bytes.Buffer
}

type recordingConn struct {
	net.Conn
	mu  *sync.Mutex
	buf *bytes.Buffer
}

func (c recordingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.buf.Write(p[:n])
	c.mu.Unlock()
	return n, err
}

func (l *recordingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := &bytes.Buffer{}
	l.read = append(l.read, b)
	return recordingConn{Conn: c, mu: &l.mu, buf: b}, nil
}

func (l *recordingListener) received() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var s strings.Builder
	for _, b := range l.read {
		s.Write(b.Bytes())
	}
	return s.String()
}

func (l *recordingListener) reset() {
	l.mu.Lock()
	l.read = nil
	l.mu.Unlock()
}

// fakeDaemon answers a few of Docker's endpoints the way dockerd does:
// plain JSON, chunked streams, hijacked connections.
type fakeDaemon struct {
	socket   string
	listener *recordingListener
	server   *httptest.Server
	// next releases each further line of the logs stream.
	next chan struct{}
	mu   sync.Mutex
	// creates are the create bodies the daemon got.
	creates []string
}

func newFakeDaemon(t *testing.T) *fakeDaemon {
	t.Helper()
	d := &fakeDaemon{socket: filepath.Join(t.TempDir(), "docker.sock"), next: make(chan struct{})}
	l, err := net.Listen("unix", d.socket)
	if err != nil {
		t.Fatal(err)
	}
	d.listener = &recordingListener{Listener: l}
	mux := http.NewServeMux()
	mux.HandleFunc("/_ping", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Api-Version", "1.41")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if r.Method != "HEAD" {
			io.WriteString(w, "OK")
		}
	})
	version := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"ApiVersion":"1.41","Path":%q}`+"\n", r.URL.Path)
	}
	mux.HandleFunc("/version", version)
	mux.HandleFunc("/v1.40/version", version)
	mux.HandleFunc("/v1.40/containers/json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `[{"Id":"abc","Names":["/web"]}]`+"\n")
	})
	create := func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		d.mu.Lock()
		d.creates = append(d.creates, string(body))
		d.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(201)
		fmt.Fprintf(w, `{"Id":"c0ffee%s","Warnings":[]}`+"\n", r.URL.Query().Get("name"))
	}
	mux.HandleFunc("/containers/create", create)
	mux.HandleFunc("/v1.41/containers/create", create)
	mux.HandleFunc("/v1.40/containers/create", create)
	mux.HandleFunc("/containers/web/logs", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/vnd.docker.raw-stream")
		for i := 0; i < 3; i++ {
			fmt.Fprintf(w, "line %d\n", i)
			w.(http.Flusher).Flush()
			select {
			case <-d.next:
			case <-r.Context().Done():
				return
			}
		}
	})
	mux.HandleFunc("/build", func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		n, _ := io.Copy(h, r.Body)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"stream":"got %d bytes"}`+"\n", n)
		w.(http.Flusher).Flush()
		fmt.Fprintf(w, `{"aux":{"ID":"sha256:%x"}}`+"\n", h.Sum(nil))
	})
	// Attach with Upgrade: tcp answers 101; exec start without it answers
	// 200 and a raw stream until close, as dockerd does for old clients.
	hijack := func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		if r.Header.Get("Upgrade") == "tcp" {
			io.WriteString(conn, "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n")
		} else {
			io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\n")
		}
		// Echo stdin upper-cased until the client half-closes, then say
		// goodbye on the still-open output.
		sc := bufio.NewScanner(buf)
		for sc.Scan() {
			fmt.Fprintf(conn, "%s\n", strings.ToUpper(sc.Text()))
		}
		io.WriteString(conn, "stdin closed\n")
	}
	mux.HandleFunc("/v1.41/containers/web/attach", hijack)
	mux.HandleFunc("/exec/e1/start", hijack)
	mux.HandleFunc("/events", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		for i := 0; i < 2; i++ {
			fmt.Fprintf(w, `{"status":"start","id":"%d"}`+"\n", i)
			w.(http.Flusher).Flush()
			select {
			case <-d.next:
			case <-r.Context().Done():
				return
			}
		}
	})
	d.server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Date"] = nil // byte-for-byte comparisons
		mux.ServeHTTP(w, r)
	}))
	d.server.Listener = d.listener
	d.server.Start()
	t.Cleanup(d.server.Close)
	return d
}

func startProxy(t *testing.T, d *fakeDaemon, create func(*Create) error) *Proxy {
	t.Helper()
	p, err := Start(Options{Network: "unix", Address: d.socket, Create: create, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func unixClient(socket string) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", socket)
		},
	}}
}

// exchange writes raw requests on one connection and reads everything
// until the other side closes.
func exchange(t *testing.T, socket, requests string) string {
	t.Helper()
	c, err := net.Dial("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, requests); err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("reading: %v (got %q)", err, out)
	}
	return string(out)
}

func chunked(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		fmt.Fprintf(&b, "%x\r\n%s\r\n", len(p), p)
	}
	b.WriteString("0\r\n\r\n")
	return b.String()
}

// What the client reads and what the daemon receives are the same bytes
// with the proxy as without, for everything that is not a create.
func TestSameBytesWithAndWithoutTheProxy(t *testing.T) {
	d := newFakeDaemon(t)
	p := startProxy(t, d, func(c *Create) error { t.Error("a create hook was called"); return nil })
	requests := "GET /_ping HTTP/1.1\r\nHost: docker\r\nUser-Agent: test\r\n\r\n" +
		"HEAD /_ping HTTP/1.1\r\nHost: docker\r\n\r\n" +
		"GET /v1.40/version HTTP/1.1\r\nHost: docker\r\nX-Odd-Header:   spaced  \r\n\r\n" +
		"POST /build?t=x HTTP/1.1\r\nHost: docker\r\nContent-Type: application/x-tar\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked("hello ", "build context") +
		"POST /v1.40/containers/json HTTP/1.1\r\nHost: docker\r\nContent-Length: 2\r\n\r\n{}" +
		"GET /v1.40/containers/json HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n"
	direct := exchange(t, d.socket, requests)
	receivedDirect := d.listener.received()
	d.listener.reset()
	proxied := exchange(t, p.Socket(), requests)
	receivedProxied := d.listener.received()
	if direct != proxied {
		t.Errorf("the client read different bytes through the proxy:\ndirect:\n%s\nproxied:\n%s", direct, proxied)
	}
	if receivedDirect != receivedProxied {
		t.Errorf("the daemon received different bytes through the proxy:\ndirect:\n%q\nproxied:\n%q", receivedDirect, receivedProxied)
	}
	if strings.Count(direct, "HTTP/1.1 200") != 6 || !strings.Contains(direct, `"Path":"/v1.40/version"`) {
		t.Errorf("unexpected answers:\n%s", direct)
	}
}

// A create is decoded and handed to the hook under any version prefix;
// the daemon gets the hook's body, the hook the daemon's answer.
func TestCreateHook(t *testing.T) {
	d := newFakeDaemon(t)
	var mu sync.Mutex
	var seen []string
	var answers []string
	p := startProxy(t, d, func(c *Create) error {
		mu.Lock()
		seen = append(seen, c.Target+" name="+c.Query.Get("name")+" "+string(c.Body))
		mu.Unlock()
		if c.Query.Get("name") == "refused" {
			return fmt.Errorf("no profile can be applied")
		}
		c.Body = []byte(`{"Image":"hardened"}`)
		c.Done = func(status int, body []byte) {
			mu.Lock()
			answers = append(answers, fmt.Sprintf("%d %s", status, strings.TrimSpace(string(body))))
			mu.Unlock()
		}
		return nil
	})
	client := unixClient(p.Socket())
	for _, target := range []string{"/containers/create?name=a", "/v1.41/containers/create?name=b", "/v1.40/containers/%63reate?name=c"} {
		resp, err := client.Post("http://docker"+target, "application/json", strings.NewReader(`{"Image":"busybox","HostConfig":{"Privileged":true}}`))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 201 || !strings.Contains(string(body), "c0ffee") {
			t.Errorf("%s: %d %s", target, resp.StatusCode, body)
		}
	}
	// A chunked create body is read whole too.
	raw := exchange(t, p.Socket(), "POST /v1.41/containers/create?name=d HTTP/1.1\r\nHost: docker\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"+chunked(`{"Image":`, `"busybox"}`))
	if !strings.Contains(raw, "201 Created") {
		t.Errorf("chunked create: %s", raw)
	}
	resp, err := client.Post("http://docker/v1.41/containers/create?name=refused", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var msg struct{ Message string }
	if resp.StatusCode != 500 || json.Unmarshal(body, &msg) != nil || !strings.Contains(msg.Message, "no profile can be applied") {
		t.Errorf("refused create: %d %s", resp.StatusCode, body)
	}
	mu.Lock()
	defer mu.Unlock()
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(seen) != 5 || !strings.Contains(seen[3], `name=d {"Image":"busybox"}`) {
		t.Errorf("hook saw %q", seen)
	}
	if len(d.creates) != 4 {
		t.Fatalf("daemon got %d creates, want 4 (the refused one never reaches it)", len(d.creates))
	}
	for _, c := range d.creates {
		if c != `{"Image":"hardened"}` {
			t.Errorf("daemon got %q", c)
		}
	}
	if len(answers) != 4 || answers[1] != `201 {"Id":"c0ffeeb","Warnings":[]}` {
		t.Errorf("answers %q", answers)
	}
}

func TestIsCreate(t *testing.T) {
	for target, want := range map[string]bool{
		"/containers/create":                    true,
		"/containers/create?name=x":             true,
		"/v1.41/containers/create":              true,
		"/v1.41/containers/create/":             true,
		"/v1.41//containers/./create":           true,
		"/v1.41/containers/%63reate?name=x":     true,
		"http://docker/v1.24/containers/create": true,
		"/v1.41/containers/web/start":           false,
		"/v1.41/containers/create/x":            false,
		"/v1.41/exec/create":                    false,
		"/containers/createx":                   false,
	} {
		if got, _ := isCreate("POST", target); got != want {
			t.Errorf("%s: %v, want %v", target, got, want)
		}
	}
	if got, _ := isCreate("GET", "/containers/create"); got {
		t.Error("GET counted as a create")
	}
}

// logs -f and events: each chunk reaches the client while the stream is
// still open.
func TestStreamsFlowAsTheyCome(t *testing.T) {
	d := newFakeDaemon(t)
	p := startProxy(t, d, nil)
	client := unixClient(p.Socket())
	for _, path := range []string{"/containers/web/logs?follow=1", "/events"} {
		resp, err := client.Get("http://docker" + path)
		if err != nil {
			t.Fatal(err)
		}
		if te := resp.TransferEncoding; len(te) != 1 || te[0] != "chunked" {
			t.Errorf("%s: transfer encoding %v", path, te)
		}
		r := bufio.NewReader(resp.Body)
		var lines []string
		for {
			line, err := readLineWithin(r, 5*time.Second)
			if err != nil {
				break
			}
			lines = append(lines, strings.TrimSpace(line))
			// The next line is only written once this one has arrived.
			select {
			case d.next <- struct{}{}:
			case <-time.After(5 * time.Second):
				t.Fatalf("%s: the daemon did not wait for the next line", path)
			}
		}
		resp.Body.Close()
		if len(lines) < 2 {
			t.Errorf("%s: %q", path, lines)
		}
	}
}

func readLineWithin(r *bufio.Reader, d time.Duration) (string, error) {
	type res struct {
		s   string
		err error
	}
	ch := make(chan res, 1)
	go func() {
		s, err := r.ReadString('\n')
		ch <- res{s, err}
	}()
	select {
	case x := <-ch:
		return x.s, x.err
	case <-time.After(d):
		return "", fmt.Errorf("timeout")
	}
}

// attach (Upgrade: tcp, 101) and exec start (200, raw until close): the
// stream flows both ways, and the client's half-close reaches the daemon
// while the output still comes back.
func TestHijackedConnections(t *testing.T) {
	d := newFakeDaemon(t)
	p := startProxy(t, d, nil)
	for _, tc := range []struct{ request, status string }{
		{"POST /v1.41/containers/web/attach?stream=1&stdin=1&stdout=1 HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 101 UPGRADED"},
		{"POST /exec/e1/start HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: 30\r\n\r\n{\"Detach\":false,\"Tty\":false}\r\n", "HTTP/1.1 200 OK"},
	} {
		c, err := net.Dial("unix", p.Socket())
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(c, tc.request)
		r := bufio.NewReader(c)
		status, _ := r.ReadString('\n')
		if !strings.HasPrefix(status, tc.status) {
			t.Fatalf("status %q, want %q", status, tc.status)
		}
		for line, _ := r.ReadString('\n'); strings.TrimSpace(line) != ""; line, _ = r.ReadString('\n') {
		}
		io.WriteString(c, "hello\n")
		if got, _ := r.ReadString('\n'); got != "HELLO\n" {
			t.Errorf("echo %q", got)
		}
		io.WriteString(c, "second\n")
		c.(*net.UnixConn).CloseWrite()
		rest, err := io.ReadAll(r)
		if err != nil || string(rest) != "SECOND\nstdin closed\n" {
			t.Errorf("after the half-close: %q %v", rest, err)
		}
		c.Close()
	}
}

// A daemon that is not there: the client gets Docker's error form, not a
// hang-up.
func TestDaemonAway(t *testing.T) {
	p, err := Start(Options{Network: "unix", Address: filepath.Join(t.TempDir(), "none.sock"), Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	out := exchange(t, p.Socket(), "GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n")
	if !strings.HasPrefix(out, "HTTP/1.1 502") || !strings.Contains(out, "cannot reach the Docker daemon") {
		t.Errorf("%s", out)
	}
}

func TestUpstream(t *testing.T) {
	for _, tc := range []struct {
		host        string
		tls         bool
		net, addr   string
		errContains string
	}{
		{"", false, "unix", DefaultSocket, ""},
		{"unix:///run/d.sock", false, "unix", "/run/d.sock", ""},
		{"tcp://127.0.0.1:2375", false, "tcp", "127.0.0.1:2375", ""},
		{"tcp://127.0.0.1:2376", true, "", "", "TLS"},
		{"ssh://me@host", false, "", "", "ssh://"},
		{"/var/run/docker.sock", false, "", "", "not unix"},
	} {
		n, a, err := Upstream(tc.host, tc.tls)
		if tc.errContains != "" {
			if err == nil || !strings.Contains(err.Error(), tc.errContains) {
				t.Errorf("%s: err %v", tc.host, err)
			}
			continue
		}
		if err != nil || n != tc.net || a != tc.addr {
			t.Errorf("%s: %s %s %v", tc.host, n, a, err)
		}
	}
}

// The private directory is the owner's alone, and goes with Close.
func TestPrivateSocket(t *testing.T) {
	d := newFakeDaemon(t)
	p := startProxy(t, d, nil)
	st, err := filepathStat(filepath.Dir(p.Socket()))
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("dir mode %v %v", st.Mode(), err)
	}
	if !strings.HasPrefix(p.DockerHost(), "unix://") {
		t.Error(p.DockerHost())
	}
	p.Close()
	if _, err := filepathStat(filepath.Dir(p.Socket())); err == nil {
		t.Error("the private directory is still there after Close")
	}
}

var filepathStat = os.Stat
