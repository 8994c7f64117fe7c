"""The app's dependency file: what the manifest's app.requirements names, and what the probe installs.

requirements.txt wins when both it and a pyproject.toml exist (it is what the
app's deploys install today, and `.` in it still installs the package). A
pyproject.toml alone must have a PEP 621 [project] table: then the app is an
installable package, installed with `pip install <app folder>`.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .errors import InitError

REQUIREMENTS = "requirements.txt"
PYPROJECT = "pyproject.toml"


@dataclass(frozen=True)
class Dependencies:
    file: str  # REQUIREMENTS or PYPROJECT, relative to the app folder
    why: str
    digest: str  # sha256 of the file: the probe venv's cache key

    def pip_args(self, app_dir: Path) -> list[str]:
        # Exactly the app's dependencies, nothing else (pip runs with cwd = the app folder).
        return ["-r", REQUIREMENTS] if self.file == REQUIREMENTS else [str(app_dir)]


def _has_project_table(path: Path, label: str) -> bool:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InitError(f"{label}: {PYPROJECT} is not valid TOML ({exc}); fix it or add a {REQUIREMENTS}") from None
    return isinstance(data.get("project"), dict)


def dependencies(app_dir: Path) -> Dependencies:
    label = app_dir.name
    requirements, pyproject = app_dir / REQUIREMENTS, app_dir / PYPROJECT
    if requirements.is_file():
        why = f"{REQUIREMENTS} found" + (f" (preferred over the {PYPROJECT} also there)" if pyproject.is_file() else "")
        return Dependencies(REQUIREMENTS, why, hashlib.sha256(requirements.read_bytes()).hexdigest())
    if pyproject.is_file():
        if not _has_project_table(pyproject, label):
            raise InitError(f"{label}: no {REQUIREMENTS}, and {PYPROJECT} has no PEP 621 [project] table; "
                            f"declare the dependencies in [project] or write a {REQUIREMENTS}")
        return Dependencies(PYPROJECT, f"no {REQUIREMENTS}; {PYPROJECT} has a [project] table: the app is an "
                            "installable package", hashlib.sha256(pyproject.read_bytes()).hexdigest())
    raise InitError(f"{label}: neither {REQUIREMENTS} nor {PYPROJECT} found; list the app's dependencies in one of them")
