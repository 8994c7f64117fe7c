"""An sdist whose C build fails gives one line naming what it missed, and leaves nothing behind.

sdists that build (langdetect on the host, crcmod in the builder), a second
build that compiles and downloads nothing, and no compiler in any runtime
image: test_dep_apps.py, on apps taken from init to smoke.
"""

from __future__ import annotations

import io
import os
import shutil
import tarfile
import time
from pathlib import Path

import docker
import pytest

from tests.helpers import REPO, SESSION, assert_one_clear_line, invoke, managed_containers

pytestmark = pytest.mark.docker

FIXTURES = REPO / "tests/fixtures/apps"
APP = 'app: {source: ., entry: "app:app", static: static, static_url: /static}\n'
CLOUDRUN = "  run: {kind: cloudrun, service_id: sdist, region: us-central1}\n"
BUILDER_ROLE = "io.flaskship.role=sdist-build"


def builder_containers(engine: docker.DockerClient, since: float) -> int:
    """Containers with our session and the sdist-build role created since `since`, from the engine's events."""
    events = engine.events(since=since, until=time.time() + 0.5, decode=True,
                           filters={"type": "container", "event": "create",
                                    "label": [f"io.flaskship.session={SESSION}", BUILDER_ROLE]})
    return sum(1 for _ in events)


def project(tmp_path_factory: pytest.TempPathFactory, fixture: str, targets: str,
            requirements: str | None = None) -> Path:
    root = tmp_path_factory.mktemp(fixture) / "site"
    shutil.copytree(FIXTURES / fixture, root, ignore=shutil.ignore_patterns("__pycache__"))
    (root / "targets.yaml").write_text(APP + "targets:\n" + targets)
    if requirements is not None:
        (root / "requirements.txt").write_text(requirements)
    return root


# -- a C build that fails ------------------------------------------------------------------------------

def assert_failed_cleanly(root: Path, engine: docker.DockerClient, *fragments: str) -> str:
    since = time.time()
    result = invoke("build", "--manifest", str(root / "targets.yaml"))
    assert_one_clear_line(result, *fragments)
    assert builder_containers(engine, since) == 1  # it did reach the builder
    assert managed_containers(engine) == []
    assert not (root / "build/run").exists()
    leftovers = [p.name for p in (root / "build/.cache").iterdir() if p.name.startswith(".")]
    assert leftovers == [], leftovers
    return result.stdout + result.stderr


def test_a_missing_header_fails_with_one_line_naming_it(tmp_path_factory: pytest.TempPathFactory,
                                                       engine: docker.DockerClient) -> None:
    # cffi 1.15.0 has no wheel for Python 3.11 and needs libffi's ffi.h, which the builder lacks.
    root = project(tmp_path_factory, "sdist_c", CLOUDRUN, "Flask==3.1.3\ncffi==1.15.0\n")
    stderr = assert_failed_cleanly(root, engine, "cannot build cffi==1.15.0 from source for Python 3.",
                                   ": missing header ffi.h; fix: ", "app.build_packages: [libffi-dev]",
                                   "app.system_packages")
    assert "fatal error: ffi.h: No such file or directory" in stderr  # the compiler's own words, in the detail


def local_sdist(folder: Path) -> None:
    """A tiny sdist with a C extension that includes a header no Debian package has."""
    files = {
        "setup.py": "from setuptools import Extension, setup\n"
                    "setup(name='flaskship-nowhere', version='0.1',"
                    " ext_modules=[Extension('nowhere', ['nowhere.c'])])\n",
        "nowhere.c": "#include <flaskship_nowhere.h>\n",
        "PKG-INFO": "Metadata-Version: 2.1\nName: flaskship-nowhere\nVersion: 0.1\n",
    }
    with tarfile.open(folder / "flaskship-nowhere-0.1.tar.gz", "w:gz") as tf:
        for name, text in files.items():
            info = tarfile.TarInfo(f"flaskship-nowhere-0.1/{name}")
            info.size = len(text.encode())
            tf.addfile(info, io.BytesIO(text.encode()))


def test_an_sdist_from_the_requirements_find_links_fails_naming_its_header(
        tmp_path_factory: pytest.TempPathFactory, engine: docker.DockerClient) -> None:
    # The sdist is found only through the requirements file's own --find-links (a folder of
    # the app): the sdist download must read the file's index options, as the resolve does.
    # Two targets: the compile that failed for one is not run again for the other (builder_containers).
    root = project(tmp_path_factory, "sdist_c", CLOUDRUN + "  dyno: {kind: heroku, app: sdist}\n",
                   "--find-links vendor\nFlask==3.1.3\nflaskship-nowhere==0.1\n")
    (root / "vendor").mkdir()
    local_sdist(root / "vendor")
    output = assert_failed_cleanly(root, engine, "cannot build flaskship-nowhere==0.1 from source",
                                   "missing header flaskship_nowhere.h", "app.build_packages: [")
    assert "(failed for another target of this build: not compiled again)" in output
    assert os.listdir(root / "vendor") == ["flaskship-nowhere-0.1.tar.gz"]
