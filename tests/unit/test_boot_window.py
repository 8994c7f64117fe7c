"""How long smoke waits for a target to boot: its own window, which smoke.boot_within replaces, up
to the platform's own limit (Cloud Run's 240 s startup probe; Heroku's 60 s R10)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from targets import manifest
from targets.kinds.cloudrun.kind import BOOT_LIMIT as CLOUD_RUN
from targets.kinds.functions.kind import BOOT_LIMIT as FUNCTIONS
from targets.smoke.session import SmokeRun
from tests.helpers import copy_demo


def _run(tmp_path: Path, boot_within: int | None) -> SmokeRun:
    path = copy_demo(tmp_path / "p") / "targets.yaml"
    data = yaml.safe_load(path.read_text())
    data.setdefault("smoke", {})["boot_within"] = boot_within
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return SmokeRun(manifest.load(path), "development", progress=lambda _line: None)


@pytest.mark.parametrize("boot_within, window, limit, waits", [
    (None, 30.0, CLOUD_RUN, 30.0),   # smoke's window for cloudrun and functions
    (120, 30.0, CLOUD_RUN, 120.0),   # anitya's import took 24-27 s on a busy machine: raised
    (500, 30.0, CLOUD_RUN, 240.0),   # never past what the platform allows
    (8, 30.0, CLOUD_RUN, 8.0),       # or shortened
    (None, 60.0, None, 60.0),        # Heroku: its window is its limit (R10)
    (120, 60.0, None, 60.0),
    (8, 90.0, None, 8.0),            # compose
])
def test_the_window_is_smokes_own_raised_or_shortened_up_to_the_platforms_limit(
        tmp_path: Path, boot_within: int | None, window: float, limit: float | None, waits: float) -> None:
    assert _run(tmp_path, boot_within).boot_within(window, limit) == waits


def test_cloud_functions_instances_wait_as_cloud_run_does() -> None:
    assert FUNCTIONS == CLOUD_RUN == 240
