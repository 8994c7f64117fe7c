"""The fast no-op check (stat only, no render) sees every change the full key would."""

from __future__ import annotations

from pathlib import Path

import pytest

from targets.commands import noop
from tests.helpers import invoke

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
