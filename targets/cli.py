"""The boundary between Invoke and the package: errors in, one line out."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from invoke.exceptions import Exit

from .errors import FlaskshipError


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # SIGTERM (CI cancelling a job) unwinds like Ctrl-C, so every `finally`
    # removes what it started.
    raise KeyboardInterrupt


def _lost_engine(exc: BaseException) -> bool:
    import requests
    import urllib3.exceptions

    return isinstance(exc, (requests.ConnectionError, requests.exceptions.ChunkedEncodingError,
                            urllib3.exceptions.ProtocolError, ConnectionError))


@contextmanager
def guarded() -> Iterator[None]:
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    except FlaskshipError as exc:
        if exc.detail:
            print(exc.detail.rstrip(), file=sys.stderr)
        raise Exit(f"error: {exc.message}", code=1) from None
    except KeyboardInterrupt:
        raise Exit("interrupted; everything this run started has been removed", code=130) from None
    except Exception as exc:
        # The engine going away mid-command can surface anywhere a client call
        # is made; that is one line too, never a traceback.
        if not _lost_engine(exc):
            raise
        raise Exit(f"error: lost the connection to the Docker engine ({type(exc).__name__}); "
                   "check `docker info` (or DOCKER_HOST), then run the command again", code=1) from None
    finally:
        signal.signal(signal.SIGTERM, previous)
