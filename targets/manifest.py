"""targets.yaml -> frozen, typed objects.

The file is read with yaml.safe_load only, validated once by pydantic models
(closed, strict, frozen), and every failure becomes one ManifestError line:

    targets.yaml: targets.api.port: expected an integer, got '80a'

The JSON Schema for editors is generated from the same models (json_schema()).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Union

import yaml
from pydantic import Discriminator, Field, StringConstraints, Tag, TypeAdapter, ValidationError

from . import yamlkeys
from .errors import ManifestError
from .fields import (
    CacheControl,
    Entry,
    EnvVarName,
    ImageRef,
    Line,
    Name,
    PythonVersion,
    RelPath,
    Strict,
    UrlPath,
)
from .kinds import KINDS, TargetSettings

DEFAULT_MANIFEST = "targets.yaml"


class AppSource(Strict):
    """Where the Flask app lives; any Flask app can be built by changing this."""

    source: RelPath = "app"
    entry: Entry = "wsgi:app"
    requirements: RelPath = "requirements.txt"
    static: RelPath | None = "static"
    static_url: UrlPath = "/static"

    @property
    def module(self) -> str:
        return self.entry.split(":")[0]

    @property
    def attribute(self) -> str:
        return self.entry.split(":")[1]


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


def _target_union() -> Any:
    """A tagged union of every registered kind's settings, keyed by `kind`."""
    members = tuple(Annotated[kind.settings, Tag(name)] for name, kind in KINDS.items())
    # A one-member Union collapses to the member; pair it with a sentinel so the
    # discriminator (and its 'unknown kind' error) still applies.
    if len(members) == 1:
        members += (Annotated[_NoKind, Tag("\0")],)
    return Annotated[Union[members], Discriminator(_kind_of)]


class _NoKind(TargetSettings):
    pass


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


class Project:
    """A validated manifest plus where it lives: paths resolve against its folder."""

    def __init__(self, path: Path, manifest: Manifest) -> None:
        self.path = path
        self.root = path.parent
        self.manifest = manifest
        self.build_dir = self.root / "build"

    def target(self, name: str) -> TargetSettings:
        targets = self.manifest.targets
        if name not in targets:
            raise ManifestError(
                f"{self.path.name}: no target named '{name}' "
                f"(choose from: {', '.join(sorted(targets))}, all)"
            )
        return targets[name]

    def select(self, name: str) -> list[tuple[str, TargetSettings]]:
        if name == "all":
            return sorted(self.manifest.targets.items())
        return [(name, self.target(name))]

    def environment(self, name: str | None) -> tuple[str, Environment]:
        chosen = name or self.manifest.defaults.environment
        envs = self.manifest.environments
        if chosen not in envs:
            raise ManifestError(
                f"{self.path.name}: no environment named '{chosen}' "
                f"(choose from: {', '.join(sorted(envs))})"
            )
        return chosen, envs[chosen]


def load(path: str | Path = DEFAULT_MANIFEST) -> Project:
    path = Path(path).resolve()
    label = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ManifestError(f"{label}: not found at {path}; create it or pass --manifest") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{label}: cannot be read ({exc}); check its permissions and encoding") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ManifestError(f"{label}: invalid YAML at {where}{problem}") from None
    if not isinstance(raw, dict):
        raise ManifestError(f"{label}: expected a mapping with a 'targets' key at the top level")
    duplicate = yamlkeys.first_duplicate(text)
    if duplicate:
        raise ManifestError(f"{label}: line {duplicate[1]}: {duplicate[0]} is given twice; keep one")
    return Project(path, parse(raw, label))


def parse(raw: Mapping[str, Any], label: str = DEFAULT_MANIFEST) -> Manifest:
    try:
        return Manifest.model_validate(raw)
    except ValidationError as exc:
        raise ManifestError(f"{label}: {describe(exc.errors()[0])}") from None


def describe(error: Mapping[str, Any]) -> str:
    """One pydantic error -> 'key.path: expected X, got Y'."""
    loc = [str(part) for part in error["loc"]]
    kind_tags = set(KINDS)
    # pydantic puts the union tag into the path (targets.api.cloudrun.port); drop it.
    if len(loc) > 2 and loc[0] == "targets" and loc[2] in kind_tags:
        del loc[2]
    if loc and loc[-1] == "[key]":
        del loc[-1]
        return f"{'.'.join(loc)}: invalid name {error.get('input')!r}: use lower-case letters, digits and '-', starting with a letter"
    path = ".".join(loc) or "(top level)"
    etype, value = error["type"], error.get("input")
    got = f", got {value!r}" if not isinstance(value, (dict, list)) else ""
    if etype == "union_tag_invalid":
        return f"{path}.kind: unknown kind {error['ctx']['tag']!r} (choose from: {', '.join(sorted(KINDS))})"
    if etype == "union_tag_not_found":
        return f"{path}.kind: missing (choose from: {', '.join(sorted(KINDS))})"
    if etype == "extra_forbidden":
        return f"{path}: unknown key (check its spelling; see targets.schema.json for valid keys)"
    if etype == "missing":
        return f"{path}: required key is missing"
    if etype.startswith("int_"):
        return f"{path}: expected an integer{got}"
    if etype in ("string_type",) and isinstance(value, float):
        return f"{path}: expected a string{got}; quote it (YAML reads 3.10 as the number 3.1)"
    if etype == "string_type":
        return f"{path}: expected a string{got}"
    if etype == "string_pattern_mismatch":
        pattern = error["ctx"]["pattern"]
        return f"{path}: invalid value{got} (must match {pattern})"
    if etype in ("dict_type", "model_type", "model_attributes_type"):
        return f"{path}: expected a mapping{got}"
    if etype in ("tuple_type", "list_type"):
        return f"{path}: expected a list{got}"
    if etype == "too_short" and loc == ["targets"]:
        return "targets: declare at least one target"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{path}: {message}{got}"


def json_schema() -> str:
    schema = TypeAdapter(Manifest).json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "flaskship targets.yaml"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
