"""The python:3.12-slim stand-in is this host's CPython 3.12, where the official image has it
(engine/standin_python.py): its version, its place, what it leaves out, a working venv."""

from __future__ import annotations

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
