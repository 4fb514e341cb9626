# tailor - see README.md. `sudo make demo` and `sudo make test` set up a fresh
# Debian machine (packages, dockerd, test images) before they run.

# sudo resets PATH: find Go where the official tarball puts it, too.
GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
BPF_CLANG ?= clang
BPF_CFLAGS ?= -O2 -g -Wall -Werror -mcpu=v3
export BPF_CLANG BPF_CFLAGS

SHARED_IMAGES ?= $(abspath ../shared/images)
# Debian packages the demo and the tests need (go is expected to be there).
PACKAGES := docker.io docker-compose crun podman gcc libc6-dev libseccomp-dev pkg-config curl redis-tools debootstrap apparmor wrk chromium
DOCKERD_LOG ?= /var/log/tailor-dockerd.log
TEST_TIMEOUT ?= 80m

.PHONY: all build generate cross runtimes test test-unit demo setup packages dockerd images bench fmt vet clean kernels kernel-packages vm vm-smoke vm-apparmor vm-packages

all: build

# The version goes in explicitly: GOFLAGS may turn off VCS stamping.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o bin/tailor ./cmd/tailor

# Regenerate the committed BPF objects and Go bindings (needs clang and llvm)
# and the syscall table for builds without cgo (needs libseccomp).
generate:
	cd bpf && $(GO) generate ./...
	cd profile && $(GO) generate .

# tailor builds for arm64 too (and without cgo, which cross builds lack).
cross:
	GOARCH=arm64 $(GO) build ./...
	GOARCH=arm64 $(GO) vet ./...

# gofmt sits beside go; a gofmt that cannot run must fail the check, not pass it.
GOFMT ?= $(shell command -v gofmt 2>/dev/null || echo $(dir $(GO))gofmt)
fmt:
	@out=$$($(GOFMT) -l $$(git ls-files '*.go')) || exit 1; if [ -n "$$out" ]; then echo "gofmt: $$out"; exit 1; fi

vet:
	$(GO) vet ./...

# Everything: unit tests (no root) and end-to-end tests (root, real dockerd).
# One package at a time (-p 1): the end-to-end packages share one dockerd,
# which one of them restarts, and their timings and BPF checks assume the
# machine is theirs.
test: setup fmt vet cross
	$(GO) test -p 1 -count=1 -timeout $(TEST_TIMEOUT) ./...

# Only what runs without root or Docker.
test-unit:
	$(GO) test -count=1 ./profile/...

# Every parser's fuzz target, FUZZTIME each (go test -fuzz takes one at a time).
FUZZTIME ?= 10s
FUZZ_TARGETS := FuzzParseSeccomp FuzzParseAppArmor FuzzParseAppArmorRules FuzzMatchAppArmor FuzzAppArmorPath \
	FuzzParseCapabilities FuzzParseRecording FuzzParseReport FuzzParseRunFlags FuzzReviewFromReport
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "fuzz $$t ($(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) ./profile; \
	done

demo: setup build
	./examples/demo/demo.sh

# Overhead of recording (syscall loop, nginx, redis, container start, 50
# concurrent containers, a burst of 1M files): prints tables, writes
# cmd/tailor/bench-results.json. BENCH selects some, e.g. BENCH=Nginx.
BENCH ?= .
bench: setup
	cd cmd/tailor && $(GO) test -count=1 -run '^$$' -bench '$(BENCH)' -benchtime 1x -timeout 60m .

# The kernel matrix: the tracer's kernel tests on Debian's kernels under
# qemu (KVM where /dev/kvm is hardware virtualization, else TCG;
# TAILOR_VM_ACCEL=tcg forces it) and on the host, as root; prints the
# table of the README's "Kernels". KERNELS=5.10,6.1 picks kernels (host
# too: KERNELS=6.1,host), KERNEL_TESTS the tests (go test -run). Downloads
# are cached in /var/cache/tailor-vm (TAILOR_VM_CACHE).
KERNELS ?=
KERNEL_TESTS ?= Kernel|Verifier
KERNEL_PACKAGES := qemu-system-x86 busybox-static cpio gcc libc6-dev debian-archive-keyring
kernels: kernel-packages
	$(GO) build -o bin/tailor-vm ./internal/cmd/vm
	GO=$(GO) bin/tailor-vm kernels -kernels '$(KERNELS)' -run '$(KERNEL_TESTS)'

kernel-packages:
	@$(MAKE) --no-print-directory packages PACKAGES="$(KERNEL_PACKAGES)"

# make vm: CMD (bash -c, as root) in a Debian 12 guest under qemu with
# dockerd on cgroup v2 (VM_CGROUP_DRIVER=systemd, its default, or cgroupfs)
# and AppArmor enforcing, on Debian's kernel KERNEL (5.10, 6.1, 6.12). The
# guest has this tree as it is at /src (read-only), ../shared at /shared,
# VM_OUT at /out, bin/tailor on its PATH and the host's IMAGES loaded in its
# dockerd. CMD's output is make's; make vm fails when CMD does (make says
# "Error N" with CMD's status, 125 when the guest gave none: see the kernel
# log it names; bin/tailor-vm run exits with the status itself). The root (debootstrap) and each kernel's
# disk image are built once into /var/cache/tailor-vm (TAILOR_VM_CACHE);
# every run boots a throw-away overlay of the image. KVM when /dev/kvm is
# hardware virtualization, else TCG (TAILOR_VM_ACCEL=tcg forces it).
KERNEL ?= 6.1
IMAGES ?=
VM_OUT ?= $(CURDIR)/bin/vm-out
VM_CGROUP_DRIVER ?= systemd
# How long the boot and CMD may take before the guest is stopped.
VM_TIMEOUT ?= 30m
VM_PACKAGES := qemu-system-x86 qemu-utils debootstrap e2fsprogs debian-archive-keyring
vm: vm-packages build
	@if [ -n "$(IMAGES)" ]; then $(MAKE) --no-print-directory dockerd; fi
	$(GO) build -o bin/tailor-vm ./internal/cmd/vm
	@test -n '$(VM_CMD)' || { echo "make vm: CMD='...' is the command to run in the guest"; exit 2; }
	CMD='$(VM_CMD)' bin/tailor-vm run -kernel '$(KERNEL)' -images '$(IMAGES)' -out '$(VM_OUT)' \
		-cgroup-driver '$(VM_CGROUP_DRIVER)' -tailor bin/tailor -timeout '$(VM_TIMEOUT)' \
		-shared '$(patsubst %/,%,$(dir $(SHARED_IMAGES)))'

# CMD as written, not expanded by make ($(uname -r) is the guest's shell's),
# quoted for the shell.
VM_CMD = $(subst ','\'',$(value CMD))

# The guest is what the AppArmor and cgroup v2 tests need: cgroup2fs,
# dockerd's cgroup driver, AppArmor enabled, a profile loaded with
# apparmor_parser confining a container in enforce mode, its refusal logged
# as apparmor="DENIED" (internal/vm/smoke.sh).
vm-smoke:
	@$(MAKE) --no-print-directory vm IMAGES=sptest/busybox CMD='bash /src/internal/vm/smoke.sh'

# The AppArmor end-to-end tests (cmd/tailor's TestAppArmorEnforced, and
# TestAppArmorLifecycle: removing what it created needs no rule) where
# AppArmor enforces: in the 6.1 guest, busybox, nginx, redis and pglike are
# recorded, their profiles loaded with `tailor load`, and each runs hardened
# confined by its profile in enforce mode with no AppArmor denial, while an
# access its recording never made is DENIED. The test binary (no cgo: the
# guest need not match the host's libraries) and pglike (static: the guest
# has no gcc), and the probe, are built here into VM_APPARMOR_OUT, the
# guest's /out. VM_APPARMOR_RUN picks the tests.
VM_APPARMOR_OUT ?= $(CURDIR)/bin/vm-apparmor
VM_APPARMOR_RUN ?= TestAppArmorEnforced|TestAppArmorLifecycle
vm-apparmor:
	@mkdir -p '$(VM_APPARMOR_OUT)'
	CGO_ENABLED=0 $(GO) test -c -o '$(VM_APPARMOR_OUT)/cmd-tailor.test' ./cmd/tailor
	gcc -O2 -static -o '$(VM_APPARMOR_OUT)/pglike' tracer/tracertest/pglike.c
	gcc -O2 -static -nostdlib -fno-stack-protector -fno-builtin -o '$(VM_APPARMOR_OUT)/probe' tracer/tracertest/probe.c
	@$(MAKE) --no-print-directory vm KERNEL='$(KERNEL)' VM_OUT='$(VM_APPARMOR_OUT)' VM_TIMEOUT='$(VM_TIMEOUT)' \
		IMAGES='sptest/busybox sptest/nginx sptest/redis' \
		CMD='cd /src/cmd/tailor && TAILOR_REQUIRE_E2E=1 TAILOR_REQUIRE_APPARMOR=1 TAILOR_PGLIKE=/out/pglike TAILOR_PROBE=/out/probe /out/cmd-tailor.test -test.run "$(VM_APPARMOR_RUN)" -test.v -test.timeout 25m'

vm-packages:
	@$(MAKE) --no-print-directory packages PACKAGES="$(VM_PACKAGES)"

setup: packages dockerd runtimes images

# Install whatever of $(PACKAGES) is missing (Debian/Ubuntu).
packages:
	@missing=""; for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# Start dockerd in the background when it is not answering.
dockerd:
	@if ! docker info >/dev/null 2>&1; then \
		echo "starting dockerd (log: $(DOCKERD_LOG))"; \
		nohup dockerd >>$(DOCKERD_LOG) 2>&1 & \
		for i in $$(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done; \
		docker info >/dev/null 2>&1 || { echo "dockerd did not start, see $(DOCKERD_LOG)"; exit 1; }; \
	fi

# crun as a second runtime for the tests: dockerd must know it (registered
# in /etc/docker/daemon.json when that file does not exist yet; otherwise add
# it yourself), and on hosts with a hybrid cgroup layout crun starts only
# once the hugetlb controller sits on a v1 hierarchy.
runtimes:
	@if ! docker info --format '{{json .Runtimes}}' 2>/dev/null | grep -q '"crun"'; then \
		if [ ! -e /etc/docker/daemon.json ]; then \
			mkdir -p /etc/docker && echo '{"runtimes": {"crun": {"path": "/usr/bin/crun"}}}' >/etc/docker/daemon.json; \
			kill -HUP $$(pidof dockerd) && sleep 2; \
		else \
			echo "note: add crun to the runtimes in /etc/docker/daemon.json to run the crun tests"; \
		fi; \
	fi
	@if awk '$$1 == "hugetlb" && $$2 == 0 { found = 1 } END { exit !found }' /proc/cgroups && \
		mountpoint -q /sys/fs/cgroup/memory && ! mountpoint -q /sys/fs/cgroup/hugetlb; then \
		mkdir -p /sys/fs/cgroup/hugetlb && mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb; \
	fi

# The shared test images (sptest/*), when the shared tree is beside us.
images:
	@if [ -x $(SHARED_IMAGES)/build.sh ]; then $(SHARED_IMAGES)/build.sh; \
	else echo "no $(SHARED_IMAGES)/build.sh: tests that need sptest/* images will skip"; fi

clean:
	rm -rf bin
