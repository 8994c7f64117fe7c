"""functions settings (pure data)."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import StringConstraints

from ...fields import EnvVarName, Identifier, Region
from ..base import TargetSettings

Bucket = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$")]


class FunctionsSettings(TargetSettings):
    # Where the zip is uploaded and deployed: nothing in the zip or the runner image says.
    publish_only: ClassVar[frozenset[str]] = TargetSettings.publish_only | {"region", "bucket", "token_env"}

    kind: Literal["functions"]
    entry_point: Identifier = "handler"
    region: Region = "us-central1"
    # Where `invoke publish` uploads the zip (GCS JSON API; STORAGE_EMULATOR_HOST is honoured).
    bucket: Bucket | None = None
    token_env: EnvVarName = "GCS_TOKEN"  # variable holding an OAuth bearer token
