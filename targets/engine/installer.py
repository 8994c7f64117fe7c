"""The installer an image's dependency stage runs: uv, as one binary from its wheel.

`uv pip install --offline --no-index --find-links` installs a local wheelhouse
several times faster than pip (`invoke bench --deps` measures both). The
binary comes from uv's own wheel on PyPI, downloaded on the host for the
image's platform (a container has no network) and cached in build/.cache; it
runs only in the throwaway `deps` stage, so it never reaches a runtime image.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from ..errors import BuildFailed
from .base_images import Runtime

UV = "uv==0.13.9"  # the same uv as requirements-dev.txt's: bump both together
BINARY = "uv"


def uv_binary(runtime: Runtime, cache_dir: Path, label: str) -> Path:
    """uv for `runtime`'s platform, from the cache or downloaded once."""
    machine = runtime.platforms[0].split("_", 3)[3]
    dest = cache_dir / f"installer-{UV.replace('==', '-')}-{machine}"
    binary = dest / BINARY
    if binary.is_file():
        return binary
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".installer-", dir=cache_dir) as tmp:
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps",
                   "--only-binary=:all:", "--dest", tmp, UV]
        for platform in runtime.platforms:
            command += ["--platform", platform]
        result = subprocess.run(command, capture_output=True, text=True)
        wheels = sorted(Path(tmp).glob("uv-*.whl"))
        if result.returncode != 0 or len(wheels) != 1:
            said = [line for line in result.stderr.splitlines() if line.startswith("ERROR")]
            raise BuildFailed(f"{label}: cannot download the installer {UV} for {runtime.platforms[0]}: "
                              f"{said[-1] if said else 'pip download failed'}", result.stderr[-2000:])
        with zipfile.ZipFile(wheels[0]) as zf:
            member = next((n for n in zf.namelist() if n.endswith(f".data/scripts/{BINARY}")), None)
            if member is None:
                raise BuildFailed(f"{label}: {wheels[0].name} holds no {BINARY} binary")
            partial = Path(tmp) / "out"
            partial.mkdir()
            with zf.open(member) as src, open(partial / BINARY, "wb") as out:
                shutil.copyfileobj(src, out)
        (partial / BINARY).chmod(0o755)
        try:
            partial.rename(dest)
        except OSError:  # a concurrent build got there first
            if not binary.is_file():
                raise
    return binary


def link_into(binary: Path, folder: Path) -> None:
    """Hard-link the installer into a build context (COPY keeps its mode)."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        os.link(binary, folder / binary.name)
    except OSError:
        shutil.copy2(binary, folder / binary.name)
