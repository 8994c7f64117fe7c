"""The host compiles as the image's Python reads: the user's own PYTHONOPTIMIZE and
PYTHONPYCACHEPREFIX (set in their shell) change nothing in what ships."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import REPO

PYTHON = "{}.{}".format(*sys.version_info[:2])
SCRIPT = """
import json, sys
from pathlib import Path
from targets.engine import bytecode
from targets.engine.base_images import Runtime
runtime = Runtime(sys.argv[2], ("manylinux_2_36_x86_64",), sys.argv[2] + ".0", "/usr/local/bin/python3")
for tree, frozen in (("app", False), ("venv", True)):
    bytecode.compile_tree(Path(sys.argv[1], tree), runtime, "base:1", "/srv/" + tree, "t", frozen=frozen)
"""


def test_the_users_python_settings_do_not_reach_the_images_bytecode(tmp_path: Path) -> None:
    for tree in ("app", "venv"):
        (tmp_path / tree / "pkg").mkdir(parents=True)
        (tmp_path / tree / "pkg" / "mod.py").write_text("VALUE = 1\n")
    prefix = tmp_path / "prefix"
    env = {**os.environ, "PYTHONOPTIMIZE": "1", "PYTHONPYCACHEPREFIX": str(prefix), "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path), PYTHON], env=env, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    tag = sys.implementation.cache_tag
    for tree in ("app", "venv"):
        made = sorted(p.relative_to(tmp_path / tree).as_posix() for p in (tmp_path / tree).rglob("*.pyc"))
        assert made == [f"pkg/__pycache__/mod.{tag}.pyc"], (tree, made)
    assert not prefix.exists() or list(prefix.rglob("*.pyc")) == []


def test_a_host_cpython_of_the_bases_version_compiles_for_it(tmp_path: Path) -> None:
    """A base on another minor version than this Python: the host's own build of that version
    (pyenv's, as this machine has) writes the .pyc files, as that version names and reads them."""
    from targets import hostpython
    from targets.engine import bytecode
    from targets.engine.base_images import Runtime

    others = [v for v in ("3.12", "3.13", "3.11", "3.10", "3.9") if v != PYTHON]
    found = next(((v, p) for v in others for p in hostpython.programs(v) if hostpython.answers_as(p, v)), None)
    assert found is not None, f"this machine has none of {others} (pyenv's versions): the test needs one"
    version, program = found
    about = subprocess.run([program, "-c", "import importlib.util, sys; print(sys.implementation.cache_tag); "
                            "print(importlib.util.MAGIC_NUMBER.hex())"], capture_output=True, text=True, check=True)
    tag, magic = about.stdout.split()
    runtime = Runtime(version, ("manylinux_2_36_x86_64",), f"{version}.0", "/usr/local/bin/python3")
    assert bytecode.host_compiler(runtime) == program
    assert bytecode.host_compiler(Runtime(version, runtime.platforms, f"{version}.0rc1")) is None  # magic may differ
    for tree, frozen in (("app", False), ("venv", True)):
        (tmp_path / tree / "pkg").mkdir(parents=True)
        (tmp_path / tree / "pkg" / "mod.py").write_text("VALUE = 1\n")
        bytecode.compile_tree(tmp_path / tree, runtime, "never-run:1", "/srv/" + tree, "t", frozen=frozen)
        made = sorted(p.relative_to(tmp_path / tree).as_posix() for p in (tmp_path / tree).rglob("*.pyc"))
        assert made == [f"pkg/__pycache__/mod.{tag}.pyc"], (tree, made)
        data = (tmp_path / tree / made[0]).read_bytes()
        assert data[:4].hex() == magic and int.from_bytes(data[4:8], "little") == (1 if frozen else 3)


def test_a_frozen_tree_is_compiled_whole_by_its_shares(tmp_path: Path) -> None:
    """A venv is compiled by one process per core, each with its share: together they make a
    .pyc for every .py (the image's path inside, unchecked-hash), none twice, and a file that
    does not parse only costs its own .pyc."""
    import marshal

    from targets.engine import bytecode, pyc_walk
    from targets.engine.base_images import Runtime

    sizes = [1, 40, 3, 900, 12, 7, 250, 5, 64]
    for number, lines in enumerate(sizes):
        (tmp_path / "pkg" / f"sub{number % 3}").mkdir(parents=True, exist_ok=True)
        (tmp_path / "pkg" / f"sub{number % 3}" / f"m{number}.py").write_text(f"VALUE = {number}\n" * lines)
    (tmp_path / "pkg" / "broken.py").write_text("def (:\n")
    every = pyc_walk.sources(tmp_path)
    for shares in (1, 2, 3):
        parts = [pyc_walk.share(every, index, shares) for index in range(shares)]
        assert sorted(p for part in parts for p in part) == sorted(every)  # all of them, each once
    runtime = Runtime(PYTHON, ("manylinux_2_36_x86_64",), f"{PYTHON}.0", "/usr/local/bin/python3")
    bytecode.compile_tree(tmp_path, runtime, "never-run:1", "/opt/venv/site", "t", frozen=True)
    tag = sys.implementation.cache_tag
    made = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.pyc")}
    assert made == {f"pkg/sub{n % 3}/__pycache__/m{n}.{tag}.pyc" for n in range(len(sizes))}
    data = (tmp_path / f"pkg/sub1/__pycache__/m4.{tag}.pyc").read_bytes()
    assert int.from_bytes(data[4:8], "little") == 1  # unchecked-hash
    assert marshal.loads(data[16:]).co_filename == "/opt/venv/site/pkg/sub1/m4.py"
