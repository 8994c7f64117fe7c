"""An image's installed dependencies, made on the host: the folder its Dockerfile copies in one step.

The image's venv (`venv/`, copied to /opt/venv) and the functions runner's
platform layer (`platform/`, copied to /opt/platform) are made here, not by an
installer inside the build. uv, the host's own (pinned in requirements-dev.txt),
installs the wheelhouse offline for the base's interpreter as the probe found
it: `--python-platform` and `--python-version` make markers and wheel tags the
image's, not the host's, and a hashed lock is checked (`--require-hashes`).
Around it goes what `python -m venv --without-pip` writes: pyvenv.cfg naming
the base's interpreter, bin/python* linking to it, lib64 -> lib. Scripts get
the image's interpreter in their shebang. Everything is byte-compiled by the
base's own Python version (bytecode.py), and what nothing reads without an
installer (RECORD, INSTALLER, REQUESTED) is left out.

Why not `uv pip install` in a throwaway stage, as uv's Docker guide does (the
earlier way): on a cold build that stage was 1.75 s of the critical path, with
uv's 40 MB binary committed into a layer, a container for the install and the
venv copied out into another stage; the runner's platform stage was 1.3 s
more. Made here, a folder takes about 0.4 s, once per base and requirement
set (cached by key under build/.cache/venvs/), and each image's context gets
hard links to it. The Dockerfile still builds anywhere from its context alone,
with no network and no installer.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.metadata
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from ..errors import BuildFailed
from ..files import link_or_copy, tree_hash, tree_tar
from .. import trim
from . import bytecode
from .base_images import Runtime

VENV = "/opt/venv"
PLATFORM = "/opt/platform"
_DROPPED = ("RECORD", "INSTALLER", "REQUESTED", "uv_cache.json")  # PEP 627 makes the first three optional
VERSION = "4"  # of what this module makes: a change here must not reuse a tar an older one made
# (4: compiled without the user's PYTHONOPTIMIZE, which made .opt-1 files)


def site_packages(runtime: Runtime) -> str:
    return f"lib/python{runtime.python}/site-packages"


def ensure_venv(wheels: Path, requirements: Path, runtime: Runtime, base: str, cache_dir: Path, label: str) -> Path:
    """The image's venv: `requirements` (a requirements.txt, hashes checked when it has
    them) installed from `wheels`, for `runtime`; made once per key."""
    text = requirements.read_text(encoding="utf-8")
    args = [*(["--require-hashes"] if "--hash=" in text else []), "-r", str(requirements)]
    return _ensure("venv", wheels, text, runtime, base, cache_dir, lambda root: _venv(root, wheels, args, runtime, base, label))


def ensure_platform(wheels: Path, runtime: Runtime, base: str, cache_dir: Path, label: str) -> Path:
    """The runner's platform tree: every wheel in `wheels` as it is (the host resolved
    them against the shared set), no dependency resolved again; made once per key."""
    args = ["--no-deps", *sorted(str(wheel) for wheel in wheels.glob("*.whl"))]
    return _ensure("platform", wheels, "", runtime, base, cache_dir,
                   lambda root: _platform(root, wheels, args, runtime, base, label))


def _ensure(kind: str, wheels: Path, text: str, runtime: Runtime, base: str, cache_dir: Path,
            make: Callable[[Path], None]) -> Path:
    parts = [VERSION, kind, runtime.python, runtime.full, runtime.executable, *runtime.platforms, uv_version(),
             tree_hash(wheels), text]
    if not bytecode.host_can_compile(runtime):
        parts.append(base)  # compiled in a container of this very base
    dest = cache_dir / "venvs" / f"{kind}-{hashlib.sha256(chr(0).join(parts).encode()).hexdigest()[:24]}.tar.gz"
    if dest.is_file():
        trim.used(dest, sidecar=True)  # not its own mtime: build contexts hold links to it
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".making-", dir=dest.parent) as tmp:
        made = Path(tmp) / kind
        made.mkdir()
        make(made)
        partial = Path(tmp) / "partial.tar.gz"
        # gzip, fastest level: a third of the bytes (7.1 MB -> 2.5 MB for the demo, 70 ms,
        # once per key) that every build of every image sends the engine, which hashes
        # them for the ADD step's cache; ADD unpacks gzip itself. mtime=0: same bytes.
        partial.write_bytes(gzip.compress(tree_tar(made, "", symlinks=True), compresslevel=1, mtime=0))
        os.replace(partial, dest)  # whole or not at all; a concurrent build's is the same bytes
    return dest


def link_into(tar: Path, dest: Path) -> None:
    """The tar into a build context: a hard link (a copy across filesystems)."""
    dest.unlink(missing_ok=True)
    link_or_copy(tar, dest)


def _venv(root: Path, wheels: Path, args: Sequence[str], runtime: Runtime, base: str, label: str) -> None:
    site = root / site_packages(runtime)
    _install(site, wheels, args, runtime, label)
    bindir = root / "bin"
    bindir.mkdir()
    for script in sorted((site / "bin").iterdir()) if (site / "bin").is_dir() else []:
        _reshebang(script, bindir / script.name, f"{VENV}/bin/python")
    shutil.rmtree(site / "bin", ignore_errors=True)
    # As `python -m venv` links them: python3 to the base's interpreter, the rest to python3.
    os.symlink(runtime.executable, bindir / "python3")
    for name in ("python", f"python{runtime.python}"):
        os.symlink("python3", bindir / name)
    os.symlink("lib", root / "lib64")
    (root / "pyvenv.cfg").write_text(
        f"home = {os.path.dirname(runtime.executable)}\ninclude-system-site-packages = false\n"
        f"version = {runtime.full or runtime.python}\n", encoding="utf-8")
    bytecode.compile_tree(site, runtime, base, f"{VENV}/{site_packages(runtime)}", label, frozen=True)


def _platform(root: Path, wheels: Path, args: Sequence[str], runtime: Runtime, base: str, label: str) -> None:
    _install(root, wheels, args, runtime, label)
    shutil.rmtree(root / "bin", ignore_errors=True)  # run as `python -m`; its scripts would name no interpreter
    bytecode.compile_tree(root, runtime, base, PLATFORM, label, frozen=True)


def _install(target: Path, wheels: Path, args: Sequence[str], runtime: Runtime, label: str) -> None:
    """uv, offline, from `wheels` only, for the image's interpreter; then installer leftovers out."""
    machine = runtime.platforms[0].split("_", 3)[3]
    glibc = "_".join(runtime.platforms[0].split("_", 3)[:3])  # manylinux_2_36
    command = [uv(), "pip", "install", "--no-config", "--target", str(target), "--python", sys.executable,
               "--python-platform", f"{machine}-{glibc}", "--python-version", runtime.full or runtime.python,
               "--offline", "--no-index", "--no-cache", "--no-progress", "--link-mode", "copy",
               "--find-links", str(wheels), *args]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise BuildFailed(f"{label}: installing the dependencies from the wheelhouse failed: "
                          f"{_said(result.stderr) or f'uv exited {result.returncode}'}", result.stderr[-2000:])
    for leftover in [target / ".lock", *(p for p in target.glob("*.dist-info/*") if p.name in _DROPPED)]:
        leftover.unlink(missing_ok=True)


def _said(stderr: str) -> str:
    """uv's error in one line: its `error:` line, and the cause on the line after it."""
    lines = [line.strip(" \u2570\u2500\u25b6") for line in stderr.splitlines() if line.strip()]
    for number, line in enumerate(lines):
        if line.startswith("error:"):
            return " ".join([line.removeprefix("error:").strip(), *lines[number + 1:number + 2]])
    return lines[-1] if lines else ""


def _reshebang(script: Path, dest: Path, interpreter: str) -> None:
    """A script with the image's interpreter where uv wrote the host's: its whole first
    line when that names a Python (whatever path uv made of --python), else in the
    /bin/sh trampoline uv writes for a long path (its first lines)."""
    data = script.read_bytes()
    first, newline, rest = data.partition(b"\n")
    if first.startswith(b"#!") and b"python" in first and not first.startswith(b"#!/bin/sh"):
        data = f"#!{interpreter}".encode() + newline + rest
    else:
        data = data[:512].replace(sys.executable.encode(), interpreter.encode()) + data[512:]
    dest.write_bytes(data)
    dest.chmod(0o755)


def uv() -> str:
    """The uv package's binary (requirements-dev.txt pins it), whatever PATH says."""
    try:
        from uv import find_uv_bin
    except ImportError:
        raise BuildFailed("uv is not installed for this Python; run bin/setup "
                          "(or pip install -r requirements-dev.txt)") from None
    return str(find_uv_bin())


def uv_version() -> str:
    """The version of the uv package uv() runs (its metadata: no process to start)."""
    try:
        return importlib.metadata.version("uv")
    except importlib.metadata.PackageNotFoundError:
        return "none"  # uv() says how to install it
