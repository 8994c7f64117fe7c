"""The one template environment: strict, unescaped, and one clear line when a template is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from targets import templates
from targets.errors import BuildFailed


def test_strict_undefined_fails_instead_of_rendering_empty() -> None:
    with pytest.raises(BuildFailed, match="'base' is undefined"):
        templates.render("build/python.Dockerfile.j2")


def test_no_html_escaping_in_dockerfiles() -> None:
    for install in ("", "python"):  # Debian's python3, or the host's build copied in
        text = templates.render("engine/standin-python.Dockerfile.j2", rootfs="x", install=install, version="3.12")
        assert "&&" in text and "&amp;" not in text


def test_every_prefix_points_at_an_existing_folder() -> None:
    for prefix, folder in templates.folders().items():
        assert folder.is_dir(), (prefix, folder)
    assert templates.folders()["nginx"].name == "nginx"  # the top-level folder a user edits


def test_a_missing_template_names_its_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(templates, "folders", lambda: {"nginx": tmp_path})
    templates.environment.cache_clear()
    try:
        with pytest.raises(BuildFailed, match=rf"template {tmp_path}/nginx.conf.j2 is missing"):
            templates.render("nginx/nginx.conf.j2")
        (tmp_path / "nginx.conf.j2").write_text("listen {{ port ;\n")
        with pytest.raises(BuildFailed, match=r"nginx.conf.j2 line 1: "):
            templates.render("nginx/nginx.conf.j2", port=1)
    finally:
        templates.environment.cache_clear()
