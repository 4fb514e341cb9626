#!/bin/bash
# The make vm guest is what issue 17 needs: run in the guest by
# `make vm-smoke` (make vm CMD='bash /src/internal/vm/smoke.sh'). Checks
# cgroup v2, dockerd's cgroup driver (the one the run asked for, systemd
# by default), AppArmor enabled, and a profile loaded with apparmor_parser
# in enforce mode that confines a container: what it allows works, what it
# does not is refused and leaves an apparmor="DENIED" record naming it.
set -euo pipefail
fail() {
	echo "vm-smoke: FAIL: $*"
	exit 1
}
ok() { echo "vm-smoke: ok: $*"; }

CGROUP_DRIVER=systemd
[ -f /run/tailor-vm/settings ] && . /run/tailor-vm/settings

echo "vm-smoke: kernel $(uname -r), $(. /etc/os-release && echo "$PRETTY_NAME"), docker $(docker version -f '{{.Server.Version}}')"
fs=$(stat -fc %T /sys/fs/cgroup)
[ "$fs" = cgroup2fs ] || fail "/sys/fs/cgroup is $fs, not cgroup2fs"
ok "stat -fc %T /sys/fs/cgroup = $fs"
driver=$(docker info -f '{{.CgroupDriver}} {{.CgroupVersion}}')
[ "$driver" = "$CGROUP_DRIVER 2" ] || fail "dockerd's cgroup driver and version: $driver, want $CGROUP_DRIVER 2"
ok "dockerd cgroup driver $CGROUP_DRIVER on cgroup v2"
aa-status --enabled || fail "aa-status --enabled: AppArmor is not enabled"
ok "aa-status --enabled"

profile=tailor-vm-smoke
cat >/tmp/$profile <<'PROFILE'
#include <tunables/global>
# Reads anywhere, writes only to /tmp and devices: a write to /etc is
# refused (not denied by a rule: simply not allowed, so it is audited).
profile tailor-vm-smoke flags=(attach_disconnected,mediate_deleted) {
  #include <abstractions/base>
  capability,
  network,
  signal,
  /** r,
  /bin/* mix,
  /tmp/** rw,
  /dev/** rw,
  /proc/** rw,
}
PROFILE
apparmor_parser -r /tmp/$profile || fail "apparmor_parser -r /tmp/$profile"
mode=$(sed -n "s/^$profile (\(.*\))\$/\1/p" /sys/kernel/security/apparmor/profiles)
[ "$mode" = enforce ] || fail "profile $profile is loaded in mode '$mode', not enforce"
ok "apparmor_parser -r loaded $profile in enforce mode"

out=$(docker run --rm --security-opt apparmor=$profile sptest/busybox sh -c '
	echo "confined by: $(cat /proc/self/attr/current)"
	echo x >/tmp/allowed && echo "write /tmp: allowed"
	if echo x >/etc/tailor-forbidden 2>/dev/null; then echo "write /etc: ALLOWED"; else echo "write /etc: refused"; fi
' 2>&1) || fail "docker run under $profile: $out"
echo "$out" | sed 's/^/vm-smoke: container: /'
grep -qx "confined by: $profile (enforce)" <<<"$out" || fail "the container was not confined by $profile in enforce mode"
grep -qx "write /tmp: allowed" <<<"$out" || fail "an allowed write failed"
grep -qx "write /etc: refused" <<<"$out" || fail "the forbidden write was not refused"
ok "the container ran confined by $profile (enforce); the forbidden write was refused"

# The audit record reaches the kernel log (no auditd in the guest).
denied=""
for _ in $(seq 1 20); do
	denied=$(dmesg | grep 'apparmor="DENIED"' | grep "profile=\"$profile\"" | grep 'tailor-forbidden' || true)
	[ -n "$denied" ] && break
	sleep 0.5
done
[ -n "$denied" ] || fail "no apparmor=\"DENIED\" record naming $profile in dmesg"
echo "$denied" | sed 's/^/vm-smoke: dmesg: /'
ok "apparmor=\"DENIED\" record names profile $profile"
echo "vm-smoke: PASS"
