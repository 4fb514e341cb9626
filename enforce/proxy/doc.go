// Package proxy is the Docker API proxy of tailor enforce: it listens on
// a private unix socket and passes every request and answer to the daemon
// byte for byte, keep-alive connections, chunked streams (logs -f,
// events, build), version-prefixed paths and hijacked connections (attach
// and exec, with or without Upgrade: tcp, half-closes passed on)
// included. Only a container create (POST /containers/create, any version
// prefix) is read whole and handed to a hook, which may rewrite its body.
//
// It speaks HTTP/1.1 on raw bytes, not through net/http's client and
// server, so that nothing it does not mean to change is re-encoded. It
// knows nothing of profiles: cmd/tailor's enforce joins it to package
// harden.
package proxy
