#!/usr/bin/env bash
# Behaves like the official redis image's entrypoint: flags alone run redis-server, the server and
# sentinel run as the redis user, and protected mode is off (the official image compiles it off)
# because a container is reached over its network, never over loopback. A later
# `--protected-mode yes` on the command line still wins.
set -Eeuo pipefail

if [ "${1:0:1}" = '-' ] || [ "${1##*.}" = conf ]; then
	set -- redis-server "$@"
fi

case "$1" in
redis-server | redis-sentinel)
	bin="$1"
	shift
	# A config file, when given, must stay the first argument; our default goes right after it so
	# that options given later (including a user's own --protected-mode) still win.
	if [ $# -gt 0 ] && [ "${1:0:1}" != '-' ]; then
		conf="$1"
		shift
		set -- "$bin" "$conf" --protected-mode no "$@"
	else
		set -- "$bin" --protected-mode no "$@"
	fi
	if [ "$(id -u)" = 0 ]; then
		find . \! -user redis -exec chown redis:redis '{}' + 2>/dev/null || true
		exec setpriv --reuid=redis --regid=redis --init-groups "$@"
	fi
	;;
esac

exec "$@"
