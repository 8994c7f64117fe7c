"""What every service kind does, and how to find a registered kind's behaviour."""

from __future__ import annotations

import importlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from docker.models.containers import Container

from . import SERVICES
from .settings import ServiceSettings


Settings = TypeVar("Settings", bound=ServiceSettings)


def narrowed(settings: ServiceSettings, kind_settings: type[Settings]) -> Settings:
    """`settings` as its kind's own class: the protocol hands every kind ServiceSettings."""
    assert isinstance(settings, kind_settings)
    return settings


@dataclass(frozen=True)
class Start:
    """How to run the server for one smoke run (or `invoke up`)."""

    environment: dict[str, str]
    command: list[str] | None = None


class ServiceKind(Protocol):
    name: str
    port: int  # the port it listens on inside its container (and on the services network)
    # Generated per run: the credential fields, e.g. ("password",) or ("access_key", "secret_key").
    credentials: tuple[str, ...]
    unit: str  # what uses() counts, plural: "connections", "commands", "requests"

    def image(self, settings: ServiceSettings) -> str:
        """The official image for this version (or settings.image)."""

    def standin(self, settings: ServiceSettings) -> dict[str, Any]:
        """How to build the local stand-in: {template, files, packages or requirements, note}."""

    def start(self, settings: ServiceSettings, creds: Mapping[str, str]) -> Start:
        """Environment and command of the server container."""

    def ready(self, host_port: int, settings: ServiceSettings, creds: Mapping[str, str]) -> bool:
        """Whether the server answers its own protocol on the published port (from the host)."""

    def reset(self, container: Container, host_port: int, settings: ServiceSettings, creds: Mapping[str, str],
              snapshot: bool) -> None:
        """Empty it; for a database, back to the snapshot if there is one (SmokeFailed if it cannot)."""

    def snapshot(self, container: Container, settings: ServiceSettings) -> bool:
        """Keep the current state as what reset(snapshot=True) returns to; False if the kind has none."""

    def uses(self, container: Container, host_port: int, settings: ServiceSettings, creds: Mapping[str, str]) -> int:
        """How often the app has reached it since it started, in `unit`; flaskship's own
        traffic (readiness polls, resets, snapshots, this reading) never counts."""

    def fields(self, host: str, port: int, settings: ServiceSettings, creds: Mapping[str, str]) -> dict[str, str]:
        """The connection, field by field (`url`, `host`, `password`, ...), as the app is told it."""

    def heroku(self, fields: Mapping[str, str]) -> tuple[str, str] | None:
        """(variable, value) as the Heroku add-on sets it, or None if there is no such add-on."""

    def compose(self, name: str, settings: ServiceSettings, creds: Mapping[str, str]) -> dict[str, Any]:
        """The service's entry in docker-compose.yml (creds are ${...} references there)."""

    def compose_init(self, name: str, settings: ServiceSettings, creds: Mapping[str, str]) -> dict[str, Any] | None:
        """A one-shot service that prepares it (an s3 bucket), which web waits for; or None."""


def database_fields(scheme: str, user: str, password: str, host: str, port: int, database: str) -> dict[str, str]:
    """A SQL server's connection, field by field, as postgres and mariadb offer it."""
    return {"url": f"{scheme}://{user}:{password}@{host}:{port}/{database}", "host": host, "port": str(port),
            "user": user, "password": password, "database": database}


def behaviour(kind: str) -> ServiceKind:
    module = importlib.import_module(SERVICES[kind].module(kind))
    found: ServiceKind = module.KIND
    return found


def generate(kind: ServiceKind) -> dict[str, str]:
    """Fresh credentials for one run: hex, so they sit in a URL without escaping."""
    return {field: secrets.token_hex(16) for field in kind.credentials}
