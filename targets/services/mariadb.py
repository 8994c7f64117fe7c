"""mariadb: the official image's interface, a Debian stand-in, a database reset from the
release step's snapshot (a dump kept in the container), a Heroku add-on's JAWSDB_MARIA_URL.

MySQL's protocol: apps reach it with PyMySQL, mysqlclient or mysql-connector, through
a `mysql://` (or `mysql+pymysql://`, settings.scheme) URL, as they would MySQL.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from typing import Any

from docker.models.containers import Container

from ..errors import SmokeFailed
from .kinds import Start, database_fields, narrowed
from .settings import MariaDBSettings, ServiceSettings

DEBIAN_VERSION = "10.11"  # bookworm's mariadb-server
# Speed over durability, for throwaway smoke instances only (never in docker-compose.yml):
# every reset drops and loads the database again.
THROWAWAY = ("--innodb-flush-log-at-trx-commit=0", "--sync-binlog=0", "--innodb-doublewrite=0",
             "--skip-log-bin", "--innodb-buffer-pool-size=64M", "--userstat=1")
SNAPSHOT = "/tmp/flaskship-snapshot.sql"


class MariaDB:
    name = "mariadb"
    port = 3306
    credentials = ("password", "root_password")
    unit = "connections"

    def image(self, settings: ServiceSettings) -> str:
        return settings.image or f"mariadb:{settings.version}"

    def standin(self, settings: ServiceSettings) -> dict[str, Any]:
        same = settings.version == DEBIAN_VERSION or settings.version.startswith(DEBIAN_VERSION + ".")
        note = "" if same else f" (Debian's MariaDB {DEBIAN_VERSION}, not {settings.version})"
        return {"template": "services/standin-mariadb.Dockerfile.j2", "debian_version": DEBIAN_VERSION,
                "files": {"entrypoint.sh": "services/standin-mariadb-entrypoint.sh.j2"}, "note": note}

    def start(self, settings: ServiceSettings, creds: Mapping[str, str]) -> Start:
        db = narrowed(settings, MariaDBSettings)
        return Start(_environment(db, creds), ["mariadbd", *THROWAWAY, *_options(db)])

    def ready(self, host_port: int, settings: ServiceSettings, creds: Mapping[str, str]) -> bool:
        # The server speaks first: a handshake packet whose payload starts with protocol
        # version 10. docker's port proxy accepts a connection with nothing behind it and
        # closes it, and the image's init phase listens on no TCP port.
        try:
            with socket.create_connection(("127.0.0.1", host_port), timeout=1) as sock:
                greeting = sock.recv(5)
                return len(greeting) == 5 and greeting[4] == 10
        except OSError:
            return False

    def reset(self, container: Container, host_port: int, settings: ServiceSettings, creds: Mapping[str, str],
              snapshot: bool) -> None:
        db = narrowed(settings, MariaDBSettings)
        load = f" && mariadb -uroot {db.database} < {SNAPSHOT}" if snapshot else ""
        _run(container, f"mariadb -uroot -e 'DROP DATABASE IF EXISTS `{db.database}`; "
                        f"CREATE DATABASE `{db.database}`'{load}", f"resetting database {db.database}")

    def snapshot(self, container: Container, settings: ServiceSettings) -> bool:
        # MariaDB has no template databases: a dump of what the release left, kept in the container.
        db = narrowed(settings, MariaDBSettings)
        _run(container, f"mariadb-dump -uroot --single-transaction {db.database} > {SNAPSHOT}",
             f"keeping database {db.database}")
        return True

    def uses(self, container: Container, host_port: int, settings: ServiceSettings, creds: Mapping[str, str]) -> int:
        # userstat (above) counts logins per user; resets, snapshots and this reading log in as
        # root. The user is an Identifier ([a-z_][a-z0-9_]*), so it sits in the quotes as it is.
        db = narrowed(settings, MariaDBSettings)
        found = _run(container, "mariadb -uroot -N -e \"SELECT COALESCE(SUM(TOTAL_CONNECTIONS), 0) FROM "
                                f"information_schema.USER_STATISTICS WHERE USER = '{db.user}'\"",
                     "reading its connections")
        return int(found.split()[-1])

    def fields(self, host: str, port: int, settings: ServiceSettings, creds: Mapping[str, str]) -> dict[str, str]:
        db = narrowed(settings, MariaDBSettings)
        return database_fields(db.scheme, db.user, creds["password"], host, port, db.database)

    def heroku(self, fields: Mapping[str, str]) -> tuple[str, str] | None:
        # JawsDB Maria, Heroku's MariaDB add-on, sets JAWSDB_MARIA_URL, always mysql://.
        _, rest = fields["url"].split("://", 1)
        return "JAWSDB_MARIA_URL", "mysql://" + rest

    def compose(self, name: str, settings: ServiceSettings, creds: Mapping[str, str]) -> dict[str, Any]:
        db = narrowed(settings, MariaDBSettings)
        return {
            "environment": _environment(db, creds),
            # Over TCP: the image's init phase listens on the socket only, so this is
            # healthy only once the real server is up. `ping` answers without a login.
            "healthcheck": {"test": ["CMD", "mariadb-admin", "ping", "-h", "127.0.0.1", "--silent"]},
            **({"command": ["mariadbd", *_options(db)]} if db.settings else {}),
        }

    def compose_init(self, name: str, settings: ServiceSettings, creds: Mapping[str, str]) -> dict[str, Any] | None:
        return None


def _options(db: MariaDBSettings) -> list[str]:
    return [f"--{name}={value}" for name, value in sorted(db.settings.items())]


def _environment(db: MariaDBSettings, creds: Mapping[str, str]) -> dict[str, str]:
    return {"MARIADB_DATABASE": db.database, "MARIADB_USER": db.user, "MARIADB_PASSWORD": creds["password"],
            "MARIADB_ROOT_PASSWORD": creds["root_password"]}


def _root_password(container: Container) -> str:
    """The root password the container was started with (its own environment)."""
    for item in container.attrs["Config"]["Env"] or []:
        if item.startswith("MARIADB_ROOT_PASSWORD="):
            return str(item.split("=", 1)[1])
    raise SmokeFailed(f"mariadb: container {container.name} has no MARIADB_ROOT_PASSWORD")


def _run(container: Container, script: str, what: str) -> str:
    """A shell line in the server's container, as root over its local socket; the password
    goes in MYSQL_PWD, where the client reads it, never on a command line. Its output."""
    code, output = container.exec_run(["sh", "-c", script], environment={"MYSQL_PWD": _root_password(container)},
                                      user="mysql")
    text = output.decode("utf-8", "replace").strip()
    if code != 0:
        raise SmokeFailed(f"mariadb: {what} failed: {text.splitlines()[-1] if text else code}", text)
    return text


KIND = MariaDB()
