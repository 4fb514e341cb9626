package main

// BenchmarkRecorderOverhead measures what recording costs a syscall-heavy
// container (make bench). Three ways, interleaved, several repeats:
//
//	untraced  nothing attached
//	floor     an empty program on sys_enter: what any recorder of this
//	          design pays (the VM's tracepoint and trampoline cost)
//	tailor    `tailor record` around the container
//
// and the same loop on the host while each is attached (processes outside the
// recorded containers). It prints a table and writes bench-results.json.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/cilium/ebpf/link"

	"github.com/tailorsec/tailor/bpf"
)

type benchRow struct {
	Mode       string    `json:"mode"`
	Where      string    `json:"where"` // container or host
	NsPerCall  []float64 `json:"ns_per_syscall"`
	Median     float64   `json:"median_ns"`
	AddedNs    float64   `json:"added_ns_vs_untraced"`
	RatioFloor float64   `json:"ratio_to_floor,omitempty"` // added / floor's added
}

type benchResult struct {
	Pairs         int        `json:"pairs_per_run"`
	Repeats       int        `json:"repeats"`
	Rows          []benchRow `json:"rows"`
	TailorRSSMiB  []float64  `json:"tailor_peak_rss_mib"`
	EventsLost    []float64  `json:"events_lost"`
	KernelRelease string     `json:"kernel"`
}

func BenchmarkRecorderOverhead(b *testing.B) {
	requireE2EBench(b)
	pairs := envInt("TAILOR_BENCH_PAIRS", 1_000_000)
	repeats := envInt("TAILOR_BENCH_REPEATS", 5)
	loop, image := benchLoop(b)
	tailorBin := buildTailor(b)

	samples := map[string][]float64{}
	var rss, lost []float64
	run := func(args ...string) float64 {
		out, err := exec.Command(args[0], args[1:]...).Output()
		if err != nil {
			b.Fatalf("%s: %v", strings.Join(args, " "), err)
		}
		return parseNs(b, string(out))
	}
	hostLoop := []string{"taskset", "-c", "1", loop, strconv.Itoa(pairs)}
	ctrLoop := []string{"docker", "run", "--rm", "--cpuset-cpus=1", image, "/loop", strconv.Itoa(pairs)}

	for i := 0; i < repeats && b.N > 0; i++ {
		samples["untraced/container"] = append(samples["untraced/container"], run(ctrLoop...))
		samples["untraced/host"] = append(samples["untraced/host"], run(hostLoop...))

		detach := attachFloor(b)
		samples["floor/container"] = append(samples["floor/container"], run(ctrLoop...))
		samples["floor/host"] = append(samples["floor/host"], run(hostLoop...))
		detach()

		// tailor records the container; the host loop runs beside it.
		out := b.TempDir()
		script := strings.Join(hostLoop, " ") + " && " + strings.Join(ctrLoop, " ")
		cmd := exec.Command(tailorBin, "record", "-q", "-o", out, "--", "sh", "-c", script)
		got, err := cmd.Output()
		if err != nil {
			b.Fatalf("tailor record: %v", err)
		}
		lines := strings.Fields(string(got))
		if len(lines) != 2 {
			b.Fatalf("unexpected output from the traced loops: %q", got)
		}
		samples["tailor/host"] = append(samples["tailor/host"], parseNs(b, lines[0]))
		samples["tailor/container"] = append(samples["tailor/container"], parseNs(b, lines[1]))
		rss = append(rss, float64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss)/1024)
		lost = append(lost, eventsLost(b, out))
	}

	res := benchResult{Pairs: pairs, Repeats: repeats, TailorRSSMiB: rss, EventsLost: lost}
	res.KernelRelease = kernelRelease()
	for _, where := range []string{"container", "host"} {
		base := median(samples["untraced/"+where])
		floor := median(samples["floor/"+where]) - base
		for _, mode := range []string{"untraced", "floor", "tailor"} {
			s := samples[mode+"/"+where]
			row := benchRow{Mode: mode, Where: where, NsPerCall: s, Median: median(s)}
			row.AddedNs = row.Median - base
			if mode == "tailor" && floor > 0 {
				row.RatioFloor = row.AddedNs / floor
			}
			res.Rows = append(res.Rows, row)
		}
	}
	printBench(res)
	if b, err := json.MarshalIndent(res, "", "  "); err == nil {
		_ = os.WriteFile("bench-results.json", append(b, '\n'), 0o644)
	}
	for _, r := range res.Rows {
		if r.Mode == "tailor" {
			b.ReportMetric(r.AddedNs, "ns-added/syscall-"+r.Where)
			if r.RatioFloor > 0 {
				b.ReportMetric(r.RatioFloor, "x-floor-"+r.Where)
			}
		}
	}
	b.ReportMetric(slices.Max(rss), "MiB-peak-rss")
	b.ReportMetric(slices.Max(lost), "events-lost")
}

func printBench(res benchResult) {
	fmt.Printf("\nsyscall loop: %d write+read pairs of 1 byte per run, %d repeats, kernel %s\n", res.Pairs, res.Repeats, res.KernelRelease)
	fmt.Printf("%-10s %-9s %12s %10s %12s %16s\n", "where", "mode", "median ns", "spread", "added ns", "ratio to floor")
	for _, r := range res.Rows {
		ratio := ""
		if r.RatioFloor > 0 {
			ratio = fmt.Sprintf("%.2fx", r.RatioFloor)
		}
		fmt.Printf("%-10s %-9s %12.1f %10.1f %12.1f %16s\n", r.Where, r.Mode, r.Median, slices.Max(r.NsPerCall)-slices.Min(r.NsPerCall), r.AddedNs, ratio)
	}
	fmt.Printf("tailor peak RSS: %.1f MiB (max of %d runs); events lost: %.0f\n\n", slices.Max(res.TailorRSSMiB), len(res.TailorRSSMiB), slices.Max(res.EventsLost))
}

func requireE2EBench(b *testing.B) {
	b.Helper()
	if os.Geteuid() != 0 {
		b.Skip("skipping: the benchmark needs root")
	}
	if err := exec.Command("docker", "info").Run(); err != nil {
		b.Skip("skipping: the Docker daemon does not answer")
	}
}

// attachFloor attaches an empty sys_enter program and returns its release.
func attachFloor(b *testing.B) func() {
	var objs bpf.FloorObjects
	if err := bpf.LoadFloorObjects(&objs, nil); err != nil {
		b.Fatal(err)
	}
	l, err := link.AttachTracing(link.TracingOptions{Program: objs.FloorSysEnter})
	if err != nil {
		objs.Close()
		b.Fatal(err)
	}
	return func() { l.Close(); objs.Close() }
}

// benchLoop builds the loop (static) and a FROM scratch image holding it.
func benchLoop(b *testing.B) (binary, image string) {
	dir := b.TempDir()
	binary = filepath.Join(dir, "loop")
	if out, err := exec.Command("gcc", "-O2", "-static", "-o", binary, "testdata/loop/loop.c").CombinedOutput(); err != nil {
		b.Fatalf("build loop: %v\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nCOPY loop /loop\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	image = uniqueName("bench") + ":latest"
	cmd := exec.Command("docker", "build", "-q", "-t", image, dir)
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("docker build: %v\n%s", err, out)
	}
	b.Cleanup(func() { _ = exec.Command("docker", "rmi", "-f", image).Run() })
	return binary, image
}

func buildTailor(b *testing.B) string {
	out := filepath.Join(b.TempDir(), "tailor")
	if msg, err := exec.Command("go", "build", "-o", out, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, msg)
	}
	return out
}

func eventsLost(b *testing.B, dir string) float64 {
	reports, _ := filepath.Glob(filepath.Join(dir, "*", "report.json"))
	var total float64
	for _, r := range reports {
		data, err := os.ReadFile(r)
		if err != nil {
			b.Fatal(err)
		}
		var rep struct {
			EventsLost float64 `json:"events_lost"`
		}
		if err := json.Unmarshal(data, &rep); err != nil {
			b.Fatal(err)
		}
		total = max(total, rep.EventsLost)
	}
	return total
}

func parseNs(b *testing.B, s string) float64 {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		b.Fatalf("parse %q: %v", s, err)
	}
	return v
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func kernelRelease() string {
	b, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return strings.TrimSpace(string(b))
}

// BenchmarkNginxThroughput: requests per second of sptest/nginx under wrk,
// three ways in alternating runs: untraced, with the empty sys_enter program
// attached (the floor), and recorded by tailor (syscalls, capabilities and
// files). nginx and wrk run on separate CPUs to keep the runs comparable.
func BenchmarkNginxThroughput(b *testing.B) {
	requireE2EBench(b)
	if _, err := exec.LookPath("wrk"); err != nil {
		b.Skip("skipping: wrk is needed (apt-get install wrk)")
	}
	if exec.Command("docker", "image", "inspect", "sptest/nginx").Run() != nil {
		b.Skip("skipping: sptest/nginx is missing (make images)")
	}
	repeats := envInt("TAILOR_BENCH_REPEATS", 5)
	seconds := envInt("TAILOR_BENCH_SECONDS", 8)
	tailorBin := buildTailor(b)
	name, port := uniqueName("nginx-bench"), "18088"
	defer removeContainer(name)
	// One shell script does start, wait, load and stop, so the traced run
	// records the container from its start like a user would.
	script := fmt.Sprintf(`docker rm -f %[1]s >/dev/null 2>&1
docker run -d --cpuset-cpus=1 --name %[1]s -p 127.0.0.1:%[2]s:80 sptest/nginx >/dev/null || exit 1
for i in $(seq 1 100); do curl -fs -o /dev/null http://127.0.0.1:%[2]s/ && break; sleep 0.1; done
taskset -c 0 wrk -t1 -c16 -d%[3]ds http://127.0.0.1:%[2]s/ | awk '/Requests\/sec/ {print $2}'
docker rm -f %[1]s >/dev/null`, name, port, seconds)
	run := func(args ...string) float64 {
		out, err := exec.Command(args[0], args[1:]...).Output()
		if err != nil {
			b.Fatalf("%s: %v", args[0], err)
		}
		return parseNs(b, string(out))
	}

	rps := map[string][]float64{}
	for i := 0; i < repeats && b.N > 0; i++ {
		rps["untraced"] = append(rps["untraced"], run("sh", "-c", script))
		detach := attachFloor(b)
		rps["floor"] = append(rps["floor"], run("sh", "-c", script))
		detach()
		rps["tailor"] = append(rps["tailor"], run(tailorBin, "record", "-q", "-o", b.TempDir(), "--", "sh", "-c", script))
	}
	base := median(rps["untraced"])
	fmt.Printf("\nnginx under wrk (1 thread, 16 connections, %ds, %d repeats; nginx on CPU 1, wrk on CPU 0)\n", seconds, repeats)
	fmt.Printf("%-9s %10s %8s  %s\n", "mode", "req/s", "loss", "runs")
	for _, mode := range []string{"untraced", "floor", "tailor"} {
		m := median(rps[mode])
		fmt.Printf("%-9s %10.0f %7.1f%%  %v\n", mode, m, 100*(base-m)/base, rps[mode])
		b.ReportMetric(m, "req/s-"+mode)
	}
	fmt.Println()
	b.ReportMetric(100*(base-median(rps["tailor"]))/base, "%-loss-tailor")
	b.ReportMetric(100*(base-median(rps["floor"]))/base, "%-loss-floor")
}
