"""init's probe venv is made by a Python the app's requires-python allows (appscan/interpreter.py).

The other Pythons here are stand-in programs on a PATH and a pyenv folder of the test's
own: what is tested is which one init picks, not CPython itself."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from targets.appscan import interpreter
from targets.appscan.errors import InitError

HOST = f"{sys.version_info.major}.{sys.version_info.minor}"
OTHER = "3.12" if HOST != "3.12" else "3.13"  # a supported version that is not this one


def _app(tmp_path: Path, spec: str | None) -> Path:
    app = tmp_path / "app"
    app.mkdir(parents=True)
    if spec is not None:
        (app / "pyproject.toml").write_text(f'[project]\nname = "a"\nversion = "1"\nrequires-python = "{spec}"\n')
    return app


def _python(path: Path, version: str) -> Path:
    """A program that answers `-c <check>` as Python `version` would: it runs the check with
    this Python, pretending to be `version`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    major, minor = version.split(".")
    path.write_text(f"#!/bin/sh\nexec {sys.executable} -c 'import sys; sys.version_info = ({major}, {minor}, 0); "
                    f"exec(sys.argv[1])' \"$2\"\n")
    path.chmod(0o755)
    return path


@pytest.fixture(autouse=True)
def _nothing_else(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "pyenv"))


def test_the_host_python_stays_where_the_app_allows_it_or_says_nothing(tmp_path: Path) -> None:
    assert interpreter.choose(_app(tmp_path, None), OTHER) == (sys.executable, HOST)
    assert interpreter.choose(_app(tmp_path / "b", f">={HOST}"), OTHER) == (sys.executable, HOST)


def test_the_version_the_images_run_is_taken_first_where_the_host_has_it(tmp_path: Path) -> None:
    # The host is allowed too, but the manifest (and every image) runs OTHER: the probe does as well.
    wanted = _python(tmp_path / f"bin/python{OTHER}", OTHER)
    assert interpreter.choose(_app(tmp_path, None), OTHER) == (str(wanted), OTHER)
    assert interpreter.choose(_app(tmp_path / "b", f">={HOST}"), OTHER) == (str(wanted), OTHER)
    assert interpreter.choose(_app(tmp_path / "c", None), HOST) == (sys.executable, HOST)


def test_an_excluded_host_takes_the_wanted_version_from_path_then_pyenv(tmp_path: Path) -> None:
    app = _app(tmp_path, f"!={HOST}.*")
    newest = _python(tmp_path / f"pyenv/versions/{OTHER}.10/bin/python{OTHER}", OTHER)
    _python(tmp_path / f"pyenv/versions/{OTHER}.9/bin/python{OTHER}", OTHER)
    assert interpreter.choose(app, OTHER) == (str(newest), OTHER)  # the newest patch release pyenv has
    on_path = _python(tmp_path / f"bin/python{OTHER}", OTHER)
    assert interpreter.choose(app, OTHER) == (str(on_path), OTHER)


def test_a_program_that_does_not_answer_as_its_version_is_passed_over(tmp_path: Path) -> None:
    # pyenv's shim for a version `pyenv global` does not select fails; so does a misnamed program.
    app = _app(tmp_path, f"!={HOST}.*")
    _python(tmp_path / f"bin/python{OTHER}", HOST)
    with pytest.raises(InitError) as raised:
        interpreter.choose(app, OTHER)
    message = raised.value.message
    assert message.startswith(f"pyproject.toml's requires-python '!={HOST}.*' excludes this Python ({HOST})")
    assert f"python{OTHER}" in message and "install one" in message and "then run init again" in message
