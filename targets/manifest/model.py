"""The manifest's shape: closed, strict, frozen pydantic models.

Pure data. Every target is a tagged union of the registered kinds' settings,
keyed by `kind`; the JSON Schema for editors is generated from these models.
"""

from __future__ import annotations

from typing import Annotated, Any, Union

from pydantic import Discriminator, Field, StringConstraints, Tag

from ..fields import CacheControl, Entry, EnvVarName, ImageRef, Line, Name, PythonVersion, RelPath, Strict, UrlPath
from ..kinds import KINDS, TargetSettings


class AppSource(Strict):
    """Where the Flask app lives; any Flask app can be built by changing this."""

    source: RelPath = "app"
    entry: Entry = "wsgi:app"
    requirements: RelPath = "requirements.txt"
    static: RelPath | None = "static"
    static_url: UrlPath = "/static"
    # Folders (relative to source) the app writes to at run time, besides Flask's
    # instance folder, which is always writable: on every container target they
    # belong to no one in particular and are open to whatever uid the platform
    # runs the process as (Heroku picks a random one). The rest of the code stays read-only.
    writable: tuple[RelPath, ...] = Field(default=(), strict=False)

    @property
    def module(self) -> str:
        return self.entry.partition(":")[0]

    @property
    def call(self) -> str:
        """What follows the colon: `app` or `create_app()`."""
        return self.entry.partition(":")[2]

    @property
    def attribute(self) -> str:
        """The name the module must define: `app`, or the factory `create_app`."""
        return self.call.partition("(")[0]

    @property
    def is_factory(self) -> bool:
        return "(" in self.call


class SmokePaths(Strict):
    """The app's routes the conformance suite visits; null skips a check."""

    health: UrlPath = "/healthz"
    home: UrlPath | None = "/"
    echo: UrlPath | None = "/api/echo"
    static_file: RelPath | None = "style.css"
    # What the app promises, so a different app can be checked for what it does.
    json_errors: bool = True
    cache_control: bool = True
    headers: dict[Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]+$")], Line] = Field(
        default_factory=lambda: {"X-Content-Type-Options": "nosniff"})


class Defaults(Strict):
    python: PythonVersion = "3.12"
    base_image: ImageRef | None = None
    nginx_image: ImageRef = "nginx:stable-bookworm"
    # Cache-Control of dynamic pages (the app reads it from CACHE_CONTROL).
    cache_control: CacheControl = "public, max-age=300, s-maxage=600"
    # Cache-Control that a static file server (Firebase Hosting, nginx) sets.
    static_cache_control: CacheControl = "public, max-age=3600"
    environment: Name = "development"


class Environment(Strict):
    # Plain settings: passed to the process at run time, never baked into images.
    env: dict[EnvVarName, Line] = Field(default_factory=dict)
    # Names of host variables holding secrets: read at run time, never written anywhere.
    secrets: tuple[EnvVarName, ...] = Field(default=(), strict=False)


def _kind_of(raw: Any) -> str | None:
    return raw.get("kind") if isinstance(raw, dict) else getattr(raw, "kind", None)


class _NoKind(TargetSettings):
    pass


def _target_union() -> Any:
    """A tagged union of every registered kind's settings, keyed by `kind`."""
    members = tuple(Annotated[entry.settings, Tag(name)] for name, entry in KINDS.items())
    # A one-member Union collapses to the member; pair it with a sentinel so the
    # discriminator (and its 'unknown kind' error) still applies.
    if len(members) == 1:
        members += (Annotated[_NoKind, Tag("\0")],)
    return Annotated[Union[members], Discriminator(_kind_of)]


AnyTarget = _target_union()


class Manifest(Strict):
    app: AppSource = AppSource()
    smoke: SmokePaths = SmokePaths()
    defaults: Defaults = Defaults()
    environments: dict[Name, Environment] = Field(
        default_factory=lambda: {"development": Environment(env={"APP_ENV": "development"})}
    )
    targets: dict[Name, AnyTarget] = Field(min_length=1)

    def base_image(self) -> str:
        return self.defaults.base_image or f"python:{self.defaults.python}-slim"
