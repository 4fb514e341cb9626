package proxy

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Create is one container create request, handed to Options.Create.
type Create struct {
	// Target is the request target as sent: /v1.41/containers/create?name=web.
	Target string
	// Query is the target's query (name, platform).
	Query url.Values
	// Body is the request's body. The hook may replace it; it is sent to
	// the daemon with a new Content-Length.
	Body []byte
	// Done, when the hook sets it, is called with the daemon's answer:
	// its status code and body (the first MiB of it).
	Done func(status int, body []byte)
}

// Options configure a Proxy.
type Options struct {
	// Network and Address are the daemon's ("unix", "/var/run/docker.sock";
	// "tcp", "127.0.0.1:2375"). Empty: from DOCKER_HOST, see Upstream.
	Network, Address string
	// Create is called for each container create before it is sent on.
	// An error is the create's answer (status 500, the error as Docker's
	// error message), and the daemon never sees the request.
	Create func(*Create) error
	// Dir is where the proxy's private directory is made (os.TempDir()
	// when empty).
	Dir string
}

// Proxy is a Docker API proxy on a private unix socket.
type Proxy struct {
	opts     Options
	dir      string
	socket   string
	listener net.Listener

	mu     sync.Mutex
	conns  map[net.Conn]bool
	closed bool
	wg     sync.WaitGroup
}

// maxCreateBody bounds a create request's body (an inline seccomp profile
// is tens of KiB).
const maxCreateBody = 16 << 20

// DefaultSocket is where the daemon listens without DOCKER_HOST.
const DefaultSocket = "/var/run/docker.sock"

// Upstream reads DOCKER_HOST as the docker CLI does, for the schemes the
// proxy can forward to: unix:// and tcp:// without TLS. Empty: the
// default socket.
func Upstream(dockerHost string, tlsVerify bool) (network, address string, err error) {
	if dockerHost == "" {
		return "unix", DefaultSocket, nil
	}
	scheme, rest, ok := strings.Cut(dockerHost, "://")
	if !ok {
		return "", "", fmt.Errorf("DOCKER_HOST=%s: not unix:///PATH or tcp://HOST:PORT", dockerHost)
	}
	switch scheme {
	case "unix":
		if rest == "" {
			return "", "", fmt.Errorf("DOCKER_HOST=%s: no socket path", dockerHost)
		}
		return "unix", rest, nil
	case "tcp", "http":
		if tlsVerify {
			return "", "", fmt.Errorf("DOCKER_HOST=%s with DOCKER_TLS_VERIFY: TLS to the daemon is not supported by tailor's proxy", dockerHost)
		}
		host, _, _ := strings.Cut(rest, "/")
		return "tcp", host, nil
	}
	return "", "", fmt.Errorf("DOCKER_HOST=%s: the %s:// scheme is not supported by tailor's proxy (unix:// and tcp:// are)", dockerHost, scheme)
}

// Start listens on a new private socket: a directory only its owner can
// enter (mode 0700), under opts.Dir, holding docker.sock.
func Start(opts Options) (*Proxy, error) {
	if opts.Network == "" {
		var err error
		opts.Network, opts.Address, err = Upstream(os.Getenv("DOCKER_HOST"), os.Getenv("DOCKER_TLS_VERIFY") != "")
		if err != nil {
			return nil, err
		}
	}
	dir, err := os.MkdirTemp(opts.Dir, "tailor-enforce-")
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	socket := filepath.Join(dir, "docker.sock")
	l, err := net.Listen("unix", socket)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	p := &Proxy{opts: opts, dir: dir, socket: socket, listener: l, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// Socket is the socket's path.
func (p *Proxy) Socket() string { return p.socket }

// DockerHost is the DOCKER_HOST value that points a client at the proxy.
func (p *Proxy) DockerHost() string { return "unix://" + p.socket }

// Close stops listening, ends every connection and removes the private
// directory.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	err := p.listener.Close()
	p.wg.Wait()
	if rerr := os.RemoveAll(p.dir); err == nil {
		err = rerr
	}
	return err
}

func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		return false
	}
	p.conns[c] = true
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	c.Close()
}

func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.listener.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			return // closed
		}
		if !p.track(c) {
			continue
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer p.untrack(c)
			s := &session{p: p, client: c, cr: bufio.NewReaderSize(c, 64<<10)}
			s.run()
			if s.up != nil {
				p.untrack(s.up)
			}
		}()
	}
}

// session is one client connection and the daemon connection that serves
// it: requests in order, each answered before the next is read, as HTTP/1.1
// without pipelining is.
type session struct {
	p      *Proxy
	client net.Conn
	cr     *bufio.Reader
	up     net.Conn
	ur     *bufio.Reader
}

var createPath = regexp.MustCompile(`^(/v[0-9]+(\.[0-9]+)*)?/containers/create$`)

// isCreate reports whether a request is a container create: POST to
// /containers/create, with or without a version prefix, the path read as
// the daemon's router reads it (percent-decoded).
func isCreate(method, target string) (bool, url.Values) {
	if method != "POST" {
		return false, nil
	}
	if i := strings.Index(target, "://"); i >= 0 { // absolute form
		if j := strings.IndexByte(target[i+3:], '/'); j >= 0 {
			target = target[i+3+j:]
		}
	}
	p, rawQuery, _ := strings.Cut(target, "?")
	if dec, err := url.PathUnescape(p); err == nil {
		p = dec
	}
	if len(p) > 1 {
		p = strings.TrimSuffix(p, "/")
	}
	if !createPath.MatchString(p) && !createPath.MatchString(path.Clean(p)) {
		return false, nil
	}
	q, _ := url.ParseQuery(rawQuery)
	return true, q
}

func (s *session) dial() error {
	if s.up != nil {
		return nil
	}
	c, err := net.Dial(s.p.opts.Network, s.p.opts.Address)
	if err != nil {
		return err
	}
	if !s.p.track(c) {
		return errors.New("proxy closed")
	}
	s.up, s.ur = c, bufio.NewReaderSize(c, 64<<10)
	return nil
}

// answer writes a response of the proxy's own: Docker's error form.
func (s *session) answer(status int, text, message string) error {
	body, _ := json.Marshal(map[string]string{"message": message})
	body = append(body, '\n')
	_, err := fmt.Fprintf(s.client, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", status, text, len(body), body)
	return err
}

func (s *session) run() {
	for {
		req, err := readHead(s.cr)
		if err != nil {
			return
		}
		method, target, proto := splitRequestLine(req.first)
		f, n, err := req.bodyFraming(true)
		if err != nil {
			_ = s.answer(400, "Bad Request", "tailor enforce: "+err.Error())
			return
		}
		if err := s.dial(); err != nil {
			_ = s.answer(502, "Bad Gateway", fmt.Sprintf("tailor enforce: cannot reach the Docker daemon at %s: %v", s.p.opts.Address, err))
			return
		}
		var create *Create
		bodyDone := make(chan error, 1)
		if ok, q := isCreate(method, target); ok && s.p.opts.Create != nil {
			if req.hasToken("Expect", "100-continue") {
				if _, err := io.WriteString(s.client, "HTTP/1.1 100 Continue\r\n\r\n"); err != nil {
					return
				}
			}
			body, err := readBody(s.cr, f, n, maxCreateBody)
			if err != nil {
				_ = s.answer(400, "Bad Request", "tailor enforce: reading the create request: "+err.Error())
				return
			}
			create = &Create{Target: target, Query: q, Body: body}
			if err := s.p.opts.Create(create); err != nil {
				if s.answer(500, "Internal Server Error", "tailor enforce: "+err.Error()) != nil {
					return
				}
				continue
			}
			newHead := req.without([]string{"Content-Length", "Transfer-Encoding", "Expect"}, fmt.Sprintf("Content-Length: %d", len(create.Body)))
			if _, err := s.up.Write(append(newHead, create.Body...)); err != nil {
				return
			}
			bodyDone <- nil
		} else {
			if _, err := s.up.Write(req.raw); err != nil {
				return
			}
			go func() { bodyDone <- copyBody(s.up, s.cr, f, n, nil) }()
		}
		again, raw := s.response(method, create)
		if !again && !raw {
			return // the request's body, if still coming, is cut off with the connection
		}
		if err := <-bodyDone; err != nil {
			return
		}
		if raw {
			s.splice()
			return
		}
		if req.hasToken("Connection", "close") || (proto == "HTTP/1.0" && !req.hasToken("Connection", "keep-alive")) {
			return
		}
	}
}

func splitRequestLine(line string) (method, target, proto string) {
	parts := strings.Fields(line)
	for len(parts) < 3 {
		parts = append(parts, "")
	}
	return parts[0], parts[1], parts[2]
}

// response forwards the daemon's answer to the request: interim answers
// (100 Continue) and the final one. raw is true when the connection is
// now a raw stream both ways (101 Switching Protocols, or a body that
// lasts until the daemon closes: Docker's attach and exec without an
// Upgrade header); again is false when it must close.
func (s *session) response(method string, create *Create) (again, raw bool) {
	for {
		resp, err := readHead(s.ur)
		if err != nil {
			return false, false
		}
		status := statusCode(resp.first)
		if _, err := s.client.Write(resp.raw); err != nil {
			return false, false
		}
		if status == 101 {
			return false, true
		}
		if status >= 100 && status < 200 {
			continue
		}
		f, n, err := resp.bodyFraming(false)
		if err != nil {
			return false, false
		}
		if method == "HEAD" || status == 204 || status == 304 {
			f = noBody
		}
		if f == untilClose {
			return false, true
		}
		var tee *limitedBuffer
		if create != nil && create.Done != nil {
			tee = &limitedBuffer{limit: 1 << 20}
		}
		var teeW io.Writer
		if tee != nil {
			teeW = tee
		}
		if err := copyBody(s.client, s.ur, f, n, teeW); err != nil {
			return false, false
		}
		if tee != nil {
			create.Done(status, tee.Bytes())
		}
		return !resp.hasToken("Connection", "close"), false
	}
}

func statusCode(line string) int {
	parts := strings.Fields(line)
	if len(parts) < 2 {
		return 0
	}
	var n int
	fmt.Sscanf(parts[1], "%d", &n)
	return n
}

// splice copies both ways until both sides are done: a hijacked
// connection (attach, exec). Each side's end of input is passed on as a
// half-close, so that a client closing stdin ends the container's stdin
// and the output still flows back.
func (s *session) splice() {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		_, _ = io.Copy(s.up, s.cr)
		closeWrite(s.up)
	}()
	go func() {
		defer wg.Done()
		_, _ = io.Copy(s.client, s.ur)
		closeWrite(s.client)
	}()
	wg.Wait()
}

func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
		return
	}
	_ = c.Close()
}
