"""The pure parts of building wheels from sdists: no Docker, no network.

What an sdist asks to be built with, whether it needs a compiler, what a failed
compile was missing (and the one line that says so), the cache keys, and when
a cached wheelhouse with compiled wheels may be used again.
"""

from __future__ import annotations

import io
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from targets.engine import fromsource, resolve, sdists
from targets.engine.base_images import Runtime
from targets.engine.builder import BuildBase
from tests.helpers import tiny_index

RUNTIME = Runtime("3.11", ("manylinux_2_36_x86_64", "manylinux_2_35_x86_64", "manylinux2014_x86_64"))
# What pip printed when cffi 1.15.0 was built in the builder without libffi-dev (trimmed).
CFFI_OUTPUT = """\
      building '_cffi_backend' extension
      x86_64-linux-gnu-gcc -Wsign-compare -DNDEBUG -g -fwrapv -O2 -Wall -fPIC -I/usr/include/ffi -c c/_cffi_backend.c -o build/temp.linux-x86_64-cpython-311/c/_cffi_backend.o
      c/_cffi_backend.c:15:10: fatal error: ffi.h: No such file or directory
         15 | #include <ffi.h>
            |          ^~~~~~~
      compilation terminated.
      error: command '/usr/bin/x86_64-linux-gnu-gcc' failed with exit code 1
      [end of output]
  error: subprocess-exited-with-error
  ERROR: Failed building wheel for cffi
"""


def make_sdist(folder: Path, files: dict[str, str], name: str = "demo-1.0", fmt: str = "tar.gz") -> Path:
    """An sdist archive whose members sit under `name/`, as `python -m build --sdist` lays them out."""
    path = folder / f"{name}.{fmt}"
    if fmt == "zip":
        with zipfile.ZipFile(path, "w") as zf:
            for member, text in files.items():
                zf.writestr(f"{name}/{member}", text)
        return path
    with tarfile.open(path, "w:gz") as tf:
        for member, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{name}/{member}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


# -- build-system.requires ---------------------------------------------------------------------------

def test_build_requires_reads_the_top_level_pyproject(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path, {
        "pyproject.toml": '[build-system]\nrequires = ["setuptools>=61", "cython<3"]\n'
                          'build-backend = "setuptools.build_meta"\n',
        "tests/pyproject.toml": '[build-system]\nrequires = ["not-this"]\n',
        "setup.py": "",
    })
    # `wheel` joins a setuptools build: older setuptools ask for it at build time, offline.
    assert sdists.build_requires(sdist) == ("setuptools>=61", "cython<3", "wheel")


def test_build_requires_adds_nothing_to_another_backend(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path, {"pyproject.toml": '[build-system]\nrequires = ["flit_core>=3.4,<4"]\n'
                                                    'build-backend = "flit_core.buildapi"\n'}, fmt="zip")
    assert sdists.build_requires(sdist) == ("flit_core>=3.4,<4",)


def test_build_requires_keeps_a_wheel_already_asked_for(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path, {"pyproject.toml": '[build-system]\nrequires = ["setuptools", "wheel>=0.36"]\n'})
    assert sdists.build_requires(sdist) == ("setuptools", "wheel>=0.36")


@pytest.mark.parametrize("files", [
    {"setup.py": "from setuptools import setup; setup()"},  # setup.py only
    {"pyproject.toml": "[tool.black]\nline-length = 100\n", "setup.py": ""},  # pyproject without [build-system]
    {"pyproject.toml": "[build-system]\nbuild-backend = 'x'\n"},  # no requires: pip's own fallback
    {"pyproject.toml": "this is = = not toml"},
])
def test_build_requires_defaults_to_setuptools_and_wheel(tmp_path: Path, files: dict[str, str]) -> None:
    assert sdists.build_requires(make_sdist(tmp_path, files)) == ("setuptools>=40.8.0", "wheel")


# -- host or builder ---------------------------------------------------------------------------------

def test_native_sources_send_an_sdist_to_the_builder(tmp_path: Path) -> None:
    assert sdists.has_native_code(make_sdist(tmp_path, {"setup.py": "", "src/_speedups.c": "int x;"}, "a-1"))
    assert sdists.has_native_code(make_sdist(tmp_path, {"pyproject.toml": "", "rust/Cargo.toml": ""}, "b-1"))
    assert not sdists.has_native_code(make_sdist(tmp_path, {"setup.py": "", "pkg/__init__.py": "", "README.c.md": ""},
                                                 "c-1"))
    # pycparser 2.18: pure Python, with C files its tests and examples parse as data.
    assert not sdists.has_native_code(make_sdist(tmp_path, {"setup.py": "", "pycparser/c_parser.py": "",
                                                            "examples/c_files/funky.c": "", "tests/c_files/x.c": ""},
                                                 "d-1"))


@pytest.mark.parametrize(("name", "pure"), [
    ("langdetect-1.0.9-py3-none-any.whl", True),
    ("six-1.17.0-py2.py3-none-any.whl", True),
    ("crcmod-1.7-cp311-cp311-linux_x86_64.whl", False),
    ("cffi-1.15.0-cp311-abi3-linux_x86_64.whl", False),
    ("old-1.0-py2-none-any.whl", False),  # built on the host, but not for a Python 3 image
])
def test_only_pure_python_3_wheels_are_taken_from_the_host(name: str, pure: bool) -> None:
    assert sdists.is_pure(name) is pure


# -- pip's and the compiler's output -----------------------------------------------------------------

def test_the_requirement_without_a_wheel_is_read_from_pip() -> None:
    stderr = ("WARNING: Location 'file:///opt/pypi/simple/crcmod/' is ignored: it is neither a file nor a directory.\n"
              "ERROR: Could not find a version that satisfies the requirement crcmod==1.7 (from versions: none)\n"
              "ERROR: No matching distribution found for crcmod==1.7\n")
    assert sdists.unresolvable(stderr) == "crcmod==1.7"
    conflict = "ERROR: Cannot install a==1 and b==2 because these package versions have conflicting dependencies.\n"
    assert sdists.unresolvable(conflict) is None


def test_a_missing_header_is_named_with_its_debian_package() -> None:
    assert sdists.diagnose(CFFI_OUTPUT) == ("missing header ffi.h", "libffi-dev")
    nested = "src/x.c:3:10: fatal error: openssl/ssl.h: No such file or directory\n"
    assert sdists.diagnose(nested) == ("missing header openssl/ssl.h", "libssl-dev")
    unknown = "x.c:1:10: fatal error: flaskship_nowhere.h: No such file or directory\n"
    assert sdists.diagnose(unknown) == ("missing header flaskship_nowhere.h", None)


def test_a_library_a_setup_script_looks_for_itself_is_named_with_its_debian_package() -> None:
    # bluelog's psycopg2==2.8.4 and albumy's pillow==7.1.1, built from source on a slim base.
    psycopg2 = ("Error: pg_config executable not found.\n\npg_config is required to build psycopg2 from source.  "
                "Please add the directory\ncontaining pg_config to the $PATH or specify the full executable path\n")
    assert sdists.diagnose(psycopg2) == ("missing tool pg_config", "libpq-dev")
    pillow = ("      The headers or library files could not be found for jpeg,\n"
              "      a required dependency when compiling Pillow from source.\n")
    assert sdists.diagnose(pillow) == ("missing library jpeg", "libjpeg-dev, zlib1g-dev")
    assert sdists.diagnose(pillow.replace("jpeg", "zlib")) == ("missing library zlib", "zlib1g-dev, libjpeg-dev")
    line = sdists.failure("web", "psycopg2==2.8.4", "3.10", *sdists.diagnose(psycopg2))
    assert line.endswith("add app.build_packages: [libpq-dev] (Debian packages for the builder) and "
                         "app.system_packages: [libpq5] (its libraries, at run time), or require psycopg2-binary "
                         "instead (the same module, with wheels)")
    line = sdists.failure("web", "pillow==7.1.1", "3.10", *sdists.diagnose(pillow))
    assert "app.build_packages: [libjpeg-dev, zlib1g-dev]" in line
    assert line.endswith("app.system_packages: [libjpeg62-turbo, zlib1g] (its libraries, at run time)")


@pytest.mark.parametrize(("output", "reason"), [
    ("error: command 'gcc' failed: No such file or directory", "missing tool gcc"),
    ("unable to execute '/usr/bin/x86_64-linux-gnu-g++': No such file or directory", "missing tool x86_64-linux-gnu-g++"),
    ("sh: 1: cmake: not found\n", "missing tool cmake"),
    ("error: can't find Rust compiler\n", "missing tool rustc (a Rust extension)"),
    ("ERROR: No matching distribution found for setuptools_scm>=8\n",
     "build requirement setuptools_scm>=8 was not downloaded (asked for at build time)"),
    ("  error: subprocess-exited-with-error\n  error: Microsoft Visual C++ 14.0 is required\n",
     "error: Microsoft Visual C++ 14.0 is required"),
])
def test_a_missing_tool_or_the_first_error_is_the_reason(output: str, reason: str) -> None:
    assert sdists.diagnose(output)[0] == reason


def test_the_failure_is_one_line_with_the_package_the_reason_and_the_fixes() -> None:
    line = sdists.failure("run", "cffi==1.15.0", "3.11", *sdists.diagnose(CFFI_OUTPUT))
    assert "\n" not in line
    assert line.startswith("run: cannot build cffi==1.15.0 from source for Python 3.11: missing header ffi.h; fix: ")
    for fix in ("pin a cffi version that has a wheel for Python 3.11", "use a Python that has cffi wheels",
                "app.build_packages: [libffi-dev]", "app.system_packages"):
        assert fix in line, line


def test_index_lines_of_the_requirements_follow_the_sdists() -> None:
    text = ("--index-url https://pypi.example/simple\nFlask==3.1.3\n  --find-links /srv/wheels\n-r other.txt\n"
            "--extra-index-url https://more.example/simple\n# --find-links /commented\n")
    assert sdists.index_options(text) == ["--index-url https://pypi.example/simple", "--find-links /srv/wheels",
                                          "--extra-index-url https://more.example/simple"]


# -- cache keys --------------------------------------------------------------------------------------

def test_the_cache_key_is_the_sdist_the_base_and_the_build_packages() -> None:
    key = sdists.cache_key("a" * 64, "sha256:base1", ["libffi-dev", "libyaml-dev"])
    assert key == sdists.cache_key("a" * 64, "sha256:base1", ["libyaml-dev", "libffi-dev", "libffi-dev"])
    assert key != sdists.cache_key("b" * 64, "sha256:base1", ["libffi-dev", "libyaml-dev"])
    assert key != sdists.cache_key("a" * 64, "sha256:base2", ["libffi-dev", "libyaml-dev"])
    assert key != sdists.cache_key("a" * 64, "sha256:base1", ["libffi-dev"])


def test_a_wheelhouse_with_compiled_wheels_is_reused_only_for_the_same_base(tmp_path: Path) -> None:
    base = BuildBase("python:3.12-slim", "flaskship-standin/python:3.12-slim", "sha256:one", ("libffi-dev",))
    resolve.record_compiled(tmp_path, base, ["crcmod==1.7"])
    assert resolve.compiled_for(tmp_path, base) == ["crcmod==1.7"]
    assert resolve.compiled_for(tmp_path, BuildBase(base.configured, base.resolved, "sha256:two", base.packages)) is None
    assert resolve.compiled_for(tmp_path, BuildBase(base.configured, base.resolved, base.image_id, ())) is None
    assert resolve.compiled_for(tmp_path, None) is None
    # A wheelhouse that compiled nothing holds no record and suits any base.
    assert resolve.compiled_for(tmp_path / "elsewhere", base) == []


def test_builder_tags_follow_the_base_and_the_build_packages() -> None:
    assert sdists.builder_ref("flaskship-standin/python:3.12-slim") == "flaskship-standin/builder-python:3.12-slim"
    assert sdists.builder_ref("python:3.12") == "flaskship-standin/builder-python:3.12"
    assert sdists.builder_ref("registry.local:5000/team/Py") == "flaskship-standin/builder-py:latest"
    assert sdists.builder_ref("python@sha256:" + "0" * 64) == "flaskship-standin/builder-python:000000000000"
    with_packages = sdists.builder_ref("python:3.12", ["libffi-dev"])
    assert with_packages.startswith("flaskship-standin/builder-python:3.12-") and with_packages != sdists.builder_ref("python:3.12")


def test_a_compiled_wheel_matches_the_local_platform_tag() -> None:
    assert RUNTIME.local_platform == "linux_x86_64"
    assert Runtime("3.12", ("manylinux_2_36_aarch64",)).local_platform == "linux_aarch64"


def test_the_compile_warning_is_given_once_per_build(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fromsource, "_warned", set())
    said: list[str] = []
    fromsource.warn(["crcmod==1.7"], RUNTIME, said.append)
    fromsource.warn(["crcmod==1.7"], RUNTIME, said.append)  # a second target of the same build
    assert len(said) == 1 and "crcmod==1.7" in said[0] and "Python 3.11" in said[0]
    fromsource.warn(["crcmod==1.7", "cffi==1.15.0"], RUNTIME, said.append)
    assert len(said) == 2 and "cffi==1.15.0" in said[1] and "crcmod" not in said[1]


def test_a_lock_line_takes_a_wheel_already_on_this_host_only_if_its_hash_matches(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib

    from targets.engine import markers, reuse

    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")  # the warning's index lookup: refused, offline

    cache, done, dest = tmp_path / "cache", tmp_path / "done", tmp_path / "dest"
    done.mkdir()
    dest.mkdir()
    (done / "flask-3.1.3-py3-none-any.whl").write_bytes(b"flask wheel")
    (done / "click-8.1.8-py3-none-any.whl").write_bytes(b"click wheel")
    reuse.keep(done, RUNTIME, cache)  # as a finished wheelhouse of another lock of this build
    sha = {name: hashlib.sha256(data).hexdigest() for name, data in (("flask", b"flask wheel"), ("click", b"x"))}
    # crcmod: no wheel on the index, built from the sdist whose sha256 the line names
    sdist_sha, base = "c" * 64, BuildBase("python:3.12-slim", "standin", "sha256:base1")
    slot = cache / "sdist-wheels" / sdists.cache_key(sdist_sha, base.image_id, base.packages)
    slot.mkdir(parents=True)
    (slot / "crcmod-1.7-cp311-cp311-linux_x86_64.whl").write_bytes(b"compiled")
    lock = (f"Flask==3.1.3 --hash=sha256:{'0' * 64} --hash=sha256:{sha['flask']}\n"
            f"click==8.1.8 --hash=sha256:{sha['click']}\n"  # stored, but not these bytes: pip must fetch it
            f"crcmod==1.7 --hash=sha256:{sdist_sha}\nblinker==1.9.0 --hash=sha256:{'b' * 64}\n")
    _, pending, _ = markers.for_target(lock, RUNTIME)
    said: list[str] = []
    left, compiled = reuse.take(pending, RUNTIME, base, cache, dest, said.append)
    assert [line.name for line in left] == ["click", "blinker"]
    assert compiled == ["crcmod==1.7"] and "crcmod==1.7" in said[0]  # still warned about
    assert sorted(p.name for p in dest.iterdir()) == ["crcmod-1.7-cp311-cp311-linux_x86_64.whl",
                                                      "flask-3.1.3-py3-none-any.whl"]
    other = BuildBase("python:3.12-slim", "standin", "sha256:base2")  # compiled for another base: not taken
    assert [line.name for line in reuse.take(pending, RUNTIME, other, cache, tmp_path, said.append)[0]] == \
        ["click", "crcmod", "blinker"]


@pytest.mark.skipif(sys.prefix != sys.base_prefix, reason="pip's guard never fires in a virtualenv (CI runs none)")
def test_pip_downloads_even_where_the_user_requires_a_virtualenv(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # PIP_REQUIRE_VIRTUALENV in a shell profile guards installs; the tool's pip only downloads.
    from targets.engine import wheelhouse

    found = tiny_index(tmp_path / "index")
    monkeypatch.setenv("PIP_REQUIRE_VIRTUALENV", "true")
    monkeypatch.setenv("PIP_REQUIRE_VENV", "1")  # the option's other name
    wheels = wheelhouse.ensure(f"--no-index\n--find-links {found}\ntiny==1.0\n", RUNTIME, tmp_path / "cache", "t",
                               progress=lambda _line: None)
    assert [p.name for p in wheels.glob("*.whl")] == ["tiny-1.0-py3-none-any.whl"]
