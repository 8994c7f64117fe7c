"""Whether an app's error shows state that is not there: a table, a file a release or a setup
step would have made. Pure (no Docker), so init's probe reads its routes' errors with it too."""

from __future__ import annotations

import re

# What the app says when state a release should have made is not there: then the release note applies.
_MISSING_STATE = ("no such table", "does not exist", "UndefinedTable", "No such file or directory")
# A file under node_modules/ is never state: no artifact holds that folder (build/ignore.py's
# defaults). PowerDNS-Admin's Flask-Assets bundles read it, and its 404 page failed on every target.
NODE_MODULES = re.compile(r"No such file or directory: '(?P<path>[^'\n]*/node_modules/[^'\n]*)'")


def state_missing(text: str) -> bool:
    """Whether the app's log or answer shows state that is not there (a table, a file)."""
    text = NODE_MODULES.sub("", text)
    return any(sign in text for sign in _MISSING_STATE)
