"""How the compose program is run: SETUPTOOLS_USE_DISTUTILS=stdlib only where it works.

The fake programs stand for a third-party binary on PATH (Ubuntu's compose v1 on a
Python without distutils refuses the switch); the real one is Debian's, where it works.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from targets.kinds.compose import cli


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # no verdict kept from another run
    monkeypatch.delenv("SETUPTOOLS_USE_DISTUTILS", raising=False)
    cli.command.cache_clear()
    cli.program_env.cache_clear()
    yield
    cli.command.cache_clear()
    cli.program_env.cache_clear()


def _fake(folder: Path, script: str, monkeypatch: pytest.MonkeyPatch, shell: str = "/bin/sh") -> Path:
    folder.mkdir()
    program = folder / "docker-compose"
    program.write_text(f"#!{shell}\n" + script)
    program.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}:/usr/bin:/bin")
    monkeypatch.setenv("FLASKSHIP_COMPOSE", "docker-compose")
    return program


def test_debians_compose_v1_starts_with_its_own_pythons_distutils(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASKSHIP_COMPOSE", "docker-compose")  # bin/setup installs it
    assert cli.program_env() == cli.STDLIB_DISTUTILS
    assert cli.environment({"A": "1"}) == {**cli.STDLIB_DISTUTILS, "A": "1"}


def test_a_compose_that_refuses_the_switch_runs_without_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # As v1 on a Python 3.12 (no distutils of its own) would: the import fails under the switch.
    _fake(tmp_path / "bin", 'test "$SETUPTOOLS_USE_DISTUTILS" = stdlib && exit 1\necho "$SETUPTOOLS_USE_DISTUTILS" > '
          f'{tmp_path}/seen\n', monkeypatch)
    assert cli.command() == ("docker-compose",)
    assert cli.program_env() == {}
    cli.run("p", [], ["up"], cli.environment({"PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin"}), "web")
    assert (tmp_path / "seen").read_text() == "\n"  # run with the environment it was given, no switch


def test_a_value_of_the_users_is_never_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    program = _fake(tmp_path / "bin", f'echo "$SETUPTOOLS_USE_DISTUTILS" > {tmp_path}/seen\n', monkeypatch)
    monkeypatch.setenv("SETUPTOOLS_USE_DISTUTILS", "local")
    assert cli.program_env() == {}
    env = {"PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin", "SETUPTOOLS_USE_DISTUTILS": "local"}
    cli.run("p", [], ["up"], cli.environment(env), "web")
    assert (tmp_path / "seen").read_text() == "local\n", program


def test_the_switch_reaches_a_compose_that_takes_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake(tmp_path / "bin", f'echo "$SETUPTOOLS_USE_DISTUTILS" > {tmp_path}/seen\n', monkeypatch)
    assert cli.program_env() == cli.STDLIB_DISTUTILS
    cli.run("p", [], ["up"], {"PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin"}, "web")
    assert (tmp_path / "seen").read_text() == "stdlib\n"


def test_the_callers_own_value_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake(tmp_path / "bin", f'echo "$SETUPTOOLS_USE_DISTUTILS" > {tmp_path}/seen\n', monkeypatch)
    assert cli.program_env() == cli.STDLIB_DISTUTILS
    cli.run("p", [], ["up"], {"PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin", "SETUPTOOLS_USE_DISTUTILS": "local"}, "web")
    assert (tmp_path / "seen").read_text() == "local\n"


def test_each_answer_is_asked_once_per_program_and_interpreter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shell = tmp_path / "sh"
    shutil.copy2("/bin/sh", shell)  # the program's interpreter, as python3 is compose v1's
    _fake(tmp_path / "bin", f'echo "[$SETUPTOOLS_USE_DISTUTILS]" >> {tmp_path}/asked\n'
          'test "$SETUPTOOLS_USE_DISTUTILS" = stdlib && exit 1\nexit 0\n', monkeypatch, shell=str(shell))

    def asked() -> list[str]:
        return (tmp_path / "asked").read_text().split()

    assert cli.program_env() == {}
    assert asked() == ["[]", "[stdlib]"]  # works; refuses the switch
    cli.command.cache_clear()
    cli.program_env.cache_clear()
    assert cli.program_env() == {}
    assert asked() == ["[]", "[stdlib]"]  # a later run: both answers kept, the "no" too
    os.utime(shell, (1_000_000_000, 1_000_000_000))  # another interpreter under the same path
    cli.command.cache_clear()
    cli.program_env.cache_clear()
    assert cli.program_env() == {}
    assert asked() == ["[]", "[stdlib]", "[]", "[stdlib]"]
