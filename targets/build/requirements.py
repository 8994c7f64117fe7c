"""The app's requirements, as the platform installs them and as an image installs them.

`app.requirements` names a requirements file, the app's pyproject.toml (the
app is a package), or a lock file (uv.lock, Pipfile.lock, poetry.lock:
exported by its own tool, lockfiles.py). Everything pip reads in a
requirements file is honoured (reqlines.py reads it as pip does). Two texts follow:

- deploy-time (deploy_text): what a platform with network runs `pip install -r`
  on, in the app's folder (Cloud Functions, on the zip), and what render()
  writes into every image context. `-r` files are inlined; `-c` stays, named
  from app.source's top (the zip's root); markers, extras and `--hash` stay as
  written; index options (--index-url, --extra-index-url, --find-links,
  --trusted-host, --no-index) are left out, kept in memory for the host's
  download only, so no artifact ever holds them; the platform's lines are
  appended, hashed too when the file uses hashes (hashpins.py).
- image-time (for_image): images install offline from a host-built wheelhouse,
  so the app itself (`.`), a local path and a URL each become a wheel on the
  host (direct.py), pinned by name and version (and hash, in hash-checking
  mode); `-c` is applied where the wheelhouse is resolved, on the host.

A line nothing can honour (VCS, a path outside app.source, a password written
into a URL) is one error naming the file and line.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import trim
from ..engine import wheelhouse
from ..errors import BuildFailed
from ..files import sha256_file, tree_hash
from . import direct, hashpins, lock, lockfiles, ownwheel, pyproject, reqlines, serverpins
from .reqlines import Entry, Expanded
from .source import OWN_FILES

PYPROJECT = "pyproject.toml"
# The deploy text's first line when the app's file had index options: for_image
# then takes them from memory (_HOST_OPTIONS), where deploy_text left them.
HOST_ONLY = "# flaskship: index options"
# In hash-checking mode pip cannot install a folder, so the zip cannot list `.`;
# the app's code ships at its root. Images read the line back and install the app's wheel.
_SELF_LINE = re.compile(r"^# (?P<line>(?:-e )?\.(?:\[[^\]]*\])?)  \(the app itself: ")
_SELF_NOTE = ("  (the app itself: pip's hash-checking mode cannot install a folder, so here its code ships at "
              "the root; images install its wheel)")
# Index options by the digest of the deploy text they were taken from: in memory only.
_HOST_OPTIONS: dict[str, tuple[str, ...]] = {}


@dataclass(frozen=True)
class ImageRequirements:
    text: str  # requirements.txt as the image installs it: direct references pinned by name
    resolve: str  # the same for `pip download` on the host: options, and wheels as file URLs
    wheels: tuple[Path, ...]  # wheels built or fetched on the host, to add to the wheelhouse


def deploy_text(app_dir: Path, requirements: str, extra: tuple[str, ...], label: str,
                cache: Path | None = None, python: str = "3.11", union: tuple[str, ...] = lock.PLATFORMS) -> str:
    """requirements.txt for a platform that installs with network in the app's folder.

    With `cache` (build/.cache) it is resolved, which reaches the index (once: the
    results are cached by their inputs): a file without hashes is locked (lock.py),
    every dependency pinned and hashed for every Python from `python` on; in a
    hashed file the platform's lines get their hashes (hashpins.py). Without
    `cache`, nothing is resolved and no network is used: the file as declared,
    plus the platform's lines as they are (what `render_only` shows). `union`: every
    platform line of the build (lock.union_of), which all its targets agree on."""
    path, prefix = app_dir / requirements, f"{label}: app.requirements: "
    where = prefix + requirements
    if path.name == PYPROJECT:
        if path.parent.resolve() != app_dir.resolve():
            raise BuildFailed(f"{where}: the app's {PYPROJECT} must be at the top of app.source, which is what gets built")
        data = check_pyproject(path, where)
        named = serverpins.pyproject_names(path)
        extra, union = (serverpins.with_pkg_resources(serverpins.own_lines(lines, named, False, prefix), named)
                        for lines in (extra, union))
        # A package is installed itself (`.`, its wheel); an application only its dependencies (pyproject.py).
        package = pyproject.is_package(data)
        if cache is None:
            own = ["."] if package else pyproject.dependencies(data)
            return "".join(f"{line}\n" for line in (*own, *extra))
        text = lock.compile_app(app_dir, "." if package else PYPROJECT, extra, reqlines.Expanded(()), python, cache,
                                where, union)
        expanded = reqlines.expand(text, path.with_name("requirements.txt"), app_dir, prefix, f"{requirements} (locked)")
        return _body(expanded, extra, union, app_dir, where, prefix, python, locked=True)
    if lockfiles.is_lock(path):
        if path.parent.resolve() != app_dir.resolve():
            raise BuildFailed(f"{where}: a lock file must be at the top of app.source, beside the project it locks")
        text, shown = lockfiles.export(path, where), f"{requirements} (as exported)"
    else:
        text, shown = path.read_text(encoding="utf-8"), requirements
    expanded = reqlines.expand(text, path, app_dir, prefix, shown)
    # The app's own gunicorn, where it asks for another than the platform's pin (serverpins.py).
    named = serverpins.app_names(expanded, app_dir, prefix)
    extra, union = (serverpins.with_pkg_resources(serverpins.own_lines(lines, named, expanded.hashed, prefix), named)
                    for lines in (extra, union))
    locked = False
    if cache is not None and not expanded.hashed and lock.lockable(expanded, app_dir) is None:
        text = lock.compile_app(app_dir, requirements, extra, expanded, python, cache, where, union)
        relocked = reqlines.expand(text, path, app_dir, prefix, f"{requirements} (locked)")
        expanded, locked = reqlines.Expanded(relocked.entries, expanded.index), True
    return _body(expanded, extra, union, app_dir, where, prefix, python, locked, cache)


def _body(expanded: Expanded, extra: tuple[str, ...], union: tuple[str, ...], app_dir: Path, where: str, prefix: str,
          python: str, locked: bool, cache: Path | None = None) -> str:
    if any(e.kind == "self" for e in expanded.entries) and not _buildable(app_dir):
        raise BuildFailed(f"{where}: '.' installs the app itself, but its folder has no {PYPROJECT} or setup.py; "
                          "add one, or remove the line")
    body = "".join(_deploy_line(e, expanded.hashed, prefix) + "\n" for e in expanded.entries)
    if locked:
        pass  # the platform's lines were locked with the app's
    elif expanded.hashed and extra and cache is not None:
        # The union first, so every target's platform lines agree with every other's.
        union_lines = hashpins.platform_lines(expanded, union, app_dir, where, python, cache=cache)
        body += union_lines if set(extra) == set(union) else \
            hashpins.platform_lines(expanded, extra, app_dir, where, python, lock.pins(union_lines), cache)
    else:
        body += "".join(f"{line}\n" for line in extra)
    options = tuple(e.spec for e in expanded.index)
    if not options:
        return body
    digest = hashlib.sha256("\n".join(options).encode()).hexdigest()[:12]
    result = (f"{HOST_ONLY} ({len(options)} line(s) of the app's requirements, sha256 {digest}) are used by the "
              "host's download only, never written into an artifact\n") + body
    _HOST_OPTIONS[_digest(result)] = options
    return result


def _deploy_line(entry: Entry, hashed: bool, prefix: str) -> str:
    if entry.kind == "constraint":
        return f"-c {entry.spec}"  # from app.source's top, where pip runs (the zip's root)
    if entry.kind == "self" and hashed:
        return f"# {'-e ' if entry.editable else ''}.{entry.extras}{_SELF_NOTE}"
    if entry.kind == "path":
        if hashed and not entry.spec.endswith((".whl", ".tar.gz", ".zip", ".tgz")):
            raise BuildFailed(f"{prefix}{entry.where}: pip's hash-checking mode cannot install a folder "
                              f"({entry.spec}); build it into a wheel and list that file with its --hash")
        if "file:" in entry.raw:
            # A file: URL holds this host's absolute path; the platform has the folder at ./<path>.
            marker = f" ; {entry.marker}" if entry.marker else ""
            line = f"./{entry.spec}{entry.extras}{marker}"
            return " ".join(["-e" if entry.editable else "", line, *entry.options]).strip()
    return entry.raw


def check_pyproject(path: Path, where: str) -> dict[str, Any]:
    """A pyproject.toml with PEP 621 metadata: a package pip can build the app's wheel from,
    or an application whose dependencies are listed in it (pyproject.py). Its tables."""
    try:
        data = pyproject.tables(path)
    except pyproject.PyprojectError as exc:
        raise BuildFailed(f"{where}: {exc}") from None
    if not pyproject.has_project(data):
        tool = data.get("tool")
        legacy = "it has [tool.poetry] (Poetry 1.x metadata), " if isinstance(tool, dict) and "poetry" in tool else ""
        raise BuildFailed(f"{where}: no [project] table; {legacy}declare the app's name, version and dependencies "
                          "in a PEP 621 [project] table, or point app.requirements at a requirements file")
    if not pyproject.is_package(data):
        try:
            pyproject.dependencies(data)
        except pyproject.PyprojectError as exc:
            raise BuildFailed(f"{where}: {exc}") from None
    elif "build-system" not in data:
        # `tool.uv.package = true` with no backend named: pip would guess setuptools' legacy build.
        raise BuildFailed(f"{where}: no [build-system] table, so pip cannot build the app's wheel; add "
                          '[build-system] requires = ["setuptools>=61"], build-backend = "setuptools.build_meta"')
    return data


def for_image(text: str, src: Path, cache_dir: Path, label: str,
              progress: Callable[[str], None] = print) -> ImageRequirements:
    """Turn deploy-time `text` into what an image installs offline.

    `src` is the code the image ships (its context's src/, or the folder its
    containers get at start: build/code.py): the app's wheel is built from exactly that, so the wheel and the shipped code cannot disagree, and
    its content hash is the wheel's cache key. Paths named by `text` must be
    shipped too.
    """
    expanded = reqlines.expand(text, src / "requirements.txt", src, f"{label}: ", "requirements.txt",
                               missing="is not shipped (an ignore file leaves it out of app.source's copy)")
    entries = [_self_from_note(e) for e in expanded.entries]
    options = _options(text, expanded, label)
    if not options and all(e.kind in ("text", "option", "named") for e in entries):
        return ImageRequirements(text, text, ())
    wheels = _wheels(entries, options, src, cache_dir, label, progress)
    image: list[str] = []
    resolve: list[str] = list(options)
    for entry, wheel in zip(entries, wheels, strict=True):
        if wheel is not None:
            name, version = wheelhouse.project_pin(wheel)
            marker = f" ; {entry.marker}" if entry.marker else ""
            pin = f" --hash=sha256:{sha256_file(wheel)}" if expanded.hashed else ""
            image.append(f"{name}{entry.extras}=={version}{marker}{pin}")
            # On the host pip must take this very file: the index may hold a different
            # project of the same name (PyPI has a `hello-pkg` 3.7.1). In hash-checking
            # mode every dependency is pinned in the file already: the wheel just joins.
            resolve.append(f"# {name}: its own wheel joins the wheelhouse" if expanded.hashed
                           else f"{name}{entry.extras} @ {wheel.as_uri()}{marker}")
        elif entry.kind == "constraint":
            image.append(f"# {entry.raw.strip()}: applied on the host, where the wheelhouse was resolved")
            resolve.append(f"-c {_constraints(src, entry, cache_dir, label)}")
        else:
            image.append(entry.raw)
            resolve.append(entry.raw)
    return ImageRequirements("".join(f"{line}\n" for line in image), "".join(f"{line}\n" for line in resolve),
                             tuple(dict.fromkeys(wheel for wheel in wheels if wheel is not None)))


def with_wheel_hashes(text: str, wheels: Sequence[Path]) -> str:
    """The image text with the sha256 of each wheel actually in the wheelhouse added to its
    line, where a hashed line lacks it (a wheel built from a verified sdist). Unchanged
    outside hash-checking mode. Call it once the wheelhouse is linked into the context."""
    return hashpins.with_wheel_hashes(text, wheels)


def _self_from_note(entry: Entry) -> Entry:
    """The app's own line, which the deploy text keeps as a comment in hash-checking mode."""
    found = _SELF_LINE.match(entry.raw) if entry.kind == "text" else None
    if not found:
        return entry
    line = found.group("line")
    extras = line[line.index(".") + 1:]
    return Entry("self", line, entry.file, entry.number, ".", extras=extras, editable=line.startswith("-e"))


def _options(text: str, expanded: Expanded, label: str) -> tuple[str, ...]:
    found = [e.spec for e in expanded.index]
    if text.startswith(HOST_ONLY):
        kept = _HOST_OPTIONS.get(_digest(text))
        if kept is None:
            raise BuildFailed(f"{label}: the app's index options were not found in memory; they are never "
                              "written to disk, so render and build the target in one `invoke build`")
        found = [*kept, *found]
    return tuple(dict.fromkeys(found))


def _wheels(entries: list[Entry], options: tuple[str, ...], src: Path, cache_dir: Path, label: str,
            progress: Callable[[str], None]) -> list[Path | None]:
    """For each entry, the wheel it names (the app itself, a local path or a URL), else None."""
    wheels: list[Path | None] = []
    app: Path | None = None
    for entry in entries:
        wheel: Path | None = None
        if entry.kind == "self":
            if app is None:
                if not _buildable(src):
                    raise BuildFailed(f"{label}: the app is installed as a package ('.'), but neither {PYPROJECT} "
                                      "nor setup.py is shipped; an ignore file leaves it out: un-ignore it")
                ours = frozenset({OWN_FILES})  # what flaskship added to the code (gunicorn's settings): not the app's
                key = tree_hash(src, skip=ours)[:16]
                built = wheelhouse.build_wheel(src, key, cache_dir, label, progress, skip=ours)
                app = ownwheel.pointing_at_code(built, src, cache_dir)  # its metadata; the code stays at /srv/app
            wheel = app
        elif entry.kind == "path":
            wheel = direct.local_wheel(src / entry.spec, cache_dir, label, progress)
        elif entry.kind == "url":
            wheel = direct.url_wheel(entry, options, cache_dir, label, progress)
        wheels.append(wheel)
    return wheels


def _constraints(src: Path, entry: Entry, cache_dir: Path, label: str) -> Path:
    """The constraint file flattened into the cache, named by its content (so the wheelhouse key follows it)."""
    path = src / entry.spec
    lines = reqlines.expand(path.read_text(encoding="utf-8"), path, src, f"{label}: ", entry.spec,
                            constraint=True).entries
    text = "".join(e.raw + "\n" for e in lines if e.kind in ("named", "url", "option"))
    out = cache_dir / f"constraints-{hashlib.sha256(text.encode()).hexdigest()[:16]}.txt"
    if not out.is_file():
        cache_dir.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    trim.used(out)
    return out


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _buildable(folder: Path) -> bool:
    return (folder / PYPROJECT).is_file() or (folder / "setup.py").is_file()
