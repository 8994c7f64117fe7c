"""The secret every Flask app has, SECRET_KEY, where the app reads it from its environment.

Many apps refuse to start without it (flask-todolist's create_app raises "SECRET_KEY is
not set"), and init's probe gives the app no host variable, so it could not import
them. Where the app's code reads SECRET_KEY from the environment, the probe gets a
throwaway value, and targets.yaml lists the name under the development environment's
secrets: smoke then passes a throwaway value of its own unless the host sets one, and
no value is ever written to a file or an image.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from .services import assigned_reads, env_reads

SECRET_KEY = "SECRET_KEY"


def reads_secret_key(texts: Mapping[str, str]) -> tuple[str, str] | None:
    """(the first file, by path, that reads the app's SECRET_KEY from the environment, the variable),
    or None: SECRET_KEY itself, else the variable the app reads into it (dribdat's DRIBDAT_SECRET,
    whose default, a string in its code, every deploy that does not set it signs sessions with)."""
    for path, text in sorted(texts.items()):
        if SECRET_KEY in env_reads({path: text}):
            return path, SECRET_KEY
    for path, text in sorted(texts.items()):
        into = assigned_reads({path: text}, frozenset({SECRET_KEY}))
        if into:
            return path, into[0]
    return None


def probe_env(reader: tuple[str, str] | None) -> dict[str, str]:
    """What the probe's environment adds: a throwaway value for the variable the app's key comes from."""
    return {reader[1]: secrets.token_urlsafe(32)} if reader else {}


def keeps_its_own_key(texts: Mapping[str, str], written_top: tuple[str, ...]) -> tuple[str, str] | None:
    """(the file naming SECRET_KEY, the key file the app wrote) where the app, given no key, made
    one of its own at its top (CTFd's .ctfd_secret_key, read through its config.ini): in an image
    each worker then makes its own, and a session one worker signs the next cannot read."""
    made = next((name for name in written_top if is_key_file(name)), None)
    named = next((path for path, text in sorted(texts.items()) if SECRET_KEY in text), None)
    return (named, made) if made and named else None


def is_key_file(name: str) -> bool:
    """A file named like a key the app keeps for itself (.ctfd_secret_key)."""
    return "secret" in name.lower() or "key" in name.lower()
