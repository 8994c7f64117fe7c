"""Which host installs of CPython a stand-in may copy (targets/hostpython.py), and what it copies
of one (engine/standin_python.py). The installs here are folders and programs of the test's own:
what is tested is the choice and the copy, not CPython itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from targets import hostpython
from targets.engine import standin_python


@pytest.fixture(autouse=True)
def _nothing_else(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "pyenv"))


def _program(path: Path, prefix: Path | str, full: str, level: str = "final") -> Path:
    """A `python3.X` that answers the version check, and says of itself what it is told to."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\necho '{json.dumps([str(prefix), full, level, True])}'\n")
    path.chmod(0o755)
    return path


def _install(root: Path, version: str, full: str, level: str = "final") -> Path:
    """A prefix of the shape a from-source build leaves: bin/pythonX.Y and lib/pythonX.Y/os.py."""
    (root / "lib" / f"python{version}").mkdir(parents=True)
    (root / "lib" / f"python{version}" / "os.py").write_text("")
    _program(root / "bin" / f"python{version}", root, full, level)
    return root


def test_the_newest_self_contained_final_release_is_taken(tmp_path: Path) -> None:
    _install(tmp_path / "pyenv/versions/3.12.1", "3.12", "3.12.1")
    newest = _install(tmp_path / "pyenv/versions/3.12.4", "3.12", "3.12.4")
    assert hostpython.relocatable("3.12") == hostpython.Install(newest, "3.12", "3.12.4", True)
    assert hostpython.relocatable("3.13") is None


def test_a_distributions_python_or_a_prerelease_is_passed_over(tmp_path: Path) -> None:
    # Debian's python3.12 on PATH: its standard library is spread over /usr.
    _program(tmp_path / "bin/python3.12", "/usr", "3.12.3")
    _install(tmp_path / "pyenv/versions/3.12.9", "3.12", "3.12.0rc1", level="candidate")
    assert hostpython.relocatable("3.12") is None
    pyenv = _install(tmp_path / "pyenv/versions/3.12.2", "3.12", "3.12.2")
    assert hostpython.relocatable("3.12") == hostpython.Install(pyenv, "3.12", "3.12.2", True)


def test_a_prefix_without_its_standard_library_is_passed_over(tmp_path: Path) -> None:
    root = _install(tmp_path / "pyenv/versions/3.13.0", "3.13", "3.13.0")
    (root / "lib/python3.13/os.py").unlink()
    assert hostpython.relocatable("3.13") is None


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() or p.is_symlink()}


def test_the_copy_is_what_the_official_image_ships(tmp_path: Path) -> None:
    src = tmp_path / "prefix"
    lib = src / "lib/python3.12"
    kept = ["bin/python3.12", "lib/python3.12/os.py", "lib/python3.12/__pycache__/os.cpython-312.pyc",
            "lib/python3.12/json/__init__.py", "lib/python3.12/site-packages/pip/__init__.py",
            "lib/python3.12/site-packages/pip-24.0.dist-info/METADATA", "lib/libpython3.12.so.1.0",
            "lib/libpython3.so", "include/python3.12/Python.h"]
    dropped = ["bin/pip3", "lib/python3.12/test/test_os.py", "lib/python3.12/json/tests/test_x.py",
               "lib/python3.12/idlelib/idle_test/t.py", "lib/python3.12/__pycache__/os.cpython-312.opt-1.pyc",
               "lib/python3.12/config-3.12-x86_64-linux-gnu/libpython3.12.a",
               # the host's own additions: a .pth of this machine's, a tool installed with pip
               "lib/python3.12/site-packages/_sandboxing_egress_ca.pth", "lib/python3.12/site-packages/flask/app.py"]
    for name in kept + dropped:
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_text(name)
    (src / "lib/libpython3.12.so").symlink_to("libpython3.12.so.1.0")
    (lib / "config-3.12-x86_64-linux-gnu" / "Makefile").write_text("")
    dest = tmp_path / "context/python"
    standin_python.copy(hostpython.Install(src, "3.12", "3.12.1", True), dest)
    assert _files(dest) == {*kept, "lib/libpython3.12.so", "lib/python3.12/config-3.12-x86_64-linux-gnu/Makefile"}
    assert (dest / "lib/libpython3.12.so").readlink() == Path("libpython3.12.so.1.0")
    assert (dest / "lib/python3.12/os.py").stat().st_ino == (lib / "os.py").stat().st_ino  # linked, not copied
    assert standin_python.variables(None) == {"install": "", "version": ""}
    assert standin_python.version_of("docker.io/library/python:3.13-slim-bookworm") == "3.13"
    assert standin_python.version_of("nginx:stable") is None


def test_python_3_11_stands_in_as_debians_own_build(tmp_path: Path) -> None:
    """Debian's 3.11 is built with profile-guided optimization, as the official image is;
    pyenv's build of the same version is not, so it is not taken for 3.11."""
    _install(tmp_path / "pyenv/versions/3.11.7", "3.11", "3.11.7")
    assert hostpython.relocatable("3.11") is not None
    assert standin_python.install_for("python:3.11-slim") is None
    assert standin_python.describe(None) == "Debian's python3 (3.11)"
    assert standin_python.install_for("python:3.11") is None and standin_python.install_for("nginx:1") is None


def test_a_stand_in_made_before_the_host_had_its_version_is_pointed_at_base_images(tmp_path: Path) -> None:
    # doctor's fix for a python:3.13 stand-in that holds Debian's 3.11 (made before pyenv had 3.13)
    assert standin_python.rebuild_hint("python:3.13-slim", "3.11") is None  # no 3.13 here yet: nothing to offer
    root = _install(tmp_path / "pyenv/versions/3.13.0", "3.13", "3.13.0")
    assert standin_python.rebuild_hint("python:3.13-slim", "3.11") == (
        f"this host has CPython 3.13.0 ({root}): `invoke base-images` rebuilds the stand-in with it")
    assert standin_python.rebuild_hint("python:3.13-slim", "3.13") is None  # it already holds 3.13


def test_pyenvs_shim_on_path_is_passed_over_for_the_install_it_leads_to(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # The shim runs only the version pyenv selects, and takes 0.1 s of shell to say so.
    shim = _program(tmp_path / "pyenv/shims/python3.12", tmp_path / "pyenv/versions/3.12.1", "3.12.1")
    monkeypatch.setenv("PATH", str(shim.parent))
    install = _install(tmp_path / "pyenv/versions/3.12.1", "3.12", "3.12.1")
    assert hostpython.programs("3.12") == [str(install / "bin/python3.12")]
    other = _program(tmp_path / "bin/python3.12", install, "3.12.1")  # a python3.12 of its own on PATH comes first
    monkeypatch.setenv("PATH", f"{other.parent}:{shim.parent}")
    assert hostpython.programs("3.12") == [str(other), str(install / "bin/python3.12")]
