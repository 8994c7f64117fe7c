"""Compose targets of one shape that build side by side share one schema check (the real check-jsonschema)."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from targets.errors import BuildFailed
from targets.kinds.compose import schema_check

VALID = "services:\n  web:\n    image: {tag}\n    restart: unless-stopped\n"
INVALID = "services:\n  web:\n    image: {tag}\n    sometimes_maybe: true\n"


def _job(tmp_path: Path, name: str, text: str) -> SimpleNamespace:
    staging = tmp_path / name
    staging.mkdir()
    tag = f"flaskship/{name}:0123456789ab"  # each target's own tag: masked in the shape
    (staging / "docker-compose.yml").write_text(text.format(tag=tag))
    return SimpleNamespace(name=name, staging=staging, images=[SimpleNamespace(tag=tag)],
                           project=SimpleNamespace(build_dir=tmp_path / "build"))


def _side_by_side(jobs: list[SimpleNamespace], monkeypatch: pytest.MonkeyPatch) -> tuple[int, list[BaseException]]:
    """Each job's check around a 0.3 s body, all at once: (check-jsonschema processes started, errors)."""
    started: list[list[str]] = []
    real = subprocess.Popen

    def counting(args: list[str], **kwargs: object) -> subprocess.Popen[str]:
        started.append(args)
        return real(args, **kwargs)  # type: ignore[call-overload,no-any-return]

    monkeypatch.setattr(subprocess, "Popen", counting)
    errors: list[BaseException] = []

    def build(job: SimpleNamespace) -> None:
        try:
            with schema_check.checked(job):  # type: ignore[arg-type]
                time.sleep(0.3)  # the image builds
        except BuildFailed as exc:
            errors.append(exc)

    threads = [threading.Thread(target=build, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(1 for args in started if args[0] == "check-jsonschema"), errors


def test_targets_of_one_shape_share_one_check_and_its_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    jobs = [_job(tmp_path, f"compose{i}", VALID) for i in range(4)]
    assert _side_by_side(jobs, monkeypatch) == (1, [])
    assert len(list((tmp_path / "build/.cache").glob("compose-schema-*"))) == 1
    assert _side_by_side([_job(tmp_path, "later", VALID)], monkeypatch) == (0, [])  # the pass is kept


def test_a_failing_shape_fails_every_target_of_it_with_the_checkers_reason(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    jobs = [_job(tmp_path, f"compose{i}", INVALID) for i in range(2)]
    count, errors = _side_by_side(jobs, monkeypatch)
    assert count == 2 and len(errors) == 2  # the waiting one checks again, for a reason of its own
    for error in errors:
        assert str(error).endswith(": docker-compose.yml does not validate against the compose spec")
        assert "'sometimes_maybe' was unexpected" in error.detail  # type: ignore[attr-defined]
    assert not list((tmp_path / "build/.cache").glob("compose-schema-*"))
