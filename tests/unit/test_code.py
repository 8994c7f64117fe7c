"""The code a container gets at start is exactly what the build left, or an error."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from targets.build import code
from targets.errors import SmokeFailed
from targets.files import tree_hash
from targets.records import BuildRecord


def _record(build_dir: Path) -> BuildRecord:
    folder = build_dir / "fn/runner-code"
    folder.mkdir(parents=True)
    (folder / "main.py").write_text("def handler(request):\n    return 'ok'\n")
    return BuildRecord(target="fn", kind="functions", images={
        "runner": {"ref": "flaskship/fn-runner:x", "id": "sha256:1", "code": "runner-code",
                   "code_sha256": tree_hash(folder, modes=True)},
        "app": {"ref": "flaskship/fn:x", "id": "sha256:2"}})


def test_the_code_goes_in_as_the_build_left_it(tmp_path: Path) -> None:
    record = _record(tmp_path)
    data = code.for_container(tmp_path, record, "runner")
    assert data is not None
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        assert sorted(tar.getnames()) == ["srv/app", "srv/app/main.py"]
    assert code.for_container(tmp_path, record, "app") is None  # its image holds its code


@pytest.mark.parametrize("change", ["edit", "add", "folder", "mode", "remove"])
def test_code_changed_after_the_build_is_refused_with_the_fix(tmp_path: Path, change: str) -> None:
    record = _record(tmp_path)
    folder = tmp_path / "fn/runner-code"
    if change == "edit":
        (folder / "main.py").write_text("import os\n")
    elif change == "add":
        (folder / "extra.py").write_text("")
    elif change == "folder":
        (folder / "uploads").mkdir()
    elif change == "mode":
        (folder / "main.py").chmod(0o755)
    else:
        (folder / "main.py").unlink()
        folder.rmdir()
    with pytest.raises(SmokeFailed) as caught:
        code.for_container(tmp_path, record, "runner")
    assert str(folder) in caught.value.message and "invoke build --target fn" in caught.value.message


def test_a_code_archive_unpacks_at_srv_app_as_roots_files_with_their_modes(tmp_path: Path) -> None:
    code_dir = tmp_path / "code"
    (code_dir / "pkg/__pycache__").mkdir(parents=True)
    (code_dir / "pkg/__init__.py").write_text("x = 1\n")
    (code_dir / "pkg/__pycache__/__init__.cpython-312.pyc").write_bytes(b"\x00pyc")
    (code_dir / "instance").mkdir()
    (code_dir / "instance").chmod(0o1777)
    (code_dir / "run.sh").write_text("#!/bin/sh\n")
    (code_dir / "run.sh").chmod(0o755)
    data = code.archive(code_dir)
    assert code.archive(code_dir) == data  # the same code, the same bytes
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        members = {m.name: m for m in tar.getmembers()}
        assert set(members) == {"srv/app", "srv/app/instance", "srv/app/pkg", "srv/app/pkg/__init__.py",
                                "srv/app/pkg/__pycache__", "srv/app/pkg/__pycache__/__init__.cpython-312.pyc",
                                "srv/app/run.sh"}
        assert all(m.uid == 0 and m.gid == 0 and m.mtime == 0 for m in members.values())
        assert members["srv/app/instance"].mode & 0o7777 == 0o1777
        assert members["srv/app/run.sh"].mode & 0o777 == 0o755
        extracted = tar.extractfile("srv/app/pkg/__init__.py")
        assert extracted is not None and extracted.read() == b"x = 1\n"


def test_the_tar_sets_modes_as_a_copy_would_whatever_the_umask(tmp_path: Path) -> None:
    folder = tmp_path / "code"
    (folder / "pkg").mkdir(parents=True)
    (folder / "pkg/mod.py").write_text("")
    (folder / "run.sh").write_text("#!/bin/sh\n")
    (folder / "instance").mkdir()
    folder.chmod(0o700)  # as a umask of 077 leaves them
    (folder / "pkg").chmod(0o700)
    (folder / "pkg/mod.py").chmod(0o600)
    (folder / "run.sh").chmod(0o700)
    (folder / "instance").chmod(0o1777)
    with tarfile.open(fileobj=io.BytesIO(code.archive(folder))) as tar:
        modes = {m.name: m.mode for m in tar.getmembers()}
    assert modes == {"srv/app": 0o755, "srv/app/instance": 0o1777, "srv/app/pkg": 0o755,
                     "srv/app/pkg/mod.py": 0o644, "srv/app/run.sh": 0o755}


def test_anything_but_files_and_folders_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "code"
    folder.mkdir()
    (folder / "escape").symlink_to("/etc/passwd")
    with pytest.raises(SmokeFailed) as caught:
        code.archive(folder)
    assert "escape is neither a file nor a folder" in caught.value.message
