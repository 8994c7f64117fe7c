"""The test suite's own layout, as pytest needs it."""

from __future__ import annotations

from collections import Counter

from tests.helpers import REPO


def test_test_modules_have_unique_basenames() -> None:
    """The tiers have no __init__.py, so pytest imports each test module by its basename: two of
    one name in unit/ and integration/ fail the whole run with "import file mismatch"."""
    names = Counter(path.name for path in (REPO / "tests").glob("*/test_*.py"))  # the tiers: unit/, app/, ...
    assert [name for name, count in names.items() if count > 1] == []
