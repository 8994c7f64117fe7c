"""The app's own wheel as images install it: metadata and a .pth naming the shipped code (build/ownwheel.py)."""

from __future__ import annotations

import zipfile
from pathlib import Path

from targets.build import ownwheel

META = "shop-1.0.dist-info"
METADATA = b"Metadata-Version: 2.1\nName: shop\nVersion: 1.0\n"
ENTRY_POINTS = b"[console_scripts]\nshop = shop.cli:main\n"


def wheel(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as out:
        for name, data in {f"{META}/METADATA": METADATA, f"{META}/entry_points.txt": ENTRY_POINTS,
                           f"{META}/RECORD": b"", **files}.items():
            out.writestr(name, data)
    return path


def test_the_code_is_left_out_and_a_pth_names_where_the_image_has_it(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "shop").mkdir(parents=True)
    (src / "shop/__init__.py").write_bytes(b"X = 1\n")
    (src / "settings.py").write_bytes(b"DEBUG = False\n")
    built = wheel(tmp_path / "shop-1.0-py3-none-any.whl",
                  {"shop/__init__.py": b"X = 1\n", "settings.py": b"DEBUG = False\n"})
    made = ownwheel.pointing_at_code(built, src, tmp_path / "cache")
    assert made.name == built.name and made.parent.name.startswith("own-wheel-")
    with zipfile.ZipFile(made) as zf:
        names = zf.namelist()
        assert zf.read("__flaskship__.shop-1.0.pth") == b"/srv/app\n"
        assert zf.read(f"{META}/entry_points.txt") == ENTRY_POINTS
        record = zf.read(f"{META}/RECORD").decode().splitlines()
    assert names == sorted(names) and "shop/__init__.py" not in names and "settings.py" not in names
    assert record[-1] == f"{META}/RECORD,," and all(line.count(",") == 2 for line in record)
    assert {line.split(",")[0] for line in record[:-1]} == set(names) - {f"{META}/RECORD"}
    # The same metadata makes the same bytes: an app edit leaves the venv's key as it was.
    (src / "shop/__init__.py").write_bytes(b"X = 2\n")
    (tmp_path / "edited").mkdir()
    edited = wheel(tmp_path / "edited" / built.name, {"shop/__init__.py": b"X = 2\n", "settings.py": b"DEBUG = False\n"})
    assert ownwheel.pointing_at_code(edited, src, tmp_path / "cache").read_bytes() == made.read_bytes()


def test_a_src_layout_is_named_by_its_folder(tmp_path: Path) -> None:
    app = tmp_path / "app"
    (app / "src/shop").mkdir(parents=True)
    (app / "src/shop/__init__.py").write_bytes(b"X = 1\n")
    built = wheel(tmp_path / "shop-1.0-py3-none-any.whl", {"shop/__init__.py": b"X = 1\n"})
    with zipfile.ZipFile(ownwheel.pointing_at_code(built, app, tmp_path / "cache")) as zf:
        assert zf.read("__flaskship__.shop-1.0.pth") == b"/srv/app/src\n"


def test_a_file_the_shipped_code_does_not_hold_as_built_keeps_the_wheel_as_built(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "shop").mkdir(parents=True)
    (src / "shop/__init__.py").write_bytes(b"X = 1\n")
    # A version file the build backend wrote (setuptools-scm), and no such file in the code.
    built = wheel(tmp_path / "shop-1.0-py3-none-any.whl", {"shop/__init__.py": b"X = 1\n",
                                                            "shop/_version.py": b"version = '1.0'\n"})
    assert ownwheel.pointing_at_code(built, src, tmp_path / "cache") == built
    # Nor one that installs into a scheme path of its own.
    (tmp_path / "other").mkdir()
    built = wheel(tmp_path / "other/shop-1.0-py3-none-any.whl",
                  {"shop/__init__.py": b"X = 1\n", "shop-1.0.data/purelib/extra.py": b""})
    assert ownwheel.pointing_at_code(built, src, tmp_path / "cache") == built
