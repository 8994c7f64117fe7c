"""Apps that declare dependencies the way real apps do build, and their images install exactly that.

Four fixture apps (tests/fixtures/apps): includes_app (-r, -c, an extra, a
Windows-only marker), hashed_app (pip-compile --generate-hashes), uv_app
(uv.lock with a dev group) and pipenv_app (Pipfile.lock with dev-packages).
Each is built with one cloudrun target (two also with functions); every
image must hold exactly the locked set plus the platform's server, and answer
GET / with 200. Last, an app whose requirements name a private index that
needs a password: the build uses it, and the password is nowhere in build/,
the output or the image.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tomllib
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
import docker
import pytest
import requests

from targets.build import reqlines
from tests.helpers import REPO, SESSION, invoke, record, serve_and_get
from tests.helpers import private_index as serve_private_index

pytestmark = pytest.mark.docker

FIXTURES = REPO / "tests/fixtures/apps"
PLATFORM = {"gunicorn": "23.0.0", "packaging": None}  # pins.py's server and its one dependency
INSTALLER = {"pip", "setuptools", "wheel"}  # what a venv may come with, not the app's
# The venv's distributions, as `pip list` shows them (the runtime venv need not have pip itself).
LIST = ("import json, importlib.metadata as m; "
        "print(json.dumps({d.metadata['Name'].lower().replace('_', '-'): d.version for d in m.distributions()}))")


@dataclass(frozen=True)
class Case:
    entry: str
    requirements: str
    static: str
    says: str  # in the home page
    functions: bool = False


CASES = {
    "includes_app": Case("app:app", "requirements.txt", "static", "includes app", functions=True),
    "hashed_app": Case("app:app", "requirements.txt", "static", "hashed app", functions=True),
    "uv_app": Case("uv_app:app", "uv.lock", "uv_app/static", "uv-app 0.1.0"),
    "pipenv_app": Case("wsgi:app", "Pipfile.lock", "static", "pipenv app"),
}


def manifest(name: str, case: Case) -> str:
    functions = "  fn: {kind: functions}\n" if case.functions else ""
    return (f'app: {{source: ., entry: "{case.entry}", requirements: {case.requirements}, static: {case.static}}}\n'
            f"targets:\n  run: {{kind: cloudrun, service_id: {name.replace('_', '-')}, region: us-central1}}\n"
            + functions)


HASHED = ("hashed_app", "pipenv_app", "uv_app")  # their files carry --hash lines
_BUILT: dict[str, tuple[str, Path, str]] = {}


def build(name: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, str]:
    """(fixture name, its built copy, the build's output); each app is built once per session."""
    if name not in _BUILT:
        root = tmp_path_factory.mktemp(name) / "site"
        shutil.copytree(FIXTURES / name, root, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build"))
        (root / "targets.yaml").write_text(manifest(name, CASES[name]))
        result = invoke("build", "--manifest", str(root / "targets.yaml"))
        assert result.code == 0, result.stdout + result.stderr
        _BUILT[name] = (name, root, result.stdout + result.stderr)
    return _BUILT[name]


@pytest.fixture(scope="module", params=sorted(CASES))
def lock_app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, str]:
    return build(request.param, tmp_path_factory)


@pytest.fixture(scope="module", params=HASHED)
def hashed_app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, str]:
    return build(request.param, tmp_path_factory)


@pytest.fixture(scope="module", params=sorted(n for n, case in CASES.items() if case.functions))
def functions_app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, str]:
    return build(request.param, tmp_path_factory)


def pins(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for _, _, logical in reqlines.logical_lines(text):
        spec = reqlines.split_requirement(logical)[0] if logical and not logical.startswith("-") else ""
        if "==" in spec:
            name, _, version = spec.partition("==")
            found[name.strip().lower().split("[")[0]] = version.split(";")[0].strip()
    return found


def expected(name: str, root: Path) -> dict[str, str | None]:
    """name -> version (None: any) of everything the cloudrun image must hold, and nothing else."""
    if name == "includes_app":
        return {"flask": "3.1.3", "asgiref": "3.8.1", "itsdangerous": "2.2.0", "blinker": "1.9.0", "werkzeug": None,
                "jinja2": None, "markupsafe": None, "click": None, **PLATFORM}
    if name == "hashed_app":
        return {**pins((root / "requirements.txt").read_text()), **PLATFORM}
    if name == "pipenv_app":
        lock = json.loads((root / "Pipfile.lock").read_text())
        return {n: s["version"].lstrip("=") for n, s in lock["default"].items()} | PLATFORM
    lock = tomllib.loads((root / "uv.lock").read_text())
    packages = {p["name"]: p for p in lock["package"]}
    seen: dict[str, str | None] = {"uv-app": "0.1.0"}
    todo = [d["name"] for d in packages["uv-app"]["dependencies"]]
    while todo:
        dep = todo.pop()
        if dep not in seen:
            seen[dep] = packages[dep]["version"]
            todo += [d["name"] for d in packages[dep].get("dependencies", []) if "win32" not in d.get("marker", "")]
    return seen | PLATFORM


def installed(engine: docker.DockerClient, image: str) -> dict[str, str]:
    out = engine.containers.run(image, ["python", "-c", LIST], remove=True, working_dir="/",
                                labels={"io.flaskship.session": SESSION})
    return {k: v for k, v in json.loads(out.decode()).items() if k not in INSTALLER}


def get_home(engine: docker.DockerClient, image: str) -> requests.Response:
    return serve_and_get(engine, image, "/")[0]


def assert_exactly(found: dict[str, str], wanted: dict[str, str | None]) -> None:
    assert sorted(found) == sorted(wanted)
    assert {k: found[k] for k, v in wanted.items() if v} == {k: v for k, v in wanted.items() if v}


def test_the_image_holds_exactly_the_locked_set(lock_app: tuple[str, Path, str], engine: docker.DockerClient) -> None:
    name, root, _ = lock_app
    found = installed(engine, record(root, "run")["images"]["app"]["id"])
    assert_exactly(found, expected(name, root))
    assert not {"pytest", "pywin32", "six"} & set(found)  # dev groups, a Windows-only marker, a constraint only


def test_the_image_serves_the_home_page(lock_app: tuple[str, Path, str], engine: docker.DockerClient) -> None:
    name, root, _ = lock_app
    home = get_home(engine, record(root, "run")["images"]["app"]["id"])
    assert home.status_code == 200 and CASES[name].says in home.text, home.text


def requirement_lines(text: str) -> list[str]:
    return [logical for _, _, logical in reqlines.logical_lines(text) if logical and not logical.startswith("-")]


def test_hash_checking_mode_reaches_the_images_install(hashed_app: tuple[str, Path, str]) -> None:
    name, root, _ = hashed_app
    contexts = [root / "build/run/image"] + ([root / "build/fn/runner"] if CASES[name].functions else [])
    for context in contexts:
        lines = requirement_lines((context / "requirements.txt").read_text())
        # every line hashed, the platform's server too: pip installs in hash-checking mode
        assert lines and all("--hash=sha256:" in line for line in lines), lines
        assert any(line.startswith("gunicorn==23.0.0 ") for line in lines)
        # and every wheel the image installs from is one of those hashes
        hashes = {h for line in lines for h in line.split() if h.startswith("--hash=sha256:")}
        for wheel in (context / "wheels").glob("*.whl"):
            assert f"--hash=sha256:{wheelhouse_sha(wheel)}" in hashes, wheel.name


def wheelhouse_sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_functions_zip_keeps_what_the_platform_needs(functions_app: tuple[str, Path, str],
                                                        engine: docker.DockerClient) -> None:
    name, root, _ = functions_app
    with zipfile.ZipFile(root / "build/fn.zip") as zf:
        text = zf.read("requirements.txt").decode()
        names = set(zf.namelist())
    lines = [logical for _, _, logical in reqlines.logical_lines(text) if logical]
    assert not [line for line in lines if line.startswith(("-r", "--requirement", "-i", "--index-url", "--extra"))]
    assert any(line.startswith("functions-framework==3.10.2") for line in lines)
    if name == "includes_app":
        assert "-c constraints.txt" in lines and "constraints.txt" in names  # valid from the zip's root
        assert {"blinker", "itsdangerous", "Flask[async]"} <= set(lines)  # -r files inlined
    else:
        assert all("--hash=sha256:" in line for line in requirement_lines(text))
    runner = record(root, "fn")["images"]["runner"]["id"]
    found = installed(engine, runner)
    assert found["functions-framework"] == "3.10.2" and "six" not in found and "pywin32" not in found
    home = get_home(engine, runner)
    assert home.status_code == 200 and CASES[name].says in home.text, home.text


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
    (root / "targets.yaml").write_text(manifest("private", Case("app:app", "requirements.txt", "static", "")))
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
