"""Fixtures every tier shares: a throwaway copy of the demo project."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import copy_demo


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of app/ and targets.yaml; builds land in its own build/."""
    return copy_demo(tmp_path)
