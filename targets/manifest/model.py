"""The manifest's shape: closed, strict, frozen pydantic models.

Pure data. Every target is a tagged union of the registered kinds' settings,
keyed by `kind`; the JSON Schema for editors is generated from these models.
"""

from __future__ import annotations

import posixpath
from typing import Annotated, Any, Literal, Union

from pydantic import (Discriminator, Field, JsonValue, StringConstraints, Tag, ValidationInfo, field_validator,
                      model_validator)

from ..fields import (CacheControl, Entry, EnvVarName, ImageRef, Key, Line, Name, PythonVersion, RelPath, StaticPath,
                      Strict, TargetName, UrlPath)
from ..kinds import KINDS, TargetSettings
from ..services import SERVICES, ServiceSettings

# A Debian package name (Debian Policy 5.6.1: lower case, digits, + - .; two
# characters at least). It is interpolated into an `apt-get install` line, so
# the pattern is also what keeps a manifest value from injecting anything else.
DebianPackage = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9+.-]{1,62}$")]


class AppSource(Strict):
    """Where the Flask app lives; any Flask app can be built by changing this."""

    source: RelPath = "app"
    entry: Entry = "wsgi:app"
    requirements: RelPath = "requirements.txt"
    # Usually inside `source`; the split layout (public files beside the server
    # code, `../public`) is allowed too, as long as it stays in the project.
    static: StaticPath | None = "static"
    static_url: UrlPath = "/static"
    # Folders (relative to source) the app writes to at run time, besides Flask's
    # instance folder, which is always writable: on every container target they
    # belong to no one in particular and are open to whatever uid the platform
    # runs the process as (Heroku picks a random one). The rest of the code stays read-only.
    writable: tuple[RelPath, ...] = Field(default=(), strict=False)
    # A shell command run in the container before the server starts, on every
    # boot (the prestart.sh convention), e.g. `flask --app pkg init-db`.
    prestart: Line | None = None
    # A shell command run once per deploy, before the new release serves, in a
    # container of its own whose files are then discarded (Heroku's release
    # phase): only effects on external services, such as a database, survive.
    release: Line | None = None
    # A shell command that makes files from the code before anything ships (microblog's
    # `flask translate compile`: the .mo catalogues its .gitignore leaves out). Run once
    # per change of the code or dependencies, offline, as the app's uid, in the app's
    # folder in a container of the images' dependency stage (build/appbuild.py); what it
    # leaves there is the code every artifact ships.
    build: Line | None = None
    # Debian packages for the builder stage that compiles source distributions
    # (compilers, -dev headers such as libpq-dev); they never reach a runtime image.
    build_packages: tuple[DebianPackage, ...] = Field(default=(), strict=False)
    # Debian packages installed in every runtime image (shared libraries the
    # app's wheels load at run time, such as libpq5).
    system_packages: tuple[DebianPackage, ...] = Field(default=(), strict=False)

    @field_validator("static")
    @classmethod
    def _static_in_project(cls, static: str | None, info: ValidationInfo) -> str | None:
        source = info.data.get("source", "app")
        if static is not None and posixpath.normpath(f"{source}/{static}").split("/")[0] == "..":
            raise ValueError("must stay inside the project (the manifest's folder)")
        return static

    @property
    def static_outside_source(self) -> bool:
        """The split layout: static files that are not part of the server code (not in the image)."""
        return self.static is not None and self.static.split("/")[0] == ".."

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


HeaderName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{1,64}$")]
# A request target: a path, optionally with a query; percent-encoded, one line.
# `${NAME}` (a value a previous check saved) may stand anywhere in it.
RequestPath = Annotated[str, StringConstraints(
    pattern=r"^/([A-Za-z0-9._~/%?&=+,;:@!$'()*-]|\$\{[A-Z_][A-Z0-9_]*\}){0,2000}$")]
# The health path also goes into compose's healthcheck command: no quotes, no `$`.
HealthPath = Annotated[str, StringConstraints(pattern=r"^/[A-Za-z0-9._~/%?&=+-]{0,200}$")]
CheckName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,62}$")]
# Where a check's `save` takes a value from: `json:a.b.0`, `header:X-Token`,
# `cookie:session`, or `body:<regex>` (its first group, else the whole match).
SaveSource = Annotated[str, StringConstraints(pattern=r"^(json:[A-Za-z0-9_.-]{1,200}|header:[A-Za-z0-9-]{1,64}"
                                                      r"|cookie:[A-Za-z0-9_.-]{1,64}|body:[^\x00-\x1f]{1,400})$")]


class Check(Strict):
    """One request smoke puts to every target, and what must come back.

    `contains` and header values may name the run's plain environment variables
    as ${NAME} (APP_ENV=${APP_ENV}), so one check serves every --env.
    """

    path: RequestPath
    name: CheckName | None = None  # default: "<METHOD> <path>"
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] = "GET"
    status: int = Field(default=200, ge=100, le=599)
    contains: Line | None = None  # a substring of the body
    content_type: Line | None = None  # a prefix of Content-Type: text/html matches text/html; charset=utf-8
    headers: dict[HeaderName, Line] = Field(default_factory=dict)  # response headers, exact values
    # A JSON request body; `json` in targets.yaml (the name would shadow pydantic's BaseModel.json).
    json_body: JsonValue = Field(default=None, alias="json")
    form: dict[Key, Line] | None = None  # a form request body
    json_includes: JsonValue = None  # the JSON response must include this (recursively, as a subset)
    # The body is the same bytes on every platform: parity compares its digest too.
    deterministic: bool = False
    # Request headers to send (a CSRF token saved by an earlier check: {X-CSRFToken: "${CSRF}"}).
    send_headers: dict[HeaderName, Line] = Field(default_factory=dict)
    # Values to take from this response for later checks, as ${NAME}: {ROW_ID: "json:id"}.
    save: dict[EnvVarName, SaveSource] = Field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.name or f"{self.method} {self.path}"


class Smoke(Strict):
    """What smoke checks. Without any declared check it still checks what is
    true of every web app: it boots and binds the platform's port, the health
    path answers without a 5xx, a static file comes back byte-identical, an
    unknown path gives the same status everywhere, SIGTERM stops it in time."""

    # Polled after start until it answers without a 5xx.
    health: HealthPath = "/"
    # A file of app.static fetched byte for byte; default: the first file in it.
    static_file: RelPath | None = None
    checks: tuple[Check, ...] = Field(default=(), strict=False)
    # A POST route answering JSON with the URL the app built (`url`): lets the
    # compose kind check proxy headers (X-Forwarded-Proto, Host). Optional.
    url_echo: UrlPath | None = None
    # With services: `target` empties them before each target's checks (a fresh
    # database, from the release step; an empty bucket; an empty cache); `run`
    # only once, so a target reads what the ones before it wrote (in name order).
    reset: Literal["target", "run"] = "target"
    # Seconds a target may take to answer its health path, in place of smoke's window
    # (30 s for cloudrun and functions, 60 for heroku, 90 for compose), up to each
    # platform's own limit: Cloud Run's default startup probe, 240 s (functions run on
    # Cloud Run too); Heroku's R10, 60 s.
    boot_within: int | None = Field(default=None, ge=1, le=600)


class Defaults(Strict):
    python: PythonVersion = "3.12"
    base_image: ImageRef | None = None
    nginx_image: ImageRef = "nginx:stable-bookworm"
    # Cache-Control of dynamic pages (the app reads it from CACHE_CONTROL).
    cache_control: CacheControl = "public, max-age=300, s-maxage=600"
    # Cache-Control that a static file server (Firebase Hosting, nginx) sets.
    static_cache_control: CacheControl = "public, max-age=3600"
    environment: Name = "development"
    # Services (by name, from `services`) every target uses unless it lists its own.
    services: tuple[Name, ...] = Field(default=(), strict=False)


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


def _service_kind(raw: Any) -> str | None:
    return raw.get("kind") if isinstance(raw, dict) else getattr(raw, "kind", None)


AnyService = Annotated[Union[tuple(Annotated[entry.settings, Tag(name)] for name, entry in SERVICES.items())],
                       Discriminator(_service_kind)]


class Manifest(Strict):
    app: AppSource = AppSource()
    smoke: Smoke = Smoke()
    defaults: Defaults = Defaults()
    environments: dict[Name, Environment] = Field(
        default_factory=lambda: {"development": Environment(env={"APP_ENV": "development"})}
    )
    targets: dict[TargetName, AnyTarget] = Field(min_length=1)
    # Servers the app talks to (postgres, redis, s3), started for smoke; targets name the ones they use.
    services: dict[Name, AnyService] = Field(default_factory=dict)

    def base_image(self) -> str:
        return self.defaults.base_image or f"python:{self.defaults.python}-slim"

    def services_of(self, target: str) -> dict[str, ServiceSettings]:
        """The services a target uses, by name: its own list, else defaults.services."""
        listed = self.targets[target].services
        names = self.defaults.services if listed is None else listed
        return {name: self.services[name] for name in names}

    @model_validator(mode="after")
    def _services_exist(self) -> Manifest:
        lists = [("defaults.services", self.defaults.services)]
        lists += [(f"targets.{n}.services", t.services) for n, t in self.targets.items() if t.services is not None]
        for where, names in lists:
            for name in names:
                if name not in self.services:
                    declared = ", ".join(sorted(self.services)) or "none declared"
                    raise ValueError(f"{where}: no service named {name!r} in `services` ({declared})")
        for target in self.targets:
            seen: dict[str, str] = {}
            for name, service in self.services_of(target).items():
                for variable in service.env:
                    if variable in seen:
                        raise ValueError(f"services.{name}.env.{variable}: services {seen[variable]} and {name} "
                                         f"both set {variable} for target {target}; rename one")
                    seen[variable] = name
        return self
