"""Every registered kind is complete: templates, tests, README entry."""

from __future__ import annotations

import pytest

from targets.kinds import KINDS
from targets.render import ENV
from tests.conftest import REPO


@pytest.mark.parametrize("name", sorted(KINDS))
def test_kind_is_complete(name: str) -> None:
    kind = KINDS[name]
    assert kind.name == name
    assert kind.templates, "declares its templates"
    for template in kind.templates:
        ENV.get_template(template)  # raises if missing
    assert (REPO / "tests" / "integration" / f"test_{name}.py").is_file(), "integration tests"
    assert f"| `{name}` |" in (REPO / "README.md").read_text(), "README kinds table"
    assert kind.settings.model_fields["kind"].annotation.__args__ == (name,)  # type: ignore[union-attr]
