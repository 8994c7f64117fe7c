from __future__ import annotations

from pathlib import Path

import pytest

from targets import render
from targets.errors import BuildFailed


def test_strict_undefined_fails_instead_of_rendering_empty() -> None:
    with pytest.raises(BuildFailed, match="'base' is undefined"):
        render.render("common/python.Dockerfile.j2")


def test_no_html_escaping_in_dockerfiles() -> None:
    text = render.render("common/standin-python.Dockerfile.j2", rootfs="x")
    assert "&&" in text and "&amp;" not in text


def test_rendering_is_byte_identical(tmp_path: Path) -> None:
    args = dict(base="b", app={"entry": "wsgi:app"}, uid="1", port=8080, cache_control="no-store", graceful_timeout=8)
    assert render.render("cloudrun/Dockerfile.j2", **args) == render.render("cloudrun/Dockerfile.j2", **args)


def test_staging_replaces_only_on_success(tmp_path: Path) -> None:
    final = tmp_path / "build" / "t"
    with render.staging_dir(final) as staging:
        (staging / "a").write_text("good")
    with pytest.raises(RuntimeError):
        with render.staging_dir(final) as staging:
            (staging / "a").write_text("half")
            raise RuntimeError("build failed")
    assert (final / "a").read_text() == "good"
    assert sorted(p.name for p in final.parent.iterdir()) == ["t"]
