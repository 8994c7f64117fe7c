"""engine/bytecode.py's other way: a base whose Python is not the host's gets its
.pyc files from a container of the base itself (the demo's stand-in base is used
here, whose Python the host may share: the path under test is the container's)."""

from __future__ import annotations

import importlib.util
import marshal
from pathlib import Path

import docker
import pytest

from targets.engine import base_images, bytecode
from tests.helpers import managed_containers

pytestmark = pytest.mark.docker


def test_a_container_of_the_base_compiles_the_tree_and_only_pycs_come_back(
        tmp_path: Path, engine: docker.DockerClient) -> None:
    base = base_images.resolve("python:3.12-slim", lambda _line: None)
    src = tmp_path / "src"
    (src / "pkg").mkdir(parents=True)
    (src / "pkg/__init__.py").write_text("VALUE = 1\n")
    (src / "wsgi.py").write_text("from pkg import VALUE\n")
    (src / "broken.py").write_text("def (:\n")  # never imported: best effort, as before
    bytecode.in_container(src, base, "/srv/app", "bytecode-test")
    made = sorted(p.relative_to(src).as_posix() for p in src.rglob("*.pyc"))
    assert [p.split(".")[0] for p in made] == ["__pycache__/wsgi", "pkg/__pycache__/__init__"], made
    assert sorted(p.relative_to(src).as_posix() for p in src.rglob("*.py")) == ["broken.py", "pkg/__init__.py",
                                                                               "wsgi.py"]
    data = next(src.glob("pkg/__pycache__/*.pyc")).read_bytes()
    assert int.from_bytes(data[4:8], "little") == 3  # checked-hash
    assert data[8:16] == importlib.util.source_hash(b"VALUE = 1\n")
    if bytecode.host_can_compile(base_images.probe(base)):  # the host reads its own version's code objects
        assert marshal.loads(data[16:]).co_filename == "/srv/app/pkg/__init__.py"
    assert managed_containers(engine) == []
