"""Which CPython versions the index has a wheel of one pinned release for, on Linux (no Docker: init uses it).

One request per project to the index's JSON simple API (PEP 691, what pip and
uv read), then the release's wheel file names are matched against the tags a
CPython 3.X on manylinux x86_64 accepts (packaging.tags: pip's own rules).
Answers are cached in build/.cache/wheel-pythons.json: a release's files
rarely change. `build` uses it to say which Pythons need no compiler, and
`init` to pick a Python every pinned binary dependency has wheels for.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Sequence
from pathlib import Path

from functools import lru_cache

import requests
from packaging import tags
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

PYTHONS = ("3.9", "3.10", "3.11", "3.12", "3.13", "3.14")
INDEX = "https://pypi.org/simple"
CACHE = "wheel-pythons.json"
TIMEOUT = 20
# manylinux tags of a current glibc (Debian bookworm's 2.36), newest first, as base_images.probe() lists them.
LINUX = tuple(f"manylinux_2_{n}_x86_64" for n in range(36, 4, -1)) + (
    "manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64", "linux_x86_64")
# No platform at all: only pure-Python wheels (py3-none-any) fit it.
NO_PLATFORM = ("none_of_them",)
_ENV_VAR = re.compile(r"\$\{([A-Z0-9_]+)\}")
_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*==\s*([^\s;,\\]+)")


def pinned(spec: str) -> tuple[str, str] | None:
    """(name, version) of a `name==version` requirement, else None."""
    found = _PIN.match(spec)
    return (found.group(1), found.group(2)) if found else None


def index_url(options: Sequence[str] = ()) -> str:
    """The index a requirements file's own --index-url names, else pip's (PIP_INDEX_URL), else PyPI."""
    for option in options:
        words = option.replace("=", " ").split()
        if words and words[0] in ("-i", "--index-url") and len(words) > 1:
            return _ENV_VAR.sub(lambda m: os.environ.get(m.group(1), ""), words[1])
    return os.environ.get("PIP_INDEX_URL", INDEX)


def wheel_pythons(spec: str, cache_dir: Path | None, index: str | None = None,
                  platforms: Sequence[str] = LINUX) -> list[str] | None:
    """The PYTHONS that `spec` (name==version) has a wheel for; [] for none (an sdist only);
    None when the index cannot say (unreachable, or no such release). `index`: pip's by default."""
    index = index or index_url()
    pin = pinned(spec)
    if pin is None:
        return None
    name, version = canonicalize_name(pin[0]), pin[1]
    key = f"{name}=={version}|{platforms[0]}|{index}"
    known = _load(cache_dir)
    if key in known:
        return list(known[key])
    files = _files(name, index)
    if files is None:
        return None
    try:
        wanted = Version(version)
        release = [f for f in files if _version_of(f, name) == wanted]
    except InvalidVersion:
        return None
    if not release:
        return None
    have = [python for python in PYTHONS if any(_fits(f, python, platforms) for f in release)]
    if cache_dir is not None:
        with _SAVING:  # init asks from several threads: each adds its answer to the file's latest content
            known = _load(cache_dir)
            known[key] = have
            _save(cache_dir, known)
    return have


def lacks_wheel(spec: str, python: str, cache_dir: Path | None) -> bool:
    """Whether the index says `spec` has no Linux wheel for `python` (False when it cannot say,
    or is not asked about that Python): what pip and the build would compile from source."""
    if python not in PYTHONS:
        return False
    have = wheel_pythons(spec, cache_dir)
    return have is not None and python not in have


def older_wheels(spec: str, index: str | None = None) -> str | None:
    """The newest CPython older than PYTHONS that `spec`'s release has a Linux wheel for
    ("3.8": pillow 7.1.1 ships cp35-cp38 wheels), or None: it has none, or the index cannot say."""
    pin = pinned(spec)
    files = _files(canonicalize_name(pin[0]), index or index_url()) if pin else None
    if pin is None or files is None:
        return None
    found = []
    for filename in files:
        try:
            if not filename.endswith(".whl") or _version_of(filename, canonicalize_name(pin[0])) != Version(pin[1]):
                continue
            for tag in parse_wheel_filename(filename)[3]:
                match = re.fullmatch(r"cp3(\d+)", tag.interpreter)
                if match and "linux" in tag.platform and int(match[1]) < int(PYTHONS[0].split(".")[1]):
                    found.append(int(match[1]))
        except (InvalidWheelFilename, InvalidVersion):
            continue
    return f"3.{max(found)}" if found else None


@lru_cache(maxsize=512)
def _files(name: str, index: str) -> list[str] | None:
    try:
        answer = requests.get(f"{index.rstrip('/')}/{name}/", timeout=TIMEOUT,
                              headers={"Accept": "application/vnd.pypi.simple.v1+json"})
        if answer.status_code != 200 or "json" not in answer.headers.get("Content-Type", ""):
            return None
        return [str(f["filename"]) for f in answer.json().get("files", []) if not f.get("yanked")]
    except (requests.RequestException, ValueError, KeyError, TypeError):
        return None


def _version_of(filename: str, name: str) -> Version | None:
    if filename.endswith(".whl"):
        try:
            return parse_wheel_filename(filename)[1]
        except (InvalidWheelFilename, InvalidVersion):
            return None
    stem = re.sub(r"\.(tar\.gz|zip|tar\.bz2|tgz)$", "", filename)
    head, _, version = stem.rpartition("-")
    try:
        return Version(version) if canonicalize_name(head) == name else None
    except InvalidVersion:
        return None


def _fits(filename: str, python: str, platforms: Sequence[str]) -> bool:
    if not filename.endswith(".whl"):
        return False
    try:
        wheel_tags = parse_wheel_filename(filename)[3]
    except (InvalidWheelFilename, InvalidVersion):
        return False
    return not wheel_tags.isdisjoint(_accepted(python, tuple(platforms)))


_SAVING = threading.Lock()
_ACCEPTED: dict[tuple[str, tuple[str, ...]], frozenset[tags.Tag]] = {}


def _accepted(python: str, platforms: tuple[str, ...]) -> frozenset[tags.Tag]:
    """What pip on CPython `python` on `platforms` installs (packaging.tags, as pip computes it)."""
    if (python, platforms) not in _ACCEPTED:
        version = tuple(int(part) for part in python.split("."))
        interpreter = f"cp{version[0]}{version[1]}"
        _ACCEPTED[(python, platforms)] = frozenset([
            *tags.cpython_tags(version, platforms=platforms),
            *tags.compatible_tags(version, interpreter=interpreter, platforms=platforms)])
    return _ACCEPTED[(python, platforms)]


def _load(cache_dir: Path | None) -> dict[str, list[str]]:
    if cache_dir is None:
        return {}
    try:
        data = json.loads((cache_dir / CACHE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _save(cache_dir: Path, known: dict[str, list[str]]) -> None:
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = cache_dir / f".{CACHE}.{os.getpid()}-{threading.get_ident()}.part"
    partial.write_text(json.dumps(known, indent=1, sort_keys=True), encoding="utf-8")
    partial.replace(cache_dir / CACHE)
