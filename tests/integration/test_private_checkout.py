"""A checkout made under umask 077 (files 0600, folders 0700), built under it: the images'
app and nginx still read their own files, as a platform's non-root uid."""

from __future__ import annotations

import os
from pathlib import Path

import docker
import pytest

from tests.helpers import copy_demo, invoke, managed_containers, record

pytestmark = pytest.mark.docker


def _private(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        path.chmod(0o700 if path.is_dir() else 0o600)


def test_a_private_checkout_ships_images_their_app_can_read(tmp_path: Path, engine: docker.DockerClient) -> None:
    root = copy_demo(tmp_path / "private checkout")  # a space in the path, as on many laptops
    _private(root / "app")
    manifest = str(root / "targets.yaml")
    was = os.umask(0o077)
    try:
        result = invoke("build", "--manifest", manifest, "--target", "heroku,compose")
        assert result.code == 0, result.stdout[-3000:] + result.stderr[-3000:]
        result = invoke("smoke", "--manifest", manifest, "--target", "heroku,compose")
        assert result.code == 0, result.stdout[-3000:] + result.stderr[-3000:]
    finally:
        os.umask(was)
        assert managed_containers(engine) == []
    # What COPY took: root's files, readable (not writable) by any other uid.
    listing = engine.containers.run(record(root, "heroku")["images"]["app"]["id"], remove=True, user="0",
                                    entrypoint=["python3", "-c", "import os; print(oct(os.stat('/srv/app/wsgi.py').st_mode))"])
    assert listing.decode().strip() == "0o100644"
