"""Services as docker-compose.yml declares them, for a person running `docker compose up`.

Credentials are ${VARIABLE} references, required (`:?`), so no password is
ever written into build/; images default to the official ones and can be
pointed at a local stand-in the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from .kinds import behaviour
from .settings import ServiceSettings
from .wiring import Wired, compose_variable, declared

HEALTH_TIMING = {"interval": "1s", "timeout": "5s", "retries": 60, "start_period": "5s"}


@dataclass
class ComposeServices:
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)  # compose service name -> definition
    web_env: dict[str, str] = field(default_factory=dict)  # variable -> value with ${...} references
    depends_on: dict[str, str] = field(default_factory=dict)  # service -> condition
    variables: list[str] = field(default_factory=list)  # what a person must export: FLASKSHIP_DB_PASSWORD ...

    def yaml(self, indent: int = 2) -> str:
        if not self.entries:
            return ""
        text = yaml.safe_dump(self.entries, sort_keys=False, default_flow_style=None, width=1000)
        return "".join(" " * indent + line if line.strip() else line for line in text.splitlines(keepends=True))


def services(used: Mapping[str, ServiceSettings]) -> ComposeServices:
    out = ComposeServices()
    wired = []
    for name, settings in used.items():
        kind = behaviour(settings.kind)
        creds = {}
        for credential in kind.credentials:
            variable = compose_variable(name, credential)
            out.variables.append(variable)
            creds[credential] = f"${{{variable}:?export {variable} first (any random hex string)}}"
        image = f"${{{compose_variable(name, 'image')}:-{kind.image(settings)}}}"
        entry = {"image": image, "restart": "unless-stopped", **kind.compose(name, settings, creds)}
        entry["healthcheck"] = {**entry["healthcheck"], **HEALTH_TIMING}
        out.entries[name] = entry
        out.depends_on[name] = "service_healthy"
        init = kind.compose_init(name, settings, creds)
        if init is not None:
            out.entries[f"{name}-init"] = {"image": image, "restart": "no", **init,
                                           "depends_on": {name: {"condition": "service_healthy"}}}
            out.depends_on[f"{name}-init"] = "service_completed_successfully"
        wired.append(Wired(name, settings, kind.fields(name, kind.port, settings, creds)))
    out.web_env = declared(wired)
    return out
