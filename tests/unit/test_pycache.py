"""engine/pycache.py with the host's own compiler standing in for the base's container."""

from __future__ import annotations

import py_compile
from collections.abc import Callable
from pathlib import Path

from targets.engine import pycache


def _compiler(src: Path, calls: list[list[str]], optimize: int = -1,
              fail: bool = False) -> Callable[[list[Path]], None]:
    def compile_some(only: list[Path]) -> None:
        calls.append(sorted(p.as_posix() for p in only))
        if fail:
            return  # a container killed before it wrote anything: compileall || true hides it
        for relative in only:
            tag = "" if optimize < 1 else f".opt-{optimize}"
            folder = src / relative.parent / "__pycache__"
            try:
                py_compile.compile(str(src / relative), cfile=str(folder / f"{relative.stem}.cpython-399{tag}.pyc"),
                                   dfile=f"/srv/app/{relative.as_posix()}", doraise=True, optimize=optimize)
            except py_compile.PyCompileError:
                pass
    return compile_some


def _tree(root: Path) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "pkg/__init__.py").write_text("VALUE = 1\n")
    (root / "broken.py").write_text("def (:\n")
    return root


def test_a_batch_that_made_nothing_is_not_kept_and_a_broken_file_is_known(tmp_path: Path) -> None:
    cache, calls = tmp_path / "cache", list[list[str]]()
    first = _tree(tmp_path / "a")
    pycache.reuse(first, cache, "base", _compiler(first, calls, fail=True))
    second = _tree(tmp_path / "b")
    pycache.reuse(second, cache, "base", _compiler(second, calls))  # compiled again: nothing was kept
    third = _tree(tmp_path / "c")
    pycache.reuse(third, cache, "base", _compiler(third, calls))  # all known now, the broken file too
    assert calls == [["broken.py", "pkg/__init__.py"]] * 2
    assert [p.name for p in third.rglob("*.pyc")] == ["__init__.cpython-399.pyc"]
    assert (third / "pkg/__pycache__/__init__.cpython-399.pyc").read_bytes() == \
        (second / "pkg/__pycache__/__init__.cpython-399.pyc").read_bytes()


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
