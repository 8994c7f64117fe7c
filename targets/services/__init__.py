"""The explicit registry of service kinds, and the manifest's service settings.

One module per kind (mariadb.py, postgres.py, redis.py, s3.py) says how its server is
run: the official image and its local stand-in, readiness, reset, and the
connection it offers. This module imports settings only (pure data), so the
manifest can import it; the behaviour is imported when smoke or up asks for
it (targets.services.kinds.behaviour).

  settings.py   the manifest keys of each kind (pure data)
  kinds.py      the ServiceKind protocol and Connection, and behaviour(name)
  images.py     the service's image: present, pullable, or a stand-in built here
  live.py       running(project, names): a network of its own, labelled containers, always removed
  wiring.py     connection -> the variables each platform sets
  compose.py    a service as docker-compose.yml declares it
"""

from __future__ import annotations

from dataclasses import dataclass

from .settings import MariaDBSettings, PostgresSettings, RedisSettings, S3Settings, ServiceSettings


@dataclass(frozen=True)
class Registered:
    settings: type[ServiceSettings]

    def module(self, name: str) -> str:
        return f"{__name__}.{name}"


SERVICES: dict[str, Registered] = {
    "mariadb": Registered(MariaDBSettings),
    "postgres": Registered(PostgresSettings),
    "redis": Registered(RedisSettings),
    "s3": Registered(S3Settings),
}


# What people call the servers these kinds run: `kind: mysql` gets "did you mean 'mariadb'".
OTHER_NAMES = {"mysql": "mariadb", "postgresql": "postgres", "pg": "postgres", "valkey": "redis", "minio": "s3",
               "moto": "s3"}


def choices() -> str:
    return ", ".join(sorted(SERVICES))
