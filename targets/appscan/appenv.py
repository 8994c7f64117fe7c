"""The secret every Flask app has, SECRET_KEY, where the app reads it from its environment.

Many apps refuse to start without it (flask-todolist's create_app raises "SECRET_KEY is
not set"), and init's probe gives the app no host variable, so it could not import
them. Where the app's code reads SECRET_KEY from the environment, the probe gets a
throwaway value, and targets.yaml lists the name under the development environment's
secrets: smoke then passes a throwaway value of its own unless the host sets one, and
no value is ever written to a file or an image.
"""

from __future__ import annotations

import ast
import hashlib
import secrets
from collections.abc import Mapping

from .services import assigned_reads, env_reads, parsed_source

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
    """What the probe's environment adds: a throwaway value for the variable the app's key comes
    from, SECRET_KEY itself where the scan found no read. An app that reads it in a way the scan
    cannot see (the demo's loop over the names it takes) then signs with the throwaway, not with
    its default: only a key the app takes from its source is one written_in() finds."""
    return {reader[1] if reader else SECRET_KEY: secrets.token_urlsafe(32)}


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


def written_in(texts: Mapping[str, str], fingerprint: str | None) -> str | None:
    """"file, line N" of the string in the app's source its SECRET_KEY is (by the probe's sha256 of
    it), or None: a key anyone with the source can sign sessions with, the one every deploy gets
    unless something overrides it (anitya's "changeme please" in its DEFAULTS, used where no
    config file names one). Only .py files; one Python cannot parse is passed over."""
    if not fingerprint:
        return None
    for path, text in sorted(texts.items()):
        parsed = parsed_source(text)  # the tree the service scan made of it already
        if parsed is None:
            continue
        for node in ast.walk(parsed[0]):
            if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)) and node.value:
                value = node.value.encode("utf-8", "surrogatepass") if isinstance(node.value, str) else node.value
                if hashlib.sha256(value).hexdigest() == fingerprint:
                    return f"{path}, line {node.lineno}"
    return None


def written_note(where: str | None, secret_variable: str) -> str | None:
    """What init says of a SECRET_KEY written in the source (written_in)."""
    if where is None:
        return None
    return (f"the app ignored the {secret_variable} init's probe gave it and signs its sessions with the string "
            f"written in {where}; so does every deploy that sets its key no other way, and anyone with the source "
            f"can forge them: have the app read it from its environment (e.g. app.config[\"SECRET_KEY\"] = "
            f"os.environ[\"{secret_variable}\"]), list {secret_variable} under the environments' secrets, and "
            "set it on each platform")
