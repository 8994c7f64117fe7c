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
from collections.abc import Callable
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
        words = _words(self.command)
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


def settle(line: ReleaseLine | None, own: str | None, own_why: str,
           flask_command: Callable[[str], str]) -> tuple[str | None, str, str]:
    """(app.release, its why, a warning) from init's own release (Flask-Migrate's upgrade, or None)
    and the deploy file's line. flask_command(args) names the app for `flask` (backing.flask_command)."""
    if line is None or line.command == own:
        return own, own_why, ""
    if own is None and not line.script:
        words = _words(line.command)
        if words[0] == "flask" and not any(w in ("-A", "--app") or w.startswith("--app=") for w in words):
            # Heroku has FLASK_APP among the app's config vars; nothing sets it here.
            return (flask_command(shlex.join(words[1:])),
                    f"{line.where} runs {line.command!r} once per deploy; here with the app named", "")
        return line.command, f"{line.where} runs it once per deploy", ""
    said = (f"{line.where} runs {line.command!r}, a script of the app's, which init does not take: the code is "
            "read-only in every image (on Heroku a release dyno may write beside it); put in app.release what "
            "of it the deploy needs") if line.script else (
            f"{line.where} runs {line.command!r}, not taken: init's is Flask-Migrate's upgrade with the app named; "
            "if the file's does more, add that to app.release")
    return (None, "", said) if own is None else (own, f"{own_why}; {said}", "")


def _words(command: str) -> list[str]:
    try:
        return shlex.split(command)
    except ValueError:
        return command.split()
