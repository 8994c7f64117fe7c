"""The app's dependency file: what the manifest's app.requirements names, and what the probe installs.

A lock file wins (uv.lock, then Pipfile.lock, then poetry.lock): it says
exactly what the app runs with, and builds install it as locked, without dev
groups. Then requirements.txt (what the app's deploys install today; `.` in it
still installs the package), then a pyproject.toml with a PEP 621 [project]
table (the app is an installable package, installed with `pip install <app folder>`).
A lock file only counts beside the project file its tool reads (uv.lock and
poetry.lock beside pyproject.toml, Pipfile.lock beside Pipfile), and
poetry.lock only where Poetry's exporter is installed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..build import lockfiles, pyproject, reqlines, serverpins
from ..errors import BuildFailed
from ..pins import GUNICORN
from .errors import InitError

REQUIREMENTS = "requirements.txt"
PYPROJECT = "pyproject.toml"
LOCKS = ("uv.lock", "Pipfile.lock", "poetry.lock")  # preference order
# The probe's copy of the app gets the exported lock under this name (a dot name: never copied from the app).
EXPORTED = ".flaskship-locked-requirements.txt"


@dataclass(frozen=True)
class Dependencies:
    file: str  # a lock file, REQUIREMENTS or PYPROJECT, relative to the app folder
    why: str
    digest: str  # sha256 of the file (a lock: with its project file): the probe venv's cache key

    def pip_args(self, app_dir: Path) -> list[str]:
        """Exactly the app's dependencies, nothing else (pip runs with cwd = `app_dir`, the probe's copy)."""
        if self.file in LOCKS:
            # Without hashes: the probe is a throwaway, and pip cannot hash-check the app's own folder (`.`).
            try:
                text = lockfiles.export(app_dir / self.file, f"{app_dir.name}: {self.file}", hashes=False)
            except BuildFailed as exc:
                raise InitError(str(exc), exc.detail) from None
            (app_dir / EXPORTED).write_text(text, encoding="utf-8")
            return ["-r", EXPORTED]
        if self.file == REQUIREMENTS:
            return ["-r", REQUIREMENTS]
        data = pyproject.load(app_dir / PYPROJECT)  # the probe's copy of the file dependencies() read
        if pyproject.is_package(data):
            return [str(app_dir)]
        # An application: its dependencies, not the folder (which pip would try to build).
        (app_dir / EXPORTED).write_text("".join(f"{line}\n" for line in pyproject.dependencies(data)), encoding="utf-8")
        return ["-r", EXPORTED]


def _what_project(data: dict[str, Any], label: str) -> str:
    if pyproject.is_package(data):
        return "the app is an installable package"
    try:
        pyproject.dependencies(data)
    except pyproject.PyprojectError as exc:
        raise InitError(f"{label}: {PYPROJECT}: {exc}") from None
    return ("an application, not a package (no [build-system], as uv reads it): its [project] dependencies are "
            "installed, not the project itself")


def _tables(path: Path, label: str) -> dict[str, Any]:
    try:
        return pyproject.tables(path)
    except pyproject.NotToml as exc:
        raise InitError(f"{label}: {PYPROJECT} is not valid TOML ({exc.reason}); fix it or add a "
                        f"{REQUIREMENTS}") from None


def _digest(*paths: Path) -> str:
    return hashlib.sha256(b"\0".join(path.read_bytes() for path in paths)).hexdigest()


def _lock(app_dir: Path, notes: list[str]) -> Dependencies | None:
    """The first usable lock file, noting in `notes` why any other present one was passed over."""
    present = [name for name in LOCKS if (app_dir / name).is_file()]
    for name in present:
        fmt = lockfiles.FORMATS[name]
        if not (app_dir / fmt.project).is_file():
            notes.append(f"{name} is not beside a {fmt.project}, so it is not used")
            continue
        if not lockfiles.available(name):
            notes.append(f"{name} found, but reading it needs {fmt.tool}")
            continue
        others = [f for f in (*present, REQUIREMENTS, PYPROJECT) if f not in (name, fmt.project)
                  and (app_dir / f).is_file()]
        why = (f"{name} found: installed exactly as locked, without dev groups"
               + (f" (preferred over the {', '.join(others)} also there)" if others else ""))
        return Dependencies(name, why, _digest(app_dir / name, app_dir / fmt.project))
    return None


def dependencies(app_dir: Path) -> Dependencies:
    label = app_dir.name
    notes: list[str] = []
    locked = _lock(app_dir, notes)
    if locked is not None:
        return locked
    noted = f"; {'; '.join(notes)}" if notes else ""
    requirements, project_file = app_dir / REQUIREMENTS, app_dir / PYPROJECT
    if requirements.is_file():
        also = f" (preferred over the {PYPROJECT} also there)" if project_file.is_file() else ""
        why = f"{REQUIREMENTS} found" + also
        return Dependencies(REQUIREMENTS, why + noted, _digest(requirements))
    if project_file.is_file():
        data = _tables(project_file, label)
        if not pyproject.has_project(data):
            raise InitError(f"{label}: no {REQUIREMENTS}, and {PYPROJECT} has no PEP 621 [project] table{noted}; "
                            f"declare the dependencies in [project] or write a {REQUIREMENTS}")
        return Dependencies(PYPROJECT, f"no {REQUIREMENTS}; {PYPROJECT} has a [project] table: "
                            + _what_project(data, label) + noted, _digest(project_file))
    if notes:
        raise InitError(f"{label}: no usable dependency file: {'; '.join(notes)}")
    raise InitError(f"{label}: neither {REQUIREMENTS} nor {PYPROJECT} found; list the app's dependencies in one of them")


def _exported(app_dir: Path, file: str) -> str:
    """A lock file as requirements without hashes, from its own tool: one export per process
    for pins() and server_pin_problem() alike (lockfiles caches it by these arguments)."""
    return lockfiles.export(app_dir / file, f"{app_dir.name}: {file}", hashes=False)


def pins(app_dir: Path, deps: Dependencies) -> list[str]:
    """The app's `name==version` requirements, as its dependency file pins them (a lock: every one)."""
    label = f"{app_dir.name}: {deps.file}"
    try:
        if deps.file in LOCKS:
            text, path = _exported(app_dir, deps.file), app_dir / EXPORTED
        elif deps.file == REQUIREMENTS:
            path = app_dir / REQUIREMENTS
            text = path.read_text(encoding="utf-8")
        else:
            return []  # a pyproject.toml's dependencies are ranges, not pins
        entries = reqlines.expand(text, path, app_dir, f"{label}: ").entries
    except (BuildFailed, OSError):
        return []  # the build says what is wrong with the file; a pin-less choice is still a choice
    return [e.spec.split(";")[0].strip() for e in entries if e.kind == "named" and "==" in e.spec]


def server_pin_problem(app_dir: Path, file: str) -> str | None:
    """What a build will refuse in the app's own server pin (build/serverpins.py: a gunicorn
    older or newer than flaskship's settings were run on), said at init; None when nothing."""
    path = app_dir / file
    try:
        if file == PYPROJECT:
            named, hashed = serverpins.pyproject_names(path), False
        elif file == REQUIREMENTS:
            expanded = reqlines.expand(path.read_text(encoding="utf-8"), path, app_dir, "")
            named, hashed = serverpins.app_names(expanded, app_dir, ""), expanded.hashed
        elif file in LOCKS:
            # As the build reads it: exported by the lock's own tool (bluelog's Pipfile.lock pins gunicorn 20.0.4).
            expanded = reqlines.expand(_exported(app_dir, file), path, app_dir, "", f"{file} (as exported)")
            named, hashed = serverpins.app_names(expanded, app_dir, ""), False
        else:
            return None
        serverpins.own_lines((GUNICORN,), named, hashed, "")
    except BuildFailed as exc:
        return exc.message
    except OSError:
        return None
    return None
