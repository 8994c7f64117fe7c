"""Lock files: exported by their own tools, without dev groups, hashed; and init prefers them.

No Docker. uv and pipenv run for real on the fixture apps' committed locks
(requirements-dev.txt installs both); Poetry is not installed here, so its
exporter is stood in for by a script on PATH, and its absence is an error
naming what to install.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import tomllib
from pathlib import Path

import pytest

from targets.appscan import deps
from targets.appscan.errors import InitError
from targets.build import lockfiles, reqlines, requirements
from targets.errors import BuildFailed

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "apps"
UV_APP, PIPENV_APP = FIXTURES / "uv_app", FIXTURES / "pipenv_app"
DEV_ONLY = {"pytest", "iniconfig", "pluggy", "pygments"}


def uv_locked_runtime() -> dict[str, str]:
    """name -> version of what uv.lock says the project needs at run time, walked from its dependencies."""
    lock = tomllib.loads((UV_APP / "uv.lock").read_text())
    packages = {p["name"]: p for p in lock["package"]}
    seen: dict[str, str] = {}
    todo = [d["name"] for d in packages["uv-app"]["dependencies"]]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen[name] = packages[name]["version"]
        todo += [d["name"] for d in packages[name].get("dependencies", [])]
    return seen


def exported(text: str) -> dict[str, str]:
    """name -> pinned version of every requirement line of an exported text."""
    pins: dict[str, str] = {}
    for _, _, logical in reqlines.logical_lines(text):
        spec = reqlines.split_requirement(logical)[0] if logical and not logical.startswith("-") else ""
        if "==" in spec:
            name, _, version = spec.partition("==")
            pins[name.strip().lower()] = version.split(";")[0].strip()
    return pins


def test_uv_lock_exports_exactly_the_locked_runtime_set_hashed() -> None:
    text = lockfiles.export(UV_APP / "uv.lock", "run: app.requirements: uv.lock")
    runtime = uv_locked_runtime()
    # colorama is locked for Windows only (a marker): it may be exported, behind its marker
    pins = {k: v for k, v in exported(text).items() if k != "colorama"}
    assert pins == {k: v for k, v in runtime.items() if k != "colorama"}
    assert not DEV_ONLY & set(exported(text))
    assert "pytest" in {p["name"] for p in tomllib.loads((UV_APP / "uv.lock").read_text())["package"]}
    lines = [logical for _, _, logical in reqlines.logical_lines(text) if logical]
    assert "." in lines  # the project itself, which images install as its wheel
    assert all("--hash=sha256:" in line for line in lines if line != ".")


def test_pipfile_lock_exports_its_default_packages_only_hashed() -> None:
    lock = json.loads((PIPENV_APP / "Pipfile.lock").read_text())
    text = lockfiles.export(PIPENV_APP / "Pipfile.lock", "run: app.requirements: Pipfile.lock")
    assert exported(text) == {name: spec["version"].lstrip("=") for name, spec in lock["default"].items()}
    assert not set(lock["develop"]) - set(lock["default"]) & set(exported(text))
    requirements_lines = [logical for _, _, logical in reqlines.logical_lines(text)
                          if logical and not logical.startswith("-")]
    assert requirements_lines and all("--hash=sha256:" in line for line in requirements_lines)


def test_without_hashes_for_the_probe() -> None:
    text = lockfiles.export(UV_APP / "uv.lock", "init", hashes=False)
    assert "--hash" not in text and exported(text)["flask"] == uv_locked_runtime()["flask"]


def test_uv_is_the_one_beside_this_python_not_a_broken_shim_on_path(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # dribdat's .python-version (3.12) broke pyenv's uv shim in its folder: every lock failed.
    shim = tmp_path / "uv"
    shim.write_text("#!/bin/sh\necho 'pyenv: uv: command not found' >&2\nexit 127\n")
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    ran = subprocess.run([*lockfiles.uv_command(), "--version"], capture_output=True, text=True, check=False)
    assert ran.returncode == 0 and ran.stdout.startswith("uv "), ran.stderr


def test_a_lock_without_its_project_file_is_one_error(tmp_path: Path) -> None:
    (tmp_path / "Pipfile.lock").write_text((PIPENV_APP / "Pipfile.lock").read_text())
    with pytest.raises(BuildFailed, match=r"^run: Pipfile is not beside Pipfile.lock; pipenv exports"):
        lockfiles.export(tmp_path / "Pipfile.lock", "run")


def fake_poetry(folder: Path, script: str) -> None:
    folder.mkdir(exist_ok=True)
    path = folder / "poetry"
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


@pytest.fixture()
def poetry_app(tmp_path: Path) -> Path:
    app = tmp_path / "app"
    app.mkdir()
    (app / "pyproject.toml").write_text('[tool.poetry]\nname = "x"\nversion = "1"\n')
    (app / "poetry.lock").write_text("# a Poetry lock file\n")
    return app


def test_poetry_lock_without_poetry_is_one_error_naming_what_to_install(
        poetry_app: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(BuildFailed) as err:
        requirements.deploy_text(poetry_app, "poetry.lock", (), "run")
    assert str(err.value) == ("run: app.requirements: poetry.lock: reading poetry.lock needs Poetry's exporter "
                              "(pip install poetry poetry-plugin-export), which is not installed")
    # Poetry 2 without the plugin has no export command
    fake_poetry(tmp_path / "bin", 'echo \'The command "export" does not exist.\' >&2; exit 1\n')
    monkeypatch.setenv("PATH", str(tmp_path / "bin") + os.pathsep + "/usr/bin:/bin")
    with pytest.raises(BuildFailed, match=r"^run: app.requirements: poetry.lock: reading poetry.lock needs "
                                          r"Poetry's exporter \(pip install poetry poetry-plugin-export\): Poetry "
                                          r"has no export command here$"):
        requirements.deploy_text(poetry_app, "poetry.lock", (), "run")


def test_poetry_lock_is_read_through_poetry_export(poetry_app: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    fake_poetry(tmp_path / "bin", 'echo "$*" > "$(dirname "$0")/args"; echo "flask==3.1.3 ; python_version >= \\"3.9\\""\n')
    monkeypatch.setenv("PATH", str(tmp_path / "bin") + os.pathsep + "/usr/bin:/bin")
    assert requirements.deploy_text(poetry_app, "poetry.lock", ("gunicorn==23.0.0",), "run") == (
        'flask==3.1.3 ; python_version >= "3.9"\ngunicorn==23.0.0\n')
    # the main group only, with hashes
    assert (tmp_path / "bin" / "args").read_text().split() == ["export", "--format", "requirements.txt", "--only",
                                                               "main"]


@pytest.mark.parametrize("pyproject, itself", [
    # anitya: Poetry's package mode (its default) with poetry-core building the project
    ('[tool.poetry]\nname = "x"\nversion = "1"\n[build-system]\nrequires = ["poetry-core>=1.0.0"]\n'
     'build-backend = "poetry.core.masonry.api"\n', True),
    ('[project]\nname = "x"\nversion = "1"\n[build-system]\nrequires = ["poetry-core>=2"]\n'
     'build-backend = "poetry.core.masonry.api"\n', True),
    ('[tool.poetry]\nname = "x"\npackage-mode = false\n[build-system]\nrequires = ["poetry-core"]\n'
     'build-backend = "poetry.core.masonry.api"\n', False),
    ('[tool.poetry]\nname = "x"\nversion = "1"\n', False),  # nothing builds it
])
def test_a_poetry_project_in_package_mode_installs_itself_as_dot(
        poetry_app: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pyproject: str, itself: bool) -> None:
    # poetry export never lists the project, which `poetry install` installs in package mode:
    # anitya then built on every target and failed at boot on its own metadata.
    (poetry_app / "pyproject.toml").write_text(pyproject)
    fake_poetry(tmp_path / "bin", 'echo "flask==3.1.3"\n')
    monkeypatch.setenv("PATH", str(tmp_path / "bin") + os.pathsep + "/usr/bin:/bin")
    assert lockfiles.poetry_installs_itself(poetry_app / "pyproject.toml") is itself
    assert lockfiles.export(poetry_app / "poetry.lock", "run") == "flask==3.1.3\n" + (".\n" if itself else "")


def test_a_lock_below_the_top_of_the_app_is_refused(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    for name in ("pyproject.toml", "uv.lock"):
        (tmp_path / "sub" / name).write_text((UV_APP / name).read_text())
    with pytest.raises(BuildFailed, match=r"^run: app.requirements: sub/uv.lock: a lock file must be at the top"):
        requirements.deploy_text(tmp_path, "sub/uv.lock", (), "run")


def test_uv_lock_deploys_hashed_with_the_platforms_lines_and_images_pin_the_project(tmp_path: Path) -> None:
    text = requirements.deploy_text(UV_APP, "uv.lock", ("gunicorn==23.0.0",), "run")
    assert text.splitlines()[0].startswith("# .  (the app itself: pip's hash-checking mode cannot install a folder")
    assert exported(text)["gunicorn"] == "23.0.0" and "pytest" not in exported(text)
    image = requirements.for_image(text, UV_APP, tmp_path, "run", lambda line: None)
    first = image.text.splitlines()[0]
    assert first.startswith("uv-app==0.1.0 --hash=sha256:")


# --- init prefers a lock file ------------------------------------------------------------------------


def write(folder: Path, *names: str) -> Path:
    sources = {"uv.lock": UV_APP, "pyproject.toml": UV_APP, "Pipfile": PIPENV_APP, "Pipfile.lock": PIPENV_APP}
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        if name in sources:
            (folder / name).write_text((sources[name] / name).read_text())
        elif name == "requirements.txt":
            (folder / name).write_text("flask\n")
        else:
            (folder / name).write_text("# lock\n")
    return folder


@pytest.mark.parametrize(("files", "chosen"), [
    (("uv.lock", "pyproject.toml", "Pipfile", "Pipfile.lock", "requirements.txt"), "uv.lock"),
    (("Pipfile", "Pipfile.lock", "requirements.txt", "pyproject.toml"), "Pipfile.lock"),
    (("uv.lock", "requirements.txt"), "requirements.txt"),  # uv.lock without its pyproject.toml
    (("requirements.txt", "pyproject.toml"), "requirements.txt"),
])
def test_init_prefers_a_lock_file_and_says_why(tmp_path: Path, files: tuple[str, ...], chosen: str) -> None:
    found = deps.dependencies(write(tmp_path / "app", *files))
    assert found.file == chosen
    if chosen in deps.LOCKS:
        assert found.why.startswith(f"{chosen} found: installed exactly as locked, without dev groups")
        others = [f for f in files if f not in (chosen, "pyproject.toml" if chosen == "uv.lock" else "Pipfile")]
        assert all(other in found.why for other in others)


def test_init_passes_over_a_poetry_lock_it_cannot_read_and_says_so(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty") + os.pathsep + "/usr/bin:/bin")
    app = write(tmp_path / "app", "poetry.lock", "pyproject.toml", "requirements.txt")
    found = deps.dependencies(app)
    assert found.file == "requirements.txt"
    assert "poetry.lock found, but reading it needs Poetry's exporter (pip install poetry poetry-plugin-export)" \
        in found.why
    (app / "requirements.txt").unlink()
    (app / "pyproject.toml").write_text('[tool.poetry]\nname = "x"\n')
    with pytest.raises(InitError, match="poetry.lock found, but reading it needs Poetry's exporter"):
        deps.dependencies(app)


def test_the_probe_installs_the_exported_lock(tmp_path: Path) -> None:
    app = write(tmp_path / "app", "Pipfile", "Pipfile.lock")
    found = deps.dependencies(app)
    assert found.pip_args(app) == ["-r", deps.EXPORTED]
    text = (app / deps.EXPORTED).read_text()
    assert "--hash" not in text and "flask==3.1.3" in text and "pytest" not in text


def test_an_sdist_uv_cannot_build_is_named_with_its_own_error_not_uvs_hint() -> None:
    # flask-base's jsmin 2.2.2, as uv 0.13 said it: the line used to be the closing hint.
    from targets.build.lockfiles import build_failure
    said = ["error: Failed to build `jsmin==2.2.2`", "cause: The build backend returned an error",
            "cause: Call to `setuptools.build_meta:__legacy__.get_requires_for_build_wheel` failed (exit status: 1)",
            "[stderr]", "/tmp/x/dist.py:318: UserWarning: Unknown distribution option: 'test_suite'",
            "warnings.warn(msg)", "error in jsmin setup command: use_2to3 is invalid.",
            "hint: Build failures usually indicate a problem with the package or the build environment"]
    assert build_failure(said) == "Failed to build jsmin==2.2.2: error in jsmin setup command: use_2to3 is invalid."
    assert build_failure(["error: No solution found when resolving dependencies"]) == ""
