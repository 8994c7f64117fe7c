"""Lock files, turned into requirements text by their own tools' exporters.

A lock file says exactly what to install; reading one by hand would be a second,
subtly different implementation of its format. So each is exported by the
tool that wrote it, without dev groups, with its hashes (then pip's
hash-checking mode applies end to end, into the image's install):

- uv.lock:      `uv export --frozen --no-default-groups --no-editable` (the
                project itself becomes `.`, which images install as its wheel);
- Pipfile.lock: `pipenv requirements --hash` (default packages only), beside its Pipfile;
- poetry.lock:  `poetry export --only main` (Poetry's exporter plugin), when installed;
                it never lists the project itself, which Poetry installs in its package
                mode (the default, with a [build-system]): then `.` is added, as uv's has it.

The text is then read like any requirements file (reqlines.py). A lock file
must be at the top of app.source, beside the project file its tool reads.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from itertools import takewhile
from pathlib import Path

from ..errors import BuildFailed
from . import pyproject
from .reqlines import redact

TIMEOUT = 300
# What the exporters need from the host: no cloud or registry tokens. Their
# own settings (UV_*, PIPENV_*, POETRY_*) and the index's ${VAR} stay: the text
# keeps ${VAR} unexpanded and pip expands it on the host.
_ENV_KEEP = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE",
             "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy")


@dataclass(frozen=True)
class LockFormat:
    lock: str  # the lock file's name
    project: str  # the file its tool reads beside it
    tool: str  # what to install when the exporter is missing
    command: Callable[[bool], list[str]]  # the export command, with or without hashes
    probe: Callable[[], list[str]]  # succeeds when the exporter is installed


def _uv(hashes: bool) -> list[str]:
    # --frozen: export the lock as it is, never re-resolve; --no-default-groups:
    # no dev (nor any other default) group; --no-editable: the project as `.`.
    command = [*uv_command(), "export", "--frozen", "--no-default-groups", "--no-editable", "--no-header",
               "--no-annotate", "--format", "requirements.txt"]
    return command if hashes else [*command, "--no-hashes"]


def _pipenv(hashes: bool) -> list[str]:
    # Without --dev, only [packages]: dev-packages never reach an image.
    command = [sys.executable, "-m", "pipenv", "requirements"]
    return [*command, "--hash"] if hashes else command


def _poetry(hashes: bool) -> list[str]:
    command = ["poetry", "export", "--format", "requirements.txt", "--only", "main"]
    return command if hashes else [*command, "--without-hashes"]


FORMATS = {
    "uv.lock": LockFormat("uv.lock", "pyproject.toml", "uv (pip install uv)", _uv,
                          lambda: [*uv_command(), "export", "--help"]),
    "Pipfile.lock": LockFormat("Pipfile.lock", "Pipfile", "pipenv (pip install pipenv)", _pipenv,
                               lambda: [sys.executable, "-m", "pipenv", "requirements", "--help"]),
    "poetry.lock": LockFormat("poetry.lock", "pyproject.toml",
                              "Poetry's exporter (pip install poetry poetry-plugin-export)", _poetry,
                              lambda: ["poetry", "export", "--help"]),
}


def is_lock(path: str | Path) -> bool:
    return Path(path).name in FORMATS


def export(lock: Path, where: str, hashes: bool = True) -> str:
    """The lock file as requirements text, from its own tool; `where` starts every error."""
    fmt = FORMATS[lock.name]
    project = lock.parent / fmt.project
    if not project.is_file():
        raise BuildFailed(f"{where}: {fmt.project} is not beside {lock.name}; {fmt.tool.split(' (')[0]} "
                          "exports the lock together with it")
    key = hashlib.sha256(lock.read_bytes() + b"\0" + project.read_bytes()).hexdigest()
    text = _export(str(lock.resolve()), key, hashes, where)
    if lock.name == "poetry.lock" and poetry_installs_itself(project):
        # anitya reads its own version with importlib.metadata at import: without `.` every
        # target built, then failed at boot on PackageNotFoundError.
        text += ("" if text.endswith("\n") or not text else "\n") + ".\n"
    return text


def poetry_installs_itself(project: Path) -> bool:
    """Whether `poetry install` installs the project itself: Poetry's package mode, the default
    where a [build-system] builds it, unless [tool.poetry] says `package-mode = false`."""
    try:
        data = pyproject.tables(project)
    except pyproject.PyprojectError:
        return False  # Poetry itself refuses such a file; its export says so first
    poetry = data.get("tool", {}).get("poetry", {})
    mode = poetry.get("package-mode", True) if isinstance(poetry, dict) else True
    return "build-system" in data and mode is not False


def available(name: str) -> bool:
    """Whether this host can export `name` (poetry.lock needs Poetry and its export plugin)."""
    try:
        result = subprocess.run(FORMATS[name].probe(), capture_output=True, text=True,
                                timeout=60, env=_env(), stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


@lru_cache(maxsize=32)
def _export(lock_path: str, key: str, hashes: bool, where: str) -> str:
    """Cached per process by the lock's and project file's content (`key`): a build renders several times."""
    lock = Path(lock_path)
    fmt = FORMATS[lock.name]
    env = _env()
    if lock.name == "Pipfile.lock":
        # Its Pipfile, and no other: pipenv otherwise searches the parent folders.
        env |= {"PIPENV_PIPFILE": str(lock.parent / "Pipfile"), "PIPENV_VERBOSITY": "-1",
                "PIPENV_IGNORE_VIRTUALENVS": "1", "PIPENV_NOSPIN": "1"}
    try:
        result = subprocess.run(fmt.command(hashes), cwd=lock.parent, capture_output=True, text=True,
                                timeout=TIMEOUT, env=env, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise BuildFailed(f"{where}: reading {lock.name} needs {fmt.tool}, which is not installed") from None
    except subprocess.TimeoutExpired:
        raise BuildFailed(f"{where}: the {lock.name} export did not finish within {TIMEOUT} s") from None
    if result.returncode != 0:
        said = [line.strip() for line in (result.stderr or result.stdout).splitlines() if line.strip()]
        if lock.name == "poetry.lock" and any("export" in line and "does not exist" in line for line in said):
            raise BuildFailed(f"{where}: reading poetry.lock needs {fmt.tool}: Poetry has no export command here")
        last = said[-1] if said else f"exit status {result.returncode}"
        raise BuildFailed(f"{where}: cannot export {lock.name}: {last}", "\n".join(said[-20:]))
    return result.stdout


def uv_command() -> list[str]:
    """uv as pip installed it beside this Python (requirements-dev.txt), else the one on PATH.
    PATH's may be a pyenv shim, which an app's .python-version naming another Python breaks: in
    dribdat's folder (3.12) every lock failed on "pyenv: uv: command not found"."""
    try:
        from uv import find_uv_bin

        return [find_uv_bin()]
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        return [found] if found else [sys.executable, "-m", "uv"]


# Who is told that uv is about to run (BuildJob.lock sets it, for its thread): a lock made
# anew takes a second or more with the index; one kept in build/.cache/locks is not said.
told: ContextVar[Callable[[str], None] | None] = ContextVar("told", default=None)


def uv_compile(args: list[str], *, where: str, doing: str, failed: str, options: tuple[str, ...],
               cwd: Path | None = None) -> str:
    """`uv pip compile` with hashes for every platform (`args`: files, -c, --python-version):
    its output. BuildFailed names `where`, what it was `doing` (no uv, too slow) or,
    after `failed`, uv's own reason, with the ${VAR} values from `options` blanked."""
    tell = told.get()
    if tell is not None:
        tell(f"  {where}: {doing} (uv pip compile, with the index; kept in build/.cache/locks) ...")
    command = [*uv_command(), "pip", "compile", "--no-config", "--quiet", "--universal", "--generate-hashes",
               "--no-header", "--no-annotate", *args]
    try:
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT,
                                stdin=subprocess.DEVNULL, env=os.environ | {"UV_PYTHON_DOWNLOADS": "never"})
    except FileNotFoundError:
        raise BuildFailed(f"{where}: {doing} needs uv (pip install uv)") from None
    except subprocess.TimeoutExpired:
        raise BuildFailed(f"{where}: {doing} did not finish within {TIMEOUT} s") from None
    if result.returncode != 0:
        said = [line.strip() for line in redact(result.stderr, options).splitlines() if line.strip()]
        cause = reasons(said) or build_failure(said) or (said[-1] if said else "uv failed")
        raise BuildFailed(f"{where}: {failed}: {cause}", "\n".join(said[-20:]))
    return result.stdout


def reasons(said: list[str]) -> str:
    """uv's reasons for a failed resolution, in one line. They are a chain ("Because A
    ..., we can conclude B. And because C, ... unsatisfiable.", with indented lists
    after "all of:"): all of it, since the conflict is often in its last link; its hints
    after it are not reasons."""
    start = next((i for i, line in enumerate(said) if "because" in line.lower()), None)
    if start is None:
        return ""
    return " ".join(takewhile(lambda line: not line.lower().startswith("hint:"), said[start:]))


# A line of a failed build that says what went wrong: setuptools' "error in ... setup command",
# or an exception's own line ("ModuleNotFoundError: No module named 'distutils'"); not the
# installer's own lines around it (pip's "error: subprocess-exited-with-error", "error:
# command 'gcc' failed"), which say only that it failed. uv's account and pip's (init) alike.
BUILD_ERROR = re.compile(r"^(?:error\b(?!: (?:subprocess-exited|legacy-install|metadata-generation|command '))|"
                         r"(?:[A-Za-z_][\w.]*)?(?:Error|Exception)\b)")


def build_failure(said: list[str]) -> str:
    """uv's account of an sdist it could not build to read its metadata, in one line: which
    release, and the build's own last error (flask-base's jsmin 2.2.2: "error in jsmin setup
    command: use_2to3 is invalid."), not uv's closing hint, which names no package."""
    first = next((i for i, line in enumerate(said) if line.startswith("error: Failed to build")), None)
    if first is None:
        return ""
    body = list(takewhile(lambda line: not line.lower().startswith("hint:"), said[first + 1:]))
    errors = [line for line in body if BUILD_ERROR.match(line)]
    why = errors[-1] if errors else (body[-1] if body else "")
    return said[first].removeprefix("error: ").replace("`", "") + (f": {why}" if why else "")


def _env() -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items()
            if k in _ENV_KEEP or k.startswith(("UV_", "PIPENV_", "POETRY_", "PIP_"))}
    # Never download a Python interpreter: exporting a lock needs none.
    return keep | {"UV_PYTHON_DOWNLOADS": "never"}
