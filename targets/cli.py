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
    finally:
        signal.signal(signal.SIGTERM, previous)
