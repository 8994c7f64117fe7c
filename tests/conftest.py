"""Fixtures every tier shares: a throwaway copy of the demo project."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import copy_demo, remove_project_images


_SAID: list[str] = []  # for the summary: a fixture's teardown output is captured


@pytest.fixture(scope="session", autouse=True)
def _no_images_left(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """What the run's throwaway projects built goes at its end, as its containers do."""
    yield
    started = time.monotonic()
    removed = remove_project_images(tmp_path_factory.getbasetemp())
    if removed:
        _SAID.append(f"removed the {removed} images this run's projects built, in {time.monotonic() - started:.1f} s")


def pytest_sessionfinish(session: pytest.Session) -> None:
    # In an xdist worker (which has workeroutput), after its session fixtures' teardown:
    # what they said goes to the controller, which prints the summary.
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["said"] = list(_SAID)


def pytest_testnodedown(node: object, error: object) -> None:
    """xdist's controller: a worker ended; keep what its teardown said."""
    _SAID.extend(getattr(node, "workeroutput", {}).get("said", []))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in _SAID:
        terminalreporter.write_line(line)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of app/ and targets.yaml; builds land in its own build/."""
    return copy_demo(tmp_path)
