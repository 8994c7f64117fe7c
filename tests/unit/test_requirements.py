"""app.requirements: `.` lines and pyproject.toml apps, the app's wheel built on the host and cached.

No Docker. Building a wheel runs the host's pip, which fetches the tiny
package's build backend (setuptools) from the index, as a real build does.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from targets.build import requirements
from targets.engine import wheelhouse
from targets.engine.base_images import Runtime
from targets.errors import BuildFailed

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


def self_lines(text: str) -> list[tuple[int, str | None]]:
    return [(line.number, line.self_extras) for line in requirements.parse(text, "requirements.txt")]


# --- parsing -------------------------------------------------------------------------------------


@pytest.mark.parametrize("line", [".", "./", "-e .", "-e ./", "--editable .", "--editable=.", "  .  ",
                                  ". # the app itself", "-e .  # editable, for development"])
def test_the_app_itself_is_recognised(line: str) -> None:
    assert self_lines(f"flask==3.1.3\n{line}\n") == [(1, None), (2, "")]


def test_extras_of_the_app_itself_are_kept() -> None:
    assert self_lines(".[postgres]\n") == [(1, "[postgres]")]


@pytest.mark.parametrize("line", ["flask==3.1.3", "# .", "#.", "--index-url https://pypi.org/simple",
                                  "--extra-index-url=https://example.com/simple", "--pre", "",
                                  'flask>=3; python_version >= "3.11"', "dotenv", "pkg.name==1"])
def test_other_lines_are_not_the_app(line: str) -> None:
    assert self_lines(line + "\n") == [(1, None)]


def test_continuation_lines_are_one_line_numbered_by_their_first() -> None:
    text = "flask==3.1.3 \\\n    --hash=sha256:aa\n.\n"
    assert self_lines(text) == [(1, None), (3, "")]


@pytest.mark.parametrize(("line", "why"), [
    ("git+https://github.com/pallets/flask.git", "VCS"),
    ("-e git+https://github.com/pallets/flask.git#egg=flask", "editable"),
    ("flask @ git+https://github.com/pallets/flask.git@main", "VCS"),
    ("flask @ https://example.com/flask-3.1.3-py3-none-any.whl", "direct URL"),
    ("../shared-lib", "local path"),
    ("./vendor/lib-1.0-py3-none-any.whl", "local path"),
    ("-e ../shared-lib", "editable"),
    ("-r base.txt", "includes another file"),
    ("--constraint=constraints.txt", "includes another file"),
])
def test_a_line_an_offline_image_cannot_honour_is_one_error_naming_file_and_line(
        tmp_path: Path, line: str, why: str) -> None:
    (tmp_path / "requirements.txt").write_text(f"# deps\nflask==3.1.3\n{line}\n")
    with pytest.raises(BuildFailed) as err:
        requirements.deploy_text(tmp_path, "requirements.txt", ("gunicorn==23.0.0",), "run")
    message = str(err.value)
    assert message.startswith("run: app.requirements: requirements.txt line 3: ")
    assert f"'{line}'" in message and why in message
    assert "\n" not in message


# --- deploy-time text ----------------------------------------------------------------------------


def test_a_requirements_file_is_deployed_as_written(tmp_path: Path) -> None:
    tiny_package(tmp_path)
    text = "flask==3.1.3 --hash=sha256:abc  # pinned\n-e .\n"
    (tmp_path / "requirements.txt").write_text(text)
    assert requirements.deploy_text(tmp_path, "requirements.txt", ("gunicorn==23.0.0",), "fn") == (
        text + "gunicorn==23.0.0\n")


def test_a_pyproject_app_is_deployed_as_dot(tmp_path: Path) -> None:
    tiny_package(tmp_path)
    assert requirements.deploy_text(tmp_path, "pyproject.toml", ("a==1", "b==2"), "fn") == ".\na==1\nb==2\n"


def test_dot_without_anything_to_build_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(".\n")
    with pytest.raises(BuildFailed, match=r"^run: app.requirements: requirements.txt: '\.' installs the app itself, "
                                          r"but its folder has no pyproject.toml or setup.py"):
        requirements.deploy_text(tmp_path, "requirements.txt", (), "run")


@pytest.mark.parametrize(("text", "says"), [
    ('[tool.poetry]\nname = "x"\nversion = "1"\n\n[build-system]\nrequires = ["poetry-core"]\n'
     'build-backend = "poetry.core.masonry.api"\n', "no [project] table; it has [tool.poetry]"),
    ('[tool.black]\nline-length = 100\n', "no [project] table; declare"),
    ('[project]\nname = "x"\nversion = "1"\n', "no [build-system] table"),
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
            'flask==3.1.3 \\\n    --hash=sha256:abc\n'
            'markupsafe; python_version >= "3.11"  # marker kept\n'
            '-e .\n.[extra]\ngunicorn==23.0.0\n')
    result = requirements.for_image(text, src, cache, "run", progress=lambda line: None)
    (wheel,) = result.wheels
    assert wheel.name == "tiny_pkg-0.3.0-py3-none-any.whl"
    assert result.text == text.replace("-e .\n.[extra]\n", "tiny-pkg==0.3.0\ntiny-pkg[extra]==0.3.0\n")
    assert result.resolve == text.replace(
        "-e .\n.[extra]\n", f"tiny-pkg @ {wheel.as_uri()}\ntiny-pkg[extra] @ {wheel.as_uri()}\n")
    # built from a throwaway copy: the shipped sources get no build/ or *.egg-info/
    assert sorted(p.name for p in src.iterdir()) == ["pyproject.toml", "tiny"]


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
    assert edited != first and len(said) == 2
    assert edited.name == first.name  # same pin, new bytes


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
