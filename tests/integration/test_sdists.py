"""Requirements published only as source distributions become wheels for the target.

Two fixture apps (tests/fixtures/apps/sdist_pure, sdist_c) are built for real:
langdetect 1.0.9 (an sdist of pure Python) is built on the host; crcmod 1.7 (an
sdist with a C extension, no wheel for any Python) is compiled in the builder
image, in a container with no network. The images are run and asked which
code they import; a second build must compile and download nothing; a C build
that misses a header fails with one line naming it, and leaves no container.
"""

from __future__ import annotations

import io
import os
import shutil
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import pytest

from tests.helpers import REPO, SESSION, assert_one_clear_line, invoke, managed_containers, record, serve_and_get

pytestmark = pytest.mark.docker

FIXTURES = REPO / "tests/fixtures/apps"
APP = 'app: {source: ., entry: "app:app", static: static, static_url: /static}\n'
CLOUDRUN = "  run: {kind: cloudrun, service_id: sdist, region: us-central1}\n"
FUNCTIONS = "  fn: {kind: functions}\n"
COMPILING = "from its sdist in flaskship-standin/builder-"  # the progress line of a compile
RESOLVING = "resolving wheels for Python"
WARNING = "warning: no wheel for Python"
BUILDER_ROLE = "io.flaskship.role=sdist-build"
# Compilers that must never reach a runtime image; the same probe finds gcc in the builder.
NO_COMPILER = ["sh", "-c", "command -v gcc cc c++ x86_64-linux-gnu-gcc aarch64-linux-gnu-gcc || true"]


@dataclass
class Build:
    root: Path
    output: str
    builders: int  # sdist-build containers the engine created during the build


def build(root: Path, engine: docker.DockerClient, env: dict[str, str] | None = None) -> Build:
    since = time.time()
    result = invoke("build", "--manifest", str(root / "targets.yaml"), env=env)
    assert result.code == 0, result.stdout + result.stderr
    return Build(root, result.stdout + result.stderr, builder_containers(engine, since))


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


@pytest.fixture(scope="module")
def pure(tmp_path_factory: pytest.TempPathFactory, engine: docker.DockerClient) -> Build:
    return build(project(tmp_path_factory, "sdist_pure", CLOUDRUN), engine)


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory, engine: docker.DockerClient) -> Build:
    return build(project(tmp_path_factory, "sdist_c", CLOUDRUN + FUNCTIONS), engine)


def image(root: Path, target: str) -> str:
    images = record(root, target)["images"]
    return str(images["app" if "app" in images else "runner"]["id"])


def get_json(engine: docker.DockerClient, image_id: str, path: str) -> Any:
    """Run the image as its platform would (PORT 8080), GET `path`, and always remove the container."""
    answer = serve_and_get(engine, image_id, path)[0]
    assert answer.status_code == 200, answer.text
    return answer.json()


def compilers(engine: docker.DockerClient, image_id: str) -> str:
    out = engine.containers.run(image_id, NO_COMPILER, remove=True, labels={"io.flaskship.session": SESSION})
    return out.decode().strip()


def wheels(root: Path) -> dict[str, tuple[int, int]]:
    """Every cached wheel, with its inode and mtime: a download or a build would change them."""
    cache = root / "build/.cache"
    return {str(p.relative_to(cache)): (p.stat().st_ino, p.stat().st_mtime_ns) for p in sorted(cache.rglob("*.whl"))}


# -- a pure-Python sdist -----------------------------------------------------------------------------

def test_a_pure_sdist_is_built_on_the_host_and_the_image_uses_it(pure: Build, engine: docker.DockerClient) -> None:
    assert "building langdetect==1.0.9 from its sdist on the host" in pure.output
    assert pure.builders == 0 and COMPILING not in pure.output and WARNING not in pure.output
    assert (pure.root / "build/run/image/wheels/langdetect-1.0.9-py3-none-any.whl").is_file()
    assert not list((pure.root / "build/run/image/wheels").glob("*.tar.gz"))  # only wheels reach the image
    answer = get_json(engine, image(pure.root, "run"), "/detect")
    assert answer == {"package": "langdetect", "version": "1.0.9", "language": "fr"}


# -- an sdist with a C extension ---------------------------------------------------------------------

def test_a_c_sdist_is_compiled_once_in_the_builder_with_one_warning(compiled: Build) -> None:
    # Two targets (cloudrun, functions) need it: one compile, one warning.
    assert compiled.builders == 1
    assert compiled.output.count(COMPILING) == 1, compiled.output
    warnings = [line for line in compiled.output.splitlines() if WARNING in line]
    assert len(warnings) == 1 and "crcmod==1.7" in warnings[0], warnings
    for context in ("build/run/image", "build/fn/runner"):
        built = sorted(p.name for p in (compiled.root / context / "wheels").glob("crcmod-*.whl"))
        # For the image's CPython and platform (crcmod-1.7-cp311-cp311-linux_x86_64.whl here), not pure Python.
        assert len(built) == 1 and "-cp3" in built[0] and "-linux_" in built[0], built


@pytest.mark.parametrize("target", ["run", "fn"])
def test_the_image_imports_the_compiled_extension(compiled: Build, engine: docker.DockerClient, target: str) -> None:
    answer = get_json(engine, image(compiled.root, target), "/crc")
    assert answer["version"] == "1.7" and answer["crc32"] == "cbf43926", answer
    assert answer["extension"] is True and answer["module"] == "crcmod._crcfunext", answer


def test_no_compiler_reaches_a_runtime_image(compiled: Build, engine: docker.DockerClient) -> None:
    builders = [tag for img in engine.images.list(name="flaskship-standin/*") for tag in img.tags
                if "/builder-" in tag]
    assert builders, "no builder image was made"
    assert "gcc" in compilers(engine, builders[0])  # the probe does find a compiler where there is one
    for target in ("run", "fn"):
        assert compilers(engine, image(compiled.root, target)) == ""


def test_a_second_build_compiles_and_downloads_nothing(compiled: Build, engine: docker.DockerClient) -> None:
    before = wheels(compiled.root)
    assert any("crcmod-1.7-cp3" in name for name in before), before
    # An app code edit: the images are rebuilt (an unchanged target would be skipped as up to
    # date before any wheel is looked at), with the same requirements.
    app = compiled.root / "app.py"
    app.write_text(app.read_text() + "\n# edited by test_sdists\n")
    # No index at all: any pip download in this build would fail it.
    again = build(compiled.root, engine, env={"PIP_NO_INDEX": "1"})
    assert "run: building (cloudrun)" in again.output and "fn: building (functions)" in again.output, again.output
    assert again.builders == 0
    for line in (COMPILING, RESOLVING, "building the builder image", "from its sdist on the host"):
        assert line not in again.output, again.output
    assert wheels(compiled.root) == before
    assert again.output.count(WARNING) == 1  # still said, once: the pin still has no wheel
    assert get_json(engine, image(compiled.root, "run"), "/crc")["extension"] is True


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
    return result.stderr


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
    root = project(tmp_path_factory, "sdist_c", CLOUDRUN, "--find-links vendor\nFlask==3.1.3\nflaskship-nowhere==0.1\n")
    (root / "vendor").mkdir()
    local_sdist(root / "vendor")
    assert_failed_cleanly(root, engine, "cannot build flaskship-nowhere==0.1 from source",
                          "missing header flaskship_nowhere.h", "app.build_packages: [")
    assert os.listdir(root / "vendor") == ["flaskship-nowhere-0.1.tar.gz"]
