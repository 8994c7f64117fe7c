"""Read targets.yaml into a Project: the validated manifest plus where it lives.

The file is read with yaml.safe_load only, validated once by the models in
model.py, and every failure becomes one ManifestError line:

    targets.yaml: targets.api.port: expected an integer, got '80a'
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ..errors import ManifestError
from ..kinds import TargetSettings
from . import duplicates
from .messages import describe
from .model import Environment, Manifest

DEFAULT_MANIFEST = "targets.yaml"


class Project:
    """A validated manifest plus where it lives: paths resolve against its folder."""

    def __init__(self, path: Path, manifest: Manifest) -> None:
        self.path = path
        self.root = path.parent
        self.manifest = manifest
        self.build_dir = self.root / "build"

    @property
    def app_dir(self) -> Path:
        return self.root / self.manifest.app.source

    def target(self, name: str) -> TargetSettings:
        targets = self.manifest.targets
        if name not in targets:
            close = difflib.get_close_matches(name, list(targets), n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise ManifestError(
                f"{self.path.name}: no target named {name!r} "
                f"({hint}choose from: {', '.join(sorted(targets))}, all)"
            )
        return targets[name]

    def select(self, names: str | Iterable[str]) -> list[tuple[str, TargetSettings]]:
        """Targets by name: one, several (comma-separated or given as a list), or 'all'."""
        wanted = [n.strip() for part in ([names] if isinstance(names, str) else names) for n in part.split(",")]
        wanted = [n for n in wanted if n] or ["all"]
        if "all" in wanted:
            return sorted(self.manifest.targets.items())
        return [(name, self.target(name)) for name in dict.fromkeys(wanted)]

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
    duplicate = duplicates.first_duplicate(text)
    if duplicate:
        raise ManifestError(f"{label}: line {duplicate[1]}: {duplicate[0]} is given twice; keep one")
    return Project(path, parse(raw, label))


def parse(raw: Mapping[str, Any], label: str = DEFAULT_MANIFEST) -> Manifest:
    try:
        return Manifest.model_validate(raw)
    except ValidationError as exc:
        raise ManifestError(f"{label}: {describe(exc.errors()[0])}") from None
