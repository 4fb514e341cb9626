#!/usr/bin/env bash
# tailor-ci.sh: the release gate for any CI system. See --help and README.md.
set -euo pipefail

prog=${0##*/}
args=("$@") # for the --update command line suggested after a widening

usage() {
	cat <<EOF
Usage: $prog [OPTIONS] -- SUITE [ARG...]

Run SUITE (the command that starts your containers and tests them) under
tailor, and gate on the committed baseline profiles:

  baseline found     tailor check records SUITE and compares every container
                     with its baseline profile. Exit 1, naming what, when a
                     container needed anything the baseline does not grant.
  no baseline yet    record SUITE (--runs times, merged), write the baseline
                     and exit 0: commit it, later runs are gated on it.
  --update           re-record the baseline over the existing one (after a
                     change that needs more, reviewed); the diff old -> new
                     goes into the artifacts.

Either way, the profiles of this run, the verdict and the diff against the
baseline are put into the artifacts directory, for the CI system to keep.

Options:
  -b, --baseline DIR   baseline profiles, one directory per container
                       (default: \$TAILOR_BASELINE, else tailor-profiles)
  -a, --artifacts DIR  where to put the artifacts; created if needed
                       (default: \$ARTIFACTS_DIR, else tailor-artifacts)
      --tailor PATH    the tailor binary (default: \$TAILOR, else tailor on PATH)
      --match EXPR     record only matching containers (tailor's --match:
                       name=GLOB, image=GLOB, label=KEY[=GLOB]); repeatable
      --name-by KEY    name profiles by: name (default), image or label=KEY
                       (tailor's --name-by); give random container names a
                       stable profile name with a label
      --runs N         when recording a baseline, run SUITE N times and merge
                       the profiles, so that what the workload does only now
                       and then is in it (default 1)
      --update         record a new baseline even though one exists
  -h, --help           show this help

Artifacts (in the artifacts directory):
  tailor-profiles.tar.gz  the profiles of this run (the new baseline when one
                          was recorded), as tailor record writes them
  tailor-check.txt        the verdict: what the baseline does not cover
  tailor-diff.txt         every change against the baseline, both ways
                          (tailor diff), and tailor-diff.json
  tailor-summary.txt      tailor show: the profiles against Docker's defaults
  tailor-result.txt       one line: covered, widened, baseline-written,
                          baseline-updated, suite-failed

Exit codes:
  0  the baseline covers the run, or a baseline was written
  1  the run needed more than the baseline grants (listed above the end)
  2  usage or setup error: bad flags, no tailor binary, not root
  3  SUITE failed or tailor could not record (nothing was gated)

Example:
  sudo $prog --baseline profiles --name-by label=app -- make integration-test
EOF
}

die() { # usage and setup errors: exit 2
	echo "$prog: error: $*" >&2
	exit 2
}

note() { echo "$prog: $*" >&2; }

baseline=${TAILOR_BASELINE:-tailor-profiles}
artifacts=${ARTIFACTS_DIR:-tailor-artifacts}
tailor=${TAILOR:-}
runs=1
update=0
record_flags=()

while [ $# -gt 0 ]; do
	case $1 in
	-h | --help)
		usage
		exit 0
		;;
	-b | --baseline | -a | --artifacts | --tailor | --match | --name-by | --runs)
		[ $# -ge 2 ] || die "$1 needs a value (see --help)"
		case $1 in
		-b | --baseline) baseline=$2 ;;
		-a | --artifacts) artifacts=$2 ;;
		--tailor) tailor=$2 ;;
		--match) record_flags+=(--match "$2") ;;
		--name-by) record_flags+=(--name-by "$2") ;;
		--runs) runs=$2 ;;
		esac
		shift 2
		;;
	--baseline=* | --artifacts=* | --tailor=* | --match=* | --name-by=* | --runs=*)
		# --flag=value: split it and go round again.
		flag=${1%%=*} value=${1#*=}
		shift
		set -- "$flag" "$value" "$@"
		;;
	--update)
		update=1
		shift
		;;
	--)
		shift
		break
		;;
	*)
		die "unknown argument '$1': options come first, then -- and the suite command (see --help)"
		;;
	esac
done
suite=("$@")

[ ${#suite[@]} -gt 0 ] || die "no suite command: give it after -- (see --help)"
[ -n "$baseline" ] || die "--baseline is empty"
[ -n "$artifacts" ] || die "--artifacts is empty"
case $runs in
'' | *[!0-9]* | 0) die "--runs must be a whole number >= 1, not '$runs'" ;;
esac

# The tailor binary: --tailor, $TAILOR, else PATH.
if [ -z "$tailor" ]; then
	tailor=$(command -v tailor || true)
	[ -n "$tailor" ] || die "tailor is not on PATH: install it (make build, then bin/tailor; or go install github.com/tailorsec/tailor/cmd/tailor@latest) or pass --tailor PATH"
fi
{ [ -f "$tailor" ] && [ -x "$tailor" ]; } || die "tailor binary '$tailor' does not exist or is not executable (--tailor / \$TAILOR)"

# tailor loads eBPF programs into the kernel: only root may.
[ "$(id -u)" -eq 0 ] || die "tailor records with eBPF and needs root: run $prog as root (sudo $prog ...; in CI, a job that runs as root or with sudo)"

if [ -e "$baseline" ] && [ ! -d "$baseline" ]; then
	die "baseline '$baseline' is not a directory"
fi

# is_profile DIR: is DIR one container's profile, as tailor record writes
# it?
is_profile() {
	local f
	for f in seccomp.json recording.json apparmor.profile capabilities.json docker-run.flags; do
		[ -f "$1/$f" ] && return 0
	done
	return 1
}

# has_profiles DIR: does DIR hold at least one profile?
has_profiles() {
	local d
	for d in "$1"/*/; do
		is_profile "$d" && return 0
	done
	return 1
}

mkdir -p "$artifacts" || die "cannot create the artifacts directory '$artifacts'"
artifacts=$(cd "$artifacts" && pwd)
# The work directory: this run's profiles go to $work/this-run (or
# $work/run-N), and tailor diff and merge run in $work, so that reports
# and merged profiles say "this-run" and "run-1", not a temporary path.
work=$(mktemp -d "${TMPDIR:-/tmp}/tailor-ci.XXXXXX")
restore=0 # 1 while the old baseline's profiles are moved out to $work/old

# restore_old puts the old baseline's profiles back.
restore_old() {
	local d
	for d in "$work"/old/*/; do
		[ -d "$d" ] || continue
		rm -rf "${baseline:?}/$(basename "$d")"
		mv "${d%/}" "$baseline/"
	done
}

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	if [ "$restore" = 1 ]; then
		note "interrupted: the old baseline is put back"
		restore_old
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Artifacts of an earlier run in the same directory would be mistaken for
# this run's.
rm -f "$artifacts"/tailor-profiles.tar.gz "$artifacts"/tailor-check.txt "$artifacts"/tailor-diff.txt \
	"$artifacts"/tailor-diff.json "$artifacts"/tailor-summary.txt "$artifacts"/tailor-result.txt

result() { echo "$1" >"$artifacts/tailor-result.txt"; }

# collect DIR [FROM]: the profiles in DIR go into the artifacts, with
# tailor show's summary of them, run in FROM (default: here).
collect() {
	tar -czf "$artifacts/tailor-profiles.tar.gz" -C "${2:-.}" -C "$1" .
	(cd "${2:-.}" && "$tailor" show "$1") >"$artifacts/tailor-summary.txt" 2>&1 || true
}

# diff_against OLD NEW: every change, both ways, into the artifacts, run
# in $work (OLD absolute, NEW relative to $work). Its exit code (1 when
# NEW widens) is not the gate: tailor check's is.
diff_against() {
	local code=0
	(cd "$work" && NO_COLOR=1 "$tailor" diff "$1" "$2") >"$artifacts/tailor-diff.txt" 2>&1 || code=$?
	(cd "$work" && "$tailor" diff --json "$1" "$2") >"$artifacts/tailor-diff.json" 2>/dev/null || true
	[ "$code" -le 1 ] || note "tailor diff failed (exit $code), see tailor-diff.txt"
}

# --- No baseline yet, or --update: record one. ---------------------------
if [ "$update" = 1 ] || ! has_profiles "$baseline"; then
	if [ "$update" = 1 ] && has_profiles "$baseline"; then
		note "--update: recording a new baseline over $baseline ($runs run(s) of the suite)"
	else
		note "no baseline profiles in $baseline: recording them ($runs run(s) of the suite)"
	fi
	inputs=()
	for i in $(seq 1 "$runs"); do
		code=0
		"$tailor" record -o "$work/run-$i" ${record_flags[@]+"${record_flags[@]}"} -- "${suite[@]}" || code=$?
		if [ "$code" -ne 0 ]; then
			result suite-failed
			note "the suite (run $i of $runs) or tailor failed with exit $code: no baseline was written"
			exit 3
		fi
		if ! has_profiles "$work/run-$i"; then
			result suite-failed
			note "run $i of the suite started no container that was recorded (check --match): no baseline was written"
			exit 3
		fi
		inputs+=("run-$i")
	done

	# Keep the old baseline for the diff, then replace only its profile
	# directories (a README or anything else in it stays). tailor merge
	# writes the new ones in place, so that each docker-run.flags names its
	# seccomp.json where it is.
	mkdir -p "$work/old" "$baseline"
	baseline_abs=$(cd "$baseline" && pwd)
	restore=1
	for d in "$baseline"/*/; do
		if is_profile "$d"; then
			mv "${d%/}" "$work/old/"
		fi
	done
	if ! (cd "$work" && "$tailor" merge -q -o "$baseline_abs" "${inputs[@]}"); then
		restore=0
		note "tailor merge failed: the old baseline is put back"
		restore_old
		exit 3
	fi
	restore=0
	collect "$baseline"
	if has_profiles "$work/old"; then
		diff_against "$work/old" "$baseline_abs"
		result baseline-updated
		note "baseline updated in $baseline; what changed is in $artifacts/tailor-diff.txt:"
		cat "$artifacts/tailor-diff.txt" >&2
	else
		result baseline-written
	fi
	note "the baseline:"
	cat "$artifacts/tailor-summary.txt" >&2
	note "wrote the baseline to $baseline. Review it and commit it: later runs are gated on it."
	note "  git add $baseline && git commit -m 'tailor: baseline profiles'"
	note "(in CI, where the checkout is thrown away, take it from the artifact $artifacts/tailor-profiles.tar.gz)"
	exit 0
fi

# --- Gate on the baseline. -------------------------------------------------
new="$work/this-run"
baseline_abs=$(cd "$baseline" && pwd)
code=0
"$tailor" check --baseline "$baseline" -o "$new" ${record_flags[@]+"${record_flags[@]}"} -- "${suite[@]}" || code=$?

if ! has_profiles "$new"; then
	# Nothing was recorded: tailor could not record, or no container
	# started (which check reports as covered: there was nothing to gate).
	if [ "$code" -eq 0 ]; then
		result covered
		note "no container was recorded during the suite: nothing to gate (check --match and --name-by)"
		exit 0
	fi
	result suite-failed
	note "the suite or tailor failed with exit $code, and no profile was recorded"
	exit 3
fi

collect this-run "$work"
diff_against "$baseline_abs" this-run
# The verdict, by itself (the suite's output surrounds check's): merge
# --check asks what check asked, from the profiles check wrote. Its exit
# code also tells a widening (1) from a suite that failed with 1 (check
# exits with the command's code when everything is covered).
covered=0
(cd "$work" && NO_COLOR=1 "$tailor" merge --check "$baseline_abs" this-run) >"$artifacts/tailor-check.txt" 2>&1 || covered=$?

if [ "$covered" -eq 1 ]; then
	result widened
	note "WIDENED: the suite needed more than the baseline in $baseline grants:"
	cat "$artifacts/tailor-check.txt" >&2
	note "If this is intended, record a new baseline and commit it with the change, after review:"
	note "  sudo $0 --update$(printf ' %q' "${args[@]}")"
	note "(the profiles of this run are in $artifacts/tailor-profiles.tar.gz)"
	exit 1
fi
if [ "$covered" -ne 0 ]; then
	note "tailor merge --check failed (exit $covered):"
	cat "$artifacts/tailor-check.txt" >&2
fi
if [ "$code" -ne 0 ]; then
	# check exits 1 when something is not covered, else with the
	# command's own code: covered, so the suite failed.
	result suite-failed
	note "the suite failed (exit $code): the profiles it left are in the artifacts, but nothing was gated"
	exit 3
fi
result covered
note "covered: the baseline in $baseline grants everything the suite needed"
exit 0
