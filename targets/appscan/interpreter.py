"""Which Python makes init's probe venv: the one the images will run, where this host has it.

The probe installs the app's dependencies and imports it, so it must run on a
Python the app allows: flaskbb says `requires-python = ">=3.12"`, and on a 3.11
host pip found no release of flask-allows2 at all. Then a `python3.X` the app
allows is used, from PATH (Debian's or deadsnakes' packages, uv's installs) or
pyenv's versions folder: the version init writes to defaults.python first, then the
newest other.

The version init writes to defaults.python is taken first whenever the host has
it, even where this Python is allowed too: the images run that version, and an
app that installs and imports on 3.11 may not on 3.13 (a pin with no wheel for
it, a module the standard library dropped). The build would find that out later,
and init would have written checks from a run on a Python no target uses.
Without that version the host's Python stays, where the app allows it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from .. import hostpython
from .errors import InitError
from .versions import SUPPORTED, allows, requires_python

HOST = hostpython.HOST


def choose(app_dir: Path, wanted: str) -> tuple[str, str]:
    """(interpreter, its major.minor) for the probe venv of the app in `app_dir`;
    `wanted`: the version init chose for the manifest."""
    if wanted == HOST:
        return sys.executable, HOST
    if (program := hostpython.answering(wanted)) is not None:
        return program, wanted
    found = requires_python(app_dir)
    if found is None:
        return sys.executable, HOST
    where, spec = found
    try:
        allowed = SpecifierSet(spec)
    except InvalidSpecifier:
        return sys.executable, HOST  # versions.py already said it is not a specifier
    if allowed.contains(f"{HOST}.{sys.version_info.micro}", prereleases=True):
        return sys.executable, HOST
    fitting = [v for v in SUPPORTED if allows(allowed, v)]
    for version in sorted(fitting, key=lambda v: (v == wanted, v), reverse=True):
        if (program := hostpython.answering(version)) is not None:
            return program, version
    need = " or ".join(f"python{v}" for v in fitting) or f"a Python that {spec!r} allows"
    raise InitError(f"{where} {spec!r} excludes this Python ({HOST}), which init's probe would "
                    f"install the app into, and no {need} answers on PATH or in pyenv's versions; install one "
                    f"(pyenv install, apt-get install, or uv python install), then run init again")
