"""The boundary between Invoke and the package: errors in, one line out.

Whatever reaches the terminal from here is escaped (targets.errors.printable):
a message may quote a manifest key or a container's log, and neither may
forge a line or steer the terminal.
"""

from __future__ import annotations

import errno
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from invoke.exceptions import Exit

from .errors import FlaskshipError, printable

# What to do about an operating-system error the tool could not foresee.
OS_HINTS = {
    errno.ENOSPC: "free some space (build/ and build/.cache can be deleted) and run it again",
    errno.EDQUOT: "free some space (build/ and build/.cache can be deleted) and run it again",
    errno.EACCES: "check the permissions of that path",
    errno.EPERM: "check the permissions of that path",
    errno.EROFS: "the file system is read-only; run from a writable copy",
    errno.ENOTDIR: "a part of that path is a file where a folder is expected; move the file away",
    errno.EEXIST: "a file is in the way; move it away",
}


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # SIGTERM (CI cancelling a job) unwinds like Ctrl-C, so every `finally`
    # removes what it started.
    raise KeyboardInterrupt


def _os_error(exc: OSError) -> str:
    where = " ".join(f"{name}" for name in (exc.filename, exc.filename2) if name)
    reason = exc.strerror or str(exc)
    hint = OS_HINTS.get(exc.errno or 0, "fix that and run it again")
    return f"{reason}{f': {where}' if where else ''}; {hint}"


@contextmanager
def guarded() -> Iterator[None]:
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    except FlaskshipError as exc:
        if exc.detail:
            print(printable(exc.detail.rstrip(), keep="\n\t"), file=sys.stderr)
        raise Exit(f"error: {printable(exc.message)}", code=1) from None
    except KeyboardInterrupt:
        # A second Ctrl-C while `finally` blocks clean up must not cut them short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        raise Exit("interrupted; everything this run started has been removed", code=130) from None
    except OSError as exc:
        # The last line of defence for what no check foresaw: a full disk, a
        # folder that is a file. One line, no traceback.
        raise Exit(f"error: {printable(_os_error(exc))}", code=1) from None
    finally:
        signal.signal(signal.SIGTERM, previous)
