#!/usr/bin/python3
"""Starts one Patroni instance configured from environment variables only (README.md lists them).

Patroni reads its local settings from its own PATRONI_* variables; this entrypoint fills in their
per-instance defaults (derived from PATRONI_NAME) and renders what Patroni cannot take from the
environment -- the `bootstrap` section (bootstrap.dcs, initdb, post_bootstrap) and the pg_hba rules --
into /etc/patroni/devstack/patroni.yml (JSON, which is YAML). bootstrap.dcs is written to etcd once,
by the instance that initialises the cluster; later changes go through `patronictl edit-config`.
"""
import json
import os
import socket
import subprocess
import sys

CONFIG = os.environ.get("PATRONICTL_CONFIG_FILE", "/etc/patroni/devstack/patroni.yml")


def fail(message: str) -> None:
    print(f"patroni-entrypoint: {message}", file=sys.stderr)
    sys.exit(2)


def env(name: str, default: str = "") -> str:
    value = os.environ.get(name, "")
    return value if value != "" else default


def integer(name: str, default: int, minimum: int = 0) -> int:
    raw = env(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        fail(f"{name} must be an integer (got '{raw}')")
    if value < minimum:
        fail(f"{name} must be at least {minimum} (got {value})")
    return value


def boolean(name: str, default: bool) -> bool:
    raw = env(name, "true" if default else "false").lower()
    if raw in ("true", "on", "yes", "1"):
        return True
    if raw in ("false", "off", "no", "0"):
        return False
    fail(f"{name} must be true or false (got '{raw}')")
    return False


def parameters(name: str) -> dict:
    """NAME=VALUE pairs, one per line or separated by ';' (values may contain spaces)."""
    out: dict = {}
    for item in env(name).replace(";", "\n").splitlines():
        item = item.strip()
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            fail(f"{name}: '{item}' is not NAME=VALUE")
        out[key.strip()] = value.strip()
    return out


def main() -> None:
    args = sys.argv[1:] or ["patroni"]
    if args[0] != "patroni":
        os.execvp(args[0], args)

    name = env("PATRONI_NAME", socket.gethostname())
    defaults = {
        "PATRONI_NAME": name,
        "PATRONI_RESTAPI_LISTEN": "0.0.0.0:8008",
        "PATRONI_RESTAPI_CONNECT_ADDRESS": f"{name}:8008",
        "PATRONI_POSTGRESQL_LISTEN": "0.0.0.0:5432",
        "PATRONI_POSTGRESQL_CONNECT_ADDRESS": f"{name}:5432",
        "PATRONI_POSTGRESQL_DATA_DIR": "/var/lib/postgresql/data/pgdata",
        "PATRONI_POSTGRESQL_BIN_DIR": "/usr/lib/postgresql/17/bin",
        "PATRONI_POSTGRESQL_PGPASS": "/tmp/pgpass",
        "PATRONI_SUPERUSER_USERNAME": "postgres",
        "PATRONI_REPLICATION_USERNAME": "streaming_replica",
    }
    for key, value in defaults.items():
        if env(key) == "":
            os.environ[key] = value
    for required in ("PATRONI_SCOPE", "PATRONI_ETCD3_HOSTS", "PATRONI_SUPERUSER_PASSWORD",
                     "PATRONI_REPLICATION_PASSWORD"):
        if env(required) == "":
            fail(f"{required} is not set (images/patroni/README.md lists the variables)")

    ttl = integer("PATRONI_DCS_TTL", 20, 1)
    loop_wait = integer("PATRONI_DCS_LOOP_WAIT", 1, 1)
    retry_timeout = integer("PATRONI_DCS_RETRY_TIMEOUT", 5, 3)
    if loop_wait + 2 * retry_timeout > ttl:
        fail(f"PATRONI_DCS_LOOP_WAIT + 2 * PATRONI_DCS_RETRY_TIMEOUT must be <= PATRONI_DCS_TTL "
             f"(got {loop_wait} + 2 * {retry_timeout} > {ttl})")
    short_ttl = boolean("PATRONI_DCS_ALLOW_SHORT_TTL", False)
    if ttl < PATRONI_MIN_TTL and not short_ttl:
        fail(f"PATRONI_DCS_TTL={ttl} is below Patroni's minimum of {PATRONI_MIN_TTL} (Patroni would raise it); "
             f"set PATRONI_DCS_ALLOW_SHORT_TTL=true to keep it (README.md: Timings)")
    sync_mode = env("PATRONI_DCS_SYNCHRONOUS_MODE", "off").lower()
    if sync_mode not in ("off", "on", "quorum"):
        fail(f"PATRONI_DCS_SYNCHRONOUS_MODE must be off, on or quorum (got '{sync_mode}')")

    pg_parameters = {"wal_log_hints": "on", **parameters("PATRONI_DCS_POSTGRESQL_PARAMETERS")}
    dcs = {
        "ttl": ttl,
        "loop_wait": loop_wait,
        "retry_timeout": retry_timeout,
        "maximum_lag_on_failover": integer("PATRONI_DCS_MAXIMUM_LAG_ON_FAILOVER", 1048576),
        "primary_start_timeout": integer("PATRONI_DCS_PRIMARY_START_TIMEOUT", 300),
        "primary_stop_timeout": integer("PATRONI_DCS_PRIMARY_STOP_TIMEOUT", 0),
        "synchronous_mode": {"off": False, "on": True, "quorum": "quorum"}[sync_mode],
        "synchronous_mode_strict": boolean("PATRONI_DCS_SYNCHRONOUS_MODE_STRICT", False),
        "synchronous_node_count": integer("PATRONI_DCS_SYNCHRONOUS_NODE_COUNT", 1, 1),
        "postgresql": {
            "use_pg_rewind": boolean("PATRONI_DCS_USE_PG_REWIND", True),
            "use_slots": boolean("PATRONI_DCS_USE_SLOTS", True),
            "parameters": pg_parameters,
        },
    }
    initdb: list = [{"encoding": "UTF8"}, {"locale": "C"}]
    if boolean("PATRONI_INITDB_DATA_CHECKSUMS", False):
        initdb.append("data-checksums")
    replication_user = env("PATRONI_REPLICATION_USERNAME")
    local_parameters = {"unix_socket_directories": "/var/run/postgresql",
                        **parameters("PATRONI_POSTGRESQL_PARAMETERS")}
    config = {
        "bootstrap": {
            "dcs": dcs,
            "initdb": initdb,
            "post_bootstrap": "/usr/local/bin/patroni-post-bootstrap.sh",
        },
        "postgresql": {
            "use_unix_socket": True,
            "parameters": local_parameters,
            "pg_hba": [
                "local all all trust",
                f'host replication "{replication_user}" all scram-sha-256',
                "host all all all scram-sha-256",
            ],
            "basebackup": [{"checkpoint": "fast"}],
            # An instance whose old timeline cannot be rewound is cloned again from the primary, as
            # CloudNativePG recreates a replica it cannot resynchronise.
            "remove_data_directory_on_rewind_failure": True,
            "remove_data_directory_on_diverged_timelines": True,
        },
    }
    # Without a bootstrap section Patroni never initialises a cluster: an empty instance waits for
    # a leader and clones it. CloudNativePG bootstraps instance 1 only (initdb, or a recovery that
    # put data there before anything started); the others join it.
    if not boolean("PATRONI_MAY_BOOTSTRAP", True):
        del config["bootstrap"]
    with open(CONFIG, "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    if short_ttl:
        allow_short_ttl()
    start_exporter()
    # Patroni runs in this process (PID 1 in a container: it forks the daemon and reaps children).
    from patroni.__main__ import main as patroni_main

    sys.argv = ["patroni", CONFIG]
    patroni_main()


PATRONI_MIN_TTL = 20
EXPORTER = "/usr/bin/prometheus-postgres-exporter"
EXPORTER_QUERIES = "/etc/postgres-exporter/metrics.yaml"


def start_exporter() -> None:
    """The instance's metrics on :9187 under CloudNativePG's names (the queries the runtime places in
    /etc/postgres-exporter, the postgres image's), over the local socket as the superuser. Without
    the queries (an image run by hand) there is no exporter. A child of this process, which Patroni
    becomes: it goes with the container."""
    if not (os.path.exists(EXPORTER) and os.path.exists(EXPORTER_QUERIES)):
        return
    superuser = env("PATRONI_SUPERUSER_USERNAME")
    dsn = f"postgresql://{superuser}@:5432/postgres?host=/var/run/postgresql&sslmode=disable"
    subprocess.Popen(
        [EXPORTER, "--web.listen-address=:9187", "--log.level=warn",
         "--config.file=/etc/postgres-exporter/postgres_exporter.yml",
         f"--extend.query-path={EXPORTER_QUERIES}"],
        env={**os.environ, "DATA_SOURCE_NAME": dsn},
    )


def allow_short_ttl() -> None:
    """Keeps a ttl below Patroni's hard-coded minimum of 20 s (patroni/config.py, since 3.2).

    Patroni still enforces its other minimums (loop_wait >= 1, retry_timeout >= 3) and the rule
    loop_wait + 2 * retry_timeout <= ttl; only the floor on ttl itself is lifted, so that a killed
    primary's leader lock expires within the seconds a chaos suite can wait. Applies to every later
    change of the dynamic configuration too (patronictl edit-config), in this process and the daemon
    it forks.
    """
    from patroni.config import Config

    original = Config._validate_and_adjust_timeouts

    def validate(self, config):  # type: ignore[no-untyped-def]
        wanted = int(config["ttl"]) if "ttl" in config else None
        short = wanted is not None and wanted < PATRONI_MIN_TTL
        if short:
            config["ttl"] = PATRONI_MIN_TTL
        original(self, config)
        if short and int(config.get("loop_wait", 10)) + 2 * int(config.get("retry_timeout", 10)) <= wanted:
            config["ttl"] = wanted

    Config._validate_and_adjust_timeouts = validate
    print("patroni-entrypoint: PATRONI_DCS_ALLOW_SHORT_TTL: ttl below 20 s kept (Patroni's floor lifted)",
          file=sys.stderr)


if __name__ == "__main__":
    main()
