"""The fast no-op check (stat only, no render) sees every change the full key would;
an image whose inputs did not change is kept, not built again."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import docker
import pytest

from targets.commands import noop
from tests.helpers import invoke, record

pytestmark = pytest.mark.docker


def test_the_fast_no_op_check_sees_what_the_key_would(project: Path) -> None:
    manifest = project / "targets.yaml"
    wsgi = project / "app/wsgi.py"
    text = wsgi.read_text()
    wsgi.write_text(text + "# a\n")
    assert invoke("build", "--manifest", str(manifest), "--target", "cloudrun").code == 0
    said: list[str] = []
    assert noop.up_to_date(manifest, ["cloudrun"], said.append) and said[0].startswith("cloudrun: up to date (")
    assert not noop.up_to_date(manifest, ["heroku"])  # never built
    assert not noop.up_to_date(manifest, ["cloudrun,nosuch"])  # the full path names the typo
    # The same size and the same second: content changes still show (ctime, inode).
    wsgi.write_text(text + "# b\n")
    assert not noop.up_to_date(manifest, ["cloudrun"])
    rebuilt = invoke("build", "--manifest", str(manifest), "--target", "cloudrun")
    assert rebuilt.code == 0 and "up to date" not in rebuilt.stdout
    assert noop.up_to_date(manifest, ["cloudrun"])
    # A hand edit in build/<target>/ is never up to date.
    firebase = project / "build/cloudrun/firebase.json"
    firebase.write_text(firebase.read_text() + " ")
    assert not noop.up_to_date(manifest, ["cloudrun"])
    assert invoke("build", "--manifest", str(manifest), "--target", "cloudrun").code == 0
    # Nor is a changed manifest, even one the target's key does not depend on.
    manifest.write_text(manifest.read_text() + "\n# a comment\n")
    assert not noop.up_to_date(manifest, ["cloudrun"])
    again = invoke("build", "--manifest", str(manifest), "--target", "cloudrun")
    assert again.code == 0 and "cloudrun: up to date" in again.stdout
    assert noop.up_to_date(manifest, ["cloudrun"])
    # A file only touched has the same bytes: still the fast path, which then takes the
    # new times as its own (the next check is stat only again). New bytes are not.
    stamp = project / "build" / noop.STAMP
    before = stamp.read_text()
    os.utime(wsgi)
    time.sleep(0.2)  # out of the racily-clean window, or the new times are not taken
    assert noop.up_to_date(manifest, ["cloudrun"]) and stamp.read_text() != before
    assert noop.snapshot(manifest) == json.loads(stamp.read_text())["inputs"]
    wsgi.write_text(wsgi.read_text() + "# c\n")
    assert not noop.up_to_date(manifest, ["cloudrun"])


def test_an_app_edit_rebuilds_only_the_images_that_hold_the_code(project: Path, engine: docker.DockerClient) -> None:
    manifest = project / "targets.yaml"
    targets = ("--manifest", str(manifest), "--target", "compose,functions", "--verbose")
    assert invoke("build", *targets).code == 0
    before = {t: record(project, t)["images"] for t in ("compose", "functions")}
    wsgi = project / "app/wsgi.py"
    wsgi.write_text(wsgi.read_text() + "# edited by test_noop\n")
    edited = invoke("build", *targets)
    assert edited.code == 0, edited.stdout + edited.stderr
    after = {t: record(project, t)["images"] for t in ("compose", "functions")}
    # compose's web image holds the code: built again. Its nginx image and the functions
    # runner (the zip's files reach its containers at start) do not: kept, with no build.
    assert after["compose"]["app"]["id"] != before["compose"]["app"]["id"]
    for target, role in (("compose", "nginx"), ("functions", "runner")):
        kept = {k: after[target][role][k] for k in ("id", "key", "ref")}
        assert kept == {k: before[target][role][k] for k in ("id", "key", "ref")}, (target, role)
        assert f"{before[target][role]['ref']}: nothing it is made of changed; kept" in edited.stdout
    # The runner's containers get the edited code: the record's hash of it follows the edit.
    assert after["functions"]["runner"]["code_sha256"] != before["functions"]["runner"]["code_sha256"]
    assert (project / "build/functions/runner-code/wsgi.py").read_text().endswith("# edited by test_noop\n")
    # A kept image must still be what its tag names: with the tag gone, it is built again.
    engine.images.remove(before["compose"]["nginx"]["ref"])
    wsgi.write_text(wsgi.read_text() + "# again\n")
    again = invoke("build", *targets)
    assert again.code == 0 and f"{before['compose']['nginx']['ref']}: nothing it is made of" not in again.stdout
    assert engine.images.get(before["compose"]["nginx"]["ref"]).id == record(project, "compose")["images"]["nginx"]["id"]
