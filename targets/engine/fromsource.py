"""A wheel for the target from a requirement that has none on the index: built from its sdist.

The host downloads what no container can reach: the sdist, and its build
requirements as wheels for the target's Python and platform. Then:
  - an sdist with no native sources is built on the host (it has the network
    for an isolated build) and kept only if the wheel is pure (py3-none-any);
  - anything else is compiled in the builder image (builder.py), offline.
Wheels are cached under build/.cache/sdist-wheels/<key> (sdists.cache_key: the
sdist's sha256, plus the base image id and app.build_packages when compiled),
so the same sdist is never built twice for the same base.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

from ..errors import BuildFailed
from .. import wheel_index as availability
from .. import trim
from . import builder, hostpip, sdists
from .base_images import Runtime
from ..files import sha256_file
from ..ui.lines import Notice

HOST = "host"  # the "base id" of a pure wheel built on the host: it runs on any base
NOT_PURE = ".not-pure"  # left in a host cache slot whose sdist turned out to build a platform wheel
_warned: set[str] = set()  # once per build (this process), however many targets share the requirement


def warn(specs: list[str], runtime: Runtime, progress: Callable[[str], None], cache_dir: Path | None = None) -> None:
    """Say, once per build, which requirements have no wheel for the target and are compiled,
    and for which Pythons the index does have one (availability.py)."""
    new = [spec for spec in specs if spec not in _warned]
    if new:
        _warned.update(new)
        have = []
        for spec in new:
            pythons = availability.wheel_pythons(spec, cache_dir)
            older = availability.older_wheels(spec) if pythons == [] else None
            checked = f"{availability.PYTHONS[0]}-{availability.PYTHONS[-1]}"
            have.append(f"{spec}: " + ("unknown" if pythons is None else
                                       f"Python {', '.join(pythons)}" if pythons else
                                       f"none for Python {checked}, only for Python {older} and older" if older else
                                       "none, for any Python"))
        progress(Notice(f"  warning: no wheel for Python {runtime.python} ({runtime.platforms[0]}) of {', '.join(new)}: "
                 "built from its sdist with a compiler, in a builder image; wheels on the index for Linux x86_64 "
                 f"({'; '.join(have)}): pin a version that has a wheel, or use a Python that has one, "
                 "to need no compiler"))


def wheel_for(spec: str, runtime: Runtime, base: builder.BuildBase, cache_dir: Path, label: str,
              progress: Callable[[str], None] = print, options: Sequence[str] = (),
              hashes: Sequence[str] = ()) -> tuple[Path, bool]:
    """(a wheel of `spec` for the target, whether it was compiled in the builder).

    `options`: the requirements file's index lines (sdists.index_options), so the
    sdist and its build requirements come from where the app's other packages do.
    `hashes`: the lock's --hash options for `spec`: pip checks the sdist against them."""
    slots = cache_dir / "sdist-wheels"
    with tempfile.TemporaryDirectory(prefix=".sdist-", dir=cache_dir) as tmp:
        work = Path(tmp)
        sdist = _download_sdist(spec, hashes, runtime, work, options, label)
        digest = sha256_file(sdist)
        if not sdists.has_native_code(sdist):
            slot = slots / sdists.cache_key(digest, HOST)
            wheel = _cached(slot) or _on_host(sdist, slot, spec, label, progress)
            if wheel is not None:
                return wheel, False
        warn([spec], runtime, progress, cache_dir)
        slot = slots / sdists.cache_key(digest, base.image_id, base.packages)
        cached = _cached(slot)
        if cached is not None:
            return cached, True
        failed = _failed.get(slot)
        if failed is not None:  # the same sdist on the same builder: it would fail the same way
            raise BuildFailed(f"{label}: {failed.message.split(': ', 1)[-1]} (failed for another target of this "
                              "build: not compiled again)", failed.detail)
        requirements = _download_build_requirements(sdist, spec, runtime, work, options, label)
        image = builder.image(base, label, progress)
        progress(f"  {label}: compiling {spec} from its sdist in {image} (no network) ...")
        try:
            wheel = builder.compile_sdist(image, sdist, requirements, work / "out", spec=spec, python=runtime.python,
                                          label=label)
        except BuildFailed as exc:
            _failed[slot] = exc
            raise
        return _keep(wheel, slot), True


# Compiles that failed in this process, by slot (the sdist's digest, the builder's base and
# packages): realworld's psycopg2 failed on pg_config once per target, four builds of minutes
# each, in one `invoke build`. A slot of other packages (the fix) is a new key.
_failed: dict[Path, BuildFailed] = {}


def cached_wheel(digests: Sequence[str], base: builder.BuildBase | None, cache_dir: Path) -> tuple[Path, bool] | None:
    """The wheel already built from an sdist whose sha256 is among `digests` (a lock line's
    hashes name its sdist's), pure or compiled for `base`; (wheel, compiled), or None."""
    slots = cache_dir / "sdist-wheels"
    for digest in digests:
        pure = _cached(slots / sdists.cache_key(digest, HOST))
        if pure is not None:
            return pure, False
        compiled = _cached(slots / sdists.cache_key(digest, base.image_id, base.packages)) if base else None
        if compiled is not None:
            return compiled, True
    return None


def _download_sdist(spec: str, hashes: Sequence[str], runtime: Runtime, work: Path, options: Sequence[str],
                    label: str) -> Path:
    dest = work / "sdist"
    listed = _requirements(work, options, [" ".join([spec, *hashes])])
    result = hostpip.run(["download", "--quiet", "--no-deps", "--no-binary=:all:", "--python-version",
                          runtime.python, "--dest", str(dest), "-r", listed])
    found = sorted(dest.glob("*")) if dest.is_dir() else []
    if result.returncode != 0 or len(found) != 1:
        raise BuildFailed(f"{label}: {spec} has no wheel for Python {runtime.python} ({runtime.platforms[0]}) "
                          f"and its source distribution cannot be downloaded either: {_first_error(result.stderr)}",
                          _tail(result.stderr))
    return found[0]


def _download_build_requirements(sdist: Path, spec: str, runtime: Runtime, work: Path, options: Sequence[str],
                                 label: str) -> Path:
    """PEP 518 build requirements, as wheels for the target: the builder installs them offline."""
    requires = sdists.build_requires(sdist)
    dest = work / "build-requires"
    result = hostpip.run(hostpip.wheels_for(runtime.python, runtime.platforms, dest,
                                            _requirements(work, options, list(requires))))
    if result.returncode != 0:
        raise BuildFailed(f"{label}: cannot download the build requirements of {spec} ({', '.join(requires)}) as "
                          f"wheels for Python {runtime.python}: {_first_error(result.stderr)}", _tail(result.stderr))
    return dest


def _requirements(work: Path, options: Sequence[str], lines: list[str]) -> str:
    path = work / f"requirements-{uuid.uuid4().hex[:8]}.txt"
    path.write_text("".join(f"{line}\n" for line in [*options, *lines]), encoding="utf-8")
    return str(path)


def _on_host(sdist: Path, slot: Path, spec: str, label: str, progress: Callable[[str], None]) -> Path | None:
    """Build on the host; the wheel only if it is pure Python, else None (and remember that)."""
    if (slot / NOT_PURE).exists():
        return None
    progress(f"  {label}: building {spec} from its sdist on the host (no native sources) ...")
    out = sdist.parent.parent / "host-out"  # in wheel_for's temporary folder
    result = hostpip.run(["wheel", "--quiet", "--no-deps", "--wheel-dir", str(out), str(sdist)])
    wheels = sorted(out.glob("*.whl")) if out.is_dir() else []
    if result.returncode == 0 and len(wheels) == 1 and sdists.is_pure(wheels[0].name):
        return _keep(wheels[0], slot)
    # A platform wheel (or a failure) on the host says nothing about the target: the builder decides.
    slot.mkdir(parents=True, exist_ok=True)
    (slot / NOT_PURE).touch()
    return None


def _cached(slot: Path) -> Path | None:
    wheels = sorted(slot.glob("*.whl")) if slot.is_dir() else []
    if wheels:
        trim.used(slot)
    return wheels[0] if wheels else None


def _keep(wheel: Path, slot: Path) -> Path:
    """Move a built wheel into its cache slot, atomically (a concurrent build may fill it first)."""
    partial = slot.parent / f".partial-{slot.name}-{uuid.uuid4().hex[:8]}"
    partial.mkdir(parents=True, exist_ok=True)
    shutil.move(str(wheel), partial / wheel.name)
    try:
        partial.rename(slot)
    except OSError:  # a concurrent build filled it first: the same wheel, which replaces ours
        slot.mkdir(parents=True, exist_ok=True)
        (partial / wheel.name).replace(slot / wheel.name)
        shutil.rmtree(partial, ignore_errors=True)
    cached = _cached(slot)
    assert cached is not None
    return cached


def _first_error(stderr: str) -> str:
    errors = [line for line in stderr.splitlines() if line.startswith("ERROR")]
    return errors[-1] if errors else "pip failed"


def _tail(stderr: str) -> str:
    return "\n".join(stderr.splitlines()[-20:])
