"""The installer an image's dependency stage runs: uv, copied from uv's own image.

`uv pip install --offline --no-index --find-links` installs a local wheelhouse
several times faster than pip (`invoke bench --deps` measures both). The
Dockerfile does what uv's Docker guide does: `COPY --from=` uv's distroless
image (ghcr.io/astral-sh/uv:<version>, /uv and nothing else), into the
throwaway `deps` stage only, so uv never reaches a runtime image. Where that
image cannot be pulled, a stand-in of the same layout is built once per uv
version, FROM scratch, from uv's wheel on PyPI (downloaded on the host for the
engine's platform), labelled and kept like the base stand-ins. So the 40 MB
binary is sent to the engine once, never in an image's build context.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from ..errors import BuildFailed
from ..pins import UV_IMAGE
from . import base_images, docker_client
from .base_images import Runtime

UV = "uv==" + UV_IMAGE.rpartition(":")[2]  # the same uv as requirements-dev.txt's: bump both together
BINARY = "uv"


_FOUND: dict[str, str] = {}  # UV_IMAGE -> what this process builds with: one pull attempt per build, not per image


def image(runtime: Runtime, cache_dir: Path, label: str, progress: Callable[[str], None]) -> str:
    """uv's image for the Dockerfile's UV_IMAGE: present, pulled, or its stand-in, built on first need."""
    found = _FOUND.get(UV_IMAGE)
    if found is not None and base_images.exists(found):
        return found
    _FOUND[UV_IMAGE] = _image(runtime, cache_dir, label, progress)
    return _FOUND[UV_IMAGE]


def _image(runtime: Runtime, cache_dir: Path, label: str, progress: Callable[[str], None]) -> str:
    if base_images.available(UV_IMAGE, lambda _line: None):
        return UV_IMAGE
    standin = base_images.standin_ref(UV_IMAGE)
    if base_images.exists(standin):
        return standin
    binary = uv_binary(runtime, cache_dir, label)
    with tempfile.TemporaryDirectory(prefix="flaskship-uv-") as tmp:
        link_into(binary, Path(tmp))
        (Path(tmp) / "Dockerfile").write_text(f"FROM scratch\nCOPY {BINARY} /{BINARY}\n", encoding="utf-8")
        progress(f"  {UV_IMAGE} cannot be pulled here; building its stand-in {standin} (once) ...")
        docker_client.build_image(Path(tmp), standin, "base-images",
                                  {f"{docker_client.LABEL}.stands-in-for": UV_IMAGE}, progress=progress)
    return standin


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
