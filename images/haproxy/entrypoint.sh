#!/bin/sh
# Renders haproxy.cfg from the environment and runs HAProxy in the foreground. One image serves
# every Service of a Patroni cluster; the role says which instances a Service routes to:
#   HAPROXY_ROLE          rw -> /primary, ro -> /replica, r -> /health on Patroni's REST port
#                         (required; HAPROXY_CHECK_PATH overrides the path, e.g. /replica?lag=16MB).
#                         Checked with OPTIONS, which Patroni answers like GET but without a body
#                         (with GET, HAProxy's close after the status line makes Patroni log a
#                         ConnectionResetError for every check)
#   HAPROXY_BACKENDS      the instances, "HOST[:PGPORT[:RESTPORT]]" separated by spaces or commas,
#                         e.g. "azora-db-1 azora-db-2 azora-db-3" (ports default to 5432 and 8008)
#   HAPROXY_PORT          where clients connect (default 5432)
#   HAPROXY_MONITOR_PORT  HTTP: /healthz answers 200 while at least one backend is up, else 503;
#                         /stats shows the table (default 8404; empty to disable)
#   HAPROXY_CHECK_INTER   check interval (default 1s); HAPROXY_CHECK_FALL (2), HAPROXY_CHECK_RISE (1)
#   HAPROXY_CHECK_TIMEOUT a check's connect + response timeout (default 1s)
#   HAPROXY_CONNECT_TIMEOUT  to a backend (default 2s); HAPROXY_SESSION_TIMEOUT idle client/server (default 30m)
# Sessions to a server marked down are cut at once (on-marked-down shutdown-sessions), so clients
# of a demoted primary reconnect through the check instead of writing to a replica. Backend names
# are resolved through the container's resolver at run time (a restarted instance may come back
# with another address; an instance not started yet does not stop HAProxy from starting).
set -eu

if [ "${1:-}" != haproxy ]; then
	exec "$@"
fi

role="${HAPROXY_ROLE:-}"
case "$role" in
rw) path=/primary ;;
ro) path=/replica ;;
r) path=/health ;;
*)
	echo "haproxy-entrypoint: HAPROXY_ROLE must be rw, ro or r (got '${role}')" >&2
	exit 2
	;;
esac
path="${HAPROXY_CHECK_PATH:-$path}"
backends=$(printf '%s' "${HAPROXY_BACKENDS:-}" | tr ',' ' ')
if [ -z "$(printf '%s' "$backends" | tr -d ' ')" ]; then
	echo "haproxy-entrypoint: HAPROXY_BACKENDS is empty (expected e.g. 'azora-db-1 azora-db-2 azora-db-3')" >&2
	exit 2
fi
port="${HAPROXY_PORT:-5432}"
monitor="${HAPROXY_MONITOR_PORT-8404}"
cfg=/run/haproxy-devstack/haproxy.cfg

{
	cat <<CFG
# Rendered by haproxy-entrypoint.sh for role '$role' (check: OPTIONS $path).
global
    log stdout format raw local0 info
    maxconn 2000

resolvers dns
    parse-resolv-conf
    resolve_retries 2
    timeout resolve 1s
    timeout retry 1s
    hold valid 1s
    hold other 1s
    hold refused 1s
    hold nx 1s
    hold timeout 1s
    hold obsolete 1s

defaults
    mode tcp
    log global
    option tcplog
    timeout connect ${HAPROXY_CONNECT_TIMEOUT:-2s}
    timeout client ${HAPROXY_SESSION_TIMEOUT:-30m}
    timeout server ${HAPROXY_SESSION_TIMEOUT:-30m}
    timeout check ${HAPROXY_CHECK_TIMEOUT:-1s}

listen postgres
    bind :$port
    option httpchk OPTIONS $path
    http-check expect status 200
    default-server inter ${HAPROXY_CHECK_INTER:-1s} fall ${HAPROXY_CHECK_FALL:-2} rise ${HAPROXY_CHECK_RISE:-1} on-marked-down shutdown-sessions resolvers dns init-addr last,libc,none
CFG
	for b in $backends; do
		host=${b%%:*}
		rest=${b#"$host"}
		pgport=5432
		apiport=8008
		if [ -n "$rest" ]; then
			rest=${rest#:}
			pgport=${rest%%:*}
			[ "$rest" = "$pgport" ] || apiport=${rest#*:}
		fi
		printf '    server %s %s:%s check port %s\n' "$host" "$host" "$pgport" "$apiport"
	done
	if [ -n "$monitor" ]; then
		cat <<CFG

frontend monitor
    mode http
    bind :$monitor
    option dontlognull
    monitor-uri /healthz
    monitor fail if { nbsrv(postgres) eq 0 }
    stats enable
    stats uri /stats
    stats refresh 5s
CFG
	fi
} >"$cfg"

haproxy -c -q -f "$cfg"
exec haproxy -W -db -f "$cfg"
