"""The release command the app's Heroku files already run, for app.release.

A Procfile's `release:` line (and heroku.yml's `release: command:`) is what the
team runs once per deploy. init takes a plain command from it when it has no
release of its own (Flask-Migrate's `db upgrade`). It never takes a script of the
app's (dribdat's `release: ./release.sh`): on Heroku a release dyno may write
beside the code, but every flaskship image keeps the code read-only, and
dribdat's script compresses its static files in place after migrating, so as
app.release it would fail every target. Either way the manifest says what the
file runs and what init did with it, so nothing in it is passed over silently.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

import yaml

from .candidates import text_of

# Shells whose next word is the file they run: `bash bin/release` runs a script of the app's.
_SHELL = frozenset({"sh", "bash", "source", "."})


@dataclass(frozen=True)
class ReleaseLine:
    where: str  # "Procfile line 3", "heroku.yml's release.command"
    command: str

    @property
    def script(self) -> bool:
        """It runs a file of the app's (./release.sh, bash bin/release): what that does, init cannot see."""
        try:
            words = shlex.split(self.command)
        except ValueError:
            return True
        if not words:
            return False
        first = words[1] if words[0] in _SHELL and len(words) > 1 else words[0]
        return "/" in first or first.endswith(".sh")


def found(app_dir: Path) -> ReleaseLine | None:
    """The release command of the app's Procfile, else of its heroku.yml, else None."""
    procfile = app_dir / "Procfile"
    for number, line in enumerate(text_of(procfile).splitlines(), 1):
        kind, sep, command = line.partition(":")
        if sep and kind.strip() == "release" and command.strip():
            return ReleaseLine(f"Procfile line {number}", command.strip())
    try:
        data = yaml.safe_load(text_of(app_dir / "heroku.yml"))
    except yaml.YAMLError:
        return None
    release = data.get("release") if isinstance(data, dict) else None
    command = release.get("command") if isinstance(release, dict) else None
    if isinstance(command, list) and command and all(isinstance(word, str) for word in command):
        command = shlex.join(command)
    if isinstance(command, str) and command.strip():
        return ReleaseLine("heroku.yml's release.command", command.strip())
    return None


def taken(line: ReleaseLine | None) -> str | None:
    """The command to take as app.release when init has none of its own: a plain command, not a script."""
    return line.command if line is not None and not line.script else None


def note(line: ReleaseLine | None, release: str | None) -> str:
    """What the manifest says of the file's release line beside init's own release (or none)."""
    if line is None or release == line.command:
        return ""
    if line.script:
        return (f"{line.where} runs {line.command!r}, a script of the app's, which init does not take: "
                "the code is read-only in every image (on Heroku a release dyno may write beside it); "
                "put in app.release what of it the deploy needs")
    return (f"{line.where} runs {line.command!r}, not taken: init's is Flask-Migrate's upgrade with the app "
            "named; if the file's does more, add that to app.release")
