"""redis: the official image's interface, a Debian stand-in, FLUSHALL as reset, Heroku's REDIS_URL."""

from __future__ import annotations

import socket
from collections.abc import Mapping
from typing import Any

from docker.models.containers import Container

from ..errors import SmokeFailed
from .kinds import Start
from .settings import ServiceSettings


# flaskship's own commands (readiness, reset, the reading of what the app sent): never the app's use.
OWN_COMMANDS = frozenset({"auth", "ping", "flushall", "info"})


def _command(password: str, *commands: str) -> bytes:
    """RESP: AUTH, then each command (its words split on spaces), in one write."""
    parts = [["AUTH", password], *(c.split() for c in commands)]
    return b"".join(f"*{len(p)}\r\n".encode() + b"".join(f"${len(a)}\r\n{a}\r\n".encode() for a in p) for p in parts)


def _ask(host_port: int, password: str, *commands: str) -> bytes:
    with socket.create_connection(("127.0.0.1", host_port), timeout=2) as sock:
        sock.sendall(_command(password, *commands))
        wanted, answer = 1 + len(commands), b""
        while answer.count(b"\r\n") < wanted:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
        return answer


def _info(host_port: int, password: str, section: str) -> str:
    """The text of INFO <section>: one bulk string after AUTH's +OK."""
    with socket.create_connection(("127.0.0.1", host_port), timeout=2) as sock:
        sock.sendall(_command(password, f"INFO {section}"))
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
            _, _, reply = answer.partition(b"\r\n")
            if reply.startswith(b"-"):
                raise OSError(reply.decode("utf-8", "replace").strip())
            header, found, body = reply.partition(b"\r\n")
            if found and len(body) >= int(header[1:]) + 2:
                return body[:int(header[1:])].decode("utf-8", "replace")
    raise OSError(f"INFO {section}: the connection closed before its answer")


class Redis:
    name = "redis"
    port = 6379
    credentials = ("password",)
    unit = "commands"

    def image(self, settings: ServiceSettings) -> str:
        return settings.image or f"redis:{settings.version}"

    def standin(self, settings: ServiceSettings) -> dict[str, Any]:
        note = "" if settings.version.split(".")[0] == "7" else f" (Debian's Redis 7.0, not {settings.version})"
        return {"template": "services/standin-redis.Dockerfile.j2", "files": {}, "note": note}

    def start(self, settings: ServiceSettings, creds: Mapping[str, str]) -> Start:
        # No persistence: a smoke instance starts empty and is removed afterwards.
        return Start({"REDISCLI_AUTH": creds["password"]},
                     ["redis-server", "--requirepass", creds["password"], "--save", "", "--appendonly", "no"])

    def ready(self, host_port: int, settings: ServiceSettings, creds: Mapping[str, str]) -> bool:
        try:
            return _ask(host_port, creds["password"], "PING") == b"+OK\r\n+PONG\r\n"
        except OSError:
            return False

    def reset(self, container: Container, host_port: int, settings: ServiceSettings, creds: Mapping[str, str],
              snapshot: bool) -> None:
        try:
            answer = _ask(host_port, creds["password"], "FLUSHALL")
        except OSError as exc:
            raise SmokeFailed(f"redis: FLUSHALL failed: {exc}") from None
        if answer != b"+OK\r\n+OK\r\n":
            raise SmokeFailed(f"redis: FLUSHALL failed: {answer.decode('utf-8', 'replace').strip()!r}")

    def snapshot(self, container: Container, settings: ServiceSettings) -> bool:
        return False  # a cache starts empty on a new release too

    def uses(self, container: Container, host_port: int, settings: ServiceSettings, creds: Mapping[str, str]) -> int:
        # Every command the server ran, by name (`cmdstat_get:calls=3,...`), less flaskship's own.
        stats = _info(host_port, creds["password"], "commandstats")
        return sum(int(line.split("calls=", 1)[1].split(",", 1)[0]) for line in stats.splitlines()
                   if line.startswith("cmdstat_") and line[8:].split(":", 1)[0] not in OWN_COMMANDS)

    def fields(self, host: str, port: int, settings: ServiceSettings, creds: Mapping[str, str]) -> dict[str, str]:
        password = creds["password"]
        return {"url": f"redis://:{password}@{host}:{port}/0", "host": host, "port": str(port), "password": password}

    def heroku(self, fields: Mapping[str, str]) -> tuple[str, str] | None:
        # Heroku Data for Redis sets REDIS_URL (redis://:password@host:port). Its
        # newer plans use rediss:// with a self-signed certificate: TLS is not emulated here.
        return "REDIS_URL", fields["url"].removesuffix("/0")

    def compose(self, name: str, settings: ServiceSettings, creds: Mapping[str, str]) -> dict[str, Any]:
        return {
            "command": ["redis-server", "--requirepass", creds["password"]],
            # redis-cli reads the password from REDISCLI_AUTH, so it is in no process list.
            "environment": {"REDISCLI_AUTH": creds["password"]},
            "healthcheck": {"test": ["CMD-SHELL", "redis-cli ping | grep -q PONG"]},
        }

    def compose_init(self, name: str, settings: ServiceSettings, creds: Mapping[str, str]) -> dict[str, Any] | None:
        return None


KIND = Redis()
