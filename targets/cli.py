"""The boundary between Invoke and the package: errors in, one line out.

Whatever reaches the terminal from here is escaped (targets.errors.printable):
a message may quote a manifest key or a container's log, and neither may
forge a line or steer the terminal.

Ctrl-C (or SIGTERM, CI cancelling a job) unwinds the run once, so every
`finally` removes what it started; a second one while that happens is told
to wait instead of cutting the clean-up short. Then a sweep removes anything
this process still holds (an interrupt can land inside a clean-up too).
"""

from __future__ import annotations

import errno
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any, NoReturn

from invoke.exceptions import Exit

from .errors import FlaskshipError, ManifestError, printable

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


class _Manifests:
    """targets.manifest, imported on first use: its model (pydantic) costs about
    0.2 s, which `invoke --list` and a no-op build need not pay."""

    DEFAULT_MANIFEST = "targets.yaml"  # == targets.manifest.DEFAULT_MANIFEST (tests/unit/test_progress.py)

    def __getattr__(self, name: str) -> Any:
        import targets.manifest as module

        found: ModuleType | Any = getattr(module, name)
        return found

    def locate(self, given: str) -> str:
        """The manifest to use. The default name, absent from the current folder, is
        looked for in each folder above it, as invoke finds tasks.py and compose its
        file: `invoke build` run from app/ then works on the project around it, and
        build/ stays beside the manifest. Any other path is taken as given."""
        if given != self.DEFAULT_MANIFEST or os.path.lexists(given):  # a broken link here is this folder's error
            return given
        here = Path.cwd()
        for folder in here.parents:
            if os.path.lexists(folder / given):
                return str(folder / given)
        raise ManifestError(f"{given}: not found in {printable(str(here))} or any folder above it; "
                            "create one (`invoke init --app <folder>` writes a start) or pass --manifest")


manifests = _Manifests()


class _Interrupts:
    """The first SIGINT/SIGTERM raises KeyboardInterrupt; later ones only say to wait."""

    def __init__(self) -> None:
        self.seen = False
        self.signum = signal.SIGINT

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if self.seen:
            print("flaskship: still removing what this run started; it will exit when done", file=sys.stderr)
            return
        self.seen = True
        self.signum = signum
        raise KeyboardInterrupt

    def lost(self, unraisable: Any, passed_on: Any) -> None:
        """sys.unraisablehook: a KeyboardInterrupt raised inside a finalizer the collector runs
        is only printed ("Exception ignored in: <finalize object>"), and the run went on to the
        end (seen once in CI's Ctrl-C test). The signal is sent again, shortly, to land in the
        run itself; anything else is passed on."""
        if unraisable.exc_type is not KeyboardInterrupt or not self.seen:
            passed_on(unraisable)
            return
        self.seen = False
        # To the main thread itself, where the handler runs: sent to the process from the timer's
        # thread, the kernel may deliver it there, and a main thread blocked in a read (`up`
        # following an idle container's log) never wakes to run the handler: CI's `up` test
        # then waited 120 s for an exit after its Ctrl-C.
        main = threading.main_thread().ident
        assert main is not None
        threading.Timer(0.01, signal.pthread_kill, (main, self.signum)).start()


def _os_error(exc: OSError) -> str:
    # Of a copy (src, dst), the destination is where the problem is.
    where = str(exc.filename2 or exc.filename or "")
    reason = exc.strerror or str(exc)
    hint = OS_HINTS.get(exc.errno or 0, "fix that and run it again")
    return f"{reason}{f': {where}' if where else ''}; {hint}"


def _sweep() -> str:
    """Remove what this process still holds in the engine; a note for the user, or ''."""
    docker_client = sys.modules.get("targets.engine.docker_client")
    if docker_client is None or not docker_client.in_use():
        return ""
    try:
        removed = docker_client.sweep()
    except Exception as exc:  # noqa: BLE001 - the engine itself may be what failed
        return f"could not check the engine for leftovers ({type(exc).__name__}); see `docker ps -a --filter label=io.flaskship.invocation={docker_client.INVOCATION}`"
    return f"removed what a clean-up missed: {', '.join(removed)}" if removed else ""


def _lost_engine(exc: BaseException) -> bool:
    import requests
    import urllib3.exceptions

    return isinstance(exc, (requests.ConnectionError, requests.exceptions.ChunkedEncodingError,
                            urllib3.exceptions.ProtocolError, ConnectionError))


@contextmanager
def guarded() -> Iterator[None]:
    interrupts = _Interrupts()
    previous = {sig: signal.signal(sig, interrupts) for sig in (signal.SIGINT, signal.SIGTERM)}
    hook = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: interrupts.lost(unraisable, hook)
    try:
        yield
    except Exception as exc:
        if interrupts.seen:
            # Ctrl-C landed, and what it cut short failed on its way out: the clean-up removed the
            # release container while its start still waited on the engine, whose 404 then ended
            # the run as an error (exit 1, in CI's Ctrl-C test). The run was interrupted.
            _interrupted()
        _failed(exc)
    except KeyboardInterrupt:
        _interrupted()
    finally:
        sys.unraisablehook = hook
        for sig, handler in previous.items():
            # Once interrupted, the process is on its way out: a late Ctrl-C must not
            # turn that into a traceback.
            signal.signal(sig, signal.SIG_IGN if interrupts.seen else handler)


def _interrupted() -> NoReturn:
    note = _sweep()
    if note:
        print(printable(note), file=sys.stderr)
    raise Exit("interrupted; everything this run started has been removed", code=130) from None


def _failed(exc: Exception) -> NoReturn:
    """One line and exit 1 for what the tool reports or the system refused; anything else is raised."""
    if isinstance(exc, FlaskshipError):
        note = _sweep()
        if exc.detail:
            print(printable(exc.detail.rstrip(), keep="\n\t"), file=sys.stderr)
        if note:
            print(printable(note), file=sys.stderr)
        raise Exit(f"error: {printable(exc.message)}", code=1) from None
    # The engine going away mid-command can surface anywhere a client call is
    # made (requests' errors are OSErrors too, so this comes first).
    if _lost_engine(exc):
        raise Exit(f"error: lost the connection to the Docker engine ({type(exc).__name__}); "
                   "check `docker info` (or DOCKER_HOST), then run the command again", code=1) from None
    if not isinstance(exc, OSError):
        raise exc
    # The last line of defence for what no check foresaw: a full disk, a
    # folder that is a file. One line, no traceback.
    _sweep()
    raise Exit(f"error: {printable(_os_error(exc))}", code=1) from None
