"""What to do about a target that did not boot, where its log shows a common cause.

The code is read-only in every image (it belongs to root; the server runs as
another uid). An app that writes beside its code, as many do on a VM (Miguel
Grinberg's microblog opens logs/microblog.log in its factory), dies at boot
with a PermissionError naming the file: that line, with the manifest key that
fixes it, says more than the traceback around it.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import PurePosixPath

from ..build.job import APP_DIR as APP_FOLDER
from ..pins import FRAMEWORK_NEEDS_FLASK_2
from .missing import NODE_MODULES, state_missing

APP_DIR = PurePosixPath(APP_FOLDER)  # where every Python image has the app's code
# How each note starts on a check's line: smoke's last line adds none to a line that has one.
NOTE = "; note: "
RELEASE = (f"{NOTE}app.release ran in a container of its own whose files are discarded (as Heroku's "
           "release phase does), so state it wrote to the container's filesystem is gone: keep it in a "
           "database service, or use app.prestart for per-boot setup")
# Python names the path as the app gave it: absolute (logging's handlers make it so),
# or relative to the server's working directory, which is APP_DIR in every image. It
# quotes it with ' unless the path holds one.
_DENIED = re.compile(r"(?:PermissionError: \[Errno 13\] Permission denied|OSError: \[Errno 30\] Read-only file system)"
                     r": (?:'(?P<single>[^'\n]+)'|\"(?P<double>[^\"\n]+)\")")


# SQLite's own words when the folder of its database file cannot be written (a file under
# the read-only code, or in a release's container, whose files are discarded): CTFd's default
# sqlite:///CTFd/ctfd.db, migrated by its release step.
_SQLITE = "sqlite3.OperationalError: unable to open database file"
SQLITE = (f"{NOTE}the app could not open its SQLite database file: its code is read-only in the image, and "
          "each container's files are its own (a release's are discarded): give it a database service "
          "(services: in targets.yaml) and its URL variable")


# functions-framework 3.x declares flask>=1.0 but imports flask.typing, which Flask 2.0
# added: an app that pins Flask 1.x (albumy's flask==1.1.2) locks, and the runner dies at
# import, as it would on Google's runtime. Not refused at the lock: the other targets run it.
_OLD_FLASK = "AttributeError: module 'flask' has no attribute 'typing'"
OLD_FLASK = (f"{NOTE}{FRAMEWORK_NEEDS_FLASK_2}, and the app pins an older Flask; Google's runtime fails alike: pin "
             "Flask>=2.0 in the app's requirements, or drop the functions target")


# The last line of a Python traceback: the exception and its message (`flask.cli.NoAppException: ...`),
# or a click command's own `Error: No such command 'db'.` (a flask command that failed without one).
_EXCEPTION = re.compile(r"^(?:(?:[A-Za-z_]\w*\.)*[A-Z]\w*)?(?:Error|Exception|Exit|Interrupt)(?::.*)?$", re.M)
def unshipped(text: str) -> str:
    """A note where the app failed reading a file in node_modules/; "" where it did not."""
    found = NODE_MODULES.search(text)
    if found is None:
        return ""
    return (f"{NOTE}the app reads {found['path']}, under node_modules/, which flaskship leaves out of every "
            "artifact (app.build has no npm): copy what it uses into the static folder, outside node_modules, "
            "or link it from a CDN")


def last_error(log: str) -> str:
    """The last exception line in the log, at most 200 characters; "" if it has none."""
    found = _EXCEPTION.findall(log)
    return found[-1].strip()[:200] if found else ""


def release(log: str) -> str:
    """A note for a failed app.release's line, where its log shows a common cause: boot's,
    without the release note (this is the release)."""
    return boot(log, release=False)


def boot(log: str, release: bool) -> str:
    """A note for a boot failure's line: the folder to list in app.writable, when the
    app died writing under its code; a database file it could not open; a Flask too old
    for functions-framework; with an app.release and a sign of missing state (or no error
    to quote), where the release's files went; else the app's last exception line."""
    denied = [PurePosixPath(posixpath.normpath(APP_DIR / (match["single"] or match["double"])))
              for match in _DENIED.finditer(log)]
    inside = [path for path in denied if path.is_relative_to(APP_DIR) and path != APP_DIR]
    if inside:
        path = inside[-1]
        # open("logs/app.log") fails on a file in the folder to list; os.mkdir("logs") on
        # the folder itself, which is at the top and has no suffix (a guess: a top-level
        # file without a suffix would be named as a folder).
        folder = path.parent if path.parent != APP_DIR or path.suffix else path
        fix = (f"list {str(folder.relative_to(APP_DIR))!r} under app.writable in targets.yaml" if folder != APP_DIR
               else "have the app write into a folder listed under app.writable in targets.yaml")
        return (f"{NOTE}the app could not write {path}: its code is read-only in the image; {fix}, or "
                "have it write elsewhere (logs to stdout)")
    if _SQLITE in log:
        return SQLITE
    if _OLD_FLASK in log:
        return OLD_FLASK
    if note := unshipped(log):
        return note
    error = last_error(log)
    if release and (not error or state_missing(log)):
        return RELEASE
    return f"{NOTE}the app's last error: {error}" if error else ""
