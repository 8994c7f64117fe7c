"""The dependency step's pure parts: target markers, the lock's floor, the Python init picks."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from targets.appscan import versions
from targets.build import lock
from targets import wheel_index as availability
from targets.engine import markers
from targets.engine.base_images import Runtime
from targets.kinds import KINDS
from targets.pins import GUNICORN

# The platform sets a build of every kind locks (BuildJob.lock).
SETS = {(GUNICORN,), *(registered.platform for registered in KINDS.values())}

LINUX = tuple(f"manylinux_2_{n}_x86_64" for n in range(36, 4, -1))
PY311 = Runtime("3.11", LINUX, "3.11.2")
PY312 = Runtime("3.12", LINUX, "3.12.7")
LOCK = """\
--find-links /srv/vendor
flask==3.1.3 \\
    --hash=sha256:aaa
pywin32==311 ; sys_platform == 'win32' \\
    --hash=sha256:bbb
tomli==2.2.1 ; python_full_version < '3.11.4' \\
    --hash=sha256:ccc
backport==1.0 ; python_version >= "3.12" --hash=sha256:ddd
# a comment
"""


def test_markers_are_evaluated_for_the_target_not_the_host() -> None:
    options, applies, skipped = markers.for_target(LOCK, PY311)
    assert options == ["--find-links /srv/vendor"]
    assert [line.text for line in applies] == ["flask==3.1.3 --hash=sha256:aaa", "tomli==2.2.1 --hash=sha256:ccc"]
    assert skipped == ["pywin32", "backport"]
    _, applies, skipped = markers.for_target(LOCK, PY312)
    assert [line.name for line in applies] == ["flask", "backport"] and skipped == ["pywin32", "tomli"]


def test_only_a_fully_hashed_text_counts_as_a_lock() -> None:
    assert markers.is_lock(LOCK)
    assert not markers.is_lock(LOCK + "requests==2.34.2\n")
    assert not markers.is_lock("--find-links x\n")


def test_the_lock_holds_for_the_oldest_python_any_target_may_run() -> None:
    assert lock.floor("3.12", ["python:3.12-slim"]) == "3.11"  # a stand-in may be Debian's 3.11
    assert lock.floor("3.13", ["docker.io/library/python:3.10-slim", "gcr.io/x/app:1"]) == "3.10"
    assert lock.floor("3.10", []) == "3.10"


def test_a_union_lock_becomes_constraints_without_hashes_or_the_app() -> None:
    text = "flask==3.1.3 \\\n    --hash=sha256:aaa\n.\npywin32==311 ; sys_platform == 'win32' \\\n    --hash=sha256:b\n"
    assert lock.pins(text) == "flask==3.1.3\npywin32==311 ; sys_platform == 'win32'\n"


def test_init_reads_the_last_stage_of_a_dockerfile(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("ARG PY=3.10\nFROM node:20 AS assets\nRUN true\n"
                                         "FROM --platform=linux/amd64 python:${PY}-slim-bookworm\n")
    assert versions.python_version(tmp_path) == ("3.10", "the app's Dockerfile runs on python:3.10-slim-bookworm")
    (tmp_path / ".python-version").write_text("3.12.1\n")  # a file that says it outright comes first
    assert versions.python_version(tmp_path)[0] == "3.12"


def test_init_reads_requires_python_from_uv_lock(tmp_path: Path) -> None:
    (tmp_path / "uv.lock").write_text('version = 1\nrequires-python = ">=3.10, <3.12"\n')
    version, why = versions.python_version(tmp_path)
    assert version == "3.11" and "uv.lock's requires-python '>=3.10, <3.12'" in why


def test_a_dockerfile_on_another_image_is_passed_over_with_a_reason(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM ubuntu:24.04\n")
    version, why = versions.python_version(tmp_path)
    assert version == versions.DEFAULT and "FROM ubuntu:24.04 is not a python:3.X image" in why


# -- the index, through its JSON simple API (PEP 691), served on loopback ------------------------------

FILES = {
    "multidict": ["multidict-6.0.4.tar.gz", "multidict-6.0.4-cp310-cp310-manylinux_2_17_x86_64.whl",
                  "multidict-6.0.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
                  "multidict-6.0.4-cp311-cp311-win_amd64.whl", "multidict-6.1.0-cp312-cp312-manylinux_2_17_x86_64.whl"],
    "markupsafe": [f"markupsafe-3.0.4-cp3{n}-cp3{n}-manylinux_2_17_x86_64.whl" for n in (10, 11, 12, 13)],
    "flask": ["flask-3.1.3-py3-none-any.whl", "flask-3.1.3.tar.gz"],
    "crcmod": ["crcmod-1.7.tar.gz"],
    "pillow": ["Pillow-7.1.1.tar.gz", "Pillow-7.1.1-cp37-cp37m-manylinux1_x86_64.whl",
               "Pillow-7.1.1-cp38-cp38-manylinux1_x86_64.whl", "Pillow-7.1.1-cp38-cp38-win_amd64.whl"],
    "markupsafe-old": ["markupsafe_old-1.1.1-cp38-cp38-manylinux1_x86_64.whl",
                       "markupsafe_old-1.1.1-cp39-cp39-manylinux2010_x86_64.whl"],
}


@pytest.fixture()
def index(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    class Simple(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            name = self.path.strip("/").split("/")[-1]
            if name not in FILES:
                self.send_error(404)
                return
            body = json.dumps({"name": name, "files": [{"filename": f} for f in FILES[name]]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.pypi.simple.v1+json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Simple)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/simple"
    monkeypatch.setenv("PIP_INDEX_URL", url)
    availability._files.cache_clear()
    try:
        yield url
    finally:
        server.shutdown()
        availability._files.cache_clear()


def test_the_index_says_which_pythons_have_a_wheel_of_a_release(index: str, tmp_path: Path) -> None:
    assert availability.wheel_pythons("multidict==6.0.4", tmp_path) == ["3.10", "3.11"]
    assert availability.wheel_pythons("Flask==3.1.3", tmp_path) == list(availability.PYTHONS)
    assert availability.wheel_pythons("crcmod==1.7", tmp_path) == []  # an sdist only
    assert availability.wheel_pythons("nosuch==1.0", tmp_path) is None
    cached = json.loads((tmp_path / availability.CACHE).read_text())
    assert cached[f"multidict==6.0.4|{availability.LINUX[0]}|{index}"] == ["3.10", "3.11"]


def test_init_picks_the_newest_python_every_binary_pin_has_wheels_for(index: str, tmp_path: Path) -> None:
    version, why = versions.by_wheels(["Flask==3.1.3", "crcmod==1.7", "markupsafe==3.0.4", "multidict==6.0.4"],
                                      tmp_path) or ("", "")
    assert version == "3.11" and "multidict==6.0.4 has wheels for 3.10, 3.11" in why
    assert versions.by_wheels(["Flask==3.1.3", "crcmod==1.7"], tmp_path) is None  # nothing binary to choose by
    assert versions.by_wheels(["markupsafe==3.0.4"], tmp_path)[0] == "3.13"  # type: ignore[index]


def test_a_pin_with_wheels_only_for_older_pythons_picks_the_oldest_supported(index: str, tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # albumy: pillow 7.1.1 ships wheels up to cp38; on 3.12 the app's flask-moment 0.9 needs distutils.
    assert availability.older_wheels("pillow==7.1.1") == "3.8"
    assert availability.older_wheels("crcmod==1.7") is None  # an sdist only: no sign of age
    version, why = versions.by_wheels(["Flask==3.1.3", "pillow==7.1.1", "crcmod==1.7"], tmp_path) or ("", "")
    assert version == "3.10" and "pillow==7.1.1 has wheels only up to Python 3.8" in why
    # With another binary pin, the oldest Python that one has wheels for.
    assert versions.by_wheels(["pillow==7.1.1", "markupsafe==3.0.4"], tmp_path)[0] == "3.10"  # type: ignore[index]
    assert versions.by_wheels(["pillow==7.1.1", "multidict==6.0.4"], tmp_path)[0] == "3.10"  # type: ignore[index]
    # bluelog: MarkupSafe 1.1.1's wheels stop at cp39, below every supported Python.
    version, why = versions.by_wheels(["markupsafe-old==1.1.1", "crcmod==1.7"], tmp_path) or ("", "")
    assert version == "3.10" and "markupsafe-old==1.1.1 has wheels only up to Python 3.9" in why
    # The build's warning for a release it compiles says which Pythons were asked about.
    from targets.engine import fromsource
    from targets.engine.base_images import Runtime
    monkeypatch.setattr(fromsource, "_warned", set())  # once per process: the other tests' warnings stay theirs
    said: list[str] = []
    fromsource.warn(["pillow==7.1.1", "crcmod==1.7"], Runtime("3.12", ("manylinux_2_36_x86_64",), "3.12.1", "x"),
                    lambda line: said.append(str(line)), tmp_path)
    assert "pillow==7.1.1: none for Python 3.9-3.14, only for Python 3.8 and older; crcmod==1.7: none, for any " \
           "Python" in said[0], said


# -- the lock is resolved before render, which stays pure --------------------------------------------

def _no_process_or_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail on any child process (uv, pip) or outgoing connection: an index is out of reach."""
    import socket
    import subprocess

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"render reached out: {args[:2]}")

    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.mark.parametrize("fixture", ["hashed_app", "includes_app"])
def test_render_resolves_nothing_and_takes_the_lock_it_is_given(fixture: str, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from targets import manifest
    from targets.commands.build import render_only
    from tests.helpers import REPO

    app = tmp_path / "app"
    shutil.copytree(REPO / "tests/fixtures/apps" / fixture, app)
    (app / "targets.yaml").write_text(
        'app: {source: ., entry: "app:app", static: static}\n'
        "targets:\n  run: {kind: cloudrun, service_id: x, region: us-central1}\n"
        "  fn: {kind: functions, region: us-central1}\n")
    project = manifest.load(app / "targets.yaml")
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    _no_process_or_connection(monkeypatch)
    declared = render_only(project, "run", tmp_path / "declared")
    text = (tmp_path / "declared/image/requirements.txt").read_text()
    assert text.startswith((app / "requirements.txt").read_text()[:40]) and text.endswith("gunicorn==23.0.0\n")
    assert not (app / "build").exists()  # no lock was made or kept

    def locked(version: str) -> dict[tuple[str, ...], str]:  # a Flask the functions runtime takes (2.0 on)
        return {extra: f"flask=={version} --hash=sha256:{version * 64}\n" for extra in SETS}

    one = render_only(project, "run", tmp_path / "one", locked("3"))
    two = render_only(project, "run", tmp_path / "two", locked("4"))
    assert (tmp_path / "two/image/requirements.txt").read_text() == locked("4")[(GUNICORN,)]
    # The image's inputs (its tag, hence the no-op key) follow the lock, and so does the zip.
    tags = {job.images[0].tag for job in (declared, one, two)}
    assert len(tags) == 3
    zips = {render_only(project, "fn", tmp_path / f"fn{v}", locked(v)).record.archives["zip"]["sha256"] for v in "34"}
    assert len(zips) == 2
