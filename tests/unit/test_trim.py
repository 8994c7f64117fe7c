"""targets/trim.py on real folders: what goes, what stays, and how often it looks."""

from __future__ import annotations

import os
import time
from pathlib import Path

from targets import trim

DAY = 86400.0


def _aged(path: Path, days: float, now: float) -> Path:
    os.utime(path, (now - days * DAY, now - days * DAY))
    return path


def _cache(tmp_path: Path, now: float) -> Path:
    folder = tmp_path / "pyc"
    (folder / "old-entry").mkdir(parents=True)
    (folder / "old-entry" / "m.cpython-311.pyc").write_bytes(b"x")
    _aged(folder / "old-entry", 6, now)
    (folder / "recent-entry").mkdir()
    _aged(folder / "recent-entry", 4, now)
    (folder / "old.tar.gz").touch()
    _aged(folder / "old.tar.gz", 6, now)
    (folder / ".new-entry.tmp123").mkdir()  # a build's entry in the making
    _aged(folder / ".new-entry.tmp123", 0.5 / 24, now)
    (folder / ".making-abc").mkdir()  # what a killed build left, two days ago
    _aged(folder / ".making-abc", 2, now)
    return folder


def test_entries_unused_for_five_days_go_and_the_rest_stay(tmp_path: Path) -> None:
    now = time.time()
    folder = _cache(tmp_path, now)
    assert trim.trim(folder, now) == ["old-entry", "old.tar.gz"]
    assert sorted(p.name for p in folder.iterdir()) == [".new-entry.tmp123", trim.STAMP, "recent-entry"]


def test_an_entry_a_build_folder_links_is_in_use_whatever_its_times(tmp_path: Path) -> None:
    now = time.time()
    folder = _cache(tmp_path, now)
    linked = tmp_path / "build-venv.tar.gz"
    os.link(folder / "old.tar.gz", linked)
    (folder / "app-wheel-1").mkdir()
    (folder / "app-wheel-1" / "app-1.0-py3-none-any.whl").write_bytes(b"wheel")
    os.link(folder / "app-wheel-1" / "app-1.0-py3-none-any.whl", tmp_path / "context-app.whl")
    _aged(folder / "app-wheel-1", 6, now)
    assert trim.trim(folder, now) == ["old-entry"]
    linked.unlink()
    (tmp_path / "context-app.whl").unlink()
    assert trim.trim(folder, now + trim.EVERY) == ["app-wheel-1", "old.tar.gz", "recent-entry"]


def test_the_cache_roots_app_wheels_are_trimmed_by_their_prefix_alone(tmp_path: Path) -> None:
    now = time.time()
    root = tmp_path / ".cache"
    for name in ("app-wheel-aaa", "wheels-bbb", "locks"):
        (root / name).mkdir(parents=True)
        _aged(root / name, 9, now)
    (root / ".app-wheel-tmp").mkdir()
    _aged(root / ".app-wheel-tmp", 2, now)
    assert trim.trim(root, now, prefix="app-wheel-") == ["app-wheel-aaa"]
    assert sorted(p.name for p in root.iterdir()) == [".trimmed-app-wheel", "locks", "wheels-bbb"]


def test_an_entry_marked_used_while_it_is_moved_aside_is_put_back(tmp_path: Path) -> None:
    now = time.time()
    folder = _cache(tmp_path, now)
    tar = folder / "old.tar.gz"
    (folder / trim.USED).mkdir()
    (folder / trim.USED / tar.name).touch()  # another build's use, just now
    assert trim._take(tar, folder / trim.USED / tar.name, now) is False
    assert tar.is_file() and not list(folder.glob(".trash-*"))


def test_an_entry_that_cannot_be_removed_is_tried_again_tomorrow(tmp_path: Path) -> None:
    now = time.time()
    folder = _cache(tmp_path, now)
    blocker = folder / f".trash-old-entry-{os.getpid()}"  # where old-entry would be moved: taken
    (blocker / "x").mkdir(parents=True)
    assert trim.trim(folder, now) == ["old.tar.gz"]
    assert (folder / "old-entry").is_dir() and (folder / trim.STAMP).is_file()


def test_a_trim_looks_at_most_once_a_day(tmp_path: Path) -> None:
    now = time.time()
    folder = _cache(tmp_path, now)
    assert trim.trim(folder, now - 3600) == ["old-entry", "old.tar.gz"]
    _aged(folder / "recent-entry", 6, now)
    assert trim.trim(folder, now) == []  # trimmed an hour ago
    assert trim.trim(folder, now + DAY) == ["recent-entry"]


def test_a_use_refreshes_an_entry_at_most_once_an_hour(tmp_path: Path) -> None:
    now = time.time()
    folder = _cache(tmp_path, now)
    trim.used(folder / "old-entry")
    assert trim.trim(folder, now) == ["old.tar.gz"]
    fresh = _aged(folder / "recent-entry", 0.5 / 24, now).stat().st_mtime
    trim.used(folder / "recent-entry")
    assert (folder / "recent-entry").stat().st_mtime == fresh  # used half an hour ago: no write
    trim.used(folder / "no-such-entry")
    assert not (folder / "no-such-entry").exists()


def test_a_sidecar_mark_keeps_an_entry_whose_own_times_must_not_change(tmp_path: Path) -> None:
    now = time.time()
    folder = _cache(tmp_path, now)
    tar = _aged(folder / "old.tar.gz", 6, now)
    before = tar.stat()
    trim.used(tar, sidecar=True)
    assert tar.stat().st_mtime == before.st_mtime and tar.stat().st_ctime == before.st_ctime
    assert (folder / trim.USED / "old.tar.gz").is_file()
    assert trim.trim(folder, now) == ["old-entry"]
    # Once it goes, its mark goes with it; a mark whose entry was removed some other way too.
    (folder / trim.USED / "gone.tar.gz").touch()
    _aged(folder / trim.USED / "old.tar.gz", 6, now)
    assert trim.trim(folder, now + DAY) == ["old.tar.gz", "recent-entry"]
    assert list((folder / trim.USED).iterdir()) == []


def test_a_folder_that_is_not_there_is_left_alone(tmp_path: Path) -> None:
    trim.after_build(tmp_path / ".cache")
    assert not (tmp_path / ".cache").exists()


def test_housekeeping_that_cannot_write_never_fails_a_build(tmp_path: Path) -> None:
    cache = tmp_path / ".cache"
    cache.mkdir()
    (cache / "pyc").write_text("not a folder")  # anything the trim cannot work through
    (cache / "venvs").mkdir()
    (cache / "venvs" / trim.USED).write_text("not a folder either")
    tar = cache / "venvs" / "venv-1.tar.gz"
    tar.touch()
    trim.used(tar, sidecar=True)
    trim.after_build(cache)
    assert tar.is_file() and (cache / "pyc").is_file()


def test_a_trim_waits_for_the_projects_other_builds_to_end(tmp_path: Path) -> None:
    # A build in another process holds the lock too (flock is per open file, so a second
    # open here stands in for it): nothing it may be about to read or link is taken.
    cache = tmp_path / ".cache"
    now = time.time()
    folder = _cache(cache, now)
    with trim.building(cache) as first_build:
        with trim.building(cache) as second_build:
            second_build()
            assert (folder / "old-entry").exists() and not (folder / trim.STAMP).exists()
        first_build()  # alone now
    assert not (folder / "old-entry").exists() and (folder / trim.STAMP).exists()


def test_every_cache_that_grows_with_the_app_is_trimmed(tmp_path: Path) -> None:
    now = time.time()
    cache = tmp_path / ".cache"
    old = ["sdist-wheels/abc/demo-1.0-py3-none-any.whl", "url-1a2b/pkg-1.0.tar.gz", "constraints-3c4d.txt",
           "compose-schema-5e6f", "init-venv-7a8b/pyvenv.cfg", "wheel-store-9c0d/gone-1.0-py3-none-any.whl"]
    # A lock is what builds resolve to until their inputs change, however old: never trimmed.
    kept = ["locks/c0c416da.txt", "locks/hashes-d316f0b0.txt", "wheel-pythons.json", "trim.lock"]
    for name in old + kept:
        (cache / name).parent.mkdir(parents=True, exist_ok=True)
        (cache / name).write_text("x")
    for name in old:
        _aged(cache / name, 6, now)
        _aged(cache / name.split("/")[0], 6, now)
    _aged(cache / "sdist-wheels" / "abc", 6, now)
    # A wheelhouse, whose wheel its store links: both go, each by its own last use.
    os.link(cache / "wheel-store-9c0d" / "gone-1.0-py3-none-any.whl", cache / "old-house.whl")
    (cache / "wheels-e1f2").mkdir()
    os.replace(cache / "old-house.whl", cache / "wheels-e1f2" / "gone-1.0-py3-none-any.whl")
    _aged(cache / "wheels-e1f2", 6, now)
    for made in (".partial-5f-123", ".sbom-x1", ".locked-y2"):  # what killed runs left, two days ago
        (cache / made).mkdir()
        _aged(cache / made, 2, now)
    trim.after_build(cache)
    left = sorted(str(p.relative_to(cache)) for p in cache.rglob("*") if p.is_file() and ".trimmed" not in p.name)
    assert left == sorted(kept)


def test_a_wheelhouse_and_a_stored_wheel_go_by_their_own_last_use(tmp_path: Path) -> None:
    # A wheelhouse is links to its runtime's store by design, and a build folder links
    # its wheels too: unlike a venv tar, each goes by its own last use (wheelhouse.ensure
    # marks a hit, reuse a wheel it keeps or takes), and a link removed never takes the
    # bytes another link holds.
    from targets.engine import wheelhouse
    from tests.helpers import tiny_index
    from tests.unit.test_wheelhouse import RUNTIME

    cache = tmp_path / ".cache"
    requirements = f"--no-index\n--find-links {tiny_index(tmp_path / 'index')}\ntiny==1.0\n"
    house = wheelhouse.ensure(requirements, RUNTIME, cache, "t", progress=lambda _line: None)
    (store,) = cache.glob("wheel-store-*")
    context = tmp_path / "build" / "tiny-1.0-py3-none-any.whl"
    context.parent.mkdir()
    os.link(house / "tiny-1.0-py3-none-any.whl", context)
    now = time.time() + 60  # after the trim's own stamps below
    for path in (house, house / "tiny-1.0-py3-none-any.whl"):
        _aged(path, 6, now)
    assert wheelhouse.ensure(requirements, RUNTIME, cache, "t", progress=lambda _line: None) == house  # a hit
    trim.after_build(cache)
    assert house.is_dir()
    _aged(house, 6, now)
    assert trim.trim(cache, now + DAY, prefix="wheels-", links_in_use=False) == [house.name]
    assert trim.trim(store, now + DAY, links_in_use=False) == []  # kept when its wheelhouse was made
    _aged(store / trim.USED / "tiny-1.0-py3-none-any.whl", 6, now)
    _aged(store / "tiny-1.0-py3-none-any.whl", 6, now)
    assert trim.trim(store, now + 2 * DAY, links_in_use=False) == ["tiny-1.0-py3-none-any.whl"]
    assert context.read_bytes() == (tmp_path / "index/tiny-1.0-py3-none-any.whl").read_bytes()


def test_no_trim_runs_while_another_command_holds_the_cache(tmp_path: Path) -> None:
    # smoke's service stand-ins, base-images and init use wheelhouses and probe venvs too.
    cache = tmp_path / ".cache"
    now = time.time()
    folder = _cache(cache, now)
    with trim.building(cache) as build:
        with trim.holding(cache):
            build()
            assert (folder / "old-entry").exists()
        build()
    assert not (folder / "old-entry").exists()
