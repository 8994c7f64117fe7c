"""Which Python the app wants, from the files the ecosystem already reads.

First found wins: `.python-version` (pyenv, uv, buildpacks), `runtime.txt`
(Heroku's `python-3.11.7`), the python_version of a Pipfile.lock the images install (without
a uv.lock), the `FROM python:X...` of the app's own Dockerfile
(its last stage: what it runs on today), `requires-python` in pyproject.toml's
[project], then uv.lock's, then setuptools' python_requires (setup.py's literal, else
setup.cfg's: build/setupmeta.py; each: the newest of 3.10-3.13 it allows). When none
says, the pinned dependencies choose: the newest of 3.10-3.13 for which every
pinned release that ships binary wheels has one (asked of the index,
targets/wheel_index.py), so no compiler is needed. With no such pin,
flaskship's default. Only major.minor is kept: base images are `python:<major.minor>-slim`.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .. import wheel_index as availability
from ..build import setupmeta
from .errors import InitError

from packaging.specifiers import InvalidSpecifier, SpecifierSet

DEFAULT = "3.12"
# The oldest Python init's probe runs on (importlib.metadata is 3.8's), and so the oldest a
# manifest it writes may name. 3.7 reached its end of life in June 2023.
OLDEST = "3.8"
SUPPORTED = ("3.10", "3.11", "3.12", "3.13")
# `3.11`, `3.11.7`, `python-3.11.7`, `cpython-3.11` ; not `system` or `pypy3.10`.
_VERSION = re.compile(r"(?:c?python-?)?(3\.[0-9]{1,2})(?:\.[0-9]+)?(?:[a-z]+[0-9]*)?")
_FROM = re.compile(r"^\s*FROM\s+(?:--platform=\S+\s+)?(?P<image>\S+)", re.I | re.M)
_PYTHON_IMAGE = re.compile(r"^(?:docker\.io/)?(?:library/)?python:(?P<version>3\.[0-9]{1,2})(?:[.-]|$)")
_ARG = re.compile(r"^\s*ARG\s+(?P<name>\w+)=(?P<value>\S+)", re.I | re.M)


def _first_line(path: Path) -> str | None:
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            return line
    return None


def _from_file(path: Path) -> tuple[str | None, str]:
    """(version or None, what the file said) for .python-version and runtime.txt."""
    line = _first_line(path)
    match = _VERSION.fullmatch(line or "")
    return (match.group(1) if match else None), (line or "nothing")


def allows(specifier: SpecifierSet, version: str) -> bool:
    """`specifier` admits some patch release of major.minor `version`."""
    return any(specifier.contains(f"{version}.{patch}", prereleases=True) for patch in range(0, 40))


def newest_allowed(spec: str) -> str | None:
    """The newest of SUPPORTED that `spec` allows (any patch release of it counts)."""
    specifier = SpecifierSet(spec)
    return next((version for version in reversed(SUPPORTED) if allows(specifier, version)), None)


def _requires_python(path: Path, lock: bool = False) -> str | None:
    """pyproject.toml's [project] requires-python, or (lock) uv.lock's top-level one."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None  # deps.py says what is wrong with it
    table = data if lock else data.get("project")
    value = table.get("requires-python") if isinstance(table, dict) else None
    return value if isinstance(value, str) else None


def declared_pythons(app_dir: Path) -> list[tuple[str, str]]:
    """(what says it, the specifier) for each file that states the Python versions the app allows:
    pyproject.toml's [project] requires-python, uv.lock's, then setuptools' python_requires
    (build/setupmeta.py: setup.py's literal, else setup.cfg's)."""
    found: list[tuple[str, str]] = []
    for path, lock in ((app_dir / "pyproject.toml", False), (app_dir / "uv.lock", True)):
        spec = _requires_python(path, lock) if path.is_file() else None
        if spec is not None:
            found.append((f"{path.name}'s requires-python", spec))
    if (setup := setupmeta.python_requires(app_dir)) is not None:
        found.append((f"{setup[0]}'s python_requires", setup[1]))
    return found


def requires_python(app_dir: Path) -> tuple[str, str] | None:
    """(what says it, the specifier) from the first of declared_pythons; None when no file says."""
    return next(iter(declared_pythons(app_dir)), None)


def _dockerfile(app_dir: Path) -> tuple[str | None, str] | None:
    """(version or None, what it said) from the last FROM of the app's Dockerfile; None if it has none."""
    path = app_dir / "Dockerfile"
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8", errors="replace")
    images = _FROM.findall(text)
    if not images:
        return None
    image = images[-1]  # the last stage is what runs
    for name, value in _ARG.findall(text):  # `FROM python:${PYTHON_VERSION}-slim` with an ARG default
        image = image.replace(f"${{{name}}}", value).replace(f"${name}", value)
    match = _PYTHON_IMAGE.match(image)
    return (match.group("version") if match else None), f"FROM {image}"


def python_version(app_dir: Path, pins: Callable[[], Sequence[str]] | None = None,
                   cache_dir: Path | None = None) -> tuple[str, str]:
    """(major.minor, why). A file that names no CPython 3.x version is passed over, and the why says so.
    `pins`: the app's pinned requirements (`name==version`), asked for only when no file says."""
    passed: list[str] = []
    for name in (".python-version", "runtime.txt"):
        path = app_dir / name
        if path.is_file():
            version, said = _from_file(path)
            if version:
                return _supported(version, f"{name} says {said}")
            passed.append(f"{name}'s {said!r} names no CPython 3.x version")
    docker = _dockerfile(app_dir)
    pipenv = _pipenv_python(app_dir)
    # Pipfile.lock is what the images install (deps.LOCKS: only uv.lock comes before it), and pipenv
    # resolved it for its python_version: flask-shop's lock says 3.12, its Dockerfile runs 3.10 (and
    # installs requirements.txt), and on 3.10 the lock lacks exceptiongroup, which its pytest needs.
    if pipenv is not None and pipenv[1] == "Pipfile.lock" and not (app_dir / "uv.lock").is_file() \
            and not _below(pipenv[0], OLDEST):
        over = f" (over the Dockerfile's {docker[1]})" if docker is not None and docker[0] != pipenv[0] else ""
        return pipenv[0], f"{pipenv[1]}'s python_version says {pipenv[0]}: the lock the images install was " \
                          f"resolved for it{over}"
    if docker is not None:
        if docker[0]:
            return _supported(docker[0], f"the app's Dockerfile runs on {docker[1].removeprefix('FROM ')}")
        passed.append(f"the Dockerfile's {docker[1]} is not a python:3.X image")
    if pipenv is not None:
        version, where = pipenv
        if not _below(version, OLDEST):
            return version, f"{where}'s python_version says {version} (Heroku's Python buildpack reads it too)"
        passed.append(f"{where}'s python_version {version} is older than {OLDEST}, which init's probe needs")
    for said, spec in declared_pythons(app_dir):
        where = f"{said} {spec!r}"
        try:
            version = newest_allowed(spec)
        except InvalidSpecifier:
            passed.append(f"{where} is not a valid specifier")
            continue
        if version:
            return version, f"the newest of {', '.join(SUPPORTED)} that {where} allows"
        passed.append(f"{where} allows none of {', '.join(SUPPORTED)}")
    reason = "; ".join(passed) if passed else "no .python-version, runtime.txt, Dockerfile, requires-python or python_requires"
    if pins is not None:
        chosen = by_wheels(pins(), cache_dir)
        if chosen is not None:
            return chosen[0], f"{reason}: {chosen[1]}"
    return DEFAULT, f"{reason}: flaskship's default"


def _pipenv_python(app_dir: Path) -> tuple[str, str] | None:
    """(major.minor, the file) from Pipfile.lock's _meta.requires, else the Pipfile's [requires]."""
    lock, pipfile = app_dir / "Pipfile.lock", app_dir / "Pipfile"
    said: object = None
    try:
        if lock.is_file():
            said, where = json.loads(lock.read_text(encoding="utf-8"))["_meta"]["requires"]["python_version"], lock.name
        elif pipfile.is_file():
            said, where = tomllib.loads(pipfile.read_text(encoding="utf-8"))["requires"]["python_version"], pipfile.name
    except (ValueError, KeyError, TypeError, OSError):
        return None  # no such key, or a file deps.py reports on
    match = _VERSION.fullmatch(said) if isinstance(said, str) else None
    return (match.group(1), where) if match else None


def _supported(version: str, why: str) -> tuple[str, str]:
    """(version, why), or InitError when the app names a Python older than OLDEST."""
    if _below(version, OLDEST):
        raise InitError(f"{why}: Python {version} is older than the {OLDEST} init's probe and flaskship's images need "
                        f"(it is past its end of life); name {OLDEST} or later there (an old app's pins usually "
                        f"install on {SUPPORTED[0]}), then run init again")
    return version, why


def _below(version: str, other: str) -> bool:
    return tuple(int(p) for p in version.split(".")) < tuple(int(p) for p in other.split("."))


def by_wheels(pins: Sequence[str], cache_dir: Path | None) -> tuple[str, str] | None:
    """(the newest of SUPPORTED every pinned binary release has a wheel for, why), or the oldest
    when a pinned release's wheels stop below SUPPORTED; None when no pin ships binary wheels
    (pure Python and sdists install on any Python) or no Python fits them all."""
    def binary_wheels(pin: str) -> tuple[list[str] | None, str | None]:
        """(the supported Pythons with a wheel, None for a pure release; the newest older Python
        with one, asked only when no checked Python has one)."""
        if availability.wheel_pythons(pin, cache_dir, platforms=availability.NO_PLATFORM):
            return None, None
        have = availability.wheel_pythons(pin, cache_dir)
        return have, availability.older_wheels(pin) if have == [] else None

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = dict(zip(pins, pool.map(binary_wheels, pins), strict=True))
    binary = {pin: have for pin, (have, _) in answers.items() if have}
    # A release whose wheels stop below every supported Python (albumy's pillow 7.1.1 at cp38,
    # bluelog's MarkupSafe 1.1.1 at cp39) marks an old app: its pins are likeliest to build and
    # run on the oldest supported Python (3.12 dropped distutils, which flask-moment 0.9 imports).
    older = {pin: old for pin, (_, old) in answers.items() if old}
    older.update({pin: have[-1] for pin, have in binary.items() if _below(have[-1], SUPPORTED[0])})
    binary = {pin: have for pin, have in binary.items() if pin not in older}
    if not binary and not older:
        return None
    fits = [v for v in SUPPORTED if all(v in have for have in binary.values())]
    limits = sorted(binary.items(), key=lambda item: (item[1][-1:], item[0]))[:2]
    said = "; ".join(f"{pin} has wheels for {', '.join(have)}" for pin, have in limits)
    if not fits:
        return None
    if older:
        pin, old = sorted(older.items())[0]
        return fits[0], (f"the oldest of {', '.join(SUPPORTED)}" + (" with a wheel of every other pinned binary "
                         "dependency" if binary else "") + f": {pin} has wheels only up to Python {old}, so the app's "
                         "pins are old, and likeliest to build and run on the oldest Python")
    return fits[-1], (f"the newest of {', '.join(SUPPORTED)} with a wheel of every pinned binary dependency "
                      f"({len(binary)} checked on the index; {said})")
