package tracertest

import (
	_ "embed"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

//go:embed pglike.c
var pglikeSource []byte

// PGLikeImage builds a FROM scratch image of pglike (see pglike.c), a
// server with PostgreSQL's kernel footprint, tagged tag, and removes it when
// the test ends. The binary comes from TAILOR_PGLIKE when that names one
// (a guest without gcc), else gcc builds it.
//
// The image holds /pglike (CMD: serve), /run/pglike, the log symlink
// /var/log/pglike/server.log -> /dev/stdout, and /etc/pglike.conf, a file
// the server never reads.
func PGLikeImage(t testing.TB, tag string) {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "pglike")
	if pre := os.Getenv("TAILOR_PGLIKE"); pre != "" {
		b, err := os.ReadFile(pre)
		if err != nil {
			t.Fatalf("TAILOR_PGLIKE: %v", err)
		}
		if err := os.WriteFile(bin, b, 0o755); err != nil {
			t.Fatal(err)
		}
	} else {
		if _, err := exec.LookPath("gcc"); err != nil {
			SkipOrFail(t, "skipping: gcc is needed to build pglike (apt-get install gcc)")
		}
		src := filepath.Join(t.TempDir(), "pglike.c")
		if err := os.WriteFile(src, pglikeSource, 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("gcc", "-O2", "-static", "-o", bin, src).CombinedOutput(); err != nil {
			t.Fatalf("build pglike: %v\n%s", err, out)
		}
	}
	for _, d := range []string{"run/pglike", "var/log/pglike", "etc"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("/dev/stdout", filepath.Join(dir, "var/log/pglike/server.log")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "etc/pglike.conf"), []byte("listen = unix\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	df := "FROM scratch\nCOPY . /\nCMD [\"/pglike\", \"serve\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".dockerignore"), []byte("Dockerfile\n.dockerignore\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("docker", "build", "-q", "-t", tag, dir)
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker build pglike: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("docker", "rmi", "-f", tag).Run() })
}
