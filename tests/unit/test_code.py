"""The code a container gets at start is exactly what the build left, or an error."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from targets.build import code
from targets.errors import RecordError
from targets.files import tree_hash
from targets.records import BuildRecord


def _record(build_dir: Path) -> BuildRecord:
    folder = build_dir / "fn/runner-code"
    folder.mkdir(parents=True)
    (folder / "main.py").write_text("def handler(request):\n    return 'ok'\n")
    return BuildRecord(target="fn", kind="functions", images={
        "runner": {"ref": "flaskship/fn-runner:x", "id": "sha256:1", "code": "runner-code",
                   "code_sha256": tree_hash(folder)},
        "app": {"ref": "flaskship/fn:x", "id": "sha256:2"}})


def test_the_code_goes_in_as_the_build_left_it(tmp_path: Path) -> None:
    record = _record(tmp_path)
    data = code.for_container(tmp_path, record, "runner")
    assert data is not None
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        assert sorted(tar.getnames()) == ["srv/app", "srv/app/main.py"]
    assert code.for_container(tmp_path, record, "app") is None  # its image holds its code


@pytest.mark.parametrize("change", ["edit", "add", "remove"])
def test_code_changed_after_the_build_is_refused_with_the_fix(tmp_path: Path, change: str) -> None:
    record = _record(tmp_path)
    folder = tmp_path / "fn/runner-code"
    if change == "edit":
        (folder / "main.py").write_text("import os\n")
    elif change == "add":
        (folder / "extra.py").write_text("")
    else:
        (folder / "main.py").unlink()
        folder.rmdir()
    with pytest.raises(RecordError) as caught:
        code.for_container(tmp_path, record, "runner")
    assert str(folder) in caught.value.message and "invoke build --target fn" in caught.value.message
