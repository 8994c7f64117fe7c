"""The throwaway venv the probe runs in: the host's Python plus only the app's dependencies.

Cached as <cache>/init-venv-<key>, the key hashing the dependency file, its
kind and the Python version, so a second init with the same dependencies
reuses it. It is built under a temporary name and renamed into place only
once pip succeeded: the cached name always means a complete venv. pip
works on a copy of the app folder: building a package writes *.egg-info and
build/ next to its pyproject.toml, and init leaves the app's folder alone.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from .. import hostpython, trim
from ..files import atomic_write
from . import pipfail
from .deps import Dependencies, pins
from .errors import InitError

PIP_TIMEOUT = 900
# What pip needs from the host to reach its index: proxies, certificates, its
# own settings; nothing else (no cloud or registry tokens).
_PIP_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE",
            "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy")


def python_of(venv: Path) -> Path:
    return venv / "bin" / "python"


def _pip_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k in _PIP_ENV or k.startswith("PIP_")}


# Not needed to install the dependencies, and possibly large: never copied for pip.
_TOP_ONLY = frozenset({"build", "dist", "node_modules", "instance"})


def _not_copied(app_dir: Path) -> Callable[[str, list[str]], set[str]]:
    def ignore(folder: str, names: list[str]) -> set[str]:
        here = Path(folder)
        return {n for n in names if n.startswith(".") or n == "__pycache__" or n.endswith(".egg-info")
                or (here == app_dir and n in _TOP_ONLY) or (here / n / "pyvenv.cfg").is_file() or special(here / n)}
    return ignore


def special(path: Path) -> bool:
    """Neither a file, a folder nor a link (a socket, a fifo): nothing to copy, and copytree fails on it."""
    return not (path.is_symlink() or path.is_file() or path.is_dir())


def _run(command: list[str], cwd: Path, what: str, explain: Callable[[str], str | None] = lambda output: None,
         log: Path | None = None) -> None:
    """`command`, its output kept. On failure, with a `log`, the whole output goes there, and:
    `explain(output)`'s line when it has one, with pip's own summary lines as the detail; else
    the last line, with the last 20 that are not pip's warnings (a pip configured with a
    find-links folder that is gone warns once per package, and buried the error)."""
    try:
        # One stream, in order: which package pip was collecting is what names a setup.py
        # that failed before it built anything (pipfail.failed_builds).
        subprocess.run(command, cwd=cwd, env=_pip_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=PIP_TIMEOUT, check=True, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise InitError(f"{what} did not finish within {PIP_TIMEOUT} s; check the network or the index pip uses") from None
    except subprocess.CalledProcessError as exc:
        output = exc.stdout or ""
        lines = [line for line in output.splitlines() if line.strip()]
        last = lines[-1].strip() if lines else f"exit status {exc.returncode}"
        if log is None:
            raise InitError(f"{what} failed: {last}", detail="\n".join(lines[-20:])) from None
        atomic_write(log, output)
        line = explain(output)
        if line is None:
            tail = [text for text in lines if not text.startswith("WARNING: ")][-20:]
            raise InitError(f"{what} failed: {pipfail.headline(output) or last}",
                            detail="\n".join([*tail, f"pip's whole output: {log}"])) from None
        raise InitError(f"{what} failed: {line}", detail="\n".join([*pipfail.summary(output), f"pip's whole output: {log}"])) from None


def ensure(cache_dir: Path, app_dir: Path, deps: Dependencies, progress: Callable[[str], None],
           python: str = sys.executable, version: str = hostpython.HOST) -> Path:
    """The venv for these dependencies, made by `python` (of major.minor `version`:
    interpreter.py), created now unless the cache has it."""
    key = hashlib.sha256(f"{version}\0{deps.file}\0{deps.digest}".encode()).hexdigest()[:16]
    final = cache_dir / f"init-venv-{key}"
    if python_of(final).exists():
        trim.used(final)
        progress(f"init: reusing the probe venv {final} (same {deps.file})")
        return final
    tmp = cache_dir / f".init-venv-{key}.{os.getpid()}.tmp"
    progress(f"init: creating a throwaway venv (Python {version}) and installing {deps.file} into it ...")
    try:
        shutil.rmtree(tmp, ignore_errors=True)
        cache_dir.mkdir(parents=True, exist_ok=True)
        # The host's python3, the one running flaskship, unless the app excludes it: a venv needs no network.
        _run([python, "-m", "venv", str(tmp)], cache_dir, f"python{version} -m venv")
        with tempfile.TemporaryDirectory(prefix=".init-src-", dir=cache_dir) as scratch:
            copy = Path(scratch) / app_dir.name
            shutil.copytree(app_dir, copy, ignore=_not_copied(app_dir), symlinks=True)
            # The pins are read only when a wheel failed to build (a lock is exported again then).
            # Not --quiet: its "Collecting ..." lines say which package a failure is in, and
            # build/init-pip.log is then pip's whole account, not its error lines alone.
            _run([str(python_of(tmp)), "-m", "pip", "install", "--disable-pip-version-check", "--no-input",
                  "--progress-bar", "off", *deps.pip_args(copy)], copy, f"pip install of {app_dir.name}/{deps.file}",
                 lambda output: pipfail.explain(output, pins(app_dir, deps), version, cache_dir),
                 cache_dir.parent / "init-pip.log")
        try:
            tmp.rename(final)
        except OSError:
            if not python_of(final).exists():  # else a concurrent init finished the same venv first: use it
                raise
    except OSError as exc:
        raise InitError(f"cannot create the probe venv under {cache_dir}: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final
