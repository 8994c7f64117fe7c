"""With no smoke.static_file, smoke checks a static file whose content type every
platform's server agrees on, not merely the first by name."""

from __future__ import annotations

from pathlib import Path

from targets import manifest
from targets.smoke.conformance import static_file


def _emptied(project: Path) -> tuple[manifest.Project, Path]:
    """The demo with no smoke.static_file and nothing in its static folder: (project, that folder)."""
    path = project / "targets.yaml"
    text = path.read_text()
    assert "  static_file: style.css" in text
    path.write_text(text.replace("  static_file: style.css", "  static_file: null", 1))
    loaded = manifest.load(path)
    static = loaded.app_dir / str(loaded.manifest.app.static)
    for old in static.rglob("*"):
        if old.is_file():
            old.unlink()
    return loaded, static


def _files(static: Path, *names: str) -> None:
    for name in names:
        (static / name).parent.mkdir(parents=True, exist_ok=True)
        (static / name).write_bytes(name.encode())


def test_a_file_of_an_agreed_type_is_checked_before_one_named_first(project: Path) -> None:
    loaded, static = _emptied(project)
    # bluelog's shape: a vendored editor's CHANGES.md sorts first; .ico and .js differ between servers.
    _files(static, "ckeditor/CHANGES.md", "favicon.ico", "js/app.js", "img/logo.png", "css/site.css")
    url, data = static_file(loaded)
    assert (url, data) == ("/static/css/site.css", b"css/site.css")
    (static / "css/site.css").unlink()
    assert static_file(loaded)[0] == "/static/img/logo.png"


def test_with_no_agreed_type_the_shallowest_file_is_checked(project: Path) -> None:
    loaded, static = _emptied(project)
    _files(static, "a/deep/CHANGES.md", "z.bin", ".hidden.css")
    assert static_file(loaded) == ("/static/z.bin", b"z.bin")
