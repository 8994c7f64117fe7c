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


class ComposeSettings(TargetSettings):
    builds_services: ClassVar[bool] = True  # docker-compose.yml declares them

    kind: Literal["compose"]
    publish: Port = 8000  # the host port nginx is published on
    publish_host: IPv4 = "127.0.0.1"
    server_names: tuple[Hostname, ...] = Field(default=("localhost", "127.0.0.1"), strict=False, min_length=1)
    client_max_body_size: Size = "10m"
