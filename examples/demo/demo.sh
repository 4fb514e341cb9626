#!/usr/bin/env bash
# tailor's demo (run by `sudo make demo`): build a small image, record it,
# show the profile, run it hardened, and show what the profile blocks.
set -euo pipefail
cd "$(dirname "$0")"
tailor=../../bin/tailor
image=tailor-demo-app:latest
name=tailor-demo
out=$PWD/profiles

work=$(mktemp -d)
trap 'rm -rf "$work"; docker rm -f "$name" >/dev/null 2>&1 || true' EXIT
gcc -O2 -static -o "$work/app" app.c
cp Dockerfile "$work/"
DOCKER_BUILDKIT=0 docker build -q -t "$image" "$work" >/dev/null
echo "== built $image (one static binary, FROM scratch)"

echo "== recording: tailor record -o $out -- docker run --rm --name $name $image"
"$tailor" record -o "$out" -- docker run --rm --name "$name" "$image"

echo
echo "== $out/$name/capabilities.json"
cat "$out/$name/capabilities.json"
echo "== docker run flags ($out/$name/docker-run.flags)"
cat "$out/$name/docker-run.flags"

flags=$(cat "$out/$name/docker-run.flags")
echo
echo "== hardened run: docker run --rm <flags> $image"
eval "docker run --rm --name $name $flags $image"

echo
echo "== hardened, the same image tries to break out:"
eval "docker run --rm --name $name $flags $image escape"
echo
echo "== for comparison, with Docker's defaults:"
docker run --rm --name "$name" "$image" escape
