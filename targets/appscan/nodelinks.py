"""Pages that link npm's install folder, which no artifact ever holds.

flaskship leaves node_modules/ out of every image and zip (build/ignore.py's
defaults), and app.build has no Node to make it. anitya's pages link
bootstrap and jquery from static/node_modules/ (its container file runs `npm
install` there): every target answered its pages without their CSS and
scripts, and smoke, which fetches no linked file, passed. init says so.
PowerDNS-Admin names them in Python instead, as Flask-Assets bundles
(assets.py: 'node_modules/@fortawesome/...'): every page that renders one
answered 500 in init's probe. A string literal in a .py file counts too.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .candidates import skipped, text_of

TEMPLATES = (".html", ".htm", ".jinja", ".jinja2", ".j2")
OUTPUT = ("build", "dist")  # packaging output at any depth, beside what candidates.skipped() leaves out
LINK = re.compile(r"node_modules/[\w@.+/-]+")
# In Python, only inside a string literal: not a comment that mentions the folder.
PY_LINK = re.compile(r"""['"][^'"#]*?(node_modules/[\w@.+/-]+)""")
MAX_FILES = 5000  # a template folder, not a vendored site: stop looking past this many


def links(app_dir: Path) -> list[str]:
    """Each template that links a file in node_modules/: "file line N: node_modules/...", its first."""
    found: list[str] = []
    seen = 0
    for folder, dirs, files in os.walk(app_dir):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if not skipped(here, d, here == app_dir) and d not in OUTPUT)
        for name in sorted(n for n in files if n.endswith((*TEMPLATES, ".py"))):
            seen += 1
            if seen > MAX_FILES:
                return found
            pattern, group = (PY_LINK, 1) if name.endswith(".py") else (LINK, 0)
            for number, line in enumerate(text_of(here / name).splitlines(), 1):
                if match := pattern.search(line.split("#", 1)[0] if group else line):
                    found.append(f"{(here / name).relative_to(app_dir).as_posix()} line {number}: {match[group]}")
                    break
    return found


def note(found: list[str]) -> str | None:
    """The warning for them; None when no page links node_modules/."""
    if not found:
        return None
    shown = "; ".join(found[:2]) + (f"; and {len(found) - 2} more file(s)" if len(found) > 2 else "")
    return (f"the app's pages use files in node_modules/ ({shown}): flaskship leaves node_modules out of every "
            "artifact, so a page's link to one answers 404 on every target (smoke fetches none of them), and an "
            "asset bundle made of them fails its page with a 500; copy what the pages use into the static folder, "
            "outside node_modules (app.build has no npm), or link them from a CDN")
