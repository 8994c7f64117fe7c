"""`pip download` for the target's Python and platform, building from source what has no wheel.

pip is asked for wheels only (`--only-binary=:all:`: a container cannot build
anything later, having no network). While it fails because one requirement has
no wheel for the target, that requirement's wheel is built from its sdist
(fromsource.py) and pip runs again with the built wheels as --find-links: the
built wheel's own metadata then brings in its dependencies from the index.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from packaging.utils import canonicalize_name

from ..errors import BuildFailed
from . import fromsource, hostpip, markers, reuse, sdists
from .base_images import Runtime
from .builder import BuildBase

# In a wheelhouse that holds compiled wheels: which, and for which base. Not a
# wheel, so link_into() leaves it out of every build context.
COMPILED = ".compiled.json"


def download(command: list[str], runtime: Runtime, sources: BuildBase | None, cache_dir: Path, label: str,
             progress: Callable[[str], None], requirements: str = "") -> list[str]:
    """Run `command` (a pip download of `requirements`) to success, building missing wheels;
    returns the requirements compiled."""
    compiled: list[str] = []
    tried: dict[str, str] = {}  # requirement -> the wheel built for it
    with tempfile.TemporaryDirectory(prefix=".built-", dir=cache_dir) as built:
        while True:
            # Compiled wheels are tagged linux_<arch> (not manylinux-audited): allowed once there are any.
            extra = ["--find-links", built, "--platform", runtime.local_platform] if tried else []
            result = hostpip.run(command + extra)
            if result.returncode == 0:
                return compiled
            _refuse_full_disk(result.stderr, cache_dir, label)
            spec = sdists.unresolvable(result.stderr)
            if sources is None or spec is None or spec in tried:
                refused = f" (pip did not take the wheel built from its sdist, {tried[spec]})" if spec in tried else ""
                raise BuildFailed(f"{label}: cannot download wheels for Python {runtime.python}: "
                                  f"{_first_error(result.stderr)}{refused}", _tail(result.stderr))
            wheel, was_compiled = fromsource.wheel_for(spec, runtime, sources, cache_dir, label, progress,
                                                       sdists.index_options(requirements))
            shutil.copy2(wheel, Path(built) / wheel.name)
            tried[spec] = wheel.name
            if was_compiled:
                compiled.append(spec)


def download_locked(lock: str, runtime: Runtime, sources: BuildBase | None, cache_dir: Path, dest: Path,
                    label: str, progress: Callable[[str], None]) -> list[str]:
    """Download a complete, hashed lock's wheels for `runtime` into `dest`; returns the requirements compiled.

    Its markers are evaluated here for the target (markers.py), and pip fetches
    exactly the lines that apply, with --no-deps, checking every hash. A line
    with no wheel for the target is built from its sdist (whose hash pip checks
    too) and leaves the list; pip then runs again for the rest."""
    options, pending, _ = markers.for_target(lock, runtime)
    pending, compiled = reuse.take(pending, runtime, sources, cache_dir, dest, progress)
    with tempfile.TemporaryDirectory(prefix=".locked-", dir=cache_dir) as tmp:
        listed = Path(tmp) / "requirements.txt"
        while pending:
            listed.write_text("".join(f"{line}\n" for line in [*options, *(p.text for p in pending)]),
                              encoding="utf-8")
            result = hostpip.run(hostpip.wheels_for(runtime.python, runtime.platforms, dest, listed, "--no-deps"))
            if result.returncode == 0:
                return compiled
            _refuse_full_disk(result.stderr, cache_dir, label)
            spec = sdists.unresolvable(result.stderr)
            line = next((p for p in pending if spec and p.name == _name(spec)), None)
            if sources is None or line is None:
                raise BuildFailed(f"{label}: cannot download wheels for Python {runtime.python}: "
                                  f"{_first_error(result.stderr)}", _tail(result.stderr))
            wheel, was_compiled = fromsource.wheel_for(line.spec, runtime, sources, cache_dir, label, progress,
                                                       options, hashes=line.hashes)
            shutil.copy2(wheel, dest / wheel.name)
            pending.remove(line)
            if was_compiled:
                compiled.append(line.spec)
    return compiled


def _name(spec: str) -> str:
    return canonicalize_name(re.split(r"[\s<>=!~;\[(@]", spec, maxsplit=1)[0])


def record_compiled(wheelhouse: Path, sources: BuildBase, compiled: list[str]) -> None:
    (wheelhouse / COMPILED).write_text(json.dumps(
        {"base": sources.image_id, "packages": sorted(set(sources.packages)), "compiled": compiled}))


def compiled_for(wheelhouse: Path, sources: BuildBase | None) -> list[str] | None:
    """What a cached wheelhouse compiled, or None if that was for another base (or app.build_packages)."""
    try:
        record = json.loads((wheelhouse / COMPILED).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []  # every wheel came from the index or was built pure: good for any base
    except (OSError, ValueError):
        return None
    if sources is None or record.get("base") != sources.image_id \
            or record.get("packages") != sorted(set(sources.packages)):
        return None
    return [str(spec) for spec in record.get("compiled", [])]


def _first_error(stderr: str) -> str:
    errors = [line for line in stderr.splitlines() if line.startswith("ERROR")]
    return errors[0] if errors else "pip download failed"


def _tail(stderr: str) -> str:
    return "\n".join(stderr.splitlines()[-15:])


def _refuse_full_disk(stderr: str, cache_dir: Path, label: str) -> None:
    """ENOSPC: pip's own traceback says nothing more useful than that."""
    if "[Errno 28]" in stderr:
        raise BuildFailed(f"{label}: No space left on device in {cache_dir} while downloading wheels; "
                          "free some space (build/ and build/.cache can be deleted) and run it again")
