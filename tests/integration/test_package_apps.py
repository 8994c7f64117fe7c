"""An app that is an installable package (pyproject.toml only) builds, and its images run it.

The fixture `tests/fixtures/apps/pyproject_pkg` has no requirements.txt and no
wsgi.py: `app.requirements: pyproject.toml`. Its wheel is built on the host and
installed offline, pinned by version and hash (the build's lock is hashed), in
every image; the functions zip ships the package's code at its root, with `.`
as a comment in its hashed requirements.txt (hash-checking mode cannot install
a folder). The images are checked directly (the smoke suite still assumes the
demo app's routes).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import zipfile
from pathlib import Path

import docker
import pytest

from tests.helpers import REPO, SESSION, invoke, record, serve_and_get

pytestmark = pytest.mark.docker

FIXTURE = REPO / "tests/fixtures/apps/pyproject_pkg"
MANIFEST = """\
app: {source: ., entry: "hello_pkg:create_app()", requirements: pyproject.toml, static: hello_pkg/static, static_url: /static}
targets:
  run: {kind: cloudrun, service_id: hello, region: us-central1}
  dyno: {kind: heroku, app: hello-pkg}
  fn: {kind: functions}
"""
VERSION = "0.1.0"
WHEEL = f"hello_pkg-{VERSION}-py3-none-any.whl"
BUILDING = "building the app's own wheel"


@pytest.fixture(scope="module")
def package_app(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The fixture app copied into a throwaway folder with its targets.yaml, built once; (root, build output)."""
    root = tmp_path_factory.mktemp("pkg") / "site"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build"))
    (root / "targets.yaml").write_text(MANIFEST)
    result = invoke("build", "--manifest", str(root / "targets.yaml"))
    assert result.code == 0, result.stdout + result.stderr
    return root, result.stdout + result.stderr


def run_in(engine: docker.DockerClient, image: str, command: list[str]) -> str:
    # From /, not the app's folder: the import must come through the venv, not the working directory.
    # Created, then started: a container whose start fails is still removed (run(remove=True) would leak it).
    container = engine.containers.create(image, command, working_dir="/", labels={"io.flaskship.session": SESSION})
    try:
        container.start()
        status = container.wait(timeout=60)["StatusCode"]
        out = container.logs(stdout=True, stderr=False).decode()
        assert status == 0, container.logs().decode()
        return out
    finally:
        container.remove(force=True)


def assert_installed_in_venv(engine: docker.DockerClient, image: str, code_in_image: bool = True) -> None:
    # The runtime image has no pip (it is left out on purpose): ask the metadata directly.
    dist = ("import importlib.metadata as m; d = m.distribution('hello-pkg'); "
            "print(d.version); print(d.locate_file('')); import os; print(sorted(os.listdir(d.locate_file(''))))")
    version, location, files = run_in(engine, image, ["python", "-c", dist]).splitlines()
    assert version == VERSION and location.startswith("/opt/venv/lib/python3"), (version, location)
    # Installed as its metadata and a .pth naming /srv/app (build/ownwheel.py): one copy of the
    # code, which even a process started elsewhere (a console script, here from /) imports.
    assert "'hello_pkg'" not in files and "'__flaskship__.hello_pkg-0.1.0.pth'" in files, files
    pth = "import sysconfig; print(open(sysconfig.get_paths()['purelib'] + '/__flaskship__.hello_pkg-0.1.0.pth').read())"
    assert run_in(engine, image, ["python", "-c", pth]).strip() == "/srv/app"
    if code_in_image:  # the runner's containers get the code as they start (build/code.py)
        where = run_in(engine, image, ["python", "-c", "import hello_pkg; print(hello_pkg.__file__)"]).strip()
        assert where == "/srv/app/hello_pkg/__init__.py", where


def test_image_requirements_pin_the_built_wheel(package_app: tuple[Path, str]) -> None:
    root, output = package_app
    for context in (root / "build/run/image", root / "build/fn/runner"):
        lines = (context / "requirements.txt").read_text().splitlines()
        wheel = context / "wheels" / WHEEL
        assert wheel.is_file()
        # The build's lock is hashed (build/lock.py): the app is pinned by its wheel's own hash.
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        assert [line for line in lines if line.startswith("hello-pkg")] == [f"hello-pkg=={VERSION} --hash=sha256:{digest}"]
        assert "." not in lines and "-e ." not in lines
    assert BUILDING in output


def test_cloudrun_image_serves_the_package_app(package_app: tuple[Path, str], engine: docker.DockerClient) -> None:
    root, _ = package_app
    home, about = serve_and_get(engine, record(root, "run")["images"]["app"]["id"], "/", "/about")
    assert home.status_code == 200 and "Say hello" in home.text, home.text
    assert about.status_code == 200 and "hello-pkg is installed" in about.text, about.text


def test_cloudrun_image_has_the_package_in_its_venv(package_app: tuple[Path, str], engine: docker.DockerClient) -> None:
    assert_installed_in_venv(engine, record(package_app[0], "run")["images"]["app"]["id"])


def test_functions_zip_installs_the_app_as_dot_and_its_runner_has_the_wheel(
        package_app: tuple[Path, str], engine: docker.DockerClient) -> None:
    root, _ = package_app
    with zipfile.ZipFile(root / "build/fn.zip") as zf:
        lines = zf.read("requirements.txt").decode().splitlines()
        names = set(zf.namelist())
    # Cloud Functions runs `pip install -r requirements.txt` in the zip's folder, with network. The
    # file is the build's hashed lock, and pip's hash-checking mode cannot install a folder: `.` stays
    # as a comment saying so, and the package's code is at the zip's root, where the entry imports it.
    assert "." not in lines and any(line.startswith("# .  (the app itself: ") for line in lines), lines
    assert not any(line.startswith("hello-pkg") for line in lines)
    assert {"pyproject.toml", "hello_pkg/__init__.py"} <= names
    assert_installed_in_venv(engine, record(root, "fn")["images"]["runner"]["id"], code_in_image=False)


def test_one_app_wheel_serves_every_gunicorn_platform(package_app: tuple[Path, str]) -> None:
    root, _ = package_app
    # Each image's code carries its platform's gunicorn settings (.flaskship/), which are not the
    # package's: cloudrun and heroku install the one same wheel, so they share one venv layer.
    run, dyno = (os.stat(root / f"build/{target}/image/wheels/{WHEEL}") for target in ("run", "dyno"))
    assert (run.st_dev, run.st_ino) == (dyno.st_dev, dyno.st_ino)
    assert (root / "build/run/image/venv.tar.gz").read_bytes() == (root / "build/dyno/image/venv.tar.gz").read_bytes()


def test_a_second_build_with_nothing_changed_reuses_the_wheel(package_app: tuple[Path, str]) -> None:
    root, _ = package_app
    cached = sorted((root / "build/.cache").glob(f"app-wheel-*/{WHEEL}"))
    assert cached
    before = [(os.stat(path).st_ino, os.stat(path).st_mtime_ns) for path in cached]
    result = invoke("build", "--manifest", str(root / "targets.yaml"))
    assert result.code == 0, result.stdout + result.stderr
    assert BUILDING not in result.stdout + result.stderr
    assert sorted((root / "build/.cache").glob(f"app-wheel-*/{WHEEL}")) == cached
    assert [(os.stat(path).st_ino, os.stat(path).st_mtime_ns) for path in cached] == before


def test_an_app_edit_leaves_the_venv_and_its_layer_as_they_were(package_app: tuple[Path, str],
                                                                engine: docker.DockerClient) -> None:
    # The installed wheel holds no code: an edit changes the code layer only, not the dependencies'.
    root, _ = package_app
    module = root / "hello_pkg/__init__.py"
    original = module.read_text()
    before = (root / "build/run/image/venv.tar.gz").read_bytes()
    layers = engine.images.get(record(root, "run")["images"]["app"]["id"]).attrs["RootFS"]["Layers"]
    try:
        module.write_text(original + "\nEDITED = True\n")
        result = invoke("build", "--manifest", str(root / "targets.yaml"), "--target", "run")
        assert result.code == 0, result.stdout + result.stderr
        assert (root / "build/run/image/venv.tar.gz").read_bytes() == before
        edited = engine.images.get(record(root, "run")["images"]["app"]["id"]).attrs["RootFS"]["Layers"]
        assert edited[:-1] == layers[:-1] and edited[-1] != layers[-1]  # only the code's layer is new
        assert run_in(engine, record(root, "run")["images"]["app"]["id"],
                      ["python", "-c", "import hello_pkg; print(hello_pkg.EDITED)"]).strip() == "True"
    finally:
        module.write_text(original)
