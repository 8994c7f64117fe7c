"""What app.build's container leaves is unpacked as code to ship: its folder's files only."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from targets.build.appbuild import _unpack


def _tar(entries: list[tuple[str, bytes | None, str | None]]) -> bytes:
    """The engine's tar of /srv/app: (name, bytes or None for a folder, link target)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data, link in entries:
            info = tarfile.TarInfo(name)
            info.uid = info.gid = 10001
            if link is not None:
                info.type, info.linkname = tarfile.SYMTYPE, link
                tar.addfile(info)
            elif data is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            else:
                info.size, info.mode = len(data), 0o644
                tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_the_folder_becomes_src_without_bytecode(tmp_path: Path) -> None:
    _unpack(_tar([("app", None, None), ("app/app.py", b"x = 1\n", None), ("app/messages", None, None),
                  ("app/messages/es.mo", b"\x95\x04", None), ("app/__pycache__", None, None),
                  ("app/__pycache__/app.cpython-312.pyc", b"pyc", None), ("app/static/old.pyc", b"pyc", None),
                  ("app/latest.css", None, "static/site.css")]), tmp_path / "out" / "src")
    src = tmp_path / "out" / "src"
    found = sorted(p.relative_to(src).as_posix() for p in src.rglob("*"))
    assert found == ["app.py", "latest.css", "messages", "messages/es.mo"]
    assert (src / "messages/es.mo").read_bytes() == b"\x95\x04"
    assert (src / "latest.css").is_symlink()


def test_a_link_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(tarfile.FilterError):
        _unpack(_tar([("app", None, None), ("app/escape", None, "/etc/passwd")]), tmp_path / "out" / "src")
