"""The app's requirements, as the platform installs them and as an image installs them.

`app.requirements` names a requirements file or a pyproject.toml. Either way
the app itself may be a package: a pyproject.toml (PEP 621 `[project]`), or a
`.` / `-e .` / `./` / `-e ./` line in the requirements file. Two texts follow:

- deploy-time (deploy_text): what a platform with network runs
  `pip install -r` on, in the app's folder (Cloud Functions, on the zip): the
  user's file as written, or `.` for a pyproject.toml, plus the platform's lines;
- image-time (for_image): images install offline from a host-built wheelhouse,
  so the app is built into a wheel on the host and each `.` line becomes that
  wheel's exact pin (`hello-pkg==0.1.0`); the wheel joins the wheelhouse.

Every other line passes through untouched (comments, options, `--hash`,
markers). A line an offline image cannot honour (VCS, URL, another local path,
another editable, an included file) is one error naming the file and line.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..engine import wheelhouse
from ..errors import BuildFailed
from ..files import tree_hash

PYPROJECT = "pyproject.toml"
# The app itself: `.`, `./`, optionally editable, optionally with extras (`.[postgres]`).
_SELF = re.compile(r"(?:(?:-e|--editable)(?:\s+|=)?)?\./?(?P<extras>\[[^\]]*\])?")
_COMMENT = re.compile(r"(^|\s+)#.*$")  # pip's own rule: `#` at the start or after whitespace
_VCS = re.compile(r"(^|@\s*)(git|hg|svn|bzr)\+")
_INCLUDE = ("-r", "--requirement", "-c", "--constraint")
_EDITABLE = ("-e", "--editable")


@dataclass(frozen=True)
class Line:
    number: int  # first physical line (1-based), for errors
    raw: str  # the physical line(s) as written, continuations included
    self_extras: str | None  # "" or "[x]" when the line means the app itself, else None


@dataclass(frozen=True)
class ImageRequirements:
    text: str  # requirements.txt as the image installs it: the app pinned by name
    resolve: str  # the same for `pip download` on the host: the app as its wheel's file URL
    wheels: tuple[Path, ...]  # the app's own wheel (at most one), to add to the wheelhouse


def parse(text: str, where: str) -> list[Line]:
    """Logical lines of a requirements file; raises on a line an offline image cannot honour."""
    lines: list[Line] = []
    physical = text.splitlines()
    index = 0
    while index < len(physical):
        start, raw = index, physical[index]
        while raw.endswith("\\") and index + 1 < len(physical):  # pip joins continuation lines first
            index += 1
            raw += "\n" + physical[index]
        index += 1
        logical = _COMMENT.sub("", raw.replace("\\\n", "")).strip()
        match = _SELF.fullmatch(logical)
        if match:
            lines.append(Line(start + 1, raw, match.group("extras") or ""))
            continue
        problem = _problem(logical)
        if problem:
            raise BuildFailed(f"{where} line {start + 1}: cannot install '{logical}' in an offline image: {problem}; "
                              "list it by name (from an index) or vendor it into the app as a package")
        lines.append(Line(start + 1, raw, None))
    return lines


def _problem(logical: str) -> str | None:
    """Why an offline image cannot install this line, or None if it can."""
    if not logical:
        return None
    if logical.startswith(_EDITABLE):
        return "an editable install other than '-e .' (the app itself)"
    if logical.startswith(_INCLUDE):
        return "it includes another file, which is not copied into the image"
    if logical.startswith("-"):
        return None  # --index-url, --hash on its own line, --pre, ...: pip reads them as before
    requirement = re.split(r"\s+-", logical, maxsplit=1)[0]  # drop per-line options such as --hash
    if _VCS.search(requirement):
        return "a VCS requirement needs git (and the network) at install time"
    if "://" in requirement or requirement.startswith("file:"):
        return "a direct URL is fetched at install time"
    if requirement.startswith((".", "/", "~")):
        return "a local path other than '.' (the app itself) is not in the image"
    return None


def deploy_text(app_dir: Path, requirements: str, extra: tuple[str, ...], label: str) -> str:
    """requirements.txt for a platform that installs with network in the app's folder."""
    path, where = app_dir / requirements, f"{label}: app.requirements: {requirements}"
    if path.name == PYPROJECT:
        if path.parent.resolve() != app_dir.resolve():
            raise BuildFailed(f"{where}: the app's {PYPROJECT} must be at the top of app.source, which is what gets built")
        check_pyproject(path, where)
        text = ".\n"
    else:
        text = path.read_text(encoding="utf-8")
        if any(line.self_extras is not None for line in parse(text, where)) and not _buildable(app_dir):
            raise BuildFailed(f"{where}: '.' installs the app itself, but its folder has no {PYPROJECT} or setup.py; "
                              "add one, or remove the line")
    return text.rstrip("\n") + "\n" + "".join(f"{line}\n" for line in extra)


def check_pyproject(path: Path, where: str) -> None:
    """A pyproject.toml pip can build the app's wheel from, with PEP 621 metadata."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise BuildFailed(f"{where}: not valid TOML: {exc}") from None
    if "project" not in data:
        legacy = "it has [tool.poetry] (Poetry 1.x metadata), " if "poetry" in data.get("tool", {}) else ""
        raise BuildFailed(f"{where}: no [project] table; {legacy}declare the app's name, version and dependencies "
                          "in a PEP 621 [project] table, or point app.requirements at a requirements file")
    if "build-system" not in data:
        raise BuildFailed(f"{where}: no [build-system] table, so pip cannot build the app's wheel; add "
                          '[build-system] requires = ["setuptools>=61"], build-backend = "setuptools.build_meta"')


def for_image(text: str, src: Path, cache_dir: Path, label: str,
              progress: Callable[[str], None] = print) -> ImageRequirements:
    """Turn deploy-time `text` into what an image installs offline.

    `src` is what the image ships (its context's src/): the app's wheel is built
    from exactly that, so the wheel and the shipped code cannot disagree, and
    its content hash is the wheel's cache key.
    """
    lines = parse(text, f"{label}: requirements.txt")
    if all(line.self_extras is None for line in lines):
        return ImageRequirements(text, text, ())
    if not _buildable(src):
        raise BuildFailed(f"{label}: the app is installed as a package ('.'), but neither {PYPROJECT} nor setup.py "
                          "is shipped; an ignore file leaves it out: un-ignore it")
    wheel = wheelhouse.build_wheel(src, tree_hash(src)[:16], cache_dir, label, progress)
    name, version = wheelhouse.project_pin(wheel)

    def render(line: Line, image: bool) -> str:
        if line.self_extras is None:
            return line.raw
        # On the host pip must take this very file: the index may hold a
        # different project of the same name (PyPI has a `hello-pkg` 3.7.1).
        return f"{name}{line.self_extras}=={version}" if image else f"{name}{line.self_extras} @ {wheel.as_uri()}"

    image_text, resolve = ("".join(render(line, image) + "\n" for line in lines) for image in (True, False))
    return ImageRequirements(image_text, resolve, (wheel,))


def _buildable(folder: Path) -> bool:
    return (folder / PYPROJECT).is_file() or (folder / "setup.py").is_file()
