"""The python:3.12-slim stand-in is this host's CPython 3.12, where the official image has it
(engine/standin_python.py): its version, its place, what it leaves out, a working venv."""

from __future__ import annotations

from pathlib import Path

import docker
import pytest

from targets import hostpython
from targets.engine import base_images

pytestmark = pytest.mark.docker

CHECK = ("import json, platform, sqlite3, ssl, sys, sysconfig; print(json.dumps([platform.python_version(), "
         "sys.executable, sysconfig.get_paths()['purelib']]))")


def test_the_stand_in_is_the_hosts_build_of_the_version_it_stands_in_for(engine: docker.DockerClient) -> None:
    install = hostpython.relocatable("3.12")
    assert install is not None, "this machine has no relocatable CPython 3.12 (pyenv's): bin/setup's stand-in needs one"
    said: list[str] = []
    assert base_images.build_standins({"python:3.12-slim": "python"}, said.append) == []  # its recipe still holds
    assert said == ["  python:3.12-slim: cannot be pulled; stand-in flaskship-standin/python:3.12-slim already built"]
    image = base_images.resolve("python:3.12-slim", lambda _line: None)
    assert image == "flaskship-standin/python:3.12-slim"
    script = (f"python3 -c \"{CHECK}\" && ls /usr/local/lib/python3.12/site-packages "
              "&& ls -d /usr/local/lib/python3.12/test 2>&1; python3 -m venv /tmp/v && /tmp/v/bin/python -c 'print(1)'")
    out = engine.containers.run(image, ["sh", "-c", script], user="65534", remove=True).decode().splitlines()
    assert out[0] == f'["{install.full}", "/usr/local/bin/python3", "/usr/local/lib/python3.12/site-packages"]'
    assert [line for line in out[1:] if not line.startswith("pip-")] == [
        "pip", "ls: cannot access '/usr/local/lib/python3.12/test': No such file or directory", "1"]
    assert base_images.probe(image).python == "3.12"


def test_a_host_build_that_does_not_run_there_gives_way_to_debians(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: docker.DockerClient) -> None:
    """A host build that fails the stand-in's own import check (one made on a newer Debian,
    say): a warning naming it, and Debian's python3 instead, not a failed `base-images`."""
    root = tmp_path / "pyenv/versions/3.12.99"
    (root / "lib/python3.12").mkdir(parents=True)
    (root / "lib/python3.12/os.py").write_text("")
    program = root / "bin/python3.12"
    program.parent.mkdir()
    # Answers the host's questions as a 3.12 build in its own prefix; in the image it fails.
    program.write_text(f"#!/bin/sh\n[ -d {tmp_path} ] || exit 1\n"
                       f"echo '[\"{root}\", \"3.12.99\", \"final\", true]'\n")
    program.chmod(0o755)
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "pyenv"))
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    ref = "python:3.12-flaskship-test"  # its own stand-in tag: the suite's python:3.12-slim is left alone
    said: list[str] = []
    try:
        assert base_images.build_standins({ref: "python"}, lambda line: said.append(str(line))) == [
            "flaskship-standin/python:3.12-flaskship-test"]
        assert any(f"warning: {ref}: CPython 3.12.99 from {root} does not run in the stand-in" in line
                   for line in said), said
        out = engine.containers.run("flaskship-standin/python:3.12-flaskship-test", ["python3", "-V"], remove=True)
        assert out.decode().startswith("Python 3.11.")
    finally:
        for image in engine.images.list(filters={"reference": "flaskship-standin/python:3.12-flaskship-test"}):
            engine.images.remove(image.id, force=True)
