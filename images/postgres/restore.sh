#!/usr/bin/env bash
# Point-in-time recovery of a pgBackRest backup into an empty data folder, run once in a container
# of its own before the instance starts (db:restore): restore the files, replay the archived WAL to
# the target, promote, give the roles their new environment's passwords, and stop cleanly. The
# instance then starts as a primary on a new timeline, as CloudNativePG's recovery bootstrap leaves
# it (under Patroni: instance 1, which the others clone).
#   RESTORE_TARGET     a time (recovery_target_time), or empty for the end of the archive
#   RESTORE_PASSWORDS  one `ROLE PASSWORD` per line: the application's role, and under Patroni its
#                      superuser and replication user too
#   PGDATA             the data folder (created if missing), PGUSER the superuser (the local socket
#                      trusts it)
# pgBackRest's own settings (stanza, repository, pg1-path) come from PGBACKREST_* variables.
set -Eeuo pipefail

mkdir -p "$PGDATA"
chmod 0700 "$PGDATA"
if [ -n "${RESTORE_TARGET:-}" ]; then
	pgbackrest restore --type=time "--target=${RESTORE_TARGET}" --target-action=promote
else
	pgbackrest restore
fi
echo "restore: files restored; replaying WAL"

log=/tmp/recovery.log
fail() {
	echo "restore: $1; PostgreSQL's log ends:" >&2
	tail -n 15 "$log" >&2
	exit 1
}
# No standby connects to this one-shot instance: a synchronous_standby_names kept in the restored
# configuration (Patroni's, with synchronous replication) would hold every commit below forever.
pg_ctl -D "$PGDATA" -l "$log" -s -w -t 3600 \
	-o "-c listen_addresses='' -c archive_mode=off -c synchronous_standby_names=''" start ||
	fail "recovery did not reach a consistent state"
until [ "$(psql -X -At -d postgres -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ]; do
	pg_ctl -D "$PGDATA" status >/dev/null || fail "PostgreSQL stopped during recovery"
	sleep 0.2
done
while read -r role password; do
	[ -n "$role" ] || continue
	psql -X -q -v ON_ERROR_STOP=1 -d postgres -v role="$role" -v password="$password" \
		<<<"ALTER ROLE :\"role\" PASSWORD :'password';"
done <<<"$RESTORE_PASSWORDS"
psql -X -q -v ON_ERROR_STOP=1 -d postgres <<'SQL'
ALTER SYSTEM RESET restore_command;
ALTER SYSTEM RESET recovery_target_time;
ALTER SYSTEM RESET recovery_target_action;
SQL
pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
echo "restore: recovered and promoted"
