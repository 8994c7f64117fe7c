"""engine/bytecode.py's other way: a base whose Python is not the host's gets its
.pyc files from a container of the base itself (the demo's stand-in base is used
here, whose Python the host may share: the path under test is the container's)."""

from __future__ import annotations

import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import docker
import pytest

from targets.engine import base_images, bytecode
from tests.helpers import managed_containers

pytestmark = pytest.mark.docker

READ = ("import importlib.util, marshal, sys; data = open(sys.argv[1], 'rb').read(); "
        "print(data[8:16] == importlib.util.source_hash(b'VALUE = 1\\n'), marshal.loads(data[16:]).co_filename)")


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
    pyc = next(src.glob("pkg/__pycache__/*.pyc"))
    assert int.from_bytes(pyc.read_bytes()[4:8], "little") == 3  # checked-hash
    # The source hash (keyed by the magic number) and the code object, as the base's version reads
    # them: a CPython of that version on this host (pyenv's, when the tool runs on another).
    program = bytecode.host_compiler(base_images.probe(base))
    assert program is not None, "no CPython of the base's version on this host to read the .pyc with"
    read = subprocess.run([program, "-c", READ, str(pyc)], capture_output=True, text=True, check=True)
    assert read.stdout.split() == ["True", "/srv/app/pkg/__init__.py"]
    assert managed_containers(engine) == []


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def _pycs(src: Path) -> dict[str, bytes]:
    return {p.relative_to(src).as_posix(): p.read_bytes() for p in sorted(src.rglob("*.pyc"))}


def _containers_made(engine: docker.DockerClient, since: int, label: str) -> int:
    until = int(time.time()) + 1
    return len(list(engine.events(since=since, until=until, decode=True,
                                  filters={"type": "container", "event": "create",
                                           "label": f"io.flaskship.target={label}"})))


def test_each_file_is_compiled_in_a_container_once_for_every_tree_and_thread_that_holds_it(
        tmp_path: Path, engine: docker.DockerClient) -> None:
    """Four targets ship the same app: its files used to be compiled in four containers,
    on every build and again after each edit."""
    base = base_images.resolve("python:3.12-slim", lambda _line: None)
    runtime = base_images.probe(base)
    cache = tmp_path / "cache"
    app = {"wsgi.py": "from pkg import VALUE\n", "pkg/__init__.py": "VALUE = 1\n", "broken.py": "def (:\n"}
    label = f"pyc-{uuid.uuid4().hex[:8]}"
    since = int(time.time())

    first = _tree(tmp_path / "a", app)
    bytecode.in_container_cached(first, runtime, base, "/srv/app", label, cache)
    made = _pycs(first)
    assert [p.split(".")[0] for p in made] == ["__pycache__/wsgi", "pkg/__pycache__/__init__"]
    # The same files in another tree: from the cache, byte for byte, with no container.
    again = _tree(tmp_path / "b", app)
    bytecode.in_container_cached(again, runtime, base, "/srv/app", label, cache)
    assert _pycs(again) == made
    # Files of its own (a platform's settings): one container, for those files alone.
    other = _tree(tmp_path / "c", {**app, "main.py": "import wsgi\n", ".flaskship/gunicorn.conf.py": "workers = 2\n"})
    bytecode.in_container_cached(other, runtime, base, "/srv/app", label, cache)
    own = sorted(set(_pycs(other)) - set(made))
    assert [p.split(".")[0] for p in own] == ["", "__pycache__/main"] and own[0].startswith(".flaskship/__pycache__/")
    assert {k: v for k, v in _pycs(other).items() if k in made} == made
    time.sleep(1.1)  # events are filtered by whole seconds
    assert _containers_made(engine, since, label) == 2

    # Trees built side by side, with a file none has compiled yet: one container between them.
    edited = {**app, "pkg/__init__.py": "VALUE = 2\n"}
    trees = [_tree(tmp_path / f"t{i}", edited) for i in range(4)]
    since = int(time.time())
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda tree: bytecode.in_container_cached(tree, runtime, base, "/srv/app", label, cache), trees))
    assert all(_pycs(tree) == _pycs(trees[0]) for tree in trees)
    wsgi, pkg = sorted(made)  # the unchanged file's .pyc is the earlier one; the edited one's is new
    assert sorted(_pycs(trees[0])) == [wsgi, pkg]
    assert _pycs(trees[0])[wsgi] == made[wsgi] and _pycs(trees[0])[pkg] != made[pkg]
    time.sleep(1.1)
    assert _containers_made(engine, since, label) == 1
    assert managed_containers(engine) == []
