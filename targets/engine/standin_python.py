"""What a python:X base image's local stand-in is made of.

The official image is CPython X built from source with --enable-shared into
/usr/local, on Debian bookworm. Where this host has such a build of X (pyenv's,
made on this bookworm, so it links against the same libraries), the stand-in is
that build, copied to /usr/local on the debootstrapped bookworm: a build here then
runs the Python the manifest names, and wheels, bytecode and venvs are made for it
as they would be for the official image. For 3.11, and where the host has no build
of X, it is Debian's own python3 (3.11); the build announces a version that differs
(doctor says it too).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from .. import hostpython

# `python:3.12-slim`, `docker.io/library/python:3.12`: the version the official image carries.
BASE_PYTHON = re.compile(r"(?:^|/)python:(?P<version>3\.\d+)")
DEBIAN_PYTHON = "3.11"  # bookworm's python3
DEBIAN = f"Debian's python3 ({DEBIAN_PYTHON})"
# As the official image does: no test suites (127 MB for 3.12), no static libpython.
LEFT_OUT_DIRS = {"test", "tests", "idle_test"}


def version_of(ref: str) -> str | None:
    found = BASE_PYTHON.search(ref)
    return found.group("version") if found else None


def install_for(ref: str) -> hostpython.Install | None:
    """This host's relocatable build of the Python `ref` carries, or None (Debian's then).

    Debian's own where it is the version asked for: it is built with profile-guided
    optimization, as the official image is, and pyenv's builds are not (here a start of
    `python -c 'import json, http.server'` took 48 ms on Debian's 3.11, 68 ms on pyenv's)."""
    version = version_of(ref)
    return hostpython.relocatable(version) if version and version != DEBIAN_PYTHON else None


def variables(install: hostpython.Install | None) -> dict[str, str]:
    """The stand-in template's variables: the context folder holding the build, and its version."""
    return {"install": "python", "version": install.version} if install else {"install": "", "version": ""}


def rebuild_hint(ref: str, python: str) -> str | None:
    """For a stand-in of `ref` that holds `python`, not the version `ref` names: how to get
    that version, when this host now has a build of it (a stand-in made before it had one)."""
    version = version_of(ref)
    install = install_for(ref) if version and version != python else None
    if install is None:
        return None
    return f"this host has CPython {install.full} ({install.prefix}): `invoke base-images` rebuilds the stand-in with it"


def describe(install: hostpython.Install | None) -> str:
    return f"CPython {install.full} from {install.prefix}" if install else DEBIAN


def copy(install: hostpython.Install, dest: Path) -> None:
    """bin/pythonX.Y, lib/pythonX.Y (without its tests, optimized .pyc files, static library,
    or site-packages but pip, as the official image ships), libpython and the headers
    (the builder compiles sdists against them). Hard links where the file system allows."""
    v = install.version
    src = install.prefix

    def leave_out(folder: str, names: list[str]) -> set[str]:
        here = Path(folder)
        out = {n for n in names if (n in LEFT_OUT_DIRS and (here / n).is_dir())
               or n.endswith(".a") or ".opt-" in n}
        if here == src / "lib" / f"python{v}" / "site-packages":
            # Not what was installed into the host's copy (a .pth of the host's own, tools): pip only.
            out |= {n for n in names if n != "pip" and not n.startswith("pip-")}
        return out

    (dest / "bin").mkdir(parents=True)
    _link(src / "bin" / f"python{v}", dest / "bin" / f"python{v}")
    shutil.copytree(src / "lib" / f"python{v}", dest / "lib" / f"python{v}", ignore=leave_out,
                    copy_function=_link, symlinks=True)
    for library in sorted((src / "lib").glob(f"libpython{v[0]}*.so*")):
        if library.is_symlink():
            (dest / "lib" / library.name).symlink_to(os.readlink(library))
        else:
            _link(library, dest / "lib" / library.name)
    if (src / "include" / f"python{v}").is_dir():
        shutil.copytree(src / "include" / f"python{v}", dest / "include" / f"python{v}", copy_function=_link)


def _link(src: str | Path, dest: str | Path) -> None:
    try:
        os.link(src, dest)
    except OSError:  # another file system
        shutil.copy2(src, dest)
