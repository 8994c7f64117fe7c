"""Resolve Python dependencies on the host into a wheelhouse for the image.

pip inside a container cannot reach PyPI here (and often cannot behind a
corporate proxy either), so wheels are downloaded on the host for the image's
exact Python version and platform, and the image installs them with
`pip install --no-index`. The wheelhouse is cached by (requirements, runtime).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from ..errors import BuildFailed
from .base_images import Runtime


def ensure(requirements: str, runtime: Runtime, cache_dir: Path, label: str,
           progress: Callable[[str], None] = print) -> Path:
    """Return a folder of wheels satisfying `requirements` for `runtime`."""
    key = hashlib.sha256(
        "\n".join([requirements, runtime.python, *runtime.platforms]).encode()
    ).hexdigest()[:16]
    dest = cache_dir / f"wheels-{key}"
    if dest.is_dir():
        return dest
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = cache_dir / f".partial-{key}-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    req_file = cache_dir / f".requirements-{key}.txt"
    req_file.write_text(requirements, encoding="utf-8")
    progress(f"  {label}: resolving wheels for Python {runtime.python} ({runtime.platforms[0]}) ...")
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
               "--only-binary=:all:", "--python-version", runtime.python, "--dest", str(partial),
               "-r", str(req_file)]
    for platform in runtime.platforms:
        command += ["--platform", platform]
    try:
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR")]
            raise BuildFailed(
                f"{label}: cannot download wheels for Python {runtime.python}: "
                f"{errors[0] if errors else 'pip download failed'} "
                "(every dependency needs a binary wheel or pure-Python wheel on the index)",
                "\n".join(result.stderr.splitlines()[-15:]),
            )
        partial.rename(dest)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
        req_file.unlink(missing_ok=True)
    return dest


def link_into(wheels: Path, dest: Path) -> None:
    """Hard-link the wheels into a build context (copy across filesystems)."""
    dest.mkdir(parents=True, exist_ok=True)
    for wheel in sorted(wheels.iterdir()):
        try:
            os.link(wheel, dest / wheel.name)
        except OSError:
            shutil.copy2(wheel, dest / wheel.name)
