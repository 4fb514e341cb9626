package recorder_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/tailorsec/tailor/profile"
	"github.com/tailorsec/tailor/profile/seccomp"
	"github.com/tailorsec/tailor/recorder"
)

// Record the containers a test starts, then look at and write their
// profiles. Containers are selected and named by their "app" label, so
// whatever random names the suite gives them, the profile is "hello".
func Example() {
	image, cleanup, err := buildHelloImage()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cleanup()

	match, _ := profile.ParseMatch([]string{"label=app"})
	nameBy, _ := profile.ParseNameBy("label=app")
	rec, err := recorder.Start(context.Background(), recorder.Options{Match: match, NameBy: nameBy})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rec.Stop() // releases the eBPF programs on every path

	// The test suite: here, one container with a random name.
	out, err := exec.Command("docker", "run", "--rm", "--label", "app=hello", image).CombinedOutput()
	fmt.Printf("%s", out)
	if err != nil {
		fmt.Println(err)
		return
	}

	result, err := rec.Stop()
	if err != nil {
		fmt.Println(err)
		return
	}
	hello, _ := result.Profile("hello")
	allowed := map[string]bool{}
	for _, rule := range seccomp.New(hello.Recording).Syscalls {
		for _, name := range rule.Names {
			allowed[name] = rule.Action == "SCMP_ACT_ALLOW"
		}
	}
	fmt.Println("profile:", hello.Name, "from", len(hello.Containers), "container")
	fmt.Println("write allowed:", allowed["write"], "mount allowed:", allowed["mount"])
	fmt.Println("capabilities kept:", profile.Capabilities(hello.Recording).Add)

	dir, _ := os.MkdirTemp("", "profiles-")
	defer os.RemoveAll(dir)
	written, err := result.Write(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("written to:", filepath.Base(written[0].Dir))
	// Output:
	// hello from a container
	// profile: hello from 1 container
	// write allowed: true mount allowed: false
	// capabilities kept: []
	// written to: hello
}

// buildHelloImage builds a FROM scratch image holding testdata/hello, a
// static Go binary.
func buildHelloImage() (image string, cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "tailor-hello-")
	if err != nil {
		return "", nil, err
	}
	defer os.RemoveAll(dir)
	gobuild := exec.Command("go", "build", "-o", filepath.Join(dir, "hello"), "./testdata/hello")
	gobuild.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := gobuild.CombinedOutput(); err != nil {
		return "", nil, fmt.Errorf("go build: %v\n%s", err, out)
	}
	df := "FROM scratch\nCOPY hello /hello\nENTRYPOINT [\"/hello\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644); err != nil {
		return "", nil, err
	}
	image = fmt.Sprintf("tailor-example-hello:%d", os.Getpid())
	build := exec.Command("docker", "build", "-q", "-t", image, dir)
	build.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
	if out, err := build.CombinedOutput(); err != nil {
		return "", nil, fmt.Errorf("docker build: %v\n%s", err, out)
	}
	return image, func() { _ = exec.Command("docker", "rmi", "-f", image).Run() }, nil
}
