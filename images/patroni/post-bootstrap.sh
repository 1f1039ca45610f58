#!/bin/sh
# Patroni's bootstrap.post_bootstrap: runs once, on the instance that initialised the cluster,
# with the superuser's connection string as $1 (password through PGPASSFILE). Mirrors
# CloudNativePG's `bootstrap.initdb`: the application role (APP_USERNAME, password APP_PASSWORD)
# and database (APP_DBNAME) owned by it, then POST_INIT_SQL in `postgres` and
# POST_INIT_APPLICATION_SQL in the application database, as the superuser.
set -eu
url="$1"
db="${APP_DBNAME:-app}"
user="${APP_USERNAME:-$db}"

psql "$url" -X -q -v ON_ERROR_STOP=1 -v db="$db" -v user="$user" -v pw="${APP_PASSWORD:-}" <<'SQL'
SELECT :'pw' = '' AS nopw \gset
\if :nopw
CREATE ROLE :"user" LOGIN;
\else
CREATE ROLE :"user" LOGIN PASSWORD :'pw';
\endif
CREATE DATABASE :"db" OWNER :"user";
SQL
if [ -n "${POST_INIT_SQL:-}" ]; then
	printf '%s\n' "$POST_INIT_SQL" | psql "$url" -X -q -v ON_ERROR_STOP=1
fi
if [ -n "${POST_INIT_APPLICATION_SQL:-}" ]; then
	{ printf '\\connect :"db"\n'; printf '%s\n' "$POST_INIT_APPLICATION_SQL"; } | psql "$url" -X -q -v ON_ERROR_STOP=1 -v db="$db"
fi
echo "post-bootstrap: role '$user' and database '$db' created"
