#!/usr/bin/env bash
# Honours the same contract as the official postgres image, so that tools written for it
# (testcontainers' PostgreSqlContainer, CloudNativePG-style init SQL) work unchanged:
#   POSTGRES_PASSWORD (required unless POSTGRES_HOST_AUTH_METHOD=trust), POSTGRES_USER (postgres),
#   POSTGRES_DB (= user), POSTGRES_INITDB_ARGS, PGDATA, and /docker-entrypoint-initdb.d/*.{sh,sql,sql.gz}.
# During initialisation the server listens on its Unix socket only, so a TCP readiness check never
# sees the temporary server.
set -Eeuo pipefail

if [ "${1:0:1}" = '-' ]; then
	set -- postgres "$@"
fi

if [ "$1" != postgres ]; then
	# With backups configured (PGBACKREST_* variables, src/runtimes/docker/cluster-backup.ts) the stanza
# is made, or checked, as soon as the server answers, so WAL archiving works from the start.
if [ -n "${PGBACKREST_STANZA:-}" ]; then
	(
		until pg_isready -q -U "${POSTGRES_USER:-postgres}" -d "${POSTGRES_DB:-${POSTGRES_USER:-postgres}}"; do sleep 0.5; done
		pgbackrest stanza-create || echo "pgbackrest: stanza-create failed; WAL is not archived" >&2
	) &
fi

exec "$@"
fi

# Started as root: fix ownership of the data and socket folders, then drop to the postgres user.
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$PGDATA" /var/run/postgresql
	find "$PGDATA" \! -user postgres -exec chown postgres:postgres '{}' +
	chmod 00700 "$PGDATA"
	exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
	auth="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"
	if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$auth" != trust ]; then
		echo "error: database is uninitialized and POSTGRES_PASSWORD is not set." >&2
		echo "       Set POSTGRES_PASSWORD, or POSTGRES_HOST_AUTH_METHOD=trust to allow connections without one." >&2
		exit 1
	fi
	user="${POSTGRES_USER:-postgres}"
	db="${POSTGRES_DB:-$user}"

	# shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of words on purpose
	initdb --username="$user" --pwfile=<(printf '%s\n' "${POSTGRES_PASSWORD:-}") \
		--auth-local=trust --auth-host="$auth" ${POSTGRES_INITDB_ARGS:-} -D "$PGDATA"
	printf "\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
	printf '\nhost all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"

	pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w start
	psql=(psql -v ON_ERROR_STOP=1 --username "$user" --no-password --no-psqlrc)
	if [ "$db" != postgres ]; then
		exists=$("${psql[@]}" --dbname postgres -tA -v db="$db" <<<"SELECT 1 FROM pg_database WHERE datname = :'db'")
		[ "$exists" = 1 ] || "${psql[@]}" --dbname postgres -v db="$db" <<<'CREATE DATABASE :"db";'
	fi
	for f in /docker-entrypoint-initdb.d/*; do
		case "$f" in
		*.sh)
			echo "init: running $f"
			if [ -x "$f" ]; then "$f"; else . "$f"; fi
			;;
		*.sql) echo "init: running $f"; "${psql[@]}" --dbname "$db" -f "$f" ;;
		*.sql.gz) echo "init: running $f"; gunzip -c "$f" | "${psql[@]}" --dbname "$db" ;;
		*.sql.xz) echo "init: running $f"; xzcat "$f" | "${psql[@]}" --dbname "$db" ;;
		*.sql.zst) echo "init: running $f"; zstd -dc "$f" | "${psql[@]}" --dbname "$db" ;;
		*/\*) ;; # empty folder
		*) echo "init: ignoring $f" ;;
		esac
	done
	pg_ctl -D "$PGDATA" -m fast -w stop
	echo "init: done; starting PostgreSQL"
fi

# The metrics a CloudNativePG instance serves on :9187 (its exporter's names for the replication
# state, see metrics.yaml), from Debian's postgres_exporter over the local socket. Not in images
# without it (the upstream image).
if command -v prometheus-postgres-exporter >/dev/null; then
	owner="${POSTGRES_USER:-postgres}"
	DATA_SOURCE_NAME="postgresql://${owner}@:5432/${POSTGRES_DB:-$owner}?host=/var/run/postgresql&sslmode=disable" \
		prometheus-postgres-exporter --web.listen-address=:9187 --log.level=warn \
		--config.file=/etc/postgres-exporter/postgres_exporter.yml \
		--extend.query-path=/etc/postgres-exporter/metrics.yaml &
fi

# With backups configured (PGBACKREST_* variables, src/runtimes/docker/cluster-backup.ts) the stanza
# is made, or checked, as soon as the server answers, so WAL archiving works from the start.
if [ -n "${PGBACKREST_STANZA:-}" ]; then
	(
		until pg_isready -q -U "${POSTGRES_USER:-postgres}" -d "${POSTGRES_DB:-${POSTGRES_USER:-postgres}}"; do sleep 0.5; done
		pgbackrest stanza-create || echo "pgbackrest: stanza-create failed; WAL is not archived" >&2
	) &
fi

exec "$@"
