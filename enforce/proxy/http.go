package proxy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// maxHead bounds a request's or response's head (its first line and
// header fields).
const maxHead = 1 << 20

// head is an HTTP message's head as it came: the first line and the
// header fields, with the bytes that spelled them.
type head struct {
	raw    []byte
	first  string
	fields [][2]string // name, value
}

// readHead reads one head: lines up to the empty one.
func readHead(r *bufio.Reader) (*head, error) {
	h := &head{}
	for {
		line, err := r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			var more []byte
			more, err = r.ReadBytes('\n')
			line = append(append([]byte(nil), line...), more...)
		}
		if err != nil {
			if err == io.EOF && len(h.raw) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		h.raw = append(h.raw, line...)
		if len(h.raw) > maxHead {
			return nil, errors.New("HTTP head too large")
		}
		text := strings.TrimRight(string(line), "\r\n")
		if h.first == "" {
			if text == "" && len(h.raw) <= 2 {
				h.raw = h.raw[:0] // blank lines before a request are ignored (RFC 9112 2.2)
				continue
			}
			h.first = text
			continue
		}
		if text == "" {
			return h, nil
		}
		name, value, ok := strings.Cut(text, ":")
		if !ok {
			return nil, fmt.Errorf("malformed HTTP header line %q", text)
		}
		h.fields = append(h.fields, [2]string{strings.TrimSpace(name), strings.TrimSpace(value)})
	}
}

// get is the first value of a field, "" when there is none.
func (h *head) get(name string) string {
	for _, f := range h.fields {
		if strings.EqualFold(f[0], name) {
			return f[1]
		}
	}
	return ""
}

// hasToken reports whether a comma-separated field (Connection,
// Transfer-Encoding) holds token, in any of its occurrences.
func (h *head) hasToken(name, token string) bool {
	for _, f := range h.fields {
		if !strings.EqualFold(f[0], name) {
			continue
		}
		for _, t := range strings.Split(f[1], ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// without returns the head's bytes without the named fields and with the
// extra lines added before the end.
func (h *head) without(names []string, extra ...string) []byte {
	var b bytes.Buffer
	lines := bytes.SplitAfter(h.raw, []byte("\n"))
	b.Write(lines[0])
	for _, line := range lines[1:] {
		text := strings.TrimRight(string(line), "\r\n")
		if text == "" {
			continue
		}
		name, _, _ := strings.Cut(text, ":")
		drop := false
		for _, n := range names {
			if strings.EqualFold(strings.TrimSpace(name), n) {
				drop = true
			}
		}
		if !drop {
			b.Write(line)
		}
	}
	for _, e := range extra {
		b.WriteString(e + "\r\n")
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// framing is how a message's body ends.
type framing int

const (
	noBody framing = iota
	lengthBody
	chunkedBody
	untilClose
)

// bodyFraming reads how the body after h ends (RFC 9112 6.3); length is
// Content-Length's value.
func (h *head) bodyFraming(isRequest bool) (framing, int64, error) {
	if te := h.get("Transfer-Encoding"); te != "" {
		if h.hasToken("Transfer-Encoding", "chunked") {
			return chunkedBody, 0, nil
		}
		if isRequest {
			return 0, 0, fmt.Errorf("request with Transfer-Encoding %q and no chunked", te)
		}
		return untilClose, 0, nil
	}
	if cl := h.get("Content-Length"); cl != "" {
		n, err := strconv.ParseInt(cl, 10, 64)
		if err != nil || n < 0 {
			return 0, 0, fmt.Errorf("bad Content-Length %q", cl)
		}
		if n == 0 {
			return noBody, 0, nil
		}
		return lengthBody, n, nil
	}
	if isRequest {
		return noBody, 0, nil
	}
	return untilClose, 0, nil
}

// copyBody copies a body as it came, byte for byte, and writes its
// content (without the chunked framing) to tee when tee is not nil.
func copyBody(dst io.Writer, src *bufio.Reader, f framing, n int64, tee io.Writer) error {
	switch f {
	case noBody:
		return nil
	case lengthBody:
		var w io.Writer = dst
		if tee != nil {
			w = io.MultiWriter(dst, tee)
		}
		_, err := io.CopyN(w, src, n)
		return err
	case chunkedBody:
		return copyChunked(dst, src, tee)
	default:
		var w io.Writer = dst
		if tee != nil {
			w = io.MultiWriter(dst, tee)
		}
		_, err := io.Copy(w, src)
		return err
	}
}

// copyChunked copies a chunked body, one chunk at a time as it arrives
// (a stream of events or log lines reaches the client as the daemon
// sends it), trailer included.
func copyChunked(dst io.Writer, src *bufio.Reader, tee io.Writer) error {
	for {
		line, err := src.ReadString('\n')
		if err != nil {
			return unexpected(err)
		}
		if _, err := io.WriteString(dst, line); err != nil {
			return err
		}
		sizeText, _, _ := strings.Cut(strings.TrimRight(line, "\r\n"), ";")
		size, err := strconv.ParseInt(strings.TrimSpace(sizeText), 16, 64)
		if err != nil || size < 0 {
			return fmt.Errorf("bad chunk size %q", line)
		}
		if size == 0 {
			for { // the trailer, up to its empty line
				line, err := src.ReadString('\n')
				if err != nil {
					return unexpected(err)
				}
				if _, err := io.WriteString(dst, line); err != nil {
					return err
				}
				if strings.TrimRight(line, "\r\n") == "" {
					return nil
				}
			}
		}
		var w io.Writer = dst
		if tee != nil {
			w = io.MultiWriter(dst, tee)
		}
		if _, err := io.CopyN(w, src, size); err != nil {
			return unexpected(err)
		}
		end, err := src.ReadString('\n')
		if err != nil {
			return unexpected(err)
		}
		if _, err := io.WriteString(dst, end); err != nil {
			return err
		}
	}
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// readBody reads a request's whole body, without its framing.
func readBody(src *bufio.Reader, f framing, n int64, limit int64) ([]byte, error) {
	var b limitedBuffer
	b.limit = limit
	if err := copyBody(io.Discard, src, f, n, &b); err != nil {
		return nil, err
	}
	if b.over {
		return nil, fmt.Errorf("body larger than %d bytes", limit)
	}
	return b.Bytes(), nil
}

// limitedBuffer keeps the first limit bytes written to it.
type limitedBuffer struct {
	bytes.Buffer
	limit int64
	over  bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.limit - int64(b.Len()); int64(len(p)) > room {
		b.over = true
		if room > 0 {
			b.Buffer.Write(p[:room])
		}
		return len(p), nil
	}
	return b.Buffer.Write(p)
}
