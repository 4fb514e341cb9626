abi <abi/3.0>,
include <tunables/global>

profile tailor-web flags=(attach_disconnected,mediate_deleted) {
  "/dev/null" rw,
  "/etc/web/app.conf" r,
  "/etc/web/mime.types" r,
  "/usr/bin/web" mrix,
  "/var/log/web/access.log" w,
  "/run/web.pid" w,

  network inet stream,
  network inet6 stream,
  capability net_bind_service,
  capability setuid,
  signal (receive) peer=unconfined,
  signal (send) set=(term) peer=tailor-web,
  ptrace (read,readby) peer=tailor-web,

  deny @{PROC}/kcore rwklx,
  deny /etc/shadow rwklx,
  deny mount,
}
