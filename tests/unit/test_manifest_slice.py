"""Smoke refuses a target whose slice of targets.yaml moved since it was built."""

from __future__ import annotations

from pathlib import Path

import pytest

from targets import manifest
from targets.build import manifest_slice
from targets.errors import SmokeFailed
from targets.records import BuildRecord, folder_hash


def _built(root: Path, name: str) -> None:
    """A build record as `invoke build` leaves it, without building anything."""
    project = manifest.load(root / "targets.yaml")
    folder = project.build_dir / name
    folder.mkdir(parents=True)
    (folder / "docker-compose.yml").write_text("services: {}\n")
    BuildRecord(name, "compose", inputs=folder_hash(folder), manifest=manifest_slice.digest(project, name)).save(folder)


def _edit(root: Path, old: str, new: str) -> manifest.Project:
    path = root / "targets.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return manifest.load(path)


def test_a_changed_publish_port_is_refused_with_the_fix(project: Path) -> None:
    _built(project, "compose")
    fresh = manifest.load(project / "targets.yaml")
    assert manifest_slice.refuse_stale(fresh, "compose").target == "compose"
    changed = _edit(project, "publish: 8000", "publish: 8001")
    with pytest.raises(SmokeFailed) as caught:
        manifest_slice.refuse_stale(changed, "compose")
    assert "targets.yaml changed for this target since it was built" in caught.value.message
    assert "invoke build --target compose" in caught.value.message


@pytest.mark.parametrize("old,new", [
    ("tags: [latest]", "tags: [latest, stable]"),  # publish-only
    ("{name: json-404,", "{name: json-404b,"),  # a smoke check: verdicts, not artifacts
    ("  heroku:\n    kind: heroku\n    app: flask-demo", "  heroku:\n    kind: heroku\n    app: flask-other"),  # another target
])
def test_what_never_shapes_this_build_does_not_make_it_stale(project: Path, old: str, new: str) -> None:
    _built(project, "compose")
    manifest_slice.refuse_stale(_edit(project, old, new), "compose")


@pytest.mark.parametrize("old,new", [
    ("APP_ENV: staging", "APP_ENV: stage"),
    ("health: /healthz", "health: /"),
    ("static_url: /static", "static_url: /assets"),
])
def test_what_the_render_reads_makes_it_stale(project: Path, old: str, new: str) -> None:
    _built(project, "compose")
    with pytest.raises(SmokeFailed):
        manifest_slice.refuse_stale(_edit(project, old, new), "compose")


def test_an_edited_build_folder_is_still_refused(project: Path) -> None:
    _built(project, "compose")
    (project / "build/compose/docker-compose.yml").write_text("services: {x: {}}\n")
    with pytest.raises(SmokeFailed, match="build/compose/ changed since it was built"):
        manifest_slice.refuse_stale(manifest.load(project / "targets.yaml"), "compose")


@pytest.mark.parametrize("target, old, new, same", [
    ("heroku", "app: flask-demo", "app: flask-prod", True),  # where publish pushes, not what is built
    ("functions", "bucket: flask-demo-functions", "bucket: other-bucket", True),
    ("cloudrun", "region: us-central1", "region: europe-west1", False),  # firebase.json's rewrite names it
    ("heroku", "app: flask-demo", "app: flask-demo\n    port: 8081", False),
])
def test_a_kinds_publish_only_settings_are_not_in_its_slice(project: Path, target: str, old: str, new: str,
                                                            same: bool) -> None:
    before = manifest_slice.digest(manifest.load(project / "targets.yaml"), target)
    assert (manifest_slice.digest(_edit(project, old, new), target) == before) is same


def test_two_copies_of_a_target_have_one_slice_apart_from_their_names(project: Path) -> None:
    path = project / "targets.yaml"
    path.write_text(path.read_text() + "  heroku-b:\n    kind: heroku\n    app: flask-prod\n"
                    "  heroku-c:\n    kind: heroku\n    app: flask-prod\n    port: 8081\n")
    loaded = manifest.load(path)
    alike = {name: manifest_slice.digest(loaded, name, as_name="*") for name in ("heroku", "heroku-b", "heroku-c")}
    assert alike["heroku"] == alike["heroku-b"] != alike["heroku-c"]
    assert manifest_slice.digest(loaded, "heroku") != manifest_slice.digest(loaded, "heroku-b")
