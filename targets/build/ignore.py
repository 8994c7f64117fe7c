"""What of the app folder is left out of every artifact (images and the functions zip), and why.

Rule sets: `.gitignore` (the app folder's own, and nested ones, each scoped to
its folder) and `.gcloudignore` (gitignore syntax plus `#!include:<file>`) with
git's semantics; `.dockerignore` with Docker's (see _docker_rules); and
flaskship's defaults (default_excluded), always applied.

Combining them: the union. A path is left out when ANY rule set leaves it out,
and a `!pattern` re-includes only against the rules of its own file: `!.env` in
.dockerignore does not bring back what .gitignore or the defaults drop (nor, unlike
git, does a nested .gitignore's `!pattern` undo the top one's).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import partial
from pathlib import Path

from pathspec import GitIgnoreSpec, PathSpec, Pattern

from ..errors import SourceError

DEFAULTS = "flaskship's defaults"
MAX_IGNORE_BYTES = 1 << 20  # an ignore file is a list of patterns; refuse to slurp anything bigger
# flaskship's defaults. Folders, anywhere: caches, virtualenvs, tests, packaging output.
_ANY_DIR = ("__pycache__", ".pytest_cache", "*.egg-info", "node_modules", "tests", "test", ".venv", "venv")
# Anything, anywhere, lower-cased: VCS data (.git is a file in a worktree),
# local secrets (".env*": .env.local, .ENV, .envrc, .env~; not environment.py), bytecode, backups.
_ANY_NAME = (".git", ".env*", "*.pyc", "*~", "*.pem", "*.key", "id_rsa*")
# Folders at the app's top only: Flask's instance folder (local config and data) and packaging output.
_ROOT_DIR = ("instance", "build", "dist")
# Left out, but too routine to mention in the build's output.
BORING = ("__pycache__", "*.pyc", ".git", ".pytest_cache")


@dataclass(frozen=True)
class Rules:
    label: str  # the file, as named in the build's output
    base: str  # the folder its patterns are relative to: "" or "sub/dir/"
    match: Callable[[str], bool]  # path relative to base, a folder ending in "/"
    # Docker looks inside a folder it ignores when a `!pattern` may re-include something
    # there; git never does ("cannot re-include a file if a parent directory is excluded").
    descend: bool = False


def default_excluded(rel: str, is_dir: bool, is_venv: bool) -> bool:
    """flaskship's own rules; `is_venv`: the folder holds a pyvenv.cfg, whatever its name."""
    name = posixpath.basename(rel).lower()
    if any(fnmatchcase(name, pattern) for pattern in _ANY_NAME):
        return True
    return is_dir and (is_venv or any(fnmatchcase(name, p) for p in _ANY_DIR) or ("/" not in rel and name in _ROOT_DIR))


def read_rules(app_dir: Path, folder: str = "") -> list[Rules]:
    """The rule sets found in `folder` ("" is the app's top, where all three are read;
    elsewhere only a nested .gitignore applies)."""
    found: list[Rules] = []
    for name in (".gitignore", ".dockerignore", ".gcloudignore") if folder == "" else (".gitignore",):
        lines = _read_lines(app_dir, folder + name)
        if lines is None:
            continue
        if name == ".dockerignore":
            found.append(Rules(name, folder, *_docker_rules(lines)))
            continue
        if name == ".gcloudignore":
            lines = _gcloud_includes(app_dir, folder, lines)
        found.append(Rules(folder + name, folder, GitIgnoreSpec.from_lines(lines).match_file))
    return found


def excluded_by(rules: list[Rules], rel: str, is_dir: bool) -> Rules | None:
    """A rule set that leaves `rel` (posix, relative to the app folder) out, or None;
    one that prunes a folder wins over one that may re-include inside it."""
    path = rel + ("/" if is_dir else "")
    hits = [r for r in rules if path.startswith(r.base) and r.match(path[len(r.base):])]
    return min(hits, key=lambda rule: rule.descend, default=None)


def is_boring(rel: str) -> bool:
    name = posixpath.basename(rel.rstrip("/"))
    return any(fnmatchcase(name, pattern) for pattern in BORING)


def summary(left_out: list[str], labels: list[str], limit: int = 8) -> str:
    """The one line the build prints about what it left out."""
    names = ", ".join(left_out[:limit]) + (f" and {len(left_out) - limit} more" if len(left_out) > limit else "")
    sources = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
    return f"  left out (not shipped): {names} (from {sources}; see README)"


def _read_lines(app_dir: Path, rel: str) -> list[str] | None:
    path = app_dir / rel
    if not path.is_file():
        return None
    if not path.resolve().is_relative_to(app_dir.resolve()):
        raise SourceError(f"app.source: {rel} points out of the app folder; keep ignore files inside it")
    if path.stat().st_size > MAX_IGNORE_BYTES:
        raise SourceError(f"app.source: {rel} is over {MAX_IGNORE_BYTES} bytes; is it really an ignore file?")
    return path.read_text(encoding="utf-8", errors="replace").splitlines()


def _gcloud_includes(app_dir: Path, folder: str, lines: list[str]) -> list[str]:
    """gcloud's `#!include:<file>` splices that file's lines in place (path relative to the .gcloudignore)."""
    chunks = ((_read_lines(app_dir, folder + line[10:].strip()) or []) if line.startswith("#!include:") else [line]
              for line in lines)
    return [item for chunk in chunks for item in chunk]


def _docker_rules(lines: list[str]) -> tuple[Callable[[str], bool], bool]:
    """.dockerignore with Docker's meaning, as a matcher, and whether it has `!` patterns.

    Docker cleans each pattern (a leading `/` and a trailing `/` go: `a/` also
    matches a file `a`) and matches it Go-filepath.Match-style, plus `**` for any
    number of folders, against the whole path from the context root. pathspec's
    gitignore patterns are close, but a gitignore pattern without a slash
    matches at any depth, so each is anchored with `/` (`*.md` is top-level
    only). Still gitignore's: `[!...]` (Go says `[^...]`), and `**` inside a
    name (`a**b`), which Docker lets cross folders.
    """
    out: list[str] = []
    for line in (raw.strip() for raw in lines):
        negate = line.startswith("!")
        pattern = posixpath.normpath((line[1:] if negate else line).strip()).lstrip("/")
        if line and not line.startswith("#") and pattern not in ("", "."):
            out.append(("!" if negate else "") + "/" + pattern)
    return partial(_docker_match, PathSpec.from_lines("gitignore", out).patterns), any(p[0] == "!" for p in out)


def _docker_match(patterns: Sequence[Pattern], path: str) -> bool:
    """The last pattern that matches the path or a folder above it decides (pathspec
    leaves folders above to the caller: git never looks inside an ignored one)."""
    parts = path.rstrip("/").split("/")
    above = ["/".join(parts[:n]) for n in range(len(parts), 0, -1)]
    left_out = False
    for pattern in patterns:
        if pattern.include is not None and any(pattern.match_file(p) is not None for p in above):
            left_out = pattern.include
    return left_out
