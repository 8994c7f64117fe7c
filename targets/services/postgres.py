"""postgres: the official image's interface, a Debian stand-in, a database reset
from the release step's snapshot (a template database), Heroku's DATABASE_URL."""

from __future__ import annotations

import re
import socket
import struct
import time
from collections.abc import Mapping
from typing import Any

from docker.models.containers import Container

from ..engine import docker_client
from ..errors import SmokeFailed
from .kinds import Start, database_fields, narrowed
from .settings import PostgresSettings, ServiceSettings

DEBIAN_VERSION = "15"  # bookworm's postgresql
SSL_REQUEST = struct.pack("!II", 8, 80877103)
# Speed over durability, for throwaway smoke instances only (never in docker-compose.yml):
# every reset is a CREATE DATABASE, which fsyncs the whole copy otherwise.
THROWAWAY = ("fsync=off", "synchronous_commit=off", "full_page_writes=off", "log_connections=on")


class Postgres:
    name = "postgres"
    port = 5432
    credentials = ("password",)
    unit = "connections"

    def image(self, settings: ServiceSettings) -> str:
        return settings.image or f"postgres:{settings.version}"

    def standin(self, settings: ServiceSettings) -> dict[str, Any]:
        note = "" if settings.version == DEBIAN_VERSION else f" (Debian's PostgreSQL {DEBIAN_VERSION}, not {settings.version})"
        return {"template": "services/standin-postgres.Dockerfile.j2", "debian_version": DEBIAN_VERSION,
                "files": {"entrypoint.sh": "services/standin-postgres-entrypoint.sh.j2"}, "note": note}

    def start(self, settings: ServiceSettings, creds: Mapping[str, str]) -> Start:
        pg = narrowed(settings, PostgresSettings)
        options = [*THROWAWAY, *(f"{key}={value}" for key, value in sorted(pg.settings.items()))]
        return Start({"POSTGRES_USER": pg.user, "POSTGRES_DB": pg.database, "POSTGRES_PASSWORD": creds["password"],
                      "POSTGRES_INITDB_ARGS": "--no-sync"},
                     ["postgres", *(arg for option in options for arg in ("-c", option))])

    def ready(self, host_port: int, settings: ServiceSettings, creds: Mapping[str, str]) -> bool:
        # The protocol's SSLRequest: the real server answers one byte, N or S. docker's
        # port proxy accepts a connection even when nothing listens behind it, and
        # the image's init phase listens on no TCP port, so only the final server answers.
        try:
            with socket.create_connection(("127.0.0.1", host_port), timeout=1) as sock:
                sock.sendall(SSL_REQUEST)
                return sock.recv(1) in (b"N", b"S")
        except OSError:
            return False

    def reset(self, container: Container, host_port: int, settings: ServiceSettings, creds: Mapping[str, str],
              snapshot: bool) -> None:
        pg = narrowed(settings, PostgresSettings)
        source = f' TEMPLATE "{_snapshot(pg)}"' if snapshot else ""
        _sql(container, pg, f'DROP DATABASE IF EXISTS "{pg.database}" WITH (FORCE)',
             f'CREATE DATABASE "{pg.database}"{source}')

    def snapshot(self, container: Container, settings: ServiceSettings) -> bool:
        pg = narrowed(settings, PostgresSettings)
        _sql(container, pg, f'DROP DATABASE IF EXISTS "{_snapshot(pg)}"',
             f'CREATE DATABASE "{_snapshot(pg)}" TEMPLATE "{pg.database}"')
        return True

    def uses(self, container: Container, host_port: int, settings: ServiceSettings, creds: Mapping[str, str]) -> int:
        # log_connections (above) logs each login as it happens, whatever the app's pool does
        # after; the server's statistics would count it only once the session flushes them.
        # Resets and snapshots log in to the `postgres` database, so they are not counted.
        pg = narrowed(settings, PostgresSettings)
        logged = docker_client.logs(container, "all")
        return len(re.findall(rf"connection authorized: user={re.escape(pg.user)} database={re.escape(pg.database)}\b",
                              logged))

    def fields(self, host: str, port: int, settings: ServiceSettings, creds: Mapping[str, str]) -> dict[str, str]:
        pg = narrowed(settings, PostgresSettings)
        return database_fields("postgresql", pg.user, creds["password"], host, port, pg.database)

    def heroku(self, fields: Mapping[str, str]) -> tuple[str, str] | None:
        # Heroku Postgres sets DATABASE_URL with the postgres:// scheme, which
        # SQLAlchemy 1.4+ refuses: an app must rewrite it, and smoke shows if it does not.
        return "DATABASE_URL", "postgres://" + fields["url"].removeprefix("postgresql://")

    def compose(self, name: str, settings: ServiceSettings, creds: Mapping[str, str]) -> dict[str, Any]:
        pg = narrowed(settings, PostgresSettings)
        entry: dict[str, Any] = {
            "environment": {"POSTGRES_USER": pg.user, "POSTGRES_DB": pg.database, "POSTGRES_PASSWORD": creds["password"]},
            # Over TCP: the image's init phase listens on the socket only, so this
            # is healthy only once the real server (and the database) is up.
            "healthcheck": {"test": ["CMD", "pg_isready", "-h", "127.0.0.1", "-U", pg.user, "-d", pg.database]},
        }
        if pg.settings:
            entry["command"] = ["postgres", *(a for k, v in sorted(pg.settings.items()) for a in ("-c", f"{k}={v}"))]
        return entry

    def compose_init(self, name: str, settings: ServiceSettings, creds: Mapping[str, str]) -> dict[str, Any] | None:
        return None


def _snapshot(pg: PostgresSettings) -> str:
    return f"flaskship_snapshot_{pg.database}"[:63]


def _sql(container: Container, pg: PostgresSettings, *statements: str, attempts: int = 20) -> None:
    """psql as the server's own superuser over its local socket; each statement
    on its own (DROP/CREATE DATABASE cannot run in a transaction). A database
    still in use by a connection that is closing is retried for a few seconds."""
    command = ["psql", "-v", "ON_ERROR_STOP=1", "-q", "-U", pg.user, "-d", "postgres"]
    for statement in statements:
        command += ["-c", statement]
    for attempt in range(attempts):
        code, output = container.exec_run(command, user="postgres")
        text = output.decode("utf-8", "replace").strip()
        if code == 0:
            return
        if "is being accessed by other users" not in text or attempt == attempts - 1:
            raise SmokeFailed(f"postgres: resetting database {pg.database} failed: {text.splitlines()[-1] if text else code}",
                              text)
        time.sleep(0.25)


KIND = Postgres()
