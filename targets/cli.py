"""The boundary between Invoke and the package: errors in, one line out."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType, ModuleType
from typing import Any

from invoke.exceptions import Exit

from .errors import FlaskshipError


class _Manifests:
    """targets.manifest, imported on first use: its model (pydantic) costs about
    0.2 s, which `invoke --list` and a no-op build need not pay."""

    DEFAULT_MANIFEST = "targets.yaml"  # == targets.manifest.DEFAULT_MANIFEST (tests/unit/test_progress.py)

    def __getattr__(self, name: str) -> Any:
        import targets.manifest as module

        found: ModuleType | Any = getattr(module, name)
        return found


manifests = _Manifests()


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
