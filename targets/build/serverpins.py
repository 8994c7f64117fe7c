"""The platform's server lines (pins.py) beside an app that names the same packages.

Most apps made for Heroku or a VM list gunicorn themselves, pinned (microblog:
`gunicorn==21.2.0`). flaskship's exact pin beside it made the two
unsatisfiable, and every target failed to build. The app's own choice wins:
where the app names a server package that has a tested floor (pins.FLOORS),
the platform line becomes `name>=floor`, so the resolver keeps the app's
version and still refuses one too old for the generated settings. A package
without a floor (functions-framework: the entry point relies on how the pinned
release calls it) keeps its exact pin, and the resolver's error names both.

In pip's hash-checking mode the app's line is itself an exact, hashed pin, and
an unpinned line would break that mode: the platform line is left out, and the
app's version is checked against the floor here.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from ..errors import BuildFailed
from ..pins import FLOORS
from .reqlines import Entry


def own_lines(extra: tuple[str, ...], named: Mapping[str, Entry | None], hashed: bool,
              prefix: str) -> tuple[str, ...]:
    """`extra` as this app installs it. `named`: the app's own requirements by canonical
    name, with the line that names each (None for a pyproject.toml dependency)."""
    lines: list[str] = []
    for line in extra:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        floor = FLOORS.get(name)
        if name not in named or floor is None:
            lines.append(line)
        elif not hashed:
            lines.append(f"{requirement.name}>={floor}")
        else:
            _check_pin(named[name], requirement.name, floor, prefix)
    return tuple(lines)


def pyproject_names(path: Path) -> dict[str, Entry | None]:
    """The canonical names of a pyproject.toml's [project] dependencies."""
    try:
        dependencies = tomllib.loads(path.read_text(encoding="utf-8"))["project"].get("dependencies", [])
    except (OSError, tomllib.TOMLDecodeError, KeyError, AttributeError):
        return {}  # check_pyproject has said what is wrong with it
    names: dict[str, Entry | None] = {}
    for dependency in dependencies if isinstance(dependencies, list) else []:
        try:
            names[canonicalize_name(Requirement(str(dependency)).name)] = None
        except InvalidRequirement:
            continue  # the lock reports it, with uv's words
    return names


def _check_pin(entry: Entry | None, name: str, floor: str, prefix: str) -> None:
    if entry is None:
        return
    try:
        pins = [Version(spec.version) for spec in Requirement(entry.spec).specifier if spec.operator in ("==", "===")]
    except (InvalidRequirement, InvalidVersion):
        return  # pip says what is wrong with the line
    if pins and pins[0] < Version(floor):
        raise BuildFailed(f"{prefix}{entry.where}: {entry.spec}: flaskship's {name} settings need {name}>={floor}; "
                          f"raise the pin (with its hashes), or remove the line to get flaskship's own")
