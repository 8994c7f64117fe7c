"""Resolve Python dependencies on the host into a wheelhouse for the image.

pip inside a container cannot reach PyPI here (and often cannot behind a
corporate proxy either), so wheels are downloaded on the host for the image's
exact Python version and platform, and the image installs them with
`pip install --no-index`. The wheelhouse is cached by (requirements, runtime).

A requirement with no wheel for the target is built from its sdist
(fromsource.py: pure ones on the host, the rest in a builder image, offline).

An app that is itself a package (`.` in its requirements, or a pyproject.toml)
is built into a wheel here too, by build_wheel(), cached by the content hash of
its sources, and then resolved like any other requirement.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from email.message import Message
from email.parser import HeaderParser
from pathlib import Path

from ..errors import BuildFailed
from ..files import link_or_copy
from .. import trim
from . import fromsource, hostpip, markers, resolve, reuse
from .base_images import Runtime
from .builder import BuildBase

# What in a wheel's METADATA decides how its dependencies resolve; the rest
# (description, the wheel's bytes) does not, so it stays out of the cache key.
_RESOLVES = ("Name", "Version", "Requires-Dist", "Requires-Python", "Provides-Extra")


def ensure(requirements: str, runtime: Runtime, cache_dir: Path, label: str,
           progress: Callable[[str], None] = print, local: Sequence[Path] = (),
           sources: BuildBase | None = None) -> Path:
    """Return a folder of wheels satisfying `requirements` for `runtime`.

    `requirements` may name wheels built on the host as `name @ file:///...whl`
    (each listed in `local`): pip takes that very file, so a same-named project
    on the index can never stand in for the app. The cache key counts such a
    wheel by its dependency metadata, not its path or bytes, so an app code edit
    re-uses the resolved dependencies; for the same reason the returned folder
    leaves the local wheels out: add them with link_into(..., extra=local).

    With `sources` (the base image to compile for), a requirement that has no
    wheel for the target is built from its sdist (fromsource.py) instead of
    failing the build. Such a wheelhouse records what it compiled, and for
    which base image id: a different base (or app.build_packages) resolves anew.
    """
    keyed = requirements
    for wheel in local:
        keyed = keyed.replace(wheel.as_uri(), "\n".join(_resolving_metadata(wheel)))
    key = hashlib.sha256(
        "\n".join([keyed, runtime.python, *runtime.platforms]).encode()
    ).hexdigest()[:16]
    dest = cache_dir / f"wheels-{key}"
    if dest.is_dir():
        compiled = resolve.compiled_for(dest, sources)
        if compiled is not None:
            fromsource.warn(compiled, runtime, progress, cache_dir)
            trim.used(dest)
            return dest
        shutil.rmtree(dest, ignore_errors=True)  # it compiled for another base: resolve again
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = cache_dir / f".partial-{key}-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    req_file = cache_dir / f".requirements-{key}.txt"
    req_file.write_text(requirements, encoding="utf-8")
    progress(f"  {label}: resolving wheels for Python {runtime.python} ({runtime.platforms[0]}) ...")
    command = hostpip.wheels_for(runtime.python, runtime.platforms, partial, req_file)
    try:
        if markers.is_lock(requirements):
            # Complete and hashed: nothing left to resolve, markers evaluated for the target.
            partial.mkdir(parents=True)
            compiled = resolve.download_locked(requirements, runtime, sources, cache_dir, partial, label, progress)
        else:
            compiled = resolve.download(command, runtime, sources, cache_dir, label, progress, requirements)
        for wheel in local:  # pip copied it in; it is linked per build instead (see above)
            (partial / wheel.name).unlink(missing_ok=True)
        if compiled and sources is not None:
            resolve.record_compiled(partial, sources, compiled)
        reuse.keep(partial, runtime, cache_dir)  # for the build's other locks (reuse.py)
        _publish(partial, dest)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
        req_file.unlink(missing_ok=True)
    return dest


def build_wheel(source: Path, key: str, cache_dir: Path, label: str,
                progress: Callable[[str], None] = print, skip: frozenset[str] = frozenset()) -> Path:
    """Build the package in `source` into a wheel on the host; cached under `key`.

    `key` must be a content hash of `source`: the cached wheel is returned
    without running pip whenever the sources are unchanged. pip fetches the
    project's build backend (its [build-system]) from the index, as on any host.
    """
    dest = cache_dir / f"app-wheel-{key}"
    if dest.is_dir():
        trim.used(dest)
        return _only_wheel(dest, label)
    cache_dir.mkdir(parents=True, exist_ok=True)
    progress(f"  {label}: building the app's own wheel (pip wheel) ...")
    with tempfile.TemporaryDirectory(prefix=".app-wheel-", dir=cache_dir) as tmp:
        # A throwaway copy: setuptools writes build/ and *.egg-info/ beside the
        # sources, which must not end up in the image's src/.
        copy, out = Path(tmp) / "src", Path(tmp) / "out"
        # `skip`: top-level names in `source` that are not the package's (and not in `key`).
        shutil.copytree(source, copy, symlinks=True,
                        ignore=lambda folder, names: [n for n in names if n in skip and Path(folder) == source])
        # --ignore-requires-python: the host's Python builds it, not the image's, which the
        # app's requires-python is about (flaskbb's ">=3.12", on a 3.11 host); only a pure
        # wheel is taken (below), the same whichever Python built it.
        result = hostpip.run(["wheel", "--no-deps", "--ignore-requires-python", "--quiet", "--wheel-dir", str(out),
                              str(copy)])
        if result.returncode != 0:
            raise BuildFailed(f"{label}: cannot build the app's own wheel: {_backend_error(result.stderr)}",
                              _tail(result.stderr))
        wheel = _only_wheel(out, label)
        if not wheel.name.endswith("-none-any.whl"):
            # Built for the host's Python and platform, which need not be the image's.
            raise BuildFailed(f"{label}: the app's own wheel {wheel.name} is platform-specific; "
                              "only a pure-Python app package can be built on the host for the image")
        _publish(out, dest)
    return _only_wheel(dest, label)


def project_pin(wheel: Path) -> tuple[str, str]:
    """(name, version) as the wheel's METADATA spells them, e.g. ("hello-pkg", "0.1.0")."""
    headers = _read_metadata(wheel)
    return str(headers["Name"]), str(headers["Version"])


def link_into(wheels: Path, dest: Path, extra: Sequence[Path] = ()) -> None:
    """Hard-link the wheels (and `extra` wheel files) into a build context (copy across filesystems)."""
    dest.mkdir(parents=True, exist_ok=True)
    for wheel in [*sorted(wheels.glob("*.whl")), *extra]:
        link_or_copy(wheel, dest / wheel.name)


def _read_metadata(wheel: Path) -> Message:
    with zipfile.ZipFile(wheel) as zf:
        name = next(n for n in zf.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA"))
        return HeaderParser().parsestr(zf.read(name).decode("utf-8"), headersonly=True)


def _resolving_metadata(wheel: Path) -> list[str]:
    """The METADATA header lines that decide resolution, in file order."""
    return [f"{field}: {value}" for field, value in _read_metadata(wheel).items() if field in _RESOLVES]


def _only_wheel(folder: Path, label: str) -> Path:
    wheels = sorted(folder.glob("*.whl"))
    if len(wheels) != 1:
        raise BuildFailed(f"{label}: expected one wheel of the app in {folder}, found {len(wheels)}; delete the folder and rebuild")
    return wheels[0]


def _publish(partial: Path, dest: Path) -> None:
    """Move a finished folder into the cache; a concurrent build may have got there first."""
    try:
        partial.rename(dest)
    except OSError:
        if not dest.is_dir():
            raise


def _first_error(stderr: str, default: str) -> str:
    errors = [line for line in stderr.splitlines() if line.startswith("ERROR")]
    return errors[0] if errors else default


def _backend_error(stderr: str) -> str:
    """The build backend's own last words (pip frames them, ending with `[end of output]`)."""
    lines = [line.strip() for line in stderr.splitlines()]
    if "[end of output]" in lines:
        said = [line for line in lines[:lines.index("[end of output]")] if line]
        if said and not said[-1].startswith("╰─>"):
            return said[-1]
    return _first_error(stderr, "pip wheel failed")


def _tail(stderr: str) -> str:
    return "\n".join(stderr.splitlines()[-15:])
