"""The stat-only no-op check sees every input a build reads, not only app.source."""

from __future__ import annotations

import time
from pathlib import Path

from targets.commands import noop


def _settle() -> None:
    time.sleep(noop.RACY_NS / 1e9 * 2)  # past the racily-clean window


def _project(tmp_path: Path) -> Path:
    (tmp_path / "server").mkdir()
    (tmp_path / "server/wsgi.py").write_text("app = None\n")
    (tmp_path / "public").mkdir()
    (tmp_path / "public/index.html").write_text("<p>home</p>\n")
    (tmp_path / "firebase.json").write_text("{}\n")
    manifest = tmp_path / "targets.yaml"
    manifest.write_text("app: {source: server, static: ../public}\n"
                        "targets: {run: {kind: cloudrun, firebase_json: firebase.json}}\n")
    _settle()
    return manifest


def test_a_static_folder_beside_the_source_is_an_input(tmp_path: Path) -> None:
    manifest = _project(tmp_path)
    before = noop.snapshot(manifest)
    assert before is not None
    (tmp_path / "public/index.html").unlink()
    _settle()
    assert noop.snapshot(manifest) not in (None, before)


def test_a_targets_own_firebase_json_is_an_input(tmp_path: Path) -> None:
    manifest = _project(tmp_path)
    before = noop.snapshot(manifest)
    (tmp_path / "firebase.json").write_text('{"hosting": {}}\n')
    _settle()
    assert noop.snapshot(manifest) not in (None, before)


def test_nothing_changed_is_the_same_snapshot(tmp_path: Path) -> None:
    manifest = _project(tmp_path)
    assert noop.snapshot(manifest) == noop.snapshot(manifest) is not None


def test_contents_see_bytes_and_modes_not_times(tmp_path: Path) -> None:
    manifest = _project(tmp_path)
    wsgi = tmp_path / "server/wsgi.py"
    stat_before, content_before = noop.snapshot(manifest), noop.contents(manifest)
    assert content_before is not None
    wsgi.write_text(wsgi.read_text())  # written back as it was: new times, same bytes
    _settle()
    assert noop.snapshot(manifest) not in (None, stat_before)
    assert noop.contents(manifest) == content_before
    wsgi.chmod(0o755)
    assert noop.contents(manifest) != content_before
    wsgi.chmod(0o644)
    (tmp_path / "public/index.html").write_text("<p>home!</p>\n")
    assert noop.contents(manifest) != content_before
