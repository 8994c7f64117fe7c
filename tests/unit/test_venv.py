"""The image's venv, made on the host: layout, scripts, bytecode, leftovers, errors.

No Docker: the runtime is the host's own Python version, so it compiles on the host
(bytecode.py), and the wheel is made here. The image side (ADD of the tar, the app
serving from it) is every integration test's build.
"""

from __future__ import annotations

import base64
import hashlib
import io
import marshal
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from targets import trim
from targets.engine import venv
from targets.engine.base_images import Runtime
from targets.errors import BuildFailed

PYTHON = "{}.{}".format(*sys.version_info[:2])
RUNTIME = Runtime(PYTHON, ("manylinux_2_36_x86_64", "manylinux2014_x86_64"), f"{PYTHON}.2", "/usr/local/bin/python3")
SITE = f"lib/python{PYTHON}/site-packages"


def _wheel(folder: Path) -> Path:
    """A pure wheel with a module and a console script, as a build backend writes it."""
    files = {
        "tiny/__init__.py": b"def main():\n    return 0\n",
        "tiny-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: tiny\nVersion: 1.0\n",
        "tiny-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        "tiny-1.0.dist-info/entry_points.txt": b"[console_scripts]\ntiny = tiny:main\n",
    }
    record = [f"{name},sha256={base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()},{len(data)}"
              for name, data in files.items()]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "tiny-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
        zf.writestr("tiny-1.0.dist-info/RECORD", "\n".join([*record, "tiny-1.0.dist-info/RECORD,,"]) + "\n")
    return path


def _made(tmp_path: Path, requirement: str = "tiny==1.0\n", cache: str = "cache") -> tuple[Path, dict[str, tarfile.TarInfo], tarfile.TarFile]:
    wheels = tmp_path / "wheels"
    if not wheels.is_dir():
        _wheel(wheels)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(requirement)
    tar = venv.ensure_venv(wheels, requirements, RUNTIME, "base:1", tmp_path / cache, "web")
    archive = tarfile.open(tar)
    return tar, {member.name: member for member in archive.getmembers()}, archive


def test_the_venv_is_what_python_m_venv_makes_pointing_at_the_bases_interpreter(tmp_path: Path) -> None:
    _, members, archive = _made(tmp_path)
    cfg = archive.extractfile("pyvenv.cfg").read().decode()  # type: ignore[union-attr]
    assert cfg.splitlines() == ["home = /usr/local/bin", "include-system-site-packages = false", f"version = {PYTHON}.2"]
    links = {name: m.linkname for name, m in members.items() if m.issym()}
    assert links == {"bin/python3": "/usr/local/bin/python3", "bin/python": "python3",
                     f"bin/python{PYTHON}": "python3", "lib64": "lib"}
    # The console script runs the venv's interpreter in the image, not the host's.
    script = archive.extractfile("bin/tiny").read().decode()  # type: ignore[union-attr]
    assert script.startswith("#!/opt/venv/bin/python\n") and sys.executable not in script
    assert members["bin/tiny"].mode == 0o755 and f"{SITE}/tiny/__init__.py" in members


def test_the_venv_is_byte_compiled_for_its_image_path_with_no_installer_records(tmp_path: Path) -> None:
    _, members, archive = _made(tmp_path)
    pyc = f"{SITE}/tiny/__pycache__/__init__.cpython-{PYTHON.replace('.', '')}.pyc"
    data = archive.extractfile(pyc).read()  # type: ignore[union-attr]
    # Unchecked-hash (PEP 552): valid whatever the mtimes, and trusted without reading the
    # source, which comes and goes with it in the same tar.
    assert int.from_bytes(data[4:8], "little") == 0b01
    assert marshal.loads(data[16:]).co_filename == f"/opt/venv/{SITE}/tiny/__init__.py"
    names = {name.rsplit("/", 1)[-1] for name in members}
    assert {"RECORD", "INSTALLER", "REQUESTED", "uv_cache.json", ".lock"}.isdisjoint(names), sorted(names)
    assert f"{SITE}/tiny-1.0.dist-info/METADATA" in members  # importlib.metadata and the SBOM read it
    assert all(m.uid == 0 and m.gid == 0 and m.mtime == 0 for m in members.values())


def test_the_tar_is_made_once_per_key_and_is_the_same_bytes_when_made_again(tmp_path: Path) -> None:
    first, _, _ = _made(tmp_path)
    again, _, _ = _made(tmp_path)
    elsewhere, _, _ = _made(tmp_path, cache="other")
    assert again == first and elsewhere != first
    assert elsewhere.read_bytes() == first.read_bytes()
    other, _, _ = _made(tmp_path, requirement="tiny\n")
    assert other != first  # the requirements are part of the key
    assert [p.name for p in (tmp_path / "cache/venvs").iterdir() if p.name.startswith(".making")] == []  # nothing half-made


def test_a_reused_tar_is_marked_used_beside_it_and_keeps_its_own_times(tmp_path: Path) -> None:
    # Build contexts hold hard links to the tar, and the no-op check reads their times.
    first, _, _ = _made(tmp_path)
    before = first.stat()
    again, _, _ = _made(tmp_path)
    assert again == first and (first.stat().st_mtime_ns, first.stat().st_ctime_ns) == (before.st_mtime_ns,
                                                                                        before.st_ctime_ns)
    assert (first.parent / trim.USED / first.name).is_file()


def test_a_hash_that_does_not_match_fails_in_one_line_and_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(BuildFailed) as failed:
        _made(tmp_path, requirement=f"tiny==1.0 --hash=sha256:{'0' * 64}\n")
    assert failed.value.args[0].startswith("web: installing the dependencies from the wheelhouse failed: ")
    assert "\n" not in failed.value.args[0]
    assert list((tmp_path / "cache/venvs").iterdir()) == []


def test_a_requirement_the_wheelhouse_lacks_is_named(tmp_path: Path) -> None:
    with pytest.raises(BuildFailed, match="tiny==2.0"):
        _made(tmp_path, requirement="tiny==2.0\n")


def test_the_runners_platform_tree_has_no_scripts(tmp_path: Path) -> None:
    wheels = tmp_path / "platform-wheels"
    _wheel(wheels)
    tar = venv.ensure_platform(wheels, RUNTIME, "base:1", tmp_path / "cache", "fn")
    names = tarfile.open(fileobj=io.BytesIO(tar.read_bytes())).getnames()
    assert "tiny/__init__.py" in names and not any(name.startswith("bin") for name in names)
    assert f"tiny/__pycache__/__init__.cpython-{PYTHON.replace('.', '')}.pyc" in names


@pytest.mark.parametrize(("script", "expected"), [
    (b"#!/some/resolved/python3.11\nimport sys\n", b"#!/opt/venv/bin/python\nimport sys\n"),
    (b"#!/bin/sh\necho not python\n", b"#!/bin/sh\necho not python\n"),
    (f"#!/bin/sh\n'''exec' \"{sys.executable}\" \"$0\" \"$@\"\n' '''\n".encode(),
     b"#!/bin/sh\n'''exec' \"/opt/venv/bin/python\" \"$0\" \"$@\"\n' '''\n"),
])
def test_a_scripts_interpreter_becomes_the_images(tmp_path: Path, script: bytes, expected: bytes) -> None:
    (tmp_path / "in").write_bytes(script)
    venv._reshebang(tmp_path / "in", tmp_path / "out", "/opt/venv/bin/python")
    assert (tmp_path / "out").read_bytes() == expected and (tmp_path / "out").stat().st_mode & 0o777 == 0o755
