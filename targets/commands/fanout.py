"""Run one piece of work per target, at most `jobs` at a time, each on its own thread.

A target that fails does not stop the others: every target runs to its end,
then the first failure (in the order targets were selected) is raised, with
the others' messages on it (FlaskshipError.also) for the summary. Ctrl-C
(or SIGTERM, see cli.py) cancels what has not started and makes each running
target unwind at its next progress line, through its own `finally` blocks.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import TypeVar

from ..errors import FlaskshipError
from ..ui.progress import Reporter

T = TypeVar("T")


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def run_each(work: dict[str, Callable[[], T]], jobs: int, report: Reporter,
             first: Callable[[str], int] = lambda name: 0) -> dict[str, T]:
    """`work`: target name -> its work, in target order. Returns each result; raises the
    first failure in that order. With more than one lane, the targets with the highest
    `first(name)` start first (the longest work), so the last lane to free is not
    holding a long one; one at a time, they run in target order."""
    if jobs <= 1 or len(work) <= 1:
        return _one_by_one(work)
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="flaskship") as pool:
        started = {name: pool.submit(work[name]) for name in sorted(work, key=lambda name: -first(name))}
        futures: dict[str, Future[T]] = {name: started[name] for name in work}
        try:
            wait(futures.values())
        except KeyboardInterrupt:
            report.cancel()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    raise_first({name: error for name, future in futures.items() if (error := future.exception()) is not None})
    return {name: future.result() for name, future in futures.items()}


def _one_by_one(work: dict[str, Callable[[], T]]) -> dict[str, T]:
    results: dict[str, T] = {}
    errors: dict[str, BaseException] = {}
    for name, job in work.items():
        try:
            results[name] = job()
        except Exception as error:  # noqa: BLE001 - raised below, after the other targets ran
            errors[name] = error
    raise_first(errors)
    return results


def raise_first(errors: dict[str, BaseException]) -> None:
    """The first failure, in target order, carrying the others' messages for the summary."""
    if not errors:
        return
    first = next(iter(errors.values()))
    if isinstance(first, FlaskshipError):
        # Its own target too: not every message starts with the target's name.
        first.also = {name: getattr(error, "message", "") or str(error) for name, error in errors.items()}
    raise first
