"""The settings every target shares: pure data, imported by the manifest.

A kind's own settings subclass TargetSettings in targets/kinds/<kind>/settings.py.
What a kind *does* is described by targets/kinds/protocol.py, a layer above.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field, StringConstraints

from ..fields import EnvVarName, ImageRef, Line, Name, Port, Strict

Tag = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]


class RegistryAuth(Strict):
    """Registry credentials: only the names of environment variables, never values."""

    username: Line = "_"  # Heroku's registry wants "_"; Artifact Registry "oauth2accesstoken"
    username_env: EnvVarName | None = None  # overrides `username` when set
    password_env: EnvVarName


class TargetSettings(Strict):
    # Whether the backing services' settings go into what this kind builds (compose's
    # file declares them); elsewhere they reach the app only at run time.
    builds_services: ClassVar[bool] = False
    # Settings that only say where `invoke publish` sends the artifacts: they reach nothing
    # built or run, so a change to one rebuilds nothing, and copies of a target that differ
    # only there are one smoke run (smoke/same_run.py).
    publish_only: ClassVar[frozenset[str]] = frozenset({"registry", "auth", "tags"})

    kind: str
    # Overrides defaults.base_image for this target.
    base_image: ImageRef | None = None
    # The port the process listens on when the platform does not set PORT.
    port: Port = 8080
    # Where `invoke publish` pushes: a repository without a tag.
    registry: ImageRef | None = None
    auth: RegistryAuth | None = None
    # Extra tags besides the git SHA.
    tags: tuple[Tag, ...] = Field(default=(), strict=False)
    # The services (names from `services`) this target uses; default: defaults.services.
    services: tuple[Name, ...] | None = Field(default=None, strict=False)

    def repository(self) -> str | None:
        return self.registry

    def credentials(self) -> RegistryAuth | None:
        return self.auth
