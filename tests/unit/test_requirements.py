"""app.requirements: `.` lines and pyproject.toml apps, the app's wheel built on the host and cached.

No Docker. Building a wheel runs the host's pip, which fetches the tiny
package's build backend (setuptools) from the index, as a real build does.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import shutil
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from targets.build import reqlines, requirements
from targets.engine import wheelhouse
from targets.engine.base_images import Runtime
from targets.errors import BuildFailed
from targets.manifest import AppSource, json_schema
from tests.helpers import private_index as serve_private_index

HOST_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
SIX_SHA = "4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274"  # six-1.17.0-py2.py3-none-any.whl
PYPROJECT = """\
[project]
name = "tiny-pkg"
version = "0.3.0"
dependencies = []

[project.optional-dependencies]
extra = []

[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[tool.setuptools]
packages = ["tiny"]
"""


FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "apps"
INCLUDES = FIXTURES / "includes_app"
HASHED = FIXTURES / "hashed_app"


def tiny_package(folder: Path) -> Path:
    """A throwaway installable package (no dependencies) in `folder`."""
    (folder / "tiny").mkdir(parents=True)
    (folder / "tiny" / "__init__.py").write_text("VALUE = 1\n")
    (folder / "pyproject.toml").write_text(PYPROJECT)
    return folder


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_package(tmp_path_factory.mktemp("tiny") / "src")


def kinds(text: str, root: Path) -> list[tuple[int, str, str]]:
    """(line, kind, extras) of each logical line, as requirements.txt at the top of `root`."""
    entries = reqlines.expand(text, root / "requirements.txt", root, "run: app.requirements: ").entries
    return [(e.number, e.kind, e.extras) for e in entries]


def self_lines(text: str, root: Path) -> list[tuple[int, str | None]]:
    return [(n, extras if kind == "self" else None) for n, kind, extras in kinds(text, root)]


# --- parsing -------------------------------------------------------------------------------------


@pytest.mark.parametrize("line", [".", "./", "-e .", "-e ./", "--editable .", "--editable=.", "  .  ",
                                  ". # the app itself", "-e .  # editable, for development"])
def test_the_app_itself_is_recognised(tmp_path: Path, line: str) -> None:
    assert self_lines(f"flask==3.1.3\n{line}\n", tmp_path) == [(1, None), (2, "")]


def test_extras_of_the_app_itself_are_kept(tmp_path: Path) -> None:
    assert self_lines(".[postgres]\n", tmp_path) == [(1, "[postgres]")]


@pytest.mark.parametrize(("line", "kind"), [
    ("flask==3.1.3", "named"), ("# .", "text"), ("#.", "text"), ("--pre", "option"), ("", "text"),
    ('flask>=3; python_version >= "3.11"', "named"), ("dotenv", "named"), ("pkg.name==1", "named"),
    ("Flask[async]>=3.1", "named"), ("--require-hashes", "option"),
])
def test_other_lines_are_not_the_app(tmp_path: Path, line: str, kind: str) -> None:
    assert kinds(line + "\n", tmp_path) == [(1, kind, "")]


@pytest.mark.parametrize("line", ["--index-url https://pypi.org/simple", "-i https://pypi.org/simple",
                                  "--extra-index-url=https://example.com/simple", "--no-index",
                                  "--trusted-host example.com", "-f https://example.com/wheels/"])
def test_index_options_are_taken_out_of_the_text(tmp_path: Path, line: str) -> None:
    expanded = reqlines.expand(f"flask\n{line}\n", tmp_path / "requirements.txt", tmp_path, "run: ")
    assert [e.kind for e in expanded.entries] == ["named"]
    assert [e.number for e in expanded.index] == [2]


def test_continuation_lines_are_one_line_numbered_by_their_first(tmp_path: Path) -> None:
    text = "flask==3.1.3 \\\n    --hash=sha256:aa\n.\n"
    assert self_lines(text, tmp_path) == [(1, None), (3, "")]
    assert reqlines.expand(text, tmp_path / "r.txt", tmp_path, "").entries[0].hashes == ("sha256:aa",)


@pytest.mark.parametrize(("line", "why"), [
    ("git+https://github.com/pallets/flask.git", "VCS"),
    ("-e git+https://github.com/pallets/flask.git#egg=flask", "VCS"),
    ("flask @ git+https://github.com/pallets/flask.git@main", "VCS"),
    ("../shared-lib", "outside app.source"),
    ("-e ../shared-lib", "outside app.source"),
    ("lib @ file:///etc/lib", "outside app.source"),
    ("./vendor/missing-1.0-py3-none-any.whl", "does not exist"),
    ("-r ../base.txt", "outside app.source"),
    ("-r nowhere.txt", "does not exist"),
    ("-r https://example.com/base.txt", "by URL"),
    ("--constraint=../constraints.txt", "outside app.source"),
    ("-r requirements.txt", "includes this file again"),
    ("--index-url https://user:hunter2@example.com/simple", "from the environment"),
    ("--extra-index-url https://tok123@example.com/simple", "from the environment"),
    ("lib @ https://user:hunter2@example.com/lib-1.0-py3-none-any.whl", "from the environment"),
    ("lib @ ftp://example.com/lib-1.0.tar.gz", "unknown URL scheme"),
])
def test_a_line_nothing_can_honour_is_one_error_naming_file_and_line(tmp_path: Path, line: str, why: str) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (tmp_path / "base.txt").write_text("flask\n")
    (tmp_path / "constraints.txt").write_text("flask==3.1.3\n")
    (app / "requirements.txt").write_text(f"# deps\nflask==3.1.3\n{line}\n")
    with pytest.raises(BuildFailed) as err:
        requirements.deploy_text(app, "requirements.txt", ("gunicorn==23.0.0",), "run")
    message = str(err.value)
    assert message.startswith("run: app.requirements: requirements.txt line 3: "), message
    assert why in message and "\n" not in message
    assert "hunter2" not in message and "tok123" not in message


def test_an_error_in_an_included_file_names_that_file_and_its_line(tmp_path: Path) -> None:
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements.txt").write_text("-r requirements/base.txt\n")
    (tmp_path / "requirements" / "base.txt").write_text("flask\n\ngit+https://example.com/x.git\n")
    with pytest.raises(BuildFailed, match=r"^run: app.requirements: requirements/base.txt line 3: cannot install"):
        requirements.deploy_text(tmp_path, "requirements.txt", (), "run")


def test_credentials_from_the_environment_are_accepted(tmp_path: Path) -> None:
    text = ("--extra-index-url https://user:${INDEX_PASSWORD}@example.com/simple\n"
            "--index-url https://${INDEX_TOKEN}@example.com/simple\nflask\n")
    expanded = reqlines.expand(text, tmp_path / "requirements.txt", tmp_path, "")
    assert [e.spec for e in expanded.index] == [
        "--extra-index-url https://user:${INDEX_PASSWORD}@example.com/simple",
        "--index-url https://${INDEX_TOKEN}@example.com/simple"]


# --- deploy-time text ----------------------------------------------------------------------------


def test_a_requirements_file_is_deployed_as_written(tmp_path: Path) -> None:
    tiny_package(tmp_path)
    text = 'flask==3.1.3  # pinned\n-e .\nFlask[async]\npywin32; sys_platform == "win32"\n\n--pre\n'
    (tmp_path / "requirements.txt").write_text(text)
    assert requirements.deploy_text(tmp_path, "requirements.txt", ("gunicorn==23.0.0",), "fn") == (
        text + "gunicorn==23.0.0\n")


def test_includes_are_inlined_and_constraints_named_from_the_apps_top() -> None:
    text = requirements.deploy_text(INCLUDES, "requirements.txt", ("gunicorn==23.0.0",), "fn")
    assert text == (
        "# Shared pins live in included files; versions come from the constraints.\n"
        "# -r requirements/base.txt  (inlined below)\n"
        "# Included by ../requirements.txt; paths here are relative to this file.\n"
        "# -r common.txt  (inlined below)\n"
        "blinker\n"
        "itsdangerous\n"
        "-c constraints.txt\n"
        "Flask[async]\n"
        "# Windows only: an image (Linux) never installs it.\n"
        'pywin32==311; sys_platform == "win32"\n'
        "gunicorn==23.0.0\n")


def test_a_requirements_file_below_the_top_gets_its_constraints_rebased(tmp_path: Path) -> None:
    (tmp_path / "reqs").mkdir()
    (tmp_path / "constraints.txt").write_text("flask==3.1.3\n")
    (tmp_path / "reqs" / "prod.txt").write_text("-c ../constraints.txt\nflask\n")
    assert requirements.deploy_text(tmp_path, "reqs/prod.txt", (), "fn") == "-c constraints.txt\nflask\n"


def test_index_options_never_reach_a_written_text_and_reach_the_host_download(tmp_path: Path) -> None:
    (tmp_path / "wheels").mkdir()
    (tmp_path / "requirements.txt").write_text(
        "--index-url https://user:${FLASKSHIP_TEST_PW}@example.com/simple\n"
        "--find-links wheels\n--trusted-host example.com\nprivate-pkg==1.0\n")
    text = requirements.deploy_text(tmp_path, "requirements.txt", ("gunicorn==23.0.0",), "fn")
    assert text.startswith(requirements.HOST_ONLY)
    assert text.splitlines()[1:] == ["private-pkg==1.0", "gunicorn==23.0.0"]
    assert "example.com" not in text and "FLASKSHIP_TEST_PW" not in text
    image = requirements.for_image(text, tmp_path, tmp_path / "cache", "fn")
    assert image.text.splitlines()[1:] == ["private-pkg==1.0", "gunicorn==23.0.0"]
    assert "example.com" not in image.text
    assert image.resolve.splitlines()[:3] == [
        "--index-url https://user:${FLASKSHIP_TEST_PW}@example.com/simple",
        f"--find-links {(tmp_path / 'wheels').resolve()}", "--trusted-host example.com"]


def test_a_text_whose_options_are_not_in_memory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("--extra-index-url https://example.com/simple\nflask\n")
    text = requirements.deploy_text(tmp_path, "requirements.txt", (), "fn")
    with pytest.raises(BuildFailed, match="never written to disk, so render and build the target in one"):
        requirements.for_image(text.replace("\nflask\n", "\nflask==3.1.3\n"), tmp_path, tmp_path / "cache", "fn")


def test_a_file_url_inside_the_app_is_deployed_as_a_path_from_the_root(tmp_path: Path) -> None:
    tiny_package(tmp_path / "libs" / "tiny")
    (tmp_path / "reqs").mkdir()
    (tmp_path / "reqs" / "prod.txt").write_text(f"tiny-pkg @ {(tmp_path / 'libs' / 'tiny').as_uri()}\n")
    assert requirements.deploy_text(tmp_path, "reqs/prod.txt", (), "fn") == "./libs/tiny\n"


def test_a_pyproject_app_is_deployed_as_dot(tmp_path: Path) -> None:
    tiny_package(tmp_path)
    assert requirements.deploy_text(tmp_path, "pyproject.toml", ("a==1", "b==2"), "fn") == ".\na==1\nb==2\n"


def test_an_application_pyproject_is_deployed_as_its_dependencies_not_as_dot(tmp_path: Path) -> None:
    # No [build-system]: uv installs the dependencies and never builds the project (flaskBlog's
    # layout, where pip's build of `.` fails on several top-level folders).
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "blog"\nversion = "1"\n'
                                             'dependencies = ["flask>=3.1", "markdown2"]\n')
    assert requirements.deploy_text(tmp_path, "pyproject.toml", ("a==1",), "fn") == "flask>=3.1\nmarkdown2\na==1\n"
    # uv's own switch says which it is, whatever the tables.
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "blog"\nversion = "1"\ndependencies = ["flask"]\n'
                                             '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
                                             '[tool.uv]\npackage = false\n')
    assert requirements.deploy_text(tmp_path, "pyproject.toml", (), "fn") == "flask\n"


def test_dot_without_anything_to_build_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(".\n")
    with pytest.raises(BuildFailed, match=r"^run: app.requirements: requirements.txt: '\.' installs the app itself, "
                                          r"but its folder has no pyproject.toml or setup.py"):
        requirements.deploy_text(tmp_path, "requirements.txt", (), "run")


@pytest.mark.parametrize(("text", "says"), [
    ('[tool.poetry]\nname = "x"\nversion = "1"\n\n[build-system]\nrequires = ["poetry-core"]\n'
     'build-backend = "poetry.core.masonry.api"\n', "no [project] table; it has [tool.poetry]"),
    ('[tool.black]\nline-length = 100\n', "no [project] table; declare"),
    # A package by uv's switch, with no backend named: pip would guess setuptools' legacy build.
    ('[project]\nname = "x"\nversion = "1"\n\n[tool.uv]\npackage = true\n', "no [build-system] table"),
    ('[project]\nname = "x"\nversion = "1"\ndynamic = ["dependencies"]\n',
     "[project] lists dependencies as dynamic, which only a build can compute"),
    ('[project\nname = "x"\n', "not valid TOML"),
])
def test_a_pyproject_pip_cannot_build_from_is_one_error(tmp_path: Path, text: str, says: str) -> None:
    (tmp_path / "pyproject.toml").write_text(text)
    with pytest.raises(BuildFailed) as err:
        requirements.deploy_text(tmp_path, "pyproject.toml", (), "run")
    assert str(err.value).startswith(f"run: app.requirements: pyproject.toml: {says}")
    assert "\n" not in str(err.value)


def test_a_pyproject_below_the_app_folder_is_an_error(tmp_path: Path) -> None:
    tiny_package(tmp_path / "sub")
    with pytest.raises(BuildFailed, match="must be at the top of app.source"):
        requirements.deploy_text(tmp_path, "sub/pyproject.toml", (), "run")


# --- image-time text and the app's wheel -----------------------------------------------------------


def test_image_text_pins_the_built_wheel_and_keeps_every_other_line(src: Path, cache: Path) -> None:
    text = ('# our deps\n--extra-index-url https://example.com/simple\n'
            'flask==3.1.3 \\\n    --config-settings=x=y\n'
            'markupsafe; python_version >= "3.11"  # marker kept\n'
            '-e .\n.[extra]\ngunicorn==23.0.0\n')
    result = requirements.for_image(text, src, cache, "run", progress=lambda line: None)
    (wheel,) = result.wheels
    assert wheel.name == "tiny_pkg-0.3.0-py3-none-any.whl"
    kept = text.replace("--extra-index-url https://example.com/simple\n", "")
    assert result.text == kept.replace("-e .\n.[extra]\n", "tiny-pkg==0.3.0\ntiny-pkg[extra]==0.3.0\n")
    assert result.resolve == "--extra-index-url https://example.com/simple\n" + kept.replace(
        "-e .\n.[extra]\n", f"tiny-pkg @ {wheel.as_uri()}\ntiny-pkg[extra] @ {wheel.as_uri()}\n")
    # built from a throwaway copy: the shipped sources get no build/ or *.egg-info/
    assert sorted(p.name for p in src.iterdir()) == ["pyproject.toml", "tiny"]


def test_in_hash_mode_the_app_is_pinned_with_its_wheels_own_hash(src: Path, cache: Path, tmp_path: Path) -> None:
    app = tiny_package(tmp_path / "app")
    (app / "requirements.txt").write_text("-e .\nsix==1.17.0 \\\n    --hash=sha256:" + SIX_SHA + "\n")
    deploy = requirements.deploy_text(app, "requirements.txt", (), "fn")
    # pip cannot hash-check a folder: the zip's text keeps the line as a comment (the code ships at its root)
    assert deploy.splitlines()[0].startswith("# -e .  (the app itself: pip's hash-checking mode cannot install")
    result = requirements.for_image(deploy, app, cache, "run", progress=lambda line: None)
    (wheel,) = result.wheels
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    assert result.text.splitlines()[0] == f"tiny-pkg==0.3.0 --hash=sha256:{digest}"
    # its dependencies are all pinned in the file already, so the host resolves without it (the key
    # stays the same across code edits), and the wheel joins the wheelhouse as it is
    assert result.resolve.splitlines()[0] == "# tiny-pkg: its own wheel joins the wheelhouse"
    assert wheel.as_uri() not in result.resolve


def test_image_text_without_the_app_is_untouched_and_builds_nothing(tmp_path: Path) -> None:
    said: list[str] = []
    result = requirements.for_image("flask==3.1.3\n", tmp_path / "missing", tmp_path / "cache", "run", said.append)
    assert (result.text, result.resolve, result.wheels, said) == ("flask==3.1.3\n", "flask==3.1.3\n", (), [])


def test_the_wheel_is_cached_by_the_content_of_the_shipped_sources(tmp_path: Path) -> None:
    app, cache = tiny_package(tmp_path / "app"), tmp_path / "cache"
    said: list[str] = []
    first = requirements.for_image(".\n", app, cache, "run", said.append).wheels[0]
    assert said == ["  run: building the app's own wheel (pip wheel) ..."]
    before = os.stat(first)

    again = requirements.for_image("-e .\n", app, cache, "run", said.append).wheels[0]
    assert again == first and len(said) == 1  # no second build
    after = os.stat(again)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)

    (app / "tiny" / "__init__.py").write_text("VALUE = 2\n")
    edited = requirements.for_image(".\n", app, cache, "run", said.append).wheels[0]
    assert len(said) == 2  # built again, from the edited code
    built = sorted(cache.glob("app-wheel-*/tiny_pkg-0.3.0-py3-none-any.whl"))
    assert len(built) == 2 and built[0].read_bytes() != built[1].read_bytes()
    # What images install holds the metadata only (build/ownwheel.py): the same bytes, so the
    # venv made from it and the dependency layer stay as they were.
    assert edited == first and edited.read_bytes() == first.read_bytes()


def test_an_unshipped_pyproject_is_an_error_at_image_time(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    with pytest.raises(BuildFailed, match=r"^run: the app is installed as a package \('\.'\), but neither "
                                          r"pyproject.toml nor setup.py is shipped"):
        requirements.for_image(".\ngunicorn==23.0.0\n", tmp_path / "src", tmp_path / "cache", "run")


def test_a_failing_wheel_build_is_one_line_with_pip_output_as_detail(tmp_path: Path) -> None:
    app = tiny_package(tmp_path / "app")
    (app / "pyproject.toml").write_text(PYPROJECT.replace('packages = ["tiny"]', 'packages = ["nowhere"]'))
    with pytest.raises(BuildFailed) as err:
        requirements.for_image(".\n", app, tmp_path / "cache", "run", progress=lambda line: None)
    assert str(err.value) == "run: cannot build the app's own wheel: error: package directory 'nowhere' does not exist"
    assert "\n" not in str(err.value) and err.value.detail
    assert not list((tmp_path / "cache").glob("app-wheel-*"))  # nothing half-built is cached


def test_the_wheelhouse_takes_the_apps_wheel_from_its_file_and_leaves_it_out(src: Path, cache: Path,
                                                                           tmp_path: Path) -> None:
    runtime = Runtime("3.11", ("manylinux2014_x86_64",))
    result = requirements.for_image(".\n", src, cache, "run", progress=lambda line: None)
    said: list[str] = []
    wheels = wheelhouse.ensure(result.resolve, runtime, cache, "run", said.append, local=result.wheels)
    assert list(wheels.iterdir()) == []  # tiny-pkg has no dependencies; its own wheel is linked per build
    context = tmp_path / "wheels"
    wheelhouse.link_into(wheels, context, extra=result.wheels)
    assert [p.name for p in context.iterdir()] == ["tiny_pkg-0.3.0-py3-none-any.whl"]
    # The key counts the wheel by what it requires, not where it lies: a code edit re-uses the resolution.
    moved = tmp_path / "elsewhere" / result.wheels[0].name
    moved.parent.mkdir()
    moved.write_bytes(result.wheels[0].read_bytes())
    resolve = result.resolve.replace(result.wheels[0].as_uri(), moved.as_uri())
    assert wheelhouse.ensure(resolve, runtime, cache, "run", said.append, local=(moved,)) == wheels
    assert len(said) == 1


# --- hash-checking mode ----------------------------------------------------------------------------


def requirement_blocks(text: str) -> dict[str, str]:
    """name -> its logical line, for every requirement line of a text."""
    return {reqlines.split_requirement(logical)[0].split("==")[0].lower(): logical
            for _, _, logical in reqlines.logical_lines(text) if logical and not logical.startswith("-")}


@pytest.mark.parametrize("extra", [("gunicorn==23.0.0",), ("functions-framework==3.10.2", "gunicorn==23.0.0")])
def test_in_hash_mode_the_platforms_lines_and_what_they_need_are_hashed_too(extra: tuple[str, ...],
                                                                           tmp_path: Path) -> None:
    written = (HASHED / "requirements.txt").read_text()
    # Resolved (a cache given): uv hashes the platform's lines against the index.
    text = requirements.deploy_text(HASHED, "requirements.txt", extra, "run", cache=tmp_path)
    assert text.startswith(written)  # the app's own lines, exactly as locked
    blocks = requirement_blocks(text)
    unhashed = [name for name, line in blocks.items() if "--hash=sha256:" not in line]
    assert unhashed == []
    for pin in extra:
        assert blocks[pin.split("==")[0]].startswith(pin + " ")
    assert "packaging" in blocks  # gunicorn's own dependency, which the app's file does not name
    # what the app pins is not pinned twice (functions-framework needs flask too)
    assert sum(1 for _, _, logical in reqlines.logical_lines(text) if logical.lower().startswith("flask==")) == 1


def test_wheel_hashes_join_hashed_lines_that_lack_them(tmp_path: Path) -> None:
    wheel = tmp_path / "six-1.17.0-py2.py3-none-any.whl"
    wheel.write_bytes(b"built from the sdist on the host")
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    text = (f"six==1.17.0 \\\n    --hash=sha256:{SIX_SHA}\n    # via flask\n"
            f"flask==3.1.3 --hash=sha256:{'a' * 64}\n")
    out = requirements.with_wheel_hashes(text, [wheel])
    assert out == (f"six==1.17.0 \\\n    --hash=sha256:{SIX_SHA} \\\n    --hash=sha256:{digest}\n    # via flask\n"
                   f"flask==3.1.3 --hash=sha256:{'a' * 64}\n")
    assert requirements.with_wheel_hashes(out, [wheel]) == out  # already there: unchanged
    plain = "six==1.17.0\n"
    assert requirements.with_wheel_hashes(plain, [wheel]) == plain  # not hash-checking mode: untouched


# --- direct references and constraints, image-time ---------------------------------------------------


def test_the_apps_wheel_builds_on_a_host_older_than_its_requires_python(tmp_path: Path, cache: Path) -> None:
    # flaskbb says requires-python ">=3.12"; the host's Python (which builds the pure wheel)
    # need not be the image's. pip refused: "requires a different Python: 3.11.7 not in '>=3.12'".
    newer = tiny_package(tmp_path / "newer")
    text = (newer / "pyproject.toml").read_text()
    (newer / "pyproject.toml").write_text(text.replace('version = "0.3.0"\n', 'version = "0.3.0"\nrequires-python = ">=3.99"\n'))
    wheel = wheelhouse.build_wheel(newer, "newer-python", cache, "run", lambda line: None)
    assert wheel.name == "tiny_pkg-0.3.0-py3-none-any.whl"
    assert "Requires-Python: >=3.99" in zipfile.ZipFile(wheel).read("tiny_pkg-0.3.0.dist-info/METADATA").decode()


def test_a_local_folder_and_a_local_wheel_become_pinned_wheels(src: Path, cache: Path, tmp_path: Path) -> None:
    app = tmp_path / "app"
    tiny_package(app / "libs" / "tiny")
    vendored = wheelhouse.build_wheel(src, "vendored", cache, "run", lambda line: None)
    (app / "vendor").mkdir()
    shutil.copy(vendored, app / "vendor" / vendored.name)
    (app / "requirements.txt").write_text(f"./libs/tiny\n./vendor/{vendored.name}\n")
    deploy = requirements.deploy_text(app, "requirements.txt", (), "run")
    result = requirements.for_image(deploy, app, cache, "run", lambda line: None)
    assert result.text == "tiny-pkg==0.3.0\ntiny-pkg==0.3.0\n"
    built, shipped = result.wheels
    assert shipped == app / "vendor" / vendored.name and built.parent.name.startswith("app-wheel-")
    assert result.resolve == f"tiny-pkg @ {built.as_uri()}\ntiny-pkg @ {shipped.as_uri()}\n"
    shutil.rmtree(app / "libs")  # as if an ignore file left it out of the image's src/
    with pytest.raises(BuildFailed, match=r"^run: requirements.txt line 1: cannot install './libs/tiny': "
                                          r"./libs/tiny is not shipped \(an ignore file"):
        requirements.for_image(deploy, app, cache, "run", lambda line: None)


@pytest.fixture()
def served(tmp_path: Path, src: Path, cache: Path) -> Iterator[tuple[str, list[str]]]:
    """A plain HTTP server on 127.0.0.1 with the tiny wheel; (base URL, paths requested)."""
    folder = tmp_path / "www"
    folder.mkdir()
    shutil.copy(wheelhouse.build_wheel(src, "served", cache, "run", lambda line: None), folder)
    asked: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(folder), **kwargs)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
            asked.append(self.path)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", asked
    finally:
        server.shutdown()
        server.server_close()


def test_a_url_is_downloaded_once_on_the_host_and_pinned(served: tuple[str, list[str]], tmp_path: Path) -> None:
    base, asked = served
    line = f"tiny-pkg @ {base}/tiny_pkg-0.3.0-py3-none-any.whl"
    said: list[str] = []
    first = requirements.for_image(line + "\n", tmp_path, tmp_path / "cache", "run", said.append)
    assert first.text == "tiny-pkg==0.3.0\n"
    (wheel,) = first.wheels
    assert first.resolve == f"tiny-pkg @ {wheel.as_uri()}\n" and wheel.is_file()
    again = requirements.for_image(line + "\n", tmp_path, tmp_path / "cache", "run", said.append)
    assert again.wheels == first.wheels and len(asked) == 1  # cached by URL: fetched once
    assert said == ["  run: downloading tiny_pkg-0.3.0-py3-none-any.whl ..."]


def test_a_url_whose_bytes_do_not_match_its_hash_is_refused(served: tuple[str, list[str]], tmp_path: Path) -> None:
    base, _ = served
    line = f"tiny-pkg @ {base}/tiny_pkg-0.3.0-py3-none-any.whl --hash=sha256:{'0' * 64}\n"
    with pytest.raises(BuildFailed, match=r"^run: requirements.txt line 1: tiny_pkg-0.3.0-py3-none-any.whl does "
                                          r"not match its --hash \(got sha256:"):
        requirements.for_image(line, tmp_path, tmp_path / "cache", "run", lambda line: None)
    assert not list((tmp_path / "cache").glob("url-*"))


def test_the_includes_app_resolves_to_exactly_what_its_files_say(tmp_path: Path) -> None:
    """-r (nested), -c, an extra and a marker, through the real host download (PyPI)."""
    deploy = requirements.deploy_text(INCLUDES, "requirements.txt", ("gunicorn==23.0.0",), "run")
    result = requirements.for_image(deploy, INCLUDES, tmp_path, "run", lambda line: None)
    assert "# -c constraints.txt: applied on the host" in result.text and "\n-c " not in result.text
    (constraints,) = [line.split(" ", 1)[1] for line in result.resolve.splitlines() if line.startswith("-c ")]
    assert Path(constraints).parent == tmp_path and "six==1.16.0" in Path(constraints).read_text()
    wheels = wheelhouse.ensure(result.resolve, Runtime(HOST_PYTHON, ("manylinux2014_x86_64",)), tmp_path, "run",
                               lambda line: None)
    found = {n.split("-")[0].lower(): n.split("-")[1] for n in (p.name for p in wheels.iterdir())}
    # constrained versions, the extra's asgiref, and neither the Windows-only package nor the constraint-only one
    assert {k: found.get(k) for k in ("flask", "asgiref", "itsdangerous", "blinker")} == {
        "flask": "3.1.3", "asgiref": "3.8.1", "itsdangerous": "2.2.0", "blinker": "1.9.0"}
    assert "pywin32" not in found and "six" not in found
    assert "gunicorn" in found


# --- a private index that needs a password ----------------------------------------------------------

PASSWORD = "s3cret-" + os.urandom(6).hex()


@pytest.fixture()
def private_index(tmp_path: Path) -> Iterator[str]:
    """pypiserver on 127.0.0.1 serving one tiny package, every action behind a password; its port."""
    with serve_private_index(tmp_path / "index", PASSWORD, "SECRET_SAUCE = 1\n") as port:
        yield port


def test_a_private_index_is_used_with_the_password_from_the_environment_only(
        private_index: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "requirements.txt").write_text(
        f"--extra-index-url http://ci:${{FLASKSHIP_INDEX_PASSWORD}}@127.0.0.1:{private_index}/simple/\n"
        "flaskship-private-probe==0.1.0\n")
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")  # nothing from an earlier download: the index must answer
    runtime = Runtime(HOST_PYTHON, ("manylinux2014_x86_64",))
    said: list[str] = []
    deploy = requirements.deploy_text(app, "requirements.txt", ("gunicorn==23.0.0",), "run")
    image = requirements.for_image(deploy, app, tmp_path / "cache", "run", said.append)
    # Without the variable the index refuses: the password is really needed.
    monkeypatch.delenv("FLASKSHIP_INDEX_PASSWORD", raising=False)
    with pytest.raises(BuildFailed):
        wheelhouse.ensure(image.resolve, runtime, tmp_path / "denied", "run", said.append)
    monkeypatch.setenv("FLASKSHIP_INDEX_PASSWORD", PASSWORD)
    wheels = wheelhouse.ensure(image.resolve, runtime, tmp_path / "cache", "run", said.append)
    assert (wheels / "flaskship_private_probe-0.1.0-py3-none-any.whl").is_file()
    assert "127.0.0.1" not in deploy + image.text  # no index option in any text that is written
    for text in (deploy, image.text, image.resolve, *said):
        assert PASSWORD not in text
    for path in (tmp_path / "cache").rglob("*"):
        assert not path.is_file() or PASSWORD.encode() not in path.read_bytes(), path


# --- app.build_packages and app.system_packages (pure data) -------------------------------------------


def test_debian_package_keys_default_to_none_and_take_debian_names() -> None:
    assert (AppSource().build_packages, AppSource().system_packages) == ((), ())
    app = AppSource.model_validate({"build_packages": ["libpq-dev", "build-essential", "g++"],
                                    "system_packages": ["libpq5", "libxml2", "fonts-dejavu-core"]})
    assert app.build_packages == ("libpq-dev", "build-essential", "g++")
    assert app.system_packages == ("libpq5", "libxml2", "fonts-dejavu-core")


@pytest.mark.parametrize("key", ["build_packages", "system_packages"])
@pytest.mark.parametrize("value", [["LibPQ-dev"], ["x"], ["libpq-dev; rm -rf /"], ["-y"], ["libpq dev"], "libpq-dev",
                                   ["a" * 64]])
def test_a_value_that_is_not_a_debian_package_name_is_refused(key: str, value: object) -> None:
    with pytest.raises(ValidationError) as err:
        AppSource.model_validate({key: value})
    assert err.value.errors()[0]["loc"][0] == key


def test_the_schema_documents_both_keys() -> None:
    schema = json.loads(json_schema())["$defs"]["AppSource"]["properties"]
    for key in ("build_packages", "system_packages"):
        assert schema[key]["items"]["pattern"] == "^[a-z0-9][a-z0-9+.-]{1,62}$"
