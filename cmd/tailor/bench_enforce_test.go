package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tailorsec/tailor/enforce/proxy"
	"github.com/tailorsec/tailor/profile/profiledir"
)

// BenchmarkEnforceProxy: what tailor enforce's proxy adds to a request
// to the real dockerd, a plain one (GET /_ping, GET /containers/json) and
// a container create hardened by a profile (the nginx golden profile, its
// seccomp.json sent inline). Direct and proxied requests alternate, each
// on its own keep-alive connection, and the medians are compared.
func BenchmarkEnforceProxy(b *testing.B) {
	requireE2EBench(b)
	requests := envInt("TAILOR_BENCH_PROXY_REQUESTS", 400)
	creates := envInt("TAILOR_BENCH_PROXY_CREATES", 30)
	dir := b.TempDir()
	key := uniqueName("benchweb")
	src := "../../profile/profiledir/testdata/golden/nginx"
	if err := exec.Command("cp", "-r", src, filepath.Join(dir, key)).Run(); err != nil {
		b.Fatal(err)
	}
	profiles, _, err := profiledir.LoadAll(dir)
	if err != nil {
		b.Fatal(err)
	}
	e := &enforcer{dir: dir, profiles: profiles}
	px, err := proxy.Start(proxy.Options{Network: "unix", Address: proxy.DefaultSocket, Create: e.create})
	if err != nil {
		b.Fatal(err)
	}
	defer px.Close()
	client := func(socket string) *http.Client {
		return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", socket)
		}}}
	}
	direct, proxied := client(proxy.DefaultSocket), client(px.Socket())
	do := func(c *http.Client, method, path, body string) (time.Duration, string) {
		req, _ := http.NewRequest(method, "http://docker"+path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		t0 := time.Now()
		resp, err := c.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		d := time.Since(t0)
		if resp.StatusCode >= 300 {
			b.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, out)
		}
		return d, string(out)
	}
	us := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1000 }
	results := map[string]any{}
	fmt.Printf("\nenforce proxy: added latency per request to dockerd (median, [min .. max] over the runs), us\n")
	fmt.Printf("%-28s %-26s %-26s %s\n", "request", "direct", "through the proxy", "added (median)")
	for _, path := range []string{"/v1.41/_ping", "/v1.41/containers/json?all=1"} {
		var dv, pv []float64
		for i := 0; i < requests && b.N > 0; i++ {
			d, _ := do(direct, "GET", path, "")
			p, _ := do(proxied, "GET", path, "")
			dv, pv = append(dv, us(d)), append(pv, us(p))
		}
		ds, ps := summarize(dv), summarize(pv)
		ds.Runs, ps.Runs = nil, nil
		fmt.Printf("%-28s %-26s %-26s %+.0f\n", "GET "+strings.TrimPrefix(path, "/v1.41"), ds, ps, ps.Median-ds.Median)
		results[path] = map[string]any{"direct_us": ds, "proxied_us": ps, "added_us": ps.Median - ds.Median}
	}
	// The hardened body sent directly separates the proxy's own cost from
	// the daemon's work on the larger body (its seccomp profile).
	plainBody := `{"Image":"sptest/busybox","Cmd":["true"]}`
	hc := &proxy.Create{Query: map[string][]string{"name": {key}}, Body: []byte(plainBody)}
	if err := e.create(hc); err != nil {
		b.Fatal(err)
	}
	hardenedBody := string(hc.Body)
	const hookRuns = 1000
	t0 := time.Now()
	for i := 0; i < hookRuns; i++ {
		_ = e.create(&proxy.Create{Query: hc.Query, Body: []byte(plainBody)})
	}
	hookUS := us(time.Since(t0)) / hookRuns
	e.created = nil
	var dv, pv, hv []float64
	var names []string
	defer func() {
		for _, n := range names {
			removeContainer(n)
		}
	}()
	for i := 0; i < creates && b.N > 0; i++ {
		name := fmt.Sprintf("%s-%d", uniqueName("benchhard"), i)
		names = append(names, name)
		d, _ := do(direct, "POST", "/v1.41/containers/create?name="+name, hardenedBody)
		hv = append(hv, us(d))
		removeContainer(name)
		for _, via := range []*http.Client{direct, proxied} {
			name := key // the profile's key; removed before the next create
			if via == direct {
				name = fmt.Sprintf("%s-%d", uniqueName("benchplain"), i)
			}
			names = append(names, name)
			d, out := do(via, "POST", "/v1.41/containers/create?name="+name, plainBody)
			if !strings.Contains(out, `"Id"`) {
				b.Fatalf("create: %s", out)
			}
			if via == direct {
				dv = append(dv, us(d))
			} else {
				pv = append(pv, us(d))
			}
			removeContainer(name)
		}
	}
	covered := 0
	for _, c := range e.created {
		if c.Covered {
			covered++
		}
	}
	if covered != creates {
		b.Fatalf("%d of %d creates through the proxy were hardened", covered, creates)
	}
	ds, ps, hs := summarize(dv), summarize(pv), summarize(hv)
	ds.Runs, ps.Runs, hs.Runs = nil, nil, nil
	fmt.Printf("%-28s %-26s %-26s %+.0f\n", "POST /containers/create", ds, ps, ps.Median-ds.Median)
	fmt.Printf("%-28s %-26s %-26s %+.0f (the proxy's own part)\n", "  same, hardened body direct", hs, ps, ps.Median-hs.Median)
	fmt.Printf("the create hook itself (decode, harden with a %d-byte body out, encode): %.0f us\n\n", len(hardenedBody), hookUS)
	results["create_hook_us"] = hookUS
	results["create"] = map[string]any{"direct_us": ds, "proxied_hardened_us": ps, "direct_hardened_body_us": hs,
		"added_us": ps.Median - ds.Median, "proxy_own_us": ps.Median - hs.Median}
	b.ReportMetric((ps.Median-ds.Median)/1000, "ms-added/create")
	b.ReportMetric((ps.Median-hs.Median)/1000, "ms-proxy/create")
	saveBench("enforce_proxy", results)
}
