"""What the app's own Dockerfile makes at build time, for app.build.

An app whose Dockerfile runs a tool that makes files from its code (microblog's
`RUN flask translate compile`, which turns its .po catalogues into the .mo
files Flask-Babel reads, and which its .gitignore leaves out) ships without
them unless flaskship runs that step too: the pages fall back to English,
silently. init writes each such command that runs in the app's own Python
image (flask, pybabel, python) as app.build, which every build then runs
offline in the images' dependency stage (build/appbuild.py), and names the
rest (npm, make: tools that image has not got) as a warning.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

# Programs that make files from the app's code or assets. pip, apt-get, useradd and the
# like install or configure the image, which flaskship's builds do themselves.
MAKERS = frozenset({"flask", "pybabel", "npm", "npx", "yarn", "pnpm", "make", "webpack", "tailwindcss", "sass",
                    "python", "python3"})
_NOT_MAKING = ("-m pip", "-m venv", "-m ensurepip", "-c")  # python's installs, and one-liners that are checks
# What app.build can run: programs of the app's own venv, in an image with nothing else
# (no Node.js, no make). `flask db` is not one: it changes a database, app.release's work.
IN_PYTHON = frozenset({"flask", "pybabel", "python", "python3"})
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


def _words(command: str) -> list[str]:
    """The command's words after any VAR=value assignments before it; [] when it does not parse."""
    try:
        words = shlex.split(command)
    except ValueError:
        return []
    while words and _ENV_ASSIGNMENT.match(words[0]):
        words = words[1:]
    return words


def _makes(command: str) -> bool:
    words = _words(command)
    if not words or words[0].rsplit("/", 1)[-1] not in MAKERS:
        return False
    program, rest = words[0].rsplit("/", 1)[-1], " ".join(words[1:])
    if program == "flask" and rest.startswith("db "):
        return False
    return not (program.startswith("python") and rest.startswith(_NOT_MAKING))


@dataclass(frozen=True)
class Step:
    """One command of a RUN that makes files."""

    command: str  # as the Dockerfile has it
    line: int  # 0: not the Dockerfile's, but init's own finding (`why`)
    folder: str | None = None  # where an earlier `cd` of the same RUN left it
    why: str = ""

    def __str__(self) -> str:
        return f"`{self.command}` ({f'Dockerfile line {self.line}' if self.line else self.why})"

    @property
    def in_python(self) -> bool:
        words = _words(self.command)
        return bool(words) and words[0].rsplit("/", 1)[-1] in IN_PYTHON

    def as_build(self) -> str:
        """The command for app.build: in its folder, with the program by name (the image's
        venv has it on PATH, not where the app's Dockerfile installed it)."""
        words = shlex.split(self.command)
        at = next(i for i, word in enumerate(words) if not _ENV_ASSIGNMENT.match(word))
        words[at] = words[at].rsplit("/", 1)[-1]
        command = shlex.join(words)
        # A subshell: the cd holds for this command only, as it held for its RUN only.
        return f"(cd {shlex.quote(self.folder)} && {command})" if self.folder else command


def build_steps(app_dir: Path) -> tuple[Step, ...]:
    """Each command of the app's Dockerfile that makes files at build time; () without a Dockerfile."""
    path = app_dir / "Dockerfile"
    if not path.is_file():
        return ()
    steps = []
    for number, instruction in _instructions(path.read_text(encoding="utf-8", errors="replace")):
        match = _RUN.match(instruction)
        if not match:
            continue
        folder = None
        for command in _commands(match["command"].strip()):
            words = _words(command)
            if len(words) == 2 and words[0] == "cd":
                folder = words[1]
            elif _makes(command):
                steps.append(Step(command, number, folder))
    return tuple(steps)


def build_command(steps: tuple[Step, ...]) -> str | None:
    """app.build for the steps that run in the app's Python image, in the Dockerfile's order."""
    return " && ".join(step.as_build() for step in steps if step.in_python) or None


def build_why(steps: tuple[Step, ...]) -> str:
    lines = ", ".join(str(step.line) for step in steps if step.in_python and step.line)
    reasons = [*([f"the app's Dockerfile runs it (line {lines})"] if lines else []),
               *(step.why for step in steps if step.in_python and not step.line)]
    return f"{'; '.join(reasons)}; each build runs it once, offline, in the images' dependency stage, and ships what " \
           "it makes"


def static_writes(written: tuple[str, ...], static: str | None) -> tuple[str, ...]:
    """The folders the probe's run wrote under the static folder, but for caches (`.webassets-cache`):
    files the app makes for its pages at run time, which nginx and Hosting, serving the static
    folder as built, never have (dribdat's Flask-Assets bundles: common.css answered 404 there)."""
    if not static:
        return ()
    return tuple(folder for folder in written if folder.startswith(static.rstrip("/") + "/")
                 and not any(part.startswith(".") for part in folder[len(static):].split("/")))


def assets_step(folders: tuple[str, ...], commands: tuple[str, ...], command: str) -> Step | None:
    """Flask-Assets' own `flask assets build` as app.build, where the app made its bundles at run time."""
    if not folders or "assets" not in commands:
        return None
    return Step(command, 0, why=f"the app made its Flask-Assets bundles in {', '.join(folders)} at run time, and "
                                "nginx and Hosting serve the static files as built")


def static_note(folders: tuple[str, ...], steps: tuple[Step, ...]) -> str | None:
    """A warning for files the app makes under its static folder that no build step makes."""
    if not folders or any(not step.line for step in steps):
        return None
    return (f"the probe's run wrote in {', '.join(folders)}, under the static folder: nginx (compose) and Hosting "
            "(cloudrun) serve the static files as built, so what the app makes there at run time answers 404 on "
            "those platforms; make it at build time (app.build), or serve it from a route of the app")


def note(steps: tuple[Step, ...]) -> str | None:
    """A warning for the steps app.build cannot run; None when there are none."""
    others = [str(step) for step in steps if not step.in_python]
    if not others:
        return None
    return (f"the app's Dockerfile runs {', '.join(others)} at build time, with tools the app's Python image has "
            "not got: run it before `invoke build`, so that what it makes is in the app folder (and not "
            "git-ignored), or as app.prestart (at each boot) with its output folder under app.writable")
