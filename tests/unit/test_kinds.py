"""Every registered kind is complete: module, templates, tests, README entry."""

from __future__ import annotations

import pytest

from targets.kinds import KINDS
from tests.conftest import REPO


@pytest.mark.parametrize("name", sorted(KINDS))
def test_kind_is_complete(name: str) -> None:
    kind = KINDS[name]
    assert kind.name == name
    assert list((REPO / "targets" / name / "templates").glob("*.j2")), "templates folder"
    assert (REPO / "tests" / "integration" / f"test_{name}.py").is_file(), "integration tests"
    assert f"| `{name}` |" in (REPO / "README.md").read_text(), "README kinds table"
    assert kind.settings.model_fields["kind"].annotation.__args__ == (name,)  # type: ignore[union-attr]
