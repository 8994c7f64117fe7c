"""targets.once: one run of the work per key among concurrent callers; failures are not kept."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from targets.once import once


def test_concurrent_callers_of_one_key_share_one_run() -> None:
    key, runs, results = uuid.uuid4().hex, [], []

    def work() -> str:
        runs.append(1)
        time.sleep(0.2)
        return "answer"

    threads = [threading.Thread(target=lambda: results.append(once(key, work))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert runs == [1] and results == ["answer"] * 4
    assert once(key, lambda: "another") == "answer"  # kept for the run
    assert once(uuid.uuid4().hex, lambda: "another") == "another"


def test_a_failure_is_the_callers_own_and_the_next_caller_runs_again() -> None:
    key, runs = uuid.uuid4().hex, []

    def fails() -> str:
        runs.append(1)
        time.sleep(0.1)
        raise ValueError(f"run {len(runs)}")

    errors: list[str] = []

    def call() -> None:
        try:
            once(key, fails)
        except ValueError as exc:
            errors.append(str(exc))

    threads = [threading.Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(errors) == ["run 1", "run 2"] and len(runs) == 2
    with pytest.raises(ValueError, match="run 3"):
        once(key, fails)
    assert once(key, lambda: "fixed") == "fixed"
