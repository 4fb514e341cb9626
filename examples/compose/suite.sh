#!/usr/bin/env bash
# suite.sh - the compose example's integration suite: bring the project up,
# drive web (nginx) with curl and cache (redis) with redis-cli and
# redis-benchmark from the host, stop it and check that every container
# exited cleanly, bring it down. Exits non-zero when any check fails.
#
# Usage: suite.sh [-p PROJECT] [-f FILE]... [all|up|drive|down]
#   -p PROJECT   compose project name (default: $SUITE_PROJECT, else a new
#                unique one, so that runs never meet each other)
#   -f FILE      compose file, repeatable (default: docker-compose.yml); add
#                the override tailor wrote to run the project hardened:
#                -f docker-compose.yml -f docker-compose.tailor.yml
#   all          (default) up, drive, down; the project is removed on every
#                path, failures and Ctrl-C included
#   up           start the project and wait until web and cache answer
#   drive        run the checks against a project that is up
#   down         stop it (each container must exit with code 0), remove
#                its containers, network and volume
#
# up, drive and down are for stepping in between (e.g. docker inspect the
# hardened containers while they run); give each the same -p and -f.
# Needs docker-compose (1.27+ or v2 as `docker compose`), curl, redis-cli
# and redis-benchmark (apt-get install curl redis-tools).

set -euo pipefail
cd "$(dirname "$0")"

project=${SUITE_PROJECT:-}
files=()
step=all
while (($#)); do
    case $1 in
    -p) project=$2; shift ;;
    -f) files+=(-f "$2"); shift ;;
    all | up | drive | down) step=$1 ;;
    -h | --help) sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) echo "suite.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
((${#files[@]})) || files=(-f docker-compose.yml)
if [[ -z $project ]]; then
    [[ $step == all ]] || { echo "suite.sh: $step needs -p PROJECT (the same for up, drive and down)" >&2; exit 2; }
    project=tailor-compose-$$-$RANDOM
fi

if command -v docker-compose >/dev/null 2>&1; then
    compose=(docker-compose)
else
    compose=(docker compose)
fi
dc() { "${compose[@]}" -p "$project" "${files[@]}" "$@"; }

fail() { echo "FAIL: $*" >&2; exit 1; }
log() { echo "suite: $*"; }

# docker-compose (1.x, Python) takes seconds to start: everything after
# `up` asks docker itself, by the labels compose puts on its containers.

# cid SERVICE: the id of the service's container.
cid() {
    docker ps -aq --filter "label=com.docker.compose.project=$project" \
        --filter "label=com.docker.compose.service=$1" | head -n1
}

# addr SERVICE PORT: the 127.0.0.1:PORT Docker published the service on.
addr() {
    local id a
    id=$(cid "$1")
    [[ -n $id ]] && a=$(docker port "$id" "$2" 2>/dev/null | head -n1) && [[ $a == *:* ]] || return 1
    echo "127.0.0.1:${a##*:}"
}

# running SERVICE: its container is up.
running() {
    local id
    id=$(cid "$1")
    [[ -n $id && $(docker inspect -f '{{.State.Running}}' "$id" 2>/dev/null) == true ]]
}

# wait_for SERVICE CMD...: retry CMD for up to 30s; stop early if the
# service's container died (a profile that breaks start-up).
wait_for() {
    local svc=$1 i
    shift
    for ((i = 0; i < 120; i++)); do
        "$@" >/dev/null 2>&1 && return 0
        if ! running "$svc"; then
            docker logs --tail 30 "$(cid "$svc")" >&2 2>&1 || true
            fail "$svc is not running"
        fi
        sleep 0.25
    done
    docker logs --tail 30 "$(cid "$svc")" >&2 2>&1 || true
    fail "$svc did not answer within 30s"
}

web_up() { curl -fsS --max-time 2 -o /dev/null "http://$(addr web 80)/"; }
cache_up() { [[ $(redis-cli -h 127.0.0.1 -p "$(addr cache 6379 | cut -d: -f2)" ping) == PONG ]]; }

up() {
    log "up: project $project (${files[*]})"
    local out
    out=$(dc up -d 2>&1) || { echo "$out" >&2; fail "docker-compose up failed"; }
    wait_for web web_up
    wait_for cache cache_up
    log "up: web on $(addr web 80), cache on $(addr cache 6379)"
}

drive_web() {
    local url body code n
    url=http://$(addr web 80) || fail "web has no published port"
    body=$(curl -fsS --max-time 5 "$url/") || fail "web: GET / failed"
    [[ $body == *"Welcome to nginx!"* ]] || fail "web: GET /: unexpected body"
    # 50 GETs on one keep-alive connection, then 20 over 4 parallel ones
    # (curl's URL globbing: one curl process, which is much faster).
    n=$(curl -sS --max-time 20 "$url/?i=[1-50]" | grep -c '<title>Welcome to nginx!</title>') || true
    [[ $n == 50 ]] || fail "web: 50 sequential GETs: $n answered"
    n=$(curl -sS --no-progress-meter --max-time 20 --parallel --parallel-max 4 "$url/index.nginx-debian.html?p=[1-20]" |
        grep -c '<title>Welcome to nginx!</title>') || true
    [[ $n == 20 ]] || fail "web: 20 parallel GETs: $n answered"
    code=$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' "$url/no-such-page")
    [[ $code == 404 ]] || fail "web: GET /no-such-page: expected 404, got $code"
    code=$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' -X POST --data 'x=1' "$url/")
    [[ $code == 405 ]] || fail "web: POST /: expected 405, got $code"
    curl -fsS --max-time 5 -I "$url/" | grep -q '^Server: nginx' || fail "web: HEAD / has no Server: nginx"
    log "web: GET / ($(grep -o '<title>.*</title>' <<<"$body")), 50 sequential and 20 parallel GETs, 404, 405, HEAD ok"
}

drive_cache() {
    local port out i
    port=$(addr cache 6379 | cut -d: -f2) || fail "cache has no published port"
    r() { timeout 20 redis-cli -h 127.0.0.1 -p "$port" "$@"; }
    [[ $(r set suite:greeting hello) == OK ]] || fail "cache: SET failed"
    [[ $(r get suite:greeting) == hello ]] || fail "cache: GET failed"
    r del suite:counter >/dev/null
    for ((i = 0; i < 10; i++)); do r incr suite:counter >/dev/null; done
    [[ $(r get suite:counter) == 10 ]] || fail "cache: INCR x10 gave $(r get suite:counter)"
    r rpush suite:list a b c >/dev/null
    [[ $(r lrange suite:list 0 -1 | tr '\n' ' ') == "a b c " ]] || fail "cache: RPUSH/LRANGE"
    r hset suite:hash field value >/dev/null
    [[ $(r hget suite:hash field) == value ]] || fail "cache: HSET/HGET"
    [[ $(r set suite:ttl x EX 100) == OK && $(r ttl suite:ttl) -gt 0 ]] || fail "cache: SET EX/TTL"
    out=$(timeout 120 redis-benchmark -h 127.0.0.1 -p "$port" -q -n 1000 -t set,get,incr,lpush 2>&1) ||
        { echo "$out" >&2; fail "cache: redis-benchmark failed"; }
    [[ $(tr '\r' '\n' <<<"$out" | grep -c 'requests per second') -ge 4 ]] ||
        { echo "$out" >&2; fail "cache: redis-benchmark incomplete"; }
    # BGSAVE forks a child that writes /data/dump.rdb (the volume).
    out=$(r bgsave)
    [[ $out == *started* || $out == *progress* ]] || fail "cache: BGSAVE: $out"
    for ((i = 0; i < 80; i++)); do
        out=$(r info persistence | tr -d '\r')
        [[ $out == *rdb_bgsave_in_progress:0* ]] && break
        sleep 0.25
    done
    [[ $out == *rdb_last_bgsave_status:ok* && $out == *rdb_bgsave_in_progress:0* ]] || fail "cache: BGSAVE did not complete"
    log "cache: SET/GET, INCR, RPUSH/LRANGE, HSET/HGET, EXPIRE/TTL, redis-benchmark, BGSAVE ok (DBSIZE $(r dbsize))"
}

drive() {
    drive_web
    drive_cache
}

# down: stop (each container must exit 0: a profile that breaks shutdown
# shows up here), then remove everything the project made.
down() {
    local ids id line bad=0
    ids=$(docker ps -aq --filter "label=com.docker.compose.project=$project")
    # docker stop sends each image's stop signal (nginx: SIGQUIT), as
    # docker-compose stop would.
    [[ -z $ids ]] || docker stop -t 10 $ids >/dev/null
    for id in $ids; do
        line=$(docker inspect -f '{{index .Config.Labels "com.docker.compose.service"}} {{.State.ExitCode}}' "$id" 2>/dev/null) || continue
        if [[ ${line##* } != 0 ]]; then
            echo "FAIL: ${line% *} exited with code ${line##* }" >&2
            bad=1
        fi
    done
    dc down -v --remove-orphans -t 10 >/dev/null 2>&1 || true
    ((bad == 0)) || exit 1
    log "down: every container exited 0; project $project removed"
}

case $step in
up)
    # A project that does not come up is removed again (its logs shown).
    trap 'dc down -v --remove-orphans -t 10 >/dev/null 2>&1 || true' EXIT
    up
    trap - EXIT
    ;;
drive) drive ;;
down) down ;;
all)
    # Removed on every path; down checks the exit codes on success.
    trap 'dc down -v --remove-orphans -t 10 >/dev/null 2>&1 || true' EXIT
    up
    drive
    down
    trap - EXIT
    log "PASS"
    ;;
esac
