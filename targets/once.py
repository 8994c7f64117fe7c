"""Work done once per key in one run: callers that ask for the same key at the same
time (targets that build side by side) wait for the first one's result.

Only a success is kept. A failure is raised to the caller that ran the work, and
the next caller with that key runs it again, so each target's error names it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_done: dict[Hashable, Future[Any]] = {}


def once(key: Hashable, work: Callable[[], T]) -> T:
    """work()'s result, run by the first caller with `key`; the others wait for it."""
    while True:
        with _lock:
            future = _done.get(key)
            mine = future is None
            if future is None:
                future = _done[key] = Future()
        if not mine:
            try:
                return future.result()  # type: ignore[no-any-return]
            except BaseException:  # noqa: BLE001 - its failure was the first caller's: run it again
                continue
        try:
            result = work()
        except BaseException as exc:
            with _lock:
                del _done[key]
            future.set_exception(exc)
            raise
        future.set_result(result)
        return result
