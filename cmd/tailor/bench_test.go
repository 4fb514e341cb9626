package main

// Benchmarks (make bench): what recording costs, measured against running
// untraced and against the floor, an empty program on sys_enter, which is
// what any recorder of this design pays. Each prints a table and adds its
// figures to bench-results.json. Runs are interleaved (untraced, floor,
// tailor, untraced, ...) and compared pairwise, repeat by repeat, so that
// the VM's drift cancels out.

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"

	"github.com/tailorsec/tailor/bpf"
	"github.com/tailorsec/tailor/profile/apparmor"
	"github.com/tailorsec/tailor/tracer/tracertest"
)

// benchResults collects every benchmark's figures for bench-results.json.
var (
	benchMu      sync.Mutex
	benchResults = map[string]any{}
)

func saveBench(name string, v any) {
	benchMu.Lock()
	defer benchMu.Unlock()
	old, _ := os.ReadFile("bench-results.json")
	_ = json.Unmarshal(old, &benchResults)
	benchResults[name] = v
	benchResults["kernel"] = kernelRelease()
	if b, err := json.MarshalIndent(benchResults, "", "  "); err == nil {
		_ = os.WriteFile("bench-results.json", append(b, '\n'), 0o644)
	}
}

// stats is a median and the spread (min..max) of a series.
type stats struct {
	Median float64   `json:"median"`
	Min    float64   `json:"min"`
	Max    float64   `json:"max"`
	Runs   []float64 `json:"runs"`
}

func summarize(v []float64) stats {
	return stats{Median: median(v), Min: slices.Min(v), Max: slices.Max(v), Runs: v}
}

func (s stats) String() string {
	return fmt.Sprintf("%8.1f  [%.1f .. %.1f]", s.Median, s.Min, s.Max)
}

func BenchmarkRecorderOverhead(b *testing.B) {
	requireE2EBench(b)
	pairs := envInt("TAILOR_BENCH_PAIRS", 1_000_000)
	repeats := envInt("TAILOR_BENCH_REPEATS", 7)
	loop, image := benchLoop(b)
	tailorBin := buildTailor(b)

	run := func(args ...string) float64 {
		out, err := exec.Command(args[0], args[1:]...).Output()
		if err != nil {
			b.Fatalf("%s: %v", strings.Join(args, " "), err)
		}
		return parseNs(b, string(out))
	}
	hostLoop := []string{"taskset", "-c", "1", loop, strconv.Itoa(pairs)}
	ctrLoop := []string{"docker", "run", "--rm", "--cpuset-cpus=1", image, "/loop", strconv.Itoa(pairs)}

	type series struct{ untraced, floor, tailor []float64 }
	where := map[string]*series{"container": {}, "host": {}}
	var rss []float64
	for i := 0; i < repeats && b.N > 0; i++ {
		where["container"].untraced = append(where["container"].untraced, run(ctrLoop...))
		where["host"].untraced = append(where["host"].untraced, run(hostLoop...))

		detach := attachFloor(b)
		where["container"].floor = append(where["container"].floor, run(ctrLoop...))
		where["host"].floor = append(where["host"].floor, run(hostLoop...))
		detach()

		// tailor records the container; the host loop runs beside it (a
		// process outside the recorded containers).
		script := strings.Join(hostLoop, " ") + " && " + strings.Join(ctrLoop, " ")
		cmd := exec.Command(tailorBin, "record", "-q", "-o", b.TempDir(), "--", "sh", "-c", script)
		out, err := cmd.Output()
		if err != nil {
			b.Fatalf("tailor record: %v", err)
		}
		lines := strings.Fields(string(out))
		if len(lines) != 2 {
			b.Fatalf("unexpected output from the traced loops: %q", out)
		}
		where["host"].tailor = append(where["host"].tailor, parseNs(b, lines[0]))
		where["container"].tailor = append(where["container"].tailor, parseNs(b, lines[1]))
		rss = append(rss, float64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss)/1024)
	}

	// The wall-clock figures move by ±100 ns between runs on a VM; the
	// programs' own run time per syscall (bpf_stats) moves by a few ns.
	perRun := func(args ...string) float64 {
		out, err := exec.Command(args[0], args[1:]...).Output()
		f := strings.Fields(string(out))
		if err != nil || len(f) != 2 {
			b.Fatalf("%s: %v: %q", strings.Join(args, " "), err, out)
		}
		return parseNs(b, f[0]) / parseNs(b, f[1])
	}
	bpfPerRun := map[string]map[string][]float64{}
	for _, w := range []string{"container", "host"} {
		loop := ctrLoop
		if w == "host" {
			loop = hostLoop
		}
		script := bpfTimeOf(b) + "ns=$(bpf_ns); runs=$(bpf_runs); " + strings.Join(loop, " ") +
			` >/dev/null; echo $(($(bpf_ns) - ns)) $(($(bpf_runs) - runs))`
		floor, tailor := bpfTimeRounds(b,
			func() float64 {
				defer attachFloor(b)()
				return perRun("sh", "-c", script)
			},
			func() float64 { return perRun(tailorBin, "record", "-q", "-o", b.TempDir(), "--", "sh", "-c", script) })
		bpfPerRun[w] = map[string][]float64{"floor": floor, "tailor": tailor}
	}

	type row struct {
		Untraced   stats `json:"untraced_ns"`
		FloorAdded stats `json:"floor_added_ns"`  // per repeat: floor - untraced
		Added      stats `json:"tailor_added_ns"` // per repeat: tailor - untraced
		Ratio      stats `json:"ratio_to_floor"`  // per repeat: added / floor added
		// The programs' run time per sys_enter (bpf_stats, which adds its
		// own ~50 ns to both), and what that makes of the ratio: the floor's
		// median cost plus tailor's extra run time, over the floor's.
		FloorBPF     stats   `json:"floor_bpf_ns_per_run"`
		TailorBPF    stats   `json:"tailor_bpf_ns_per_run"`
		RatioFromBPF float64 `json:"ratio_to_floor_from_bpf_time"`
	}
	results := map[string]row{}
	fmt.Printf("\nsyscall loop: %d write+read pairs of 1 byte per run, %d repeats, kernel %s\n", pairs, repeats, kernelRelease())
	fmt.Printf("%-10s %-26s %-26s %-26s %s\n", "where", "untraced ns/syscall", "floor adds ns", "tailor adds ns", "tailor / floor")
	for _, w := range []string{"container", "host"} {
		s := where[w]
		var floorAdded, added, ratio []float64
		for i := range s.untraced {
			floorAdded = append(floorAdded, s.floor[i]-s.untraced[i])
			added = append(added, s.tailor[i]-s.untraced[i])
			if f := s.floor[i] - s.untraced[i]; f > 0 {
				ratio = append(ratio, (s.tailor[i]-s.untraced[i])/f)
			}
		}
		if len(ratio) == 0 {
			ratio = []float64{0}
		}
		r := row{Untraced: summarize(s.untraced), FloorAdded: summarize(floorAdded), Added: summarize(added), Ratio: summarize(ratio),
			FloorBPF: summarize(bpfPerRun[w]["floor"]), TailorBPF: summarize(bpfPerRun[w]["tailor"])}
		r.RatioFromBPF = (r.FloorAdded.Median + r.TailorBPF.Median - r.FloorBPF.Median) / r.FloorAdded.Median
		results[w] = r
		fmt.Printf("%-10s %-26s %-26s %-26s %.2fx\n", w, r.Untraced, r.FloorAdded, r.Added, r.Ratio.Median)
		b.ReportMetric(r.Added.Median, "ns-added/syscall-"+w)
		b.ReportMetric(r.Ratio.Median, "x-floor-"+w)
		b.ReportMetric(r.TailorBPF.Median-r.FloorBPF.Median, "bpf-ns-over-floor/syscall-"+w)
	}
	fmt.Printf("BPF run time per sys_enter (bpf_stats, %d runs each; stats add ~50 ns to both):\n", bpfTimeRuns)
	for _, w := range []string{"container", "host"} {
		r := results[w]
		fmt.Printf("%-10s floor %-22s tailor %-22s tailor's own work %+.0f ns: %.2fx the floor's median cost\n",
			w, r.FloorBPF, r.TailorBPF, r.TailorBPF.Median-r.FloorBPF.Median, r.RatioFromBPF)
	}
	fmt.Printf("tailor peak RSS: %.1f MiB (max of %d runs)\n\n", slices.Max(rss), len(rss))
	b.ReportMetric(slices.Max(rss), "MiB-peak-rss")
	saveBench("syscall_loop", map[string]any{"pairs": pairs, "repeats": repeats, "rows": results, "tailor_peak_rss_mib": summarize(rss)})
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
func attachFloor(b testing.TB) func() {
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

func buildTailor(b *testing.B) string { return buildBinary(b) }

func parseNs(b testing.TB, s string) float64 {
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

// threeWays runs one workload untraced, with the floor attached, and
// under tailor record, repeats times, interleaved. The script prints one
// line of numbers, one per metric: res[mode][metric] is each repeat's.
func threeWays(b *testing.B, tailorBin string, repeats int, script string, metrics ...string) map[string]map[string][]float64 {
	run := func(args ...string) []float64 {
		out, err := exec.Command(args[0], args[1:]...).Output()
		if err != nil {
			b.Fatalf("%s: %v\n%s", args[0], err, out)
		}
		f := strings.Fields(string(out))
		if len(f) != len(metrics) {
			b.Fatalf("want %d figures (%s), got %q", len(metrics), strings.Join(metrics, ", "), out)
		}
		var v []float64
		for _, s := range f {
			v = append(v, parseNs(b, s))
		}
		return v
	}
	// A first run warms the page cache, the image layers and the CPU
	// frequency; it would otherwise count against "untraced".
	run("sh", "-c", script)
	res := map[string]map[string][]float64{}
	add := func(mode string, v []float64) {
		if res[mode] == nil {
			res[mode] = map[string][]float64{}
		}
		for i, m := range metrics {
			res[mode][m] = append(res[mode][m], v[i])
		}
	}
	floor := func() []float64 {
		detach := attachFloor(b)
		defer detach()
		return run("sh", "-c", script)
	}
	tailor := func() []float64 {
		return run(tailorBin, "record", "-q", "-o", b.TempDir(), "--", "sh", "-c", script)
	}
	for i := 0; i < repeats && b.N > 0; i++ {
		add("untraced", run("sh", "-c", script))
		add("floor", floor())
		add("tailor", tailor())
	}
	if i := slices.Index(metrics, bpfMetric); i >= 0 {
		// Only the BPF figure of these runs is kept.
		res["floor"][bpfMetric], res["tailor"][bpfMetric] = bpfTimeRounds(b,
			func() float64 { return floor()[i] }, func() float64 { return tailor()[i] })
	}
	return res
}

// bpfTimeRounds runs floor and tailor bpfTimeRuns times each, interleaved,
// with the kernel's BPF run-time statistics on, and returns their figures.
// Counting costs every program run, so it is on only in runs of their own.
func bpfTimeRounds(b *testing.B, floor, tailor func() float64) (f, t []float64) {
	stop, err := ebpf.EnableStats(unix.BPF_STATS_RUN_TIME)
	if err != nil {
		b.Fatalf("enable BPF run time statistics: %v", err)
	}
	defer stop.Close()
	for range bpfTimeRuns {
		f = append(f, floor())
		t = append(t, tailor())
	}
	return f, t
}

// bpfMetric is the BPF programs' run time per request, as the kernel
// counts it (bpf_stats): the part of the recorder's cost that is its own
// work, without the cost of entering a program at all, which the floor
// pays as well. Measured in bpfTimeRuns runs of floor and tailor each.
const (
	bpfMetric   = "bpf-us/req"
	bpfTimeRuns = 3
)

// TestMain lets the benchmarks' scripts ask this binary, with
// TAILOR_BENCH_BPF_NS set, for the run time so far of the programs that
// tailor and the floor load, and with TAILOR_BENCH_BPF_RUNS for how often
// their sys_enter programs ran (see bpfRuntime).
func TestMain(m *testing.M) {
	// The host's client of pglike (apparmor_e2e_test.go), run by its script.
	if path := os.Getenv("TAILOR_PGLIKE_PING"); path != "" {
		if err := pglikePing(path); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	ns, runs := os.Getenv("TAILOR_BENCH_BPF_NS") != "", os.Getenv("TAILOR_BENCH_BPF_RUNS") != ""
	if ns || runs {
		total, enters, err := bpfRuntime()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if runs {
			total = enters
		}
		fmt.Println(total)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// bpfRuntime sums the run time, in ns, of every loaded program named like
// one of tailor's or the floor's (the kernel keeps 15 characters of a
// name), and counts the runs of their sys_enter programs.
func bpfRuntime() (ns, enters int64, err error) {
	spec, err := bpf.LoadRecorder()
	if err != nil {
		return 0, 0, err
	}
	names := map[string]bool{"floor_sys_enter": true}
	for name := range spec.Programs {
		names[name[:min(len(name), 15)]] = true
	}
	for id := ebpf.ProgramID(0); ; {
		next, err := ebpf.ProgramGetNextID(id)
		if errors.Is(err, os.ErrNotExist) {
			return ns, enters, nil
		} else if err != nil {
			return 0, 0, err
		}
		id = next
		p, err := ebpf.NewProgramFromID(id)
		if err != nil {
			continue // unloaded meanwhile
		}
		info, err := p.Info()
		if err == nil && names[info.Name] {
			if st, err := p.Stats(); err == nil {
				ns += st.Runtime.Nanoseconds()
				if info.Name == "sys_enter" || info.Name == "floor_sys_enter" {
					enters += int64(st.RunCount)
				}
			}
		}
		p.Close()
	}
}

// bpfTimeOf defines shell functions for the benchmarks' scripts:
// bpfRuntime's two figures, from this test binary.
func bpfTimeOf(b *testing.B) string {
	self, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	q := strings.ReplaceAll(self, "'", `'\''`)
	return fmt.Sprintf("bpf_ns() { TAILOR_BENCH_BPF_NS=1 '%s'; }\nbpf_runs() { TAILOR_BENCH_BPF_RUNS=1 '%s'; }\n", q, q)
}

// modeTable prints and saves one metric three ways, with each run's change
// against the untraced run of the same repeat: the loss for a rate (higher
// is better), the cost added for a cost (lower is better).
func modeTable(b *testing.B, res map[string]map[string][]float64, metric string, higherIsBetter bool) map[string]any {
	change, key, short := "added vs untraced", "added_percent", "added"
	if higherIsBetter {
		change, key, short = "loss vs untraced", "loss_percent", "loss"
	}
	fmt.Printf("%-9s %-30s %s, per repeat (median [min .. max])\n", "mode", metric+" (median [min .. max])", change)
	saved := map[string]any{}
	for _, mode := range []string{"untraced", "floor", "tailor"} {
		var delta []float64
		for i, v := range res[mode][metric] {
			u := res["untraced"][metric][i]
			if higherIsBetter {
				delta = append(delta, 100*(u-v)/u)
			} else {
				delta = append(delta, 100*(v-u)/u)
			}
		}
		s, d := summarize(res[mode][metric]), summarize(delta)
		fmt.Printf("%-9s %-30s %6.1f%%  [%.1f .. %.1f]\n", mode, s, d.Median, d.Min, d.Max)
		saved[mode] = map[string]stats{metric: s, key: d}
		if mode != "untraced" {
			b.ReportMetric(d.Median, "%-"+metric+"-"+short+"-"+mode)
		}
	}
	return saved
}

// serverTable prints and saves a server benchmark: its request rate and
// the server container's CPU time per request. The rate is what users
// see; CPU per request is what the recorder adds to each request, and it
// does not depend on how busy the client's CPU or the VM happened to be.
func serverTable(b *testing.B, name, title string, res map[string]map[string][]float64) {
	fmt.Printf("\n%s\n", title)
	saved := map[string]any{
		"rate":            modeTable(b, res, "req/s", true),
		"cpu_per_request": modeTable(b, res, "cpu-us/req", false),
	}
	untracedCPU := median(res["untraced"]["cpu-us/req"])
	bpfTime := map[string]any{}
	fmt.Printf("BPF programs' own run time per request (bpf_stats, %d runs each):", bpfTimeRuns)
	for _, mode := range []string{"floor", "tailor"} {
		s := summarize(res[mode][bpfMetric])
		share := 100 * s.Median / untracedCPU
		fmt.Printf("  %s %.2f us [%.2f .. %.2f], %.1f%% of an untraced request's CPU;", mode, s.Median, s.Min, s.Max, share)
		bpfTime[mode] = map[string]any{bpfMetric: s, "percent_of_untraced_cpu": share}
		b.ReportMetric(s.Median, bpfMetric+"-"+mode)
	}
	saved["bpf_time_per_request"] = bpfTime
	fmt.Print("\n\n")
	saveBench(name, saved)
}

// cpuOfContainer is a shell function for the benchmarks' scripts: the CPU
// time, in ns, the named container's cgroup has used (cgroup v1's cpuacct
// or v2's cpu.stat).
const cpuOfContainer = `cpu_ns() {
	pid=$(docker inspect -f '{{.State.Pid}}' "$1")
	cg=$(awk -F: '$2 ~ /(^|,)cpuacct(,|$)/ {print $3}' /proc/$pid/cgroup)
	if [ -n "$cg" ]; then cat /sys/fs/cgroup/cpuacct$cg/cpuacct.usage; return; fi
	cg=$(awk -F: '$1 == "0" {print $3}' /proc/$pid/cgroup)
	awk '/^usage_usec/ {print $2 * 1000}' /sys/fs/cgroup$cg/cpu.stat
}
`

// BenchmarkNginxThroughput: requests per second of sptest/nginx under wrk
// (files recorded too). nginx and wrk run on separate CPUs, and wrk talks
// to the container's address: a published port would put docker-proxy, a
// host process on no fixed CPU, between them, and its share of both CPUs
// varies more from run to run than the recorder's cost.
func BenchmarkNginxThroughput(b *testing.B) {
	requireE2EBench(b)
	if _, err := exec.LookPath("wrk"); err != nil {
		b.Skip("skipping: wrk is needed (apt-get install wrk)")
	}
	if exec.Command("docker", "image", "inspect", "sptest/nginx").Run() != nil {
		b.Skip("skipping: sptest/nginx is missing (make images)")
	}
	repeats, seconds := envInt("TAILOR_BENCH_REPEATS", 5), envInt("TAILOR_BENCH_SECONDS", 8)
	name := uniqueName("nginx-bench")
	defer removeContainer(name)
	script := fmt.Sprintf(`docker rm -f %[1]s >/dev/null 2>&1
docker run -d --cpuset-cpus=1 --name %[1]s sptest/nginx >/dev/null || exit 1
ip=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' %[1]s)
for i in $(seq 1 100); do curl -fs -o /dev/null http://$ip/ && break; sleep 0.1; done
c0=$(cpu_ns %[1]s); b0=$(bpf_ns)
out=$(taskset -c 0 wrk -t1 -c16 -d%[2]ds http://$ip/)
c1=$(cpu_ns %[1]s); b1=$(bpf_ns)
echo "$out" | awk -v cpu=$((c1 - c0)) -v bpf=$((b1 - b0)) '/requests in/ {n = $1} /Requests\/sec/ {r = $2} END {printf "%%s %%.2f %%.3f\n", r, cpu / n / 1000, bpf / n / 1000}'
docker rm -f %[1]s >/dev/null`, name, seconds)
	res := threeWays(b, buildTailor(b), repeats, cpuOfContainer+bpfTimeOf(b)+script, "req/s", "cpu-us/req", bpfMetric)
	serverTable(b, "nginx", fmt.Sprintf("nginx under wrk (1 thread, 16 connections, %ds, %d repeats)", seconds, repeats), res)
}

// BenchmarkRedisThroughput: redis-benchmark's SET and GET rates against
// sptest/redis, three ways.
func BenchmarkRedisThroughput(b *testing.B) {
	requireE2EBench(b)
	if _, err := exec.LookPath("redis-benchmark"); err != nil {
		b.Skip("skipping: redis-benchmark is needed (apt-get install redis-tools)")
	}
	if exec.Command("docker", "image", "inspect", "sptest/redis").Run() != nil {
		b.Skip("skipping: sptest/redis is missing (make images)")
	}
	repeats := envInt("TAILOR_BENCH_REPEATS", 5)
	name := uniqueName("redis-bench")
	defer removeContainer(name)
	// Two tests (SET, GET) of 100000 requests each: 200000 in all.
	script := fmt.Sprintf(`docker rm -f %[1]s >/dev/null 2>&1
docker run -d --cpuset-cpus=1 --name %[1]s sptest/redis >/dev/null || exit 1
ip=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' %[1]s)
for i in $(seq 1 100); do [ "$(redis-cli -h $ip ping 2>/dev/null)" = PONG ] && break; sleep 0.1; done
c0=$(cpu_ns %[1]s); b0=$(bpf_ns)
out=$(taskset -c 0 redis-benchmark -h $ip -q -n 100000 -c 16 -t set,get --csv)
c1=$(cpu_ns %[1]s); b1=$(bpf_ns)
echo "$out" | awk -F'"' -v cpu=$((c1 - c0)) -v bpf=$((b1 - b0)) 'NR > 1 { s += $4 } END { printf "%%.1f %%.2f %%.3f\n", s / (NR - 1), cpu / 200000 / 1000, bpf / 200000 / 1000 }'
docker rm -f %[1]s >/dev/null`, name)
	res := threeWays(b, buildTailor(b), repeats, cpuOfContainer+bpfTimeOf(b)+script, "req/s", "cpu-us/req", bpfMetric)
	serverTable(b, "redis", fmt.Sprintf("redis-benchmark (SET and GET, 16 clients, 100000 requests each, %d repeats)", repeats), res)
}

// BenchmarkContainerStart: how long `docker run` of a trivial container
// takes with and without tailor attached (it must not wait on the start
// path), and how long tailor takes to be ready.
func BenchmarkContainerStart(b *testing.B) {
	requireE2EBench(b)
	repeats := envInt("TAILOR_BENCH_STARTS", 15)
	image := probeImageFor(b)
	tailorBin := buildTailor(b)
	start := func() float64 {
		t0 := time.Now()
		if out, err := exec.Command("docker", "run", "--rm", image, "/probe", "pick", "0").CombinedOutput(); err != nil {
			b.Fatalf("docker run: %v\n%s", err, out)
		}
		return float64(time.Since(t0).Milliseconds())
	}
	var plain, traced, ready, rss []float64
	for i := 0; i < repeats && b.N > 0; i++ {
		plain = append(plain, start())
		t0 := time.Now()
		cmd := exec.Command(tailorBin, "record", "-o", b.TempDir())
		stderr, _ := cmd.StderrPipe()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		sc := bufio.NewScanner(stderr)
		for sc.Scan() && !strings.Contains(sc.Text(), "press Ctrl-C") {
		}
		ready = append(ready, float64(time.Since(t0).Milliseconds()))
		go func() {
			for sc.Scan() {
			}
		}()
		traced = append(traced, start())
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		rss = append(rss, float64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss)/1024)
	}
	p, t, r := summarize(plain), summarize(traced), summarize(ready)
	fmt.Printf("\ncontainer start (docker run --rm of a static binary, %d repeats)\n", repeats)
	fmt.Printf("untraced    %s ms\nwith tailor %s ms\ntailor ready after %s ms (start to recording), peak RSS %.1f MiB\n\n", p, t, r, slices.Max(rss))
	b.ReportMetric(p.Median, "ms-start-untraced")
	b.ReportMetric(t.Median, "ms-start-traced")
	b.ReportMetric(r.Median, "ms-ready")
	saveBench("container_start", map[string]any{"untraced_ms": p, "traced_ms": t, "tailor_ready_ms": r, "tailor_peak_rss_mib": summarize(rss)})
}

// probeImageFor builds the probe image for a benchmark.
func probeImageFor(b *testing.B) string {
	image := uniqueName("bench-probe") + ":latest"
	tracertest.ProbeImage(b, image)
	return image
}

// BenchmarkConcurrentContainers: 50 containers start at once, each with a
// different known workload (probe pick N); every profile must be exact (no
// syscall of one container in another's) and no event lost.
func BenchmarkConcurrentContainers(b *testing.B) {
	requireE2EBench(b)
	n := envInt("TAILOR_BENCH_CONTAINERS", 50)
	image := probeImageFor(b)
	prefix := uniqueName("many")
	var script strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&script, "docker run --rm --name %s-%d %s /probe pick %d >/dev/null &\n", prefix, i, image, i)
	}
	script.WriteString("wait\n")
	out := b.TempDir()
	t0 := time.Now()
	if msg, err := exec.Command(buildTailor(b), "record", "-q", "-o", out, "--max-containers", "128", "--", "sh", "-c", script.String()).CombinedOutput(); err != nil {
		b.Fatalf("record: %v\n%s", err, msg)
	}
	took := time.Since(t0)
	wrong, lost := 0, 0.0
	for i := 1; i <= n; i++ {
		data, err := os.ReadFile(filepath.Join(out, fmt.Sprintf("%s-%d", prefix, i), "report.json"))
		if err != nil {
			b.Errorf("container %d has no profile: %v", i, err)
			wrong++
			continue
		}
		var rep struct {
			Syscalls []struct {
				Name string `json:"name"`
			} `json:"syscalls"`
			EventsLost float64 `json:"events_lost"`
		}
		json.Unmarshal(data, &rep)
		lost = max(lost, rep.EventsLost)
		made := map[string]bool{}
		for _, s := range rep.Syscalls {
			made[s.Name] = true
		}
		for bit, s := range tracertest.PickSyscalls {
			if made[s] != (i&(1<<bit) != 0) {
				b.Errorf("container %d: %s made=%v, want %v", i, s, made[s], i&(1<<bit) != 0)
				wrong++
			}
		}
	}
	fmt.Printf("\n%d containers started at once, recorded in %.1fs: %d wrong syscall sets, %.0f events lost\n\n", n, took.Seconds(), wrong, lost)
	b.ReportMetric(float64(wrong), "wrong-profiles")
	b.ReportMetric(lost, "events-lost")
	saveBench("concurrent_containers", map[string]any{"containers": n, "seconds": took.Seconds(), "wrong": wrong, "events_lost": lost})
}

// BenchmarkFileBurst: one container creates a million files with distinct
// names. The kernel cannot deduplicate distinct paths: events may be lost,
// and must be reported; the AppArmor profile still covers every file (one
// glob for the directory).
func BenchmarkFileBurst(b *testing.B) {
	requireE2EBench(b)
	n := envInt("TAILOR_BENCH_FILES", 1_000_000)
	image := probeImageFor(b)
	name := uniqueName("burst")
	defer removeContainer(name)
	out := b.TempDir()
	run := []string{"docker", "run", "--rm", "--name", name, "--tmpfs", "/tmp/burst:size=3g,nr_inodes=2m", image, "/probe", "burst", strconv.Itoa(n), "/tmp/burst"}
	t0 := time.Now()
	if msg, err := exec.Command(run[0], run[1:]...).CombinedOutput(); err != nil {
		b.Fatalf("untraced burst: %v\n%s", err, msg)
	}
	plain := time.Since(t0)
	t0 = time.Now()
	if msg, err := exec.Command(buildTailor(b), append([]string{"record", "-q", "-o", out, "--"}, run...)...).CombinedOutput(); err != nil {
		b.Fatalf("recorded burst: %v\n%s", err, msg)
	}
	traced := time.Since(t0)
	data, err := os.ReadFile(filepath.Join(out, name, "report.json"))
	if err != nil {
		b.Fatal(err)
	}
	var rep struct {
		Files      []json.RawMessage `json:"files"`
		EventsLost float64           `json:"events_lost"`
	}
	json.Unmarshal(data, &rep)
	text, _ := os.ReadFile(filepath.Join(out, name, "apparmor.profile"))
	rules, err := profileRules(text)
	if err != nil {
		b.Fatal(err)
	}
	missing := 0
	for _, i := range []int{0, 1, n / 2, n - 1} {
		if !rules(fmt.Sprintf("/tmp/burst/%d", i)) {
			missing++
			b.Errorf("the AppArmor profile does not let the container write /tmp/burst/%d", i)
		}
	}
	fmt.Printf("\n%d files created: untraced %.1fs, recorded %.1fs; %d file events kept, %.0f lost (reported in report.json); AppArmor rule covers the files: %v\n\n",
		n, plain.Seconds(), traced.Seconds(), len(rep.Files), rep.EventsLost, missing == 0)
	b.ReportMetric(rep.EventsLost, "events-lost")
	saveBench("file_burst", map[string]any{"files": n, "untraced_s": plain.Seconds(), "recorded_s": traced.Seconds(),
		"file_events_kept": len(rep.Files), "events_lost": rep.EventsLost, "apparmor_covers": missing == 0})
}

// profileRules tells whether an AppArmor profile lets a path be written.
func profileRules(text []byte) (func(string) bool, error) {
	rules, err := apparmor.ParseFileRules(text)
	if err != nil {
		return nil, err
	}
	return func(p string) bool {
		allowed, denied := false, false
		for _, r := range rules {
			if r.Matches(p) && strings.ContainsAny(r.Perms, "wa") {
				if r.Deny {
					denied = true
				} else {
					allowed = true
				}
			}
		}
		return allowed && !denied
	}, nil
}
