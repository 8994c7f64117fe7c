"""Read targets.yaml into a Project: the validated manifest plus where it lives.

The file is read by document.py (bounded; SafeLoader only), validated once by
the models in model.py, and checked for references between its parts
(references.py). Every problem in the file is reported at once, one line each,
with its line number:

    targets.yaml: line 12: targets.api.port: expected an integer, got '80a'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import ManifestError, printable
from ..kinds import TargetSettings
from . import document, references
from .messages import describe, dotted, location, shown, suggest
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
            raise ManifestError(
                f"{printable(self.path.name)}: no target named {shown(name)} "
                f"({suggest(name, list(targets))}choose from: {', '.join(sorted(targets))}, all)"
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
                f"{printable(self.path.name)}: no environment named {shown(chosen)} "
                f"({suggest(chosen, list(envs))}choose from: {', '.join(sorted(envs))})"
            )
        return chosen, envs[chosen]


MAX_LISTED = 30  # problems listed one per line; the rest are counted


def load(path: str | Path = DEFAULT_MANIFEST) -> Project:
    label = printable(Path(path).name)  # as the user named it, even through a symlink
    path = Path(path).resolve()
    try:
        text = document.read_bounded(path)
    except FileNotFoundError:
        raise ManifestError(f"{label}: not found at {printable(str(path))}; create it or pass --manifest") from None
    except document.DocumentError as exc:
        raise ManifestError(f"{label}: {exc}") from None
    return Project(path, parse_text(text, label))


def parse_text(text: str, label: str = DEFAULT_MANIFEST) -> Manifest:
    """The manifest in `text`, read as `load` reads a file; every problem is reported at once."""
    try:
        doc = document.parse(text)
    except document.DocumentError as exc:
        raise ManifestError(f"{label}: {exc}") from None
    if not isinstance(doc.data, dict):
        what = "is empty" if doc.data is None else f"holds a {type(doc.data).__name__}"
        raise ManifestError(f"{label}: {what}; expected a mapping with a 'targets' key at the top level")
    return parse(doc.data, label, doc)


def parse(raw: Mapping[str, Any], label: str = DEFAULT_MANIFEST, doc: document.Document | None = None) -> Manifest:
    doc = doc or document.Document(raw)
    problems: list[tuple[int, str]] = [
        (line, f"{dotted(loc)} is given twice; keep one") for loc, line in doc.duplicates]
    manifest: Manifest | None = None
    try:
        manifest = Manifest.model_validate(raw)
    except ValidationError as exc:
        problems += [(doc.line(location(error)) or 0, describe(error, raw)) for error in _root_causes(exc.errors())]
    problems += [(doc.line(loc) or 0, message) for loc, message in references.check(raw)]
    if problems:
        raise _error(label, problems)
    assert manifest is not None
    return manifest


def _root_causes(errors: list[Any]) -> list[Any]:
    """Leave out "too short after validation" for a list whose own item was refused: it follows from that."""
    def follows(error: Any) -> bool:
        loc = tuple(error["loc"])
        return error["type"] == "too_short" and any(
            other is not error and tuple(other["loc"])[:len(loc)] == loc for other in errors)
    return [error for error in errors if not follows(error)]


def _error(label: str, problems: list[tuple[int, str]]) -> ManifestError:
    ordered = sorted(dict.fromkeys(problems), key=lambda p: p[0])
    lines = [f"{label}: line {line}: {text}" if line else f"{label}: {text}" for line, text in ordered]
    if len(lines) == 1:
        return ManifestError(lines[0])
    listed = lines[:MAX_LISTED] + ([f"{label}: ... and {len(lines) - MAX_LISTED} more"] if len(lines) > MAX_LISTED else [])
    first = lines[0].removeprefix(f"{label}: ")
    return ManifestError(f"{label}: {len(lines)} problems (each listed above); the first: {first}", "\n".join(listed))
