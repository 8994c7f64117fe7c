"""engine/pycache.py with the host's own compiler standing in for the base's container."""

from __future__ import annotations

import os
import py_compile
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from targets.engine import pycache


def _compiler(src: Path, calls: list[list[str]], optimize: int = -1,
              stop_after: int | None = None, fail: bool = False) -> Callable[[list[Path]], set[Path] | None]:
    """The host's py_compile as the base's container: what each_in_container does, or a run
    that ends early (`stop_after` files: killed, its status lost) or fails outright."""
    def compile_some(only: list[Path]) -> set[Path] | None:
        calls.append(sorted(p.as_posix() for p in only))
        if fail:
            return None
        failed = set()
        for relative in only[:stop_after]:
            tag = "" if optimize < 1 else f".opt-{optimize}"
            folder = src / relative.parent / "__pycache__"
            try:
                py_compile.compile(str(src / relative), cfile=str(folder / f"{relative.stem}.cpython-399{tag}.pyc"),
                                   dfile=f"/srv/app/{relative.as_posix()}", doraise=True, optimize=optimize)
            except py_compile.PyCompileError:
                failed.add(relative)
        return failed
    return compile_some


def _tree(root: Path) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "pkg/__init__.py").write_text("VALUE = 1\n")
    (root / "broken.py").write_text("def (:\n")
    return root


def test_only_what_the_container_said_is_kept(tmp_path: Path) -> None:
    cache, calls = tmp_path / "cache", list[list[str]]()
    trees = [_tree(tmp_path / name) for name in "abcd"]
    pycache.reuse(trees[0], cache, "base", _compiler(trees[0], calls, fail=True))  # nothing known: nothing kept
    # Killed after its first file (broken.py): what it made and named is kept, not the file it never reached.
    pycache.reuse(trees[1], cache, "base", _compiler(trees[1], calls, stop_after=1))
    pycache.reuse(trees[2], cache, "base", _compiler(trees[2], calls))
    pycache.reuse(trees[3], cache, "base", _compiler(trees[3], calls))  # all known now, the broken file too
    assert calls == [["broken.py", "pkg/__init__.py"]] * 2 + [["pkg/__init__.py"]]
    assert [p.name for p in trees[3].rglob("*.pyc")] == ["__init__.cpython-399.pyc"]
    assert (trees[3] / "pkg/__pycache__/__init__.cpython-399.pyc").read_bytes() == \
        (trees[2] / "pkg/__pycache__/__init__.cpython-399.pyc").read_bytes()
    assert sorted(p.name for p in cache.iterdir() if p.name.startswith(".")) == []  # no half-written entry


def test_a_pyc_keeps_the_name_its_python_gave_it(tmp_path: Path) -> None:
    # An image with PYTHONOPTIMIZE set looks for <stem>.<tag>.opt-1.pyc, whatever flaskship expected.
    cache, calls = tmp_path / "cache", list[list[str]]()
    first = _tree(tmp_path / "a")
    pycache.reuse(first, cache, "base-o1", _compiler(first, calls, optimize=1))
    second = _tree(tmp_path / "b")
    pycache.reuse(second, cache, "base-o1", _compiler(second, calls, optimize=1))
    assert len(calls) == 1
    assert [p.relative_to(second).as_posix() for p in second.rglob("*.pyc")] == \
        ["pkg/__pycache__/__init__.cpython-399.opt-1.pyc"]


def test_a_hit_refreshes_its_entry_and_one_trimmed_meanwhile_is_compiled(tmp_path: Path) -> None:
    cache, calls = tmp_path / "cache", list[list[str]]()
    first = _tree(tmp_path / "a")
    pycache.reuse(first, cache, "base", _compiler(first, calls))
    entries = sorted(cache.iterdir())
    old = time.time() - 6 * 86400
    for entry in entries:
        os.utime(entry, (old, old))
    second = _tree(tmp_path / "b")
    pycache.reuse(second, cache, "base", _compiler(second, calls))
    assert all(entry.stat().st_mtime > old + 86400 for entry in entries)  # used now: not trimmed
    # Another process's trim takes an entry between this build's look and its copy.
    third = _tree(tmp_path / "c")
    (third / "new.py").write_text("NEW = 1\n")
    compile_new = _compiler(third, calls)

    def while_another_trims(only: list[Path]) -> set[Path] | None:
        if only == [Path("new.py")]:
            for entry in entries:
                shutil.rmtree(entry)
        return compile_new(only)

    pycache.reuse(third, cache, "base", while_another_trims)
    assert calls[-2:] == [["new.py"], ["broken.py", "pkg/__init__.py"]]
    assert (third / "pkg/__pycache__/__init__.cpython-399.pyc").is_file()
