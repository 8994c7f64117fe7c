"""Records are replaced atomically, build/<target>/ whole, and folders hash by content."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from targets.files import atomic_write, ship_modes, staging_dir, tree_hash
from tests.helpers import write_tree


def test_a_reader_never_sees_a_partial_record(tmp_path: Path) -> None:
    path = tmp_path / "release.json"
    atomic_write(path, json.dumps({"n": 0}))
    big = {"pad": "x" * 2_000_000}  # large enough that a plain write is seen half-done
    seen: list[str] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            text = path.read_text()
            try:
                json.loads(text)
            except ValueError:
                seen.append(text[-40:])

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for n in range(1, 30):
            atomic_write(path, json.dumps({**big, "n": n}))
    finally:
        done.set()
        reader.join()
    assert seen == []
    assert json.loads(path.read_text())["n"] == 29


def test_a_failed_write_keeps_the_old_record_and_leaves_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "release.json"
    atomic_write(path, '{"old": true}')
    with pytest.raises(UnicodeEncodeError):
        atomic_write(path, '{"new": "' + "x" * 100_000 + '\ud800"}')  # a lone surrogate fails mid-write
    assert path.read_text() == '{"old": true}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["release.json"]


def test_staging_replaces_only_on_success(tmp_path: Path) -> None:
    final = tmp_path / "build" / "t"
    with staging_dir(final) as staging:
        (staging / "a").write_text("good")
    with pytest.raises(RuntimeError):
        with staging_dir(final) as staging:
            (staging / "a").write_text("half")
            raise RuntimeError("build failed")
    assert (final / "a").read_text() == "good"
    assert sorted(p.name for p in final.parent.iterdir()) == ["t"]


def test_tree_hash_depends_on_content_path_and_exec_bit_only(tmp_path: Path) -> None:
    a = write_tree(tmp_path / "a", {"x/1.txt": "one", "2.txt": "two"})
    b = write_tree(tmp_path / "b", {"2.txt": "two", "x/1.txt": "one"})  # written in another order
    assert tree_hash(a) == tree_hash(b)
    (b / "2.txt").write_text("TWO")
    assert tree_hash(a) != tree_hash(b)
    (b / "2.txt").write_text("two")
    (b / "2.txt").chmod(0o755)
    assert tree_hash(a) != tree_hash(b)
    (b / "2.txt").chmod(0o644)
    (b / "2.txt").rename(b / "3.txt")
    assert tree_hash(a) != tree_hash(b)


def test_tree_hash_skips_only_what_it_is_told(tmp_path: Path) -> None:
    a = write_tree(tmp_path / "a", {"keep": "k", "build.json": "1"})
    before = tree_hash(a, frozenset({"build.json"}))
    (a / "build.json").write_text("2")
    assert tree_hash(a, frozenset({"build.json"})) == before
    assert tree_hash(a) != tree_hash(tmp_path / "a", frozenset({"build.json"}))


def test_tree_hash_skips_a_top_level_folder_whole_and_only_at_the_top(tmp_path: Path) -> None:
    # The code's .flaskship/ (gunicorn's settings per platform) is not the app's: its wheel key skips it.
    a = write_tree(tmp_path / "a", {"pkg/m.py": "m", ".flaskship/gunicorn.conf.py": "cloudrun"})
    b = write_tree(tmp_path / "b", {"pkg/m.py": "m", ".flaskship/gunicorn.conf.py": "heroku"})
    skip = frozenset({".flaskship"})
    assert tree_hash(a, skip) == tree_hash(b, skip) and tree_hash(a) != tree_hash(b)
    write_tree(b, {"pkg/.flaskship/x": "nested"})  # the same name further down is the app's own
    assert tree_hash(a, skip) != tree_hash(b, skip)


def test_ship_modes_makes_a_private_tree_readable_and_writable_only_by_root(tmp_path: Path) -> None:
    tree = tmp_path / "src"
    (tree / "pkg").mkdir(parents=True)
    (tree / "instance").mkdir()
    (tree / "instance").chmod(0o1777)  # a writable folder stays one
    (tree / "pkg/mod.py").write_text("x = 1\n")
    (tree / "run.sh").write_text("#!/bin/sh\n")
    (tree / "shared.txt").write_text("group-writable\n")
    (tree / "link").symlink_to("pkg/mod.py")
    for path, mode in (("pkg/mod.py", 0o600), ("run.sh", 0o700), ("shared.txt", 0o666), ("pkg", 0o700), (".", 0o700)):
        (tree / path).chmod(mode)
    ship_modes(tree)
    modes = {p.relative_to(tree).as_posix(): p.stat().st_mode & 0o7777 for p in [tree, *tree.rglob("*")]
             if not p.is_symlink()}
    assert modes == {".": 0o755, "pkg": 0o755, "pkg/mod.py": 0o644, "run.sh": 0o755, "shared.txt": 0o644,
                     "instance": 0o1777}
