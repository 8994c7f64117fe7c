"""build.json, smoke.json and release.json are replaced atomically."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from targets.record import atomic_write


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
