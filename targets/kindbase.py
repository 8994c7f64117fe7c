"""What every target kind provides, and the settings every target shares.

A kind is one module (targets/<kind>/__init__.py) with its templates beside
it, registered by name in targets/kinds.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

from typing import Annotated

from pydantic import Field, StringConstraints

from .fields import EnvVarName, ImageRef, Line, Port, Strict


class RegistryAuth(Strict):
    """Registry credentials: only the names of environment variables, never values."""

    username: Line = "_"  # Heroku's registry wants "_"; Artifact Registry "oauth2accesstoken"
    username_env: EnvVarName | None = None  # overrides `username` when set
    password_env: EnvVarName

if TYPE_CHECKING:
    from .buildjob import BuildJob
    from .record import BuildRecord
    from .smokerun import SmokeRun


class TargetSettings(Strict):
    kind: str
    # Overrides defaults.base_image for this target.
    base_image: ImageRef | None = None
    # The port the process listens on when the platform does not set PORT.
    port: Port = 8080
    # Where `invoke publish` pushes: a repository without a tag.
    registry: ImageRef | None = None
    auth: RegistryAuth | None = None
    # Extra tags besides the git SHA.
    tags: tuple[Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")], ...] = Field(
        default=(), strict=False)

    def repository(self) -> str | None:
        return self.registry

    def credentials(self) -> RegistryAuth | None:
        return self.auth


class Kind(Protocol):
    name: str
    settings: type[TargetSettings]
    # The templates it renders, as "<folder>/<file>" (checked by tests/unit/test_kinds.py).
    templates: tuple[str, ...]
    # Check name -> why this platform legitimately answers differently.
    differences: Mapping[str, str]

    def build(self, job: BuildJob) -> None:
        """Render files into job.staging and build images or archives."""

    def smoke(self, record: BuildRecord, run: SmokeRun) -> None:
        """Run the built target as its platform would and record check results."""
