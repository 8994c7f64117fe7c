"""What the app's own Dockerfile makes at build time, which flaskship's builds do not.

flaskship runs no build step: the code ships as it is in the app folder. An app
whose Dockerfile runs a tool that makes files from its code (microblog's
`RUN flask translate compile`, which turns its .po catalogues into the .mo
files Flask-Babel reads, and which its .gitignore leaves out) would ship
without them, silently: the pages fall back to English. init names each such
command, so the user sees it before a deploy does.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

# Programs that make files from the app's code or assets. pip, apt-get, useradd and the
# like install or configure the image, which flaskship's builds do themselves.
MAKERS = frozenset({"flask", "pybabel", "npm", "npx", "yarn", "pnpm", "make", "webpack", "tailwindcss", "sass",
                    "python", "python3"})
_NOT_MAKING = ("-m pip", "-m venv", "-m ensurepip", "-c")  # python's installs, and one-liners that are checks
_RUN = re.compile(r"^RUN\s+(?P<command>.*)$", re.I | re.S)
_ENV_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_SPLIT = re.compile(r"&&|\|\||;")


def _instructions(text: str) -> list[tuple[int, str]]:
    """(first line number, instruction) with continuations joined and comments dropped."""
    found: list[tuple[int, str]] = []
    parts: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not parts and (not stripped or stripped.startswith("#")):
            continue
        if parts and stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if not parts:
            start = number
        continued = stripped.endswith("\\")
        parts.append(stripped[:-1] if continued else stripped)
        if not continued:
            found.append((start, " ".join(part.strip() for part in parts)))
            parts = []
    return found


def _commands(run: str) -> list[str]:
    """The shell commands of a RUN's shell form, or its exec form's one command."""
    if run.startswith("["):
        try:
            words = json.loads(run)
        except ValueError:
            return [run]
        return [shlex.join(str(word) for word in words)] if isinstance(words, list) else [run]
    return [command.strip() for command in _SPLIT.split(run) if command.strip()]


def _makes(command: str) -> bool:
    try:
        words = shlex.split(command)
    except ValueError:
        return False
    while words and _ENV_ASSIGNMENT.match(words[0]):
        words = words[1:]
    if not words or words[0].rsplit("/", 1)[-1] not in MAKERS:
        return False
    rest = " ".join(words[1:])
    return not (words[0].rsplit("/", 1)[-1].startswith("python") and rest.startswith(_NOT_MAKING))


def build_steps(app_dir: Path) -> tuple[str, ...]:
    """Each command of the app's Dockerfile that makes files at build time, as
    "`command` (Dockerfile line N)"; () without a Dockerfile."""
    path = app_dir / "Dockerfile"
    if not path.is_file():
        return ()
    steps = []
    for number, instruction in _instructions(path.read_text(encoding="utf-8", errors="replace")):
        match = _RUN.match(instruction)
        if match:
            steps += [f"`{command}` (Dockerfile line {number})" for command in _commands(match["command"].strip())
                      if _makes(command)]
    return tuple(steps)


def note(steps: tuple[str, ...]) -> str:
    return (f"the app's Dockerfile runs {', '.join(steps)} at build time; flaskship runs no build step, so what "
            "it makes does not ship unless it is in the app folder and not git-ignored: run it before `invoke "
            "build`, or as app.prestart (at each boot) with its output folder under app.writable")
