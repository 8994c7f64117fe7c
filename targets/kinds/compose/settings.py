"""compose settings (pure data)."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, StringConstraints

from ...fields import Port
from ..base import TargetSettings

Hostname = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]([a-z0-9.-]{0,252}[a-z0-9])?$")]
IPv4 = Annotated[str, StringConstraints(
    pattern=r"^(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}$")]
Size = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,6}[km]?$")]
# A duration as compose v1 and v2 both read it; never 0 (to Docker, 0 means its default, 30 s).
Interval = Annotated[str, StringConstraints(pattern=r"^[1-9][0-9]{0,4}(ms|s|m)$")]


class ComposeSettings(TargetSettings):
    builds_services: ClassVar[bool] = True  # docker-compose.yml declares them

    kind: Literal["compose"]
    publish: Port = 8000  # the host port nginx is published on
    publish_host: IPv4 = "127.0.0.1"
    server_names: tuple[Hostname, ...] = Field(default=("localhost", "127.0.0.1"), strict=False, min_length=1)
    client_max_body_size: Size = "10m"
    # How often Docker probes web's health. Engine 20.10 has no start_interval, so this is
    # also how long nginx may wait after the app is up; each probe is an exec, about 60 ms
    # of the machine's CPU here, so 500ms costs about 12% of a core for as long as it runs.
    health_interval: Interval = "500ms"
