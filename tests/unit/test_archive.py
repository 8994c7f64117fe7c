"""The functions zip is byte-reproducible: sorted entries, fixed times and modes."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

from targets.kinds.functions.archive import EPOCH, tree_files, write_zip


def test_same_files_give_the_same_bytes_in_any_order(tmp_path: Path) -> None:
    files = {"main.py": b"def handler(r): pass\n", "pkg/__init__.py": b"", "a.txt": b"a"}
    one = write_zip(files, tmp_path / "one.zip")
    two = write_zip(dict(reversed(list(files.items()))), tmp_path / "two.zip")
    assert one == two == hashlib.sha256((tmp_path / "one.zip").read_bytes()).hexdigest()


def test_entries_are_sorted_with_fixed_time_and_mode(tmp_path: Path) -> None:
    write_zip({"b": b"2", "a/z": b"1", "a/b": b"0"}, tmp_path / "x.zip")
    with zipfile.ZipFile(tmp_path / "x.zip") as zf:
        infos = zf.infolist()
    assert [i.filename for i in infos] == ["a/b", "a/z", "b"]
    assert {i.date_time for i in infos} == {EPOCH}
    assert {i.external_attr >> 16 for i in infos} == {0o100644}
    assert {i.create_system for i in infos} == {3}


def test_tree_files_reads_a_folder_with_posix_names(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f.py").write_bytes(b"x")
    assert tree_files(tmp_path) == {"d/f.py": b"x"}
