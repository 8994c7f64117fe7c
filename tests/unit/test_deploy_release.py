"""init reads the release command the app's Heroku files run: a plain command becomes
app.release, a script of the app's is named and left out, and neither passes silently."""

from __future__ import annotations

from pathlib import Path

import pytest

from targets.appscan import deployrelease
from targets.appscan.deployrelease import ReleaseLine

DRIBDAT_PROCFILE = """web: gunicorn --config=gunicorn.conf.py patched:init_app\\(\\)
default: gunicorn dribdat.app:init_app\\(\\) -b 0.0.0.0:$DEFAULT_PORT -w 3 --log-file=-
release: ./release.sh
socialize: ./manage.py socialize
"""


MIGRATE = "flask --app 'dribdat.app:init_app()' db upgrade"


def named(args: str) -> str:
    return f"flask --app wsgi:app {args}"


def test_dribdats_release_script_is_found_and_not_taken(tmp_path: Path) -> None:
    (tmp_path / "Procfile").write_text(DRIBDAT_PROCFILE)
    line = deployrelease.found(tmp_path)
    assert line == ReleaseLine("Procfile line 3", "./release.sh") and line.script
    # Beside init's Flask-Migrate upgrade: named in its why.
    command, why, warning = deployrelease.settle(line, MIGRATE, "migrate once per deploy", named)
    assert (command, warning) == (MIGRATE, "")
    assert why.startswith("migrate once per deploy; Procfile line 3 runs './release.sh', a script of the app's, "
                          "which init does not take: ") and "read-only" in why
    # With no release of init's own: no release, and a warning.
    command, why, warning = deployrelease.settle(line, None, "", named)
    assert command is None and why == "" and warning.startswith("Procfile line 3 runs './release.sh', a script")
    assert warning.endswith("put in app.release what of it the deploy needs")


@pytest.mark.parametrize("command, script", [
    ("flask db upgrade", False), ("python manage.py db upgrade", False), ("bash bin/release", True),
    ("sh release.sh", True), ("release.sh", True), ("python -m app.migrate", False), ("./manage.py seed", True),
])
def test_a_script_is_a_file_of_the_apps_however_it_is_started(command: str, script: bool) -> None:
    assert ReleaseLine("Procfile line 1", command).script is script


def test_a_plain_command_is_taken_and_flask_is_told_the_app(tmp_path: Path) -> None:
    (tmp_path / "Procfile").write_text("web: gunicorn app:app\nrelease:   python manage.py seed  \n")
    line = deployrelease.found(tmp_path)
    assert line == ReleaseLine("Procfile line 2", "python manage.py seed")
    assert deployrelease.settle(line, None, "", named) == (
        "python manage.py seed", "Procfile line 2 runs it once per deploy", "")
    # Heroku sets FLASK_APP as a config var; here the command names the app itself.
    flask = ReleaseLine("Procfile line 1", "flask db upgrade")
    assert deployrelease.settle(flask, None, "", named) == (
        "flask --app wsgi:app db upgrade", "Procfile line 1 runs 'flask db upgrade' once per deploy; here with the "
        "app named", "")
    own = ReleaseLine("Procfile line 1", "flask --app other:app seed")
    assert deployrelease.settle(own, None, "", named)[0] == "flask --app other:app seed"
    # Beside init's own (Flask-Migrate's upgrade), the file's is named, not dropped silently.
    command, why, warning = deployrelease.settle(line, "flask --app app db upgrade", "migrate", named)
    assert (command, warning) == ("flask --app app db upgrade", "")
    assert why == ("migrate; Procfile line 2 runs 'python manage.py seed', not taken: init's is Flask-Migrate's "
                   "upgrade with the app named; if the file's does more, add that to app.release")
    # The same command as init's: nothing to say.
    assert deployrelease.settle(ReleaseLine("Procfile line 1", MIGRATE), MIGRATE, "migrate", named) == (
        MIGRATE, "migrate", "")


def test_heroku_yml_release_command_as_a_list_or_a_string(tmp_path: Path) -> None:
    (tmp_path / "heroku.yml").write_text("build:\n  docker:\n    web: Dockerfile\nrelease:\n  image: web\n"
                                         "  command:\n    - flask\n    - db\n    - upgrade\n")
    assert deployrelease.found(tmp_path) == ReleaseLine("heroku.yml's release.command", "flask db upgrade")
    (tmp_path / "heroku.yml").write_text("release:\n  command: ./bin/release\n")
    assert deployrelease.found(tmp_path) == ReleaseLine("heroku.yml's release.command", "./bin/release")


@pytest.mark.parametrize("files", [
    {}, {"Procfile": "web: gunicorn app:app\n"}, {"Procfile": "release:\n"}, {"heroku.yml": "release: [\n"},
    {"heroku.yml": "- a list\n"}, {"heroku.yml": "release:\n  command: [1, 2]\n"},
])
def test_no_release_line_is_none_and_a_broken_file_is_no_error(tmp_path: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    assert deployrelease.found(tmp_path) is None
    assert deployrelease.settle(None, None, "", named) == (None, "", "")
