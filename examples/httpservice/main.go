package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"
)

type server struct {
	quotes string // path of the quotes file

	mu    sync.Mutex
	count int

	auditMu sync.Mutex
	audit   *os.File // nil unless HTTPSERVICE_AUDIT_LOG is set
}

func main() {
	addr := envOr("HTTPSERVICE_ADDR", ":8080")
	s := &server{quotes: envOr("HTTPSERVICE_QUOTES", "/data/quotes.txt")}
	if path := os.Getenv("HTTPSERVICE_AUDIT_LOG"); path != "" {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
		if err != nil {
			log.Fatalf("audit log: %v", err)
		}
		defer f.Close()
		s.audit = f
	}

	srv := &http.Server{Addr: addr, Handler: s.routes(), ReadHeaderTimeout: 5 * time.Second}
	// docker stop sends SIGTERM: finish the requests in flight, then exit 0.
	// (As PID 1 without a handler, the service would ignore it and be
	// killed after docker's 10 seconds.)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Printf("httpservice listening on %s", addr)
	select {
	case err := <-errc:
		log.Fatal(err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
	log.Print("httpservice stopped")
}

func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /counter", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		n := s.count
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]int{"count": n})
	})
	mux.HandleFunc("POST /counter", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.count++
		n := s.count
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]int{"count": n})
	})
	mux.HandleFunc("GET /quote", s.quote)
	mux.HandleFunc("POST /hash", hash)
	return s.audited(mux)
}

// quote returns line n of the quotes file, read on every request.
func (s *server) quote(w http.ResponseWriter, r *http.Request) {
	n := 0
	if v := r.URL.Query().Get("n"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 0 {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "n must be a number >= 0"})
			return
		}
	}
	f, err := os.Open(s.quotes)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "no quotes"})
		return
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := sc.Text(); line != "" {
			lines = append(lines, line)
		}
	}
	if len(lines) == 0 {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "no quotes"})
		return
	}
	i := n % len(lines)
	writeJSON(w, http.StatusOK, map[string]any{"n": i, "quote": lines[i]})
}

// hashRounds makes POST /hash take some tens of milliseconds of CPU.
const hashRounds = 300_000

// hash stretches the request body with rounds of SHA-256.
func hash(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 4096))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	sum := sha256.Sum256(body)
	for i := 1; i < hashRounds; i++ {
		sum = sha256.Sum256(sum[:])
	}
	writeJSON(w, http.StatusOK, map[string]any{"sha256": hex.EncodeToString(sum[:]), "rounds": hashRounds})
}

// audited appends each request to the audit log, when there is one.
func (s *server) audited(next http.Handler) http.Handler {
	if s.audit == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		s.auditMu.Lock()
		defer s.auditMu.Unlock()
		fmt.Fprintf(s.audit, "%s %s %s %s\n", time.Now().UTC().Format(time.RFC3339), r.RemoteAddr, r.Method, r.URL.Path)
		if err := s.audit.Sync(); err != nil {
			log.Printf("audit log: %v", err)
		}
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
