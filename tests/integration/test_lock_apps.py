"""An app whose requirements name a private index that needs a password.

The build uses it (for the lock, the wheelhouse and the sdists), and the
password is nowhere in build/, the output or the image. The other dependency
shapes (includes, hashes, uv.lock, Pipfile.lock, sdists) go from init to smoke
in test_dep_apps.py.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from tests.helpers import SESSION, invoke, record, serve_and_get
from tests.helpers import private_index as serve_private_index

pytestmark = pytest.mark.docker

LIST = ("import json, importlib.metadata as m; "
        "print(json.dumps({d.metadata['Name'].lower().replace('_', '-'): d.version for d in m.distributions()}))")


def manifest(name: str, entry: str) -> str:
    return (f'app: {{source: ., entry: "{entry}", requirements: requirements.txt, static: static}}\n'
            f"targets:\n  run: {{kind: heroku, app: {name}}}\n")  # one image, and the cheapest build


def installed(engine: docker.DockerClient, image: str) -> dict[str, str]:
    out = engine.containers.run(image, ["python", "-c", LIST], remove=True, working_dir="/",
                                labels={"io.flaskship.session": SESSION})
    return dict(json.loads(out.decode()))


def get_home(engine: docker.DockerClient, image: str) -> object:
    return serve_and_get(engine, image, "/")[0]


# --- a private index that needs a password --------------------------------------------------------

APP = """\
from flask import Flask

import private_probe

app = Flask(__name__)


@app.route("/")
def index() -> str:
    return f"private {private_probe.VALUE}"
"""


@pytest.fixture(scope="module")
def private_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """pypiserver on 127.0.0.1 with one tiny package, every action behind a password; (port, password)."""
    password = "s3cret-" + os.urandom(8).hex()
    with serve_private_index(tmp_path_factory.mktemp("index"), password, "VALUE = 'probe-ok'\n") as port:
        yield port, password


def image_holds(engine: docker.DockerClient, image: str, needle: bytes) -> bool:
    """Whether `needle` is anywhere in the image's layers (docker save), chunk borders included."""
    tail = b""
    for chunk in engine.images.get(image).save(named=False):
        if needle in tail + chunk:
            return True
        tail = chunk[-len(needle):]
    return False


def test_a_private_index_password_is_used_and_never_kept(private_index: tuple[str, str], engine: docker.DockerClient,
                                                          tmp_path: Path) -> None:
    port, password = private_index
    root = tmp_path / "site"
    (root / "static").mkdir(parents=True)
    (root / "static" / "style.css").write_text("body { color: #111; }\n")
    (root / "app.py").write_text(APP)
    (root / "requirements.txt").write_text(
        f"--extra-index-url http://ci:${{FLASKSHIP_INDEX_PASSWORD}}@127.0.0.1:{port}/simple/\n"
        "Flask==3.1.3\nflaskship-private-probe==0.1.0\n")
    (root / "targets.yaml").write_text(manifest("private", "app:app"))
    denied = invoke("build", "--manifest", str(root / "targets.yaml"), env={"PIP_NO_CACHE_DIR": "1"})
    assert denied.code != 0  # without the variable the index refuses: the password is really needed
    result = invoke("build", "--manifest", str(root / "targets.yaml"),
                    env={"FLASKSHIP_INDEX_PASSWORD": password, "PIP_NO_CACHE_DIR": "1"})
    assert result.code == 0, result.stdout + result.stderr
    image = record(root, "run")["images"]["app"]["id"]
    assert installed(engine, image)["flaskship-private-probe"] == "0.1.0"
    home = get_home(engine, image)
    assert home.status_code == 200 and home.text == "private probe-ok"
    assert password not in result.stdout + result.stderr + denied.stdout + denied.stderr
    for path in (root / "build").rglob("*"):
        if path.is_file():
            assert password.encode() not in path.read_bytes(), path
    assert f"127.0.0.1:{port}" not in (root / "build/run/image/requirements.txt").read_text()
    assert not image_holds(engine, image, password.encode())
