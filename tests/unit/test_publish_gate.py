"""Only what passed smoke, unchanged since, in the same environment, may be published."""

from __future__ import annotations

import pytest

from targets.errors import PublishFailed
from targets.publish import gate
from targets.records import BuildRecord

IMAGES = {"app": {"ref": "flaskship/x:1", "id": "sha256:1"}}


def _record() -> BuildRecord:
    return BuildRecord("x", "cloudrun", inputs="h1", images=dict(IMAGES))


def _verdict(**changes: object) -> dict[str, object]:
    return {"passed": True, "env": "development", "inputs": "h1", "images": dict(IMAGES), **changes}


def _smoked(**changes: object) -> dict[str, object]:
    """A smoke report's entry: the last run, and the verdict per environment."""
    verdict = _verdict(**changes)
    return {**verdict, "environments": {str(verdict["env"]): verdict}}


def test_a_passed_unchanged_build_may_be_published() -> None:
    assert gate.problem(_smoked(), _record(), "h1", "x", "development") is None


def test_each_environment_keeps_its_own_verdict() -> None:
    entry = {**_verdict(env="qa", passed=False),
             "environments": {"development": _verdict(), "qa": _verdict(env="qa", passed=False)}}
    assert gate.problem(entry, _record(), "h1", "x", "development") is None
    assert "failed its last smoke" in (gate.problem(entry, _record(), "h1", "x", "qa") or "")


@pytest.mark.parametrize(("smoked", "current", "env", "why"), [
    (None, "h1", "development", "never smoked"),
    (_smoked(passed=False), "h1", "development", "failed its last smoke"),
    (_smoked(inputs="h0"), "h1", "development", "changed since"),  # rebuilt after the smoke
    (_smoked(), "h2", "development", "changed since"),  # build/x/ edited by hand after the build
    (_smoked(images={"app": {"ref": "flaskship/x:0", "id": "sha256:0"}}), "h1", "development", "changed since"),
    # smoked with development's variables, published as production: never proven
    (_smoked(), "h1", "production", "was smoked for environment development, not for 'production'"),
    ({**_verdict()}, "h1", "production", "not for 'production'"),  # a report from before environments were kept
])
def test_anything_else_is_refused_unless_forced(smoked: dict[str, object] | None, current: str, env: str,
                                                why: str) -> None:
    assert why in (gate.problem(smoked, _record(), current, "x", env) or "")
    with pytest.raises(PublishFailed, match=why):
        gate.check(smoked, _record(), current, "x", False, env)
    gate.check(smoked, _record(), current, "x", True, env)
