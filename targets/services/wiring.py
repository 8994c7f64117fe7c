"""A service's connection -> the variables each platform sets. Pure functions.

cloudrun, functions and compose set the variables the manifest names
(services.<name>.env), as a deploy with secrets would. heroku sets what its
add-ons set (DATABASE_URL in the postgres:// form, REDIS_URL), which the app
cannot override there, and the other names as config vars.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .settings import ServiceSettings

# A second add-on of a kind is attached under its own name, as Heroku does (HEROKU_POSTGRESQL_<COLOR>_URL).
ATTACHED = {"DATABASE_URL": "HEROKU_POSTGRESQL", "REDIS_URL": "HEROKU_REDIS"}


@dataclass(frozen=True)
class Wired:
    name: str
    settings: ServiceSettings
    fields: Mapping[str, str]  # url, host, password, ... as the app reaches the service
    addon: tuple[str, str] | None = None  # (variable, value) as the Heroku add-on sets it


def declared(services: Sequence[Wired]) -> dict[str, str]:
    """The variables the manifest names, each with its field's value."""
    return {variable: service.fields[field] for service in services for variable, field in service.settings.env.items()}


def heroku(services: Sequence[Wired]) -> dict[str, str]:
    env = declared(services)
    owned: set[str] = set()
    for service in services:
        if service.addon is None:
            continue
        variable, value = service.addon
        if variable in owned:
            variable = f"{ATTACHED.get(variable, 'HEROKU')}_{service.name.upper().replace('-', '_')}_URL"
        owned.add(variable)
        env[variable] = value
    return env


def compose_variable(service: str, field: str) -> str:
    """The shell variable that holds a service's credential or image for docker-compose.yml."""
    return f"FLASKSHIP_{service.upper().replace('-', '_')}_{field.upper()}"
