"""An app that pins its own gunicorn keeps it (build/serverpins.py), resolved by uv
against the index as a build does; the floor and the functions runtime still hold."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from targets import manifest
from targets.appscan.deps import server_pin_problem
from targets.build import lock, reqlines, requirements, serverpins
from targets.build.job import BuildJob
from targets.errors import BuildFailed
from targets.pins import CEILINGS, FLOORS, FUNCTIONS_FRAMEWORK, GUNICORN
from tests.helpers import REPO

IMAGES = (GUNICORN,)  # what every image adds; the build's union without a functions target
RUNTIME = (FUNCTIONS_FRAMEWORK, GUNICORN)  # the union with one


def _app(tmp_path: Path, text: str) -> Path:
    app = tmp_path / "app"
    app.mkdir(parents=True)
    (app / "requirements.txt").write_text(text)
    return app


def _pins(text: str) -> dict[str, str]:
    """name -> the version the lock pinned, for every requirement line."""
    pins = {}
    for _, _, logical in reqlines.logical_lines(text):
        requirement = reqlines.split_requirement(logical)[0]
        if "==" in requirement:
            name, version = requirement.split("==", 1)
            pins[name.strip().lower()] = version.split(";")[0].strip()
    return pins


def test_the_apps_own_gunicorn_pin_is_the_one_locked(tmp_path: Path) -> None:
    # microblog's requirements.txt pins gunicorn==21.2.0: with flaskship's own pin beside
    # it, every target of the build failed to lock.
    app = _app(tmp_path, "flask==3.1.0\ngunicorn==21.2.0\n")
    text = requirements.deploy_text(app, "requirements.txt", IMAGES, "run", cache=tmp_path / "cache", union=IMAGES)
    assert _pins(text)["gunicorn"] == "21.2.0"
    assert "functions-framework" not in _pins(text)  # no functions target, so not in the lock


def test_an_app_without_gunicorn_gets_flaskships_pin(tmp_path: Path) -> None:
    app = _app(tmp_path, "flask==3.1.0\n")
    text = requirements.deploy_text(app, "requirements.txt", IMAGES, "run", cache=tmp_path / "cache", union=IMAGES)
    assert _pins(text)["gunicorn"] == GUNICORN.split("==")[1]


def test_a_pin_below_the_floor_is_refused_in_one_line_naming_both(tmp_path: Path) -> None:
    app = _app(tmp_path, "flask==3.1.0\ngunicorn==20.1.0\n")
    with pytest.raises(BuildFailed) as caught:
        requirements.deploy_text(app, "requirements.txt", IMAGES, "run", cache=tmp_path / "cache", union=IMAGES)
    # The file, the line, the range and the fix: not the resolver's "unsatisfiable" (flaskmvc pins 20.1.0).
    assert caught.value.message == (f"run: app.requirements: requirements.txt line 2: gunicorn==20.1.0: flaskship's "
                                    f"gunicorn settings are tested on gunicorn {FLOORS['gunicorn']} to "
                                    f"{CEILINGS['gunicorn']}; pin one of those, or remove the line to get {GUNICORN}")
    # One that may not apply here (a marker) is the resolver's to decide.
    app = _app(tmp_path / "marker", "flask==3.1.0\ngunicorn==20.1.0 ; python_version < '3.0'\n")
    text = requirements.deploy_text(app, "requirements.txt", IMAGES, "run", cache=tmp_path / "cache", union=IMAGES)
    assert _pins(text)["gunicorn"] == GUNICORN.split("==")[1]


def test_a_functions_target_takes_the_newest_runtime_the_apps_gunicorn_pin_allows(tmp_path: Path) -> None:
    # functions-framework 3.8.1 on needs gunicorn>=22. microblog pins gunicorn==21.2.0, and the
    # one lock of a manifest with a functions target failed for every target. The range in
    # pins.py lets the resolver take 3.8.0, the last release that runs on 21.2.0.
    app = _app(tmp_path, "flask==3.1.0\ngunicorn==21.2.0\n")
    text = requirements.deploy_text(app, "requirements.txt", RUNTIME, "run", cache=tmp_path / "cache", union=RUNTIME)
    assert (_pins(text)["functions-framework"], _pins(text)["gunicorn"]) == ("3.8.0", "21.2.0")
    # Without such a pin, the top of the range: the release the runner is built and tested on.
    app = _app(tmp_path / "plain", "flask==3.1.0\n")
    text = requirements.deploy_text(app, "requirements.txt", RUNTIME, "run", cache=tmp_path / "cache", union=RUNTIME)
    top = FUNCTIONS_FRAMEWORK.rpartition("<=")[2]
    assert (_pins(text)["functions-framework"], _pins(text)["gunicorn"]) == (top, GUNICORN.split("==")[1])


def test_a_runtime_the_range_cannot_hold_is_the_resolvers_line_naming_both(tmp_path: Path) -> None:
    app = _app(tmp_path, "flask==3.1.0\nfunctions-framework==3.5.0\n")
    with pytest.raises(BuildFailed) as caught:
        requirements.deploy_text(app, "requirements.txt", RUNTIME, "run", cache=tmp_path / "cache", union=RUNTIME)
    message = caught.value.message
    assert "\n" not in message
    assert "functions-framework==3.5.0" in message and "unsatisfiable" in message


def test_an_app_that_admits_flaskships_pin_gets_it(tmp_path: Path) -> None:
    # Plain `gunicorn` (most Heroku apps) must not float to the newest release: every app that
    # can take it gets the pin, the release the rest of flaskship is run on.
    for line in ("gunicorn", "gunicorn>=20", "gunicorn[gevent]", "gunicorn==21.2.0 ; python_version < '3.0'"):
        app = _app(tmp_path / line.split()[0].replace(">", "").replace("=", ""), f"flask==3.1.0\n{line}\n")
        text = requirements.deploy_text(app, "requirements.txt", IMAGES, "run", cache=tmp_path / "cache",
                                        union=IMAGES)
        assert _pins(text)["gunicorn"] == GUNICORN.split("==")[1], line


def test_a_pin_above_the_tested_range_is_refused_naming_both(tmp_path: Path) -> None:
    app = _app(tmp_path, "flask==3.1.0\ngunicorn>=28\n")
    with pytest.raises(BuildFailed) as caught:
        requirements.deploy_text(app, "requirements.txt", IMAGES, "run", cache=tmp_path / "cache", union=IMAGES)
    assert "\n" not in caught.value.message
    assert f"you require gunicorn>=28 and gunicorn>=21.2.0,<={CEILINGS['gunicorn']}" in caught.value.message


def test_an_app_that_needs_a_gunicorn_newer_than_the_pin_gets_it_up_to_the_ceiling(tmp_path: Path) -> None:
    # dribdat pins gunicorn==25.3.0: every lock failed, "gunicorn>=21.2.0,<=23.0.0" beside it.
    for line, locked in (("gunicorn==25.3.0", "25.3.0"), ("gunicorn>=24", CEILINGS["gunicorn"]),
                         ("gunicorn~=24.1", "24.1.1")):
        app = _app(tmp_path / locked / line.replace(">", "").replace("=", "").replace("~", ""),
                   f"flask==3.1.0\n{line}\n")
        text = requirements.deploy_text(app, "requirements.txt", IMAGES, "run", cache=tmp_path / "cache",
                                        union=IMAGES)
        assert _pins(text)["gunicorn"] == locked, line


def test_what_a_dot_line_and_a_constraint_file_name_counts_as_the_apps_own(tmp_path: Path) -> None:
    app = _app(tmp_path, ".[prod]\n-c constraints.txt\n")
    (app / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "1"\ndependencies = ["Flask>=3"]\n'
                                        '[project.optional-dependencies]\nprod = ["Gunicorn ~= 21.2"]\n')
    (app / "constraints.txt").write_text("flask==3.1.0\n")
    expanded = reqlines.expand((app / "requirements.txt").read_text(), app / "requirements.txt", app, "run: ")
    named = serverpins.app_names(expanded, app, "run: ")
    assert sorted(named) == ["flask", "gunicorn"]
    assert serverpins.own_lines(RUNTIME, named, False, "") == (FUNCTIONS_FRAMEWORK, "gunicorn>=21.2.0,<=23.0.0")
    loose = reqlines.Entry("named", "gunicorn>=20", "requirements.txt", 1, spec="gunicorn>=20", name="gunicorn")
    assert serverpins.own_lines(IMAGES, {"gunicorn": loose}, False, "") == IMAGES  # it admits the pin


def test_a_dot_lines_setup_cfg_dependencies_count_as_the_apps_own(tmp_path: Path) -> None:
    # zou: `-e .[dev,test]`, a pyproject.toml with tool settings only, and gunicorn==26.0.0 in
    # setup.cfg's install_requires; unseen, our pin beside it made every target's lock fail.
    app = _app(tmp_path, "-e .[dev,test]\n")
    (app / "pyproject.toml").write_text("[tool.black]\nline-length = 79\n")
    (app / "setup.cfg").write_text("[metadata]\nname = zou\n\n[options]\ninstall_requires =\n    flask==3.1.3\n"
                                   "    gunicorn==26.0.0\n\n[options.extras_require]\ndev =\n    wheel\n\n"
                                   "test =\n    # pinned for the CI\n    pytest==9.0.3\n\nprod =\n    sentry-sdk\n")
    expanded = reqlines.expand((app / "requirements.txt").read_text(), app / "requirements.txt", app, "run: ")
    named = serverpins.app_names(expanded, app, "run: ")
    assert sorted(named) == ["flask", "gunicorn", "pytest", "wheel"]  # not prod's: not asked for
    assert named["gunicorn"].file == "setup.cfg"
    # The platform's line becomes the tested range, which the app's own pin then picks from.
    assert serverpins.own_lines(IMAGES, named, False, "") == (f"gunicorn>={FLOORS['gunicorn']},<={CEILINGS['gunicorn']}",)
    (app / "setup.cfg").write_text("[options\n")  # unreadable: nothing named, the lock says what is wrong
    assert serverpins.app_names(expanded, app, "run: ") == {}


def test_in_hash_mode_the_apps_hashed_pin_stands_alone_and_is_checked_against_the_range() -> None:
    def named(version: str) -> dict[str, reqlines.Entry]:
        hashed = f"gunicorn=={version} --hash=sha256:" + "a" * 64 + "\n"
        return reqlines.expand(hashed, Path("requirements.txt"), Path("."), "run: ", "requirements.txt").named()

    # pip's hash-checking mode takes no range: the platform's line is left out.
    assert serverpins.own_lines(RUNTIME, named("21.2.0"), True, "run: ") == (FUNCTIONS_FRAMEWORK,)
    assert serverpins.own_lines(IMAGES, named("23.0.0"), True, "run: ") == IMAGES  # the same pin: hashpins keeps one
    for outside in ("20.1.0", "28.0.0"):
        with pytest.raises(BuildFailed) as caught:
            serverpins.own_lines(IMAGES, named(outside), True, "run: app.requirements: ")
        assert caught.value.message.startswith(f"run: app.requirements: requirements.txt line 1: gunicorn=={outside}: ")
        assert f"tested on gunicorn {FLOORS['gunicorn']} to {CEILINGS['gunicorn']}" in caught.value.message


def test_a_pyproject_dependency_on_gunicorn_is_the_apps_own(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "1"\n'
                                             'dependencies = ["Flask>=3", "Gunicorn ~= 21.2"]\n')
    named = serverpins.pyproject_names(tmp_path / "pyproject.toml")
    assert sorted(named) == ["flask", "gunicorn"]
    assert serverpins.own_lines(RUNTIME, named, False, "") == (FUNCTIONS_FRAMEWORK, "gunicorn>=21.2.0,<=23.0.0")


def test_the_union_holds_the_lines_of_the_kinds_given_in_one_order() -> None:
    assert lock.union_of([IMAGES]) == IMAGES
    assert lock.union_of([IMAGES, RUNTIME]) == lock.union_of([RUNTIME]) == lock.PLATFORMS


def test_a_lock_the_functions_runtime_breaks_fails_only_the_targets_that_bring_it(tmp_path: Path) -> None:
    # A frozen file that pins what every functions-framework in the range needs newer
    # (cloudevents 1.2.0 or later) cannot hold the functions runtime. The functions target's
    # line says whose runtime it is; the heroku target locks without it, as a manifest
    # without the functions target does, and says so once.
    app = _app(tmp_path, "flask==3.1.0\ncloudevents==1.1.0\n")
    (app / "wsgi.py").write_text("from flask import Flask\napp = Flask(__name__)\n")
    manifest_text = "app: {source: app, static: null}\ntargets:\n  web: {kind: heroku, app: web}\n"
    said: list[object] = []

    def job(text: str, name: str) -> BuildJob:
        (tmp_path / "targets.yaml").write_text(text)
        project = manifest.load(tmp_path / "targets.yaml")
        return BuildJob(project, name, project.target(name), tmp_path / "staging", said.append)

    both = manifest_text + "  fn: {kind: functions, region: us-central1}\n"
    with pytest.raises(BuildFailed) as caught:
        job(both, "fn").lock()
    assert "\n" not in caught.value.message
    assert caught.value.message.startswith("fn: app.requirements: requirements.txt: cannot lock"), caught.value.message
    assert caught.value.message.endswith(f"; {FUNCTIONS_FRAMEWORK} is in the lock only for the target(s) fn "
                                         "(a manifest without them does not lock it)")
    web = job(both, "web")
    web.lock()
    assert web.locked is not None and "cloudevents==1.1.0" in web.requirements(IMAGES)
    assert [str(line) for line in said if "warning" in str(line)] == [
        f"  web: warning: the app's requirements cannot be locked with {FUNCTIONS_FRAMEWORK} (for fn only); "
        "this target's lock leaves it out"]
    alone = job(manifest_text, "web")
    alone.lock()
    assert alone.locked == web.locked  # the same lock as with no functions target at all


def test_init_says_what_the_build_will_refuse_in_the_apps_own_gunicorn_pin(tmp_path: Path) -> None:
    app = _app(tmp_path, "flask==3.1.0\n-r more.txt\n")
    (app / "more.txt").write_text("gunicorn==20.1.0\n")
    assert server_pin_problem(app, "requirements.txt") == (
        f"more.txt line 1: gunicorn==20.1.0: flaskship's gunicorn settings are tested on gunicorn "
        f"{FLOORS['gunicorn']} to {CEILINGS['gunicorn']}; pin one of those, or remove the line to get {GUNICORN}")
    (app / "more.txt").write_text("gunicorn==21.2.0\n")
    assert server_pin_problem(app, "requirements.txt") is None
    (app / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "1"\ndependencies = ["gunicorn==28.0.0"]\n')
    assert (server_pin_problem(app, "pyproject.toml") or "").startswith(
        "pyproject.toml [project] dependencies: gunicorn==28.0.0: flaskship's gunicorn settings are tested on")
    assert server_pin_problem(app, "uv.lock") is None  # no such file: the build says so


def test_init_reads_a_lock_files_gunicorn_pin_as_the_build_does(tmp_path: Path) -> None:
    # bluelog's Pipfile.lock pins gunicorn 20.0.4: init passed, then the build refused it, telling
    # the user to remove a line from a JSON lock.
    app = tmp_path / "pipenv_app"
    shutil.copytree(REPO / "tests/fixtures/apps/pipenv_app", app)
    lock = json.loads((app / "Pipfile.lock").read_text())
    lock["default"]["gunicorn"] = {"hashes": [], "index": "pypi", "version": "==20.0.4"}
    (app / "Pipfile.lock").write_text(json.dumps(lock, indent=4))
    problem = server_pin_problem(app, "Pipfile.lock") or ""
    assert problem.startswith("Pipfile.lock (as exported) line ") and ": gunicorn==20.0.4: " in problem, problem
    assert problem.endswith(f"lock one of those (`pipenv install 'gunicorn>={FLOORS['gunicorn']},"
                            f"<={CEILINGS['gunicorn']}'`), or drop gunicorn from the project to get {GUNICORN}")
    lock["default"]["gunicorn"]["version"] = "==23.0.0"
    (app / "Pipfile.lock").write_text(json.dumps(lock, indent=4))
    assert server_pin_problem(app, "Pipfile.lock") is None


@pytest.mark.parametrize(("flask", "kept"), [
    ("flask==1.1.2", True), ("Flask>=1.0,<2", True), ("flask~=0.12", True), ("flask<=1.1.4", True),
    ("flask==1.*", True), ("flask==2.0.0", False), ("flask==2.2.5", False), ("flask>=1.0", False),
    ("flask<2.1", False), ("flask", False), ("requests==2.32.3", False),
])
def test_an_app_on_a_flask_before_2_gets_pkg_resources_back(tmp_path: Path, flask: str, kept: bool) -> None:
    # bluelog pins flask==1.1.2, whose CLI finds Flask-Migrate's `flask db` through pkg_resources:
    # without setuptools in the lean venv its release step said "No such command 'db'".
    from targets.pins import PKG_RESOURCES
    app = _app(tmp_path, f"{flask}\nFlask-Migrate==2.5.2\n")
    text = requirements.deploy_text(app, "requirements.txt", (GUNICORN,), "t")
    assert (PKG_RESOURCES in text.splitlines()) is kept, text
    (app / "requirements.txt").write_text(f"{flask}\nsetuptools==69.5.1\n")  # the app's own choice stands
    assert PKG_RESOURCES not in requirements.deploy_text(app, "requirements.txt", (GUNICORN,), "t").splitlines()


@pytest.mark.parametrize(("flask", "kept"), [("flask==1.1.4", True), ("flask>=2.0", False)])
def test_a_pyproject_app_on_a_flask_before_2_gets_pkg_resources_back_too(tmp_path: Path, flask: str,
                                                                        kept: bool) -> None:
    from targets.pins import PKG_RESOURCES
    app = tmp_path / "app"
    app.mkdir()
    (app / "pyproject.toml").write_text(f'[project]\nname = "old"\nversion = "0.1"\ndependencies = ["{flask}"]\n')
    text = requirements.deploy_text(app, "pyproject.toml", (GUNICORN,), "t")
    assert (PKG_RESOURCES in text.splitlines()) is kept, text


def test_an_app_whose_dependencies_need_a_newer_python_than_debians_is_locked_for_its_own(tmp_path: Path) -> None:
    # Django 6.0 needs Python 3.12. The lock is tried for 3.11 too (Debian's, which a stand-in
    # may be), and that must not fail an app that says 3.12; a real conflict is then told for
    # the app's own Python, not for 3.11.
    app = _app(tmp_path, "flask==3.1.0\ndjango==6.0\n")
    (app / "wsgi.py").write_text("from flask import Flask\napp = Flask(__name__)\n")
    (tmp_path / "targets.yaml").write_text("app: {source: app, static: null}\ndefaults: {python: '3.12'}\n"
                                           "targets:\n  web: {kind: heroku, app: web}\n")
    project = manifest.load(tmp_path / "targets.yaml")
    web = BuildJob(project, "web", project.target("web"), tmp_path / "staging", lambda _line: None)
    web.lock()
    assert _pins(web.requirements(IMAGES))["django"] == "6.0"
    (app / "requirements.txt").write_text("flask==3.1.0\ndjango==6.0\nasgiref==3.8.1\n")  # Django 6.0 needs 3.9.1+
    with pytest.raises(BuildFailed) as caught:
        web.lock()
    assert "for Python >= 3.12: " in caught.value.message and "3.11" not in caught.value.message, caught.value.message


def test_a_setup_py_literal_pin_is_the_apps_own_and_a_computed_one_gets_the_way_on(tmp_path: Path) -> None:
    # A setup.py is code, never run; its literal arguments are read (build/setupmeta.py), so a
    # literal gunicorn pin is the app's own as a setup.cfg one is, and the lock takes it.
    app = _app(tmp_path, ".\n")
    (app / "setup.py").write_text("from setuptools import setup\n"
                                  "setup(name='tracker', version='1.0', py_modules=[], install_requires=['gunicorn==26.0.0'])\n")
    text = requirements.deploy_text(app, "requirements.txt", IMAGES, "run", cache=tmp_path / "cache", union=IMAGES)
    assert _pins(text)["gunicorn"] == "26.0.0"
    # One made at run time is found only by uv's resolution, which then fails beside flaskship's
    # pin; the failure says how to make the pin one flaskship reads.
    (app / "setup.py").write_text("from setuptools import setup\nSERVER = 'gunicorn'\n"
                                  "setup(name='tracker', version='1.0', py_modules=[], install_requires=[SERVER + '==26.0.0'])\n")
    with pytest.raises(BuildFailed) as caught:
        requirements.deploy_text(app, "requirements.txt", IMAGES, "run", cache=tmp_path / "cache", union=IMAGES)
    assert "depends on gunicorn==26.0.0" in caught.value.message, caught.value.message
    assert caught.value.message.endswith("; where the app's own package pins gunicorn (in a setup.py, made at run time, "
                                         "which flaskship does not run), name that pin in the requirements file as "
                                         "well: flaskship then locks gunicorn within the releases its settings are "
                                         "tested on")
    (app / "requirements.txt").write_text(".\ngunicorn==26.0.0\n")  # the way on, taken
    text = requirements.deploy_text(app, "requirements.txt", IMAGES, "run", cache=tmp_path / "cache", union=IMAGES)
    assert _pins(text)["gunicorn"] == "26.0.0"
