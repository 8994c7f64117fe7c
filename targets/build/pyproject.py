"""What an app's pyproject.toml is: a package to build, or an application's dependency list.

A pyproject.toml with a PEP 621 [project] table is one of two things:

- a package: it has a [build-system] (or says `tool.uv.package = true`). pip builds
  its wheel from the folder, and that wheel's requirements are the app's;
- an application that is not installed: no [build-system] (or `tool.uv.package =
  false`). This is how `uv init --app` lays a project out and what `uv run app.py`
  expects: uv installs the [project] dependencies and never builds the project
  itself. pip, given the folder, would fall back to setuptools' legacy build and
  fail on a flat layout of several top-level folders (flaskBlog's app/ does:
  "Multiple top-level packages discovered"). Its requirements are the
  [project].dependencies themselves, read from the file, as uv reads them.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

NAME = "pyproject.toml"


class PyprojectError(ValueError):
    """What is wrong with the file, in one phrase, for the caller's own error line."""


class NotToml(PyprojectError):
    """The file does not parse; `reason` is the parser's own words."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"not valid TOML: {reason}")
        self.reason = reason


def tables(path: Path) -> dict[str, Any]:
    """The file's tables, whatever they are; NotToml when it does not parse."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise NotToml(str(exc)) from None


def has_project(data: dict[str, Any]) -> bool:
    return isinstance(data.get("project"), dict)


def load(path: Path) -> dict[str, Any]:
    """The file's tables; a PyprojectError when it is not TOML or has no [project] table."""
    data = tables(path)
    if not has_project(data):
        raise PyprojectError("no PEP 621 [project] table")
    return data


def is_package(data: dict[str, Any]) -> bool:
    """Whether the project itself is built and installed (uv's rule: `tool.uv.package`, else
    whether a [build-system] is declared)."""
    uv = data.get("tool", {}).get("uv", {})
    if isinstance(uv, dict) and isinstance(uv.get("package"), bool):
        return uv["package"]
    return "build-system" in data


def dependencies(data: dict[str, Any]) -> list[str]:
    """An application's requirement lines: its [project].dependencies, as written. A
    PyprojectError when they are not static (only a build can compute dynamic ones)."""
    project = data["project"]
    if "dependencies" in project.get("dynamic", []):
        raise PyprojectError("[project] lists dependencies as dynamic, which only a build can compute, and it has "
                             "no [build-system]; list them in [project].dependencies, or add a [build-system]")
    listed = project.get("dependencies", [])
    if not isinstance(listed, list) or not all(isinstance(line, str) for line in listed):
        raise PyprojectError("[project].dependencies is not a list of requirement strings")
    return list(listed)
