abi <abi/3.0>,
include <tunables/global>

profile tailor-web flags=(attach_disconnected,mediate_deleted) {
  "/dev/null" rw,
  "/etc/web/*" r,
  "/etc/web/app.conf" r,
  "/usr/bin/web" mrix,
  "/var/log/web/access.log" rw,
  "/run/web.pid" w,
  "/tmp/**" rw,

  network inet stream,
  network inet6 stream,
  network netlink raw,
  capability net_bind_service,
  capability sys_ptrace,
  signal (receive) peer=unconfined,
  signal (send) set=(kill, term) peer=tailor-web,
  ptrace (read,readby) peer=tailor-web,

  deny @{PROC}/kcore rwklx,
  deny mount,
}
