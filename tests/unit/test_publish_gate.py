"""Only what passed smoke, unchanged since, may be published."""

from __future__ import annotations

import pytest

from targets.errors import PublishFailed
from targets.publish import gate
from targets.records import BuildRecord

IMAGES = {"app": {"ref": "flaskship/x:1", "id": "sha256:1"}}


def _record() -> BuildRecord:
    return BuildRecord("x", "cloudrun", inputs="h1", images=dict(IMAGES))


def _smoked(**changes: object) -> dict[str, object]:
    return {"passed": True, "inputs": "h1", "images": dict(IMAGES), **changes}


def test_a_passed_unchanged_build_may_be_published() -> None:
    assert gate.problem(_smoked(), _record(), "h1", "x") is None


@pytest.mark.parametrize(("smoked", "current", "why"), [
    (None, "h1", "never smoked"),
    (_smoked(passed=False), "h1", "failed its last smoke"),
    (_smoked(inputs="h0"), "h1", "changed since"),  # rebuilt after the smoke
    (_smoked(), "h2", "changed since"),  # build/x/ edited by hand after the build
    (_smoked(images={"app": {"ref": "flaskship/x:0", "id": "sha256:0"}}), "h1", "changed since"),
])
def test_anything_else_is_refused_unless_forced(smoked: dict[str, object] | None, current: str, why: str) -> None:
    assert why in (gate.problem(smoked, _record(), current, "x") or "")
    with pytest.raises(PublishFailed, match=why):
        gate.check(smoked, _record(), current, "x", force=False)
    gate.check(smoked, _record(), current, "x", force=True)
