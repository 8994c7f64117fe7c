"""The platform's server lines (pins.py) beside an app that names the same packages.

Most apps made for Heroku or a VM list gunicorn themselves, often pinned
(microblog: `gunicorn==21.2.0`). flaskship's exact pin beside it made the two
unsatisfiable, and every target failed to build. Now:

- where what the app asks for admits flaskship's pin (plain `gunicorn`,
  `gunicorn>=20`, `gunicorn==23.0.0`), the pin stays: the same server as
  every other app gets;
- otherwise, for a package with a tested range (pins.FLOORS up to
  pins.CEILINGS), the line becomes that range, so the resolver keeps the app's
  version when it is in it and refuses one the generated settings were never
  run on (gunicorn 24 made the master's signal queue a queue.SimpleQueue, which
  gunicorn.conf.py's post_worker_init reads), naming both;
- a package without a range (functions-framework: the entry point relies on
  how the pinned release calls it) keeps its exact pin, and the resolver's
  error names both.

In pip's hash-checking mode the app's line is itself an exact, hashed pin, and
a range would break that mode: the platform line is left out, and the app's
version is checked against the range here.

What the app names: its requirement lines, what a `.` line installs (the
pyproject.toml's dependencies and the extras the line asks for), and its
constraint files.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from ..errors import BuildFailed
from ..pins import CEILINGS, FLOORS, PKG_RESOURCES
from . import setupmeta
from .reqlines import Entry, Expanded, expand


def own_lines(extra: tuple[str, ...], named: dict[str, Entry], hashed: bool, prefix: str) -> tuple[str, ...]:
    """`extra` as this app installs it. `named`: what the app names, by canonical name (app_names)."""
    lines: list[str] = []
    for line in extra:
        requirement = Requirement(line)
        name, pinned = canonicalize_name(requirement.name), _pinned(line)
        floor, entry = FLOORS.get(name), named.get(name)
        if entry is None or floor is None or _admits(entry, pinned):
            lines.append(line)
        else:
            # An exact pin outside the range gets this line, not the resolver's "unsatisfiable"
            # (one with a marker may not apply here: the resolver decides that one).
            # Up to the ceiling only for an app that needs a newer release than the pin (dribdat's
            # gunicorn==25.3.0, `>=24`): the resolver takes a range's top, and one that may take
            # the pin (a line whose marker may not apply here) gets the pin, as apps without one do.
            ceiling = CEILINGS.get(name, pinned)
            top = ceiling if _needs_newer(entry, pinned, ceiling) else pinned
            if hashed or not _has_marker(entry):
                _check_pin(entry, requirement.name, (floor, ceiling), pinned, prefix, hashed)
            if not hashed:
                lines.append(f"{requirement.name}>={floor},<={top}")
    return tuple(lines)


def app_names(expanded: Expanded, app_dir: Path, prefix: str) -> dict[str, Entry]:
    """What the app names, by canonical name: its requirement lines, a `.` line's
    pyproject.toml dependencies (with the extras it asks for), its constraint files."""
    named: dict[str, Entry] = {}
    for entry in expanded.entries:
        if entry.kind == "self":
            # setuptools' files where pyproject.toml has no [project] dependencies: zou's
            # gunicorn==26.0.0 sat in setup.cfg's install_requires, unseen, and the lock beside
            # our pin failed.
            named.update(pyproject_names(app_dir / "pyproject.toml", entry.extras) or setup_names(app_dir, entry.extras))
        elif entry.kind == "constraint" and (app_dir / entry.spec).is_file():
            constraints = expand((app_dir / entry.spec).read_text(encoding="utf-8"), app_dir / entry.spec, app_dir,
                                 prefix, constraint=True)
            named.update(constraints.named())
    return {**named, **expanded.named()}


def pyproject_names(path: Path, extras: str = "") -> dict[str, Entry]:
    """A pyproject.toml's [project] dependencies, and those of the optional groups
    `extras` names (`[prod,s3]`), by canonical name."""
    try:
        project = tomllib.loads(path.read_text(encoding="utf-8"))["project"]
        groups = project.get("optional-dependencies", {})
        wanted = {canonicalize_name(group) for group in extras.strip("[]").split(",") if group.strip()}
        dependencies = [*project.get("dependencies", []),
                        *(dep for group, deps in groups.items() if canonicalize_name(group) in wanted for dep in deps)]
    except (OSError, tomllib.TOMLDecodeError, KeyError, AttributeError, TypeError):
        return {}  # check_pyproject says what is wrong with it
    names: dict[str, Entry] = {}
    for dependency in dependencies:
        try:
            name = canonicalize_name(Requirement(str(dependency)).name)
        except InvalidRequirement:
            continue  # the lock reports it, in uv's words
        names[name] = Entry("named", str(dependency), path.name, 0, spec=str(dependency), name=name)
    return names


def setup_names(app_dir: Path, extras: str = "") -> dict[str, Entry]:
    """What a setuptools project declares it installs (setupmeta.py: setup.cfg, and setup.py's
    literal arguments, never run), with the groups `extras` names, by canonical name."""
    names: dict[str, Entry] = {}
    for where, line in setupmeta.requirements(app_dir, extras):
        try:
            name = canonicalize_name(Requirement(line).name)
        except InvalidRequirement:
            continue  # the lock reports it, in uv's words
        names[name] = Entry("named", line, where, 0, spec=line, name=name)
    return names


# A lock file has no line to edit: its own tool locks another release (build/lockfiles.py's three).
LOCK_UPDATES = {"Pipfile.lock": "pipenv install", "uv.lock": "uv add", "poetry.lock": "poetry add"}


def with_pkg_resources(lines: tuple[str, ...], named: dict[str, Entry]) -> tuple[str, ...]:
    """`lines`, and setuptools (pins.PKG_RESOURCES) when the app's own Flask requirement (in a
    requirements file, a lock or a pyproject's dependencies) admits
    no release from 2.0 on: bluelog's flask==1.1.2 lost `flask db` in the lean image, and with
    it its release step ("No such command 'db'"). Official python images up to 3.11 and a
    `python -m venv` have setuptools, so such an app relies on it without naming it."""
    flask = named.get("flask")
    if not lines or flask is None or "setuptools" in named:
        return lines
    try:
        specs = list(Requirement(flask.spec).specifier)
        bounds = [(spec.operator, Version(spec.version.removesuffix(".*"))) for spec in specs]
    except (InvalidRequirement, InvalidVersion):
        return lines
    two = Version("2.0")
    before_2 = any((op in ("==", "===", "~=") and version < two) or (op == "<" and version <= two)
                   or (op == "<=" and version < two) for op, version in bounds)
    return (*lines, PKG_RESOURCES) if before_2 else lines


def _pinned(line: str) -> str:
    """A platform line's release: its exact pin, or the top of its range (pins.py)."""
    return next(spec.version for spec in Requirement(line).specifier if spec.operator in ("==", "<="))


def _admits(entry: Entry, version: str) -> bool:
    try:
        return Requirement(entry.spec).specifier.contains(version, prereleases=True)
    except InvalidRequirement:
        return False


def _needs_newer(entry: Entry, pinned: str, ceiling: str) -> bool:
    """The app's line admits a release above the pin (the ceiling, or a version it names) and not the pin."""
    try:
        specifier = Requirement(entry.spec).specifier
        named = [Version(spec.version) for spec in specifier if not spec.version.endswith(".*")]
    except (InvalidRequirement, InvalidVersion):
        return False
    above = [version for version in (Version(ceiling), *named) if version > Version(pinned)]
    return not specifier.contains(pinned, prereleases=True) and any(specifier.contains(v, prereleases=True)
                                                                    for v in above)


def _has_marker(entry: Entry) -> bool:
    try:
        return Requirement(entry.spec).marker is not None
    except InvalidRequirement:
        return False


def _check_pin(entry: Entry, name: str, tested: tuple[str, str], pinned: str, prefix: str,
               hashed: bool = True) -> None:
    floor, top = tested
    try:
        pins = [Version(spec.version) for spec in Requirement(entry.spec).specifier if spec.operator in ("==", "===")]
    except (InvalidRequirement, InvalidVersion):
        return  # pip says what is wrong with the line
    if pins and not Version(floor) <= pins[0] <= Version(top):
        update = next((f"lock one of those (`{tool} '{name}>={floor},<={top}'`), or drop {name} from the "
                       f"project to get {name}=={pinned}" for lock, tool in LOCK_UPDATES.items()
                       if entry.where.startswith(lock)), None)
        edit = f"pin one of those{' (with its hashes)' if hashed else ''}, or remove the line to get {name}=={pinned}"
        raise BuildFailed(f"{prefix}{entry.where}: {entry.spec}: flaskship's {name} settings are tested on {name} "
                          f"{floor} to {top}; {update or edit}")
