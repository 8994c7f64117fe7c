"""invoke init's detection, without Docker: the static scan, the version rules,
the YAML writer, the refusals, and one real probe in a throwaway venv."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from targets import manifest
from targets.appscan import candidates, detect, versions
from targets.appscan.deps import dependencies
from targets.appscan.detect import Detected, Found
from targets.appscan.errors import InitError
from targets.appscan.lockcheck import lock_problems
from targets.appscan.render import render
from targets.appscan.services import Service
from targets.pins import FUNCTIONS_FRAMEWORK
from tests.helpers import REPO, assert_one_clear_line, invoke

OBJECT = "from flask import Flask\n\napp = Flask(__name__)\n"
FACTORY = "import flask\n\n\ndef create_app():\n    return flask.Flask(__name__)\n"


def tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text))
    return root


def entry_of(root: Path) -> str:
    found, _ = candidates.scan(root)
    return candidates.choose(found, root.name).entry


# --- the static candidate finder -------------------------------------------

def test_one_module_level_object(tmp_path: Path) -> None:
    tree(tmp_path, {"server.py": "import flask\napplication: flask.Flask = flask.Flask(__name__)\n",
                    "helpers.py": "def make():\n    pass\n"})
    assert entry_of(tmp_path) == "server:application"


def test_one_factory_in_a_package(tmp_path: Path) -> None:
    tree(tmp_path, {"flaskr/__init__.py": FACTORY, "flaskr/views.py": "from flask import Blueprint\n"})
    assert entry_of(tmp_path) == "flaskr:create_app()"


def test_a_wsgi_object_made_by_the_factory_is_folded_into_it(tmp_path: Path) -> None:
    tree(tmp_path, {"shop/__init__.py": FACTORY.replace("create_app", "make_app"),
                    "wsgi.py": "from shop import make_app\napp = make_app()\n"})
    found, folded = candidates.scan(tmp_path)
    assert [c.entry for c in found] == ["shop:make_app()"]
    assert [c.entry for c in folded] == ["wsgi:app"]
    assert "wsgi:app (wsgi.py) is made by calling it" in candidates.why(found[0], folded)


def test_an_object_that_passes_the_factory_its_configuration_is_the_entry(tmp_path: Path) -> None:
    # bluelog: wsgi.py does create_app('production'); the bare factory would run its development
    # config (SQLite beside the read-only code) and never use the database it was given.
    factory = FACTORY.replace("def create_app():", "def create_app(config_name=None):")
    tree(tmp_path, {"bluelog/__init__.py": factory,
                    "wsgi.py": "from bluelog import create_app\napp = create_app('production')\n",
                    "manage.py": "from bluelog import create_app\ncli_app = create_app()\n"})
    found, folded = candidates.scan(tmp_path)
    assert [c.entry for c in found] == ["wsgi:app"]
    assert "passes the factory the arguments the app deploys with" in candidates.why(found[0], folded)
    # flasky's shape: the arguments come from the environment; still the app's own choice.
    (tmp_path / "wsgi.py").write_text("import os\nfrom bluelog import create_app\n"
                                     "app = create_app(config_name=os.getenv('FLASK_CONFIG') or 'default')\n")
    assert entry_of(tmp_path) == "wsgi:app"


def test_an_object_made_by_a_factory_the_scan_cannot_see_is_the_candidate(tmp_path: Path) -> None:
    tree(tmp_path, {"wsgi.py": "from installed_pkg import create_app\napp = create_app()\n"})
    assert entry_of(tmp_path) == "wsgi:app"


def test_tests_venvs_hidden_folders_and_build_are_not_scanned(tmp_path: Path) -> None:
    tree(tmp_path, {"main.py": OBJECT, "tests/test_x.py": OBJECT, "test_main.py": OBJECT, "conftest.py": OBJECT,
                    "myenv/pyvenv.cfg": "", "myenv/lib/site.py": OBJECT, ".hidden/a.py": OBJECT,
                    "build/b.py": OBJECT, "my-script.py": OBJECT, "broken.py": "def (:\n"})
    assert entry_of(tmp_path) == "main:app"


def test_two_objects_are_ambiguous_and_both_are_listed(tmp_path: Path) -> None:
    tree(tmp_path, {"app.py": OBJECT, "admin/site.py": OBJECT})
    with pytest.raises(InitError) as raised:
        entry_of(tmp_path)
    message = str(raised.value)
    assert "found 2 Flask apps" in message and "--entry" in message and "\n" not in message
    assert "admin.site:app (admin/site.py)" in message and "app:app (app.py)" in message


def test_an_object_and_a_factory_elsewhere_are_ambiguous(tmp_path: Path) -> None:
    tree(tmp_path, {"app.py": OBJECT, "factory.py": FACTORY})
    with pytest.raises(InitError, match=r"app:app \(app.py\), factory:create_app\(\) \(factory.py\)"):
        entry_of(tmp_path)


def settled(root: Path) -> tuple[str, str]:
    found, folded = candidates.scan(root)
    found, taken = candidates.settle(found, root)
    chosen = candidates.choose(found, root.name)
    return chosen.entry, candidates.why(chosen, folded, taken)


def test_of_several_apps_the_one_a_deploy_file_runs_is_the_entry(tmp_path: Path) -> None:
    # CTFd's docker-entrypoint.sh: exec gunicorn 'CTFd:create_app()' (beside its other factories).
    tree(tmp_path, {"app.py": OBJECT, "factory.py": FACTORY,
                    "entry.sh": "#!/bin/sh\nset -e\nexec gunicorn 'factory:create_app()' \\\n  --bind 0.0.0.0:8000\n"})
    entry, why = settled(tmp_path)
    assert entry == "factory:create_app()"
    assert why.endswith("; entry.sh line 3 runs gunicorn on it (of app:app, factory:create_app())"), why
    (tmp_path / "entry.sh").unlink()
    (tmp_path / "Dockerfile").write_text('FROM python:3.12\nCMD ["gunicorn", "-b", "0.0.0.0:$PORT", "app:app"]\n')
    assert settled(tmp_path)[0] == "app:app"
    (tmp_path / "Dockerfile").unlink()
    (tmp_path / "Procfile").write_text("web: gunicorn --workers 2 --bind 127.0.0.1:8000 nothing:here\n")
    with pytest.raises(InitError, match="found 2 Flask apps"):  # a line naming no candidate settles nothing
        settled(tmp_path)


def test_the_entry_a_procfile_runs_is_taken_though_its_factory_has_another_name(tmp_path: Path) -> None:
    # dribdat: its factory is `init_app`, found by no name rule, beside two click helpers' create_app;
    # the Procfile's web line runs a module that patches for gevent workers, its next line the factory.
    helper = "from flask import Flask\ndef create_app():\n    return Flask(__name__)\n"
    tree(tmp_path, {"cli.py": helper, "manage.py": helper,
                    "dribdat/__init__.py": "", "dribdat/app.py": "from flask import Flask\n"
                                                                  "def init_app(config_object=None):\n"
                                                                  "    return Flask(__name__)\n",
                    "patched.py": "from gevent.monkey import patch_all\npatch_all()\nfrom dribdat.app import init_app\n",
                    "Procfile": "web: gunicorn --config=gunicorn.conf.py patched:init_app\\(\\)\n"
                                "default: gunicorn dribdat.app:init_app() -b 0.0.0.0:$DEFAULT_PORT -w 3\n"})
    entry, why = settled(tmp_path)
    assert entry == "dribdat.app:init_app()", why
    assert "Procfile line 2 runs gunicorn on it (of cli:create_app(), manage:create_app())" in why
    assert why.endswith("not Procfile line 1's patched:init_app(), whose module monkey-patches for gevent or "
                        "eventlet workers (flaskship's are gthread or sync)"), why
    # Without the patching, the web line's module re-exports the factory: that is the entry.
    (tmp_path / "patched.py").write_text("from dribdat.app import init_app\n")
    assert settled(tmp_path)[0] == "patched:init_app()"


def test_of_several_apps_the_object_in_wsgi_py_is_the_entry(tmp_path: Path) -> None:
    # flaskbb: wsgi.py's `flaskbb = create_app(config=...)`, and cli/main.py's click helper `def make_app`.
    tree(tmp_path, {"forum/__init__.py": "from .app import create_app\n",
                    "forum/app.py": FACTORY.replace("def create_app():", "def create_app(config=None):"),
                    "forum/cli/main.py": "def make_app(script_info=None):\n    from forum import create_app\n"
                                         "    return create_app()\n",
                    "wsgi.py": "from forum import create_app\nforum = create_app(config='forum.cfg')\n"})
    entry, why = settled(tmp_path)
    assert entry == "wsgi:forum"
    assert why.endswith("; wsgi.py is the module named for the WSGI entry (of forum.cli.main:make_app(), wsgi:forum)"), why


def test_a_wsgi_modules_application_is_the_entry_when_nothing_else_is_found(tmp_path: Path) -> None:
    # anitya: anitya/wsgi.py binds `application = create()`, a factory by another name.
    tree(tmp_path, {"anitya/__init__.py": "", "anitya/app.py": FACTORY.replace("create_app", "create"),
                    "anitya/wsgi.py": "from .app import create\n\napplication = create()\n"})
    entry, why = settled(tmp_path)
    assert entry == "anitya.wsgi:application"
    assert why == "the only Flask app in the code: module-level application = create(...) in anitya/wsgi.py"


def test_a_wsgi_module_wrapping_a_found_app_is_not_a_second_candidate(tmp_path: Path) -> None:
    tree(tmp_path, {"shop/__init__.py": FACTORY,
                    "wsgi.py": "from werkzeug.middleware.dispatcher import DispatcherMiddleware\n"
                               "from shop import create_app\n\n"
                               "application = DispatcherMiddleware(create_app(), {})\n"})
    assert entry_of(tmp_path) == "shop:create_app()"


def test_no_flask_app_is_an_error_naming_entry(tmp_path: Path) -> None:
    tree(tmp_path, {"main.py": "print('hello')\n", "tests/conftest.py": OBJECT})
    with pytest.raises(InitError, match="no Flask app found.*--entry module:attr"):
        entry_of(tmp_path)


# --- Python version and dependency file --------------------------------------

@pytest.mark.parametrize("files, version, source", [
    ({".python-version": "3.11.7\n", "runtime.txt": "python-3.10.4"}, "3.11", ".python-version"),
    ({"runtime.txt": "python-3.10.14\n"}, "3.10", "runtime.txt"),
    ({"pyproject.toml": '[project]\nname = "x"\nrequires-python = ">=3.9,<3.12"\n'}, "3.11", "requires-python"),
    ({"pyproject.toml": '[project]\nname = "x"\nrequires-python = "~=3.10.2"\n'}, "3.10", "requires-python"),
    ({"pyproject.toml": '[project]\nname = "x"\nrequires-python = ">=3.14"\n'}, "3.12", "allows none"),
    ({".python-version": "system\n"}, "3.12", "names no CPython"),
    ({"Pipfile.lock": '{"_meta": {"requires": {"python_version": "3.9"}}}'}, "3.9", "Pipfile.lock's python_version"),
    ({"Pipfile": '[requires]\npython_version = "3.11"\n'}, "3.11", "Pipfile's python_version"),
    ({"Pipfile.lock": '{"_meta": {"requires": {"python_version": "3.7"}}}'}, "3.12", "older than 3.8"),
    # flask-shop: the lock the images install was resolved for 3.12; its Dockerfile's 3.10 installs another file.
    ({"Pipfile.lock": '{"_meta": {"requires": {"python_version": "3.12"}}}', "Dockerfile": "FROM python:3.10\n"},
     "3.12", "resolved for it (over the Dockerfile's FROM python:3.10)"),
    ({"Pipfile": '[requires]\npython_version = "3.12"\n', "Dockerfile": "FROM python:3.10\n"}, "3.10", "Dockerfile"),
    ({"Pipfile.lock": '{"_meta": {"requires": {"python_version": "3.12"}}}', "Dockerfile": "FROM python:3.10\n",
      "uv.lock": 'requires-python = ">=3.9"\n'}, "3.10", "Dockerfile"),
    # zou: setup(python_requires=">=3.10, <3.15"), read as a literal, never run.
    ({"setup.py": 'from setuptools import setup\nsetup(python_requires=">=3.10, <3.15")\n'}, "3.13",
     "setup.py's python_requires '>=3.10, <3.15'"),
    ({"setup.cfg": "[options]\npython_requires = >=3.9,<3.12\n"}, "3.11", "setup.cfg's python_requires"),
    ({"pyproject.toml": '[project]\nname = "x"\nrequires-python = ">=3.10,<3.11"\n',
      "setup.py": 'from setuptools import setup\nsetup(python_requires=">=3.12")\n'}, "3.10", "pyproject.toml's"),
    ({}, "3.12", "flaskship's default"),
])
def test_python_version_rules(tmp_path: Path, files: dict[str, str], version: str, source: str) -> None:
    tree(tmp_path, files)
    found, why = versions.python_version(tmp_path)
    assert (found, source in why) == (version, True), why


def test_a_python_older_than_init_can_probe_on_is_one_line_naming_the_file(tmp_path: Path) -> None:
    # realworld's .python-version 3.7 made init's probe fail on importlib.metadata, a line
    # that blamed the app's import.
    tree(tmp_path, {".python-version": "3.7\n"})
    with pytest.raises(InitError, match=r"^\.python-version says 3\.7: Python 3\.7 is older than the 3\.8 .* "
                                        r"name 3\.8 or later there"):
        versions.python_version(tmp_path)
    tree(tmp_path, {".python-version": "3.8\n"})
    assert versions.python_version(tmp_path)[0] == "3.8"


def test_requirements_txt_is_preferred_over_pyproject(tmp_path: Path) -> None:
    tree(tmp_path, {"requirements.txt": "flask\n", "pyproject.toml": '[project]\nname = "x"\n'})
    deps = dependencies(tmp_path)
    assert deps.file == "requirements.txt" and "preferred over the pyproject.toml" in deps.why
    (tmp_path / "requirements.txt").unlink()
    assert dependencies(tmp_path).file == "pyproject.toml"
    (tmp_path / "pyproject.toml").write_text("[tool.poetry]\nname = 'x'\n")
    with pytest.raises(InitError, match=r"no PEP 621 \[project\] table"):
        dependencies(tmp_path)


# --- what the probe saw -> manifest values (pure) ------------------------------

def test_static_folder_mapping(tmp_path: Path) -> None:
    app = tree(tmp_path / "app", {"public/a.css": "", "pkg/static/b.css": ""})
    site = tmp_path / "venv/lib/site-packages"
    (site / "pkg/static").mkdir(parents=True)
    static, url = detect.static_of(app, str(app / "public"), "", str(app))
    assert (static.value, url.value) == ("public", "/")
    static, url = detect.static_of(app, str(site / "pkg/static"), "/static/", str(site))
    assert (static.value, url.value) == ("pkg/static", "/static") and "mapped back" in static.why
    assert detect.static_of(app, str(app / "missing"), "/static", str(app))[0].value is None
    assert detect.static_of(app, None, None, str(app))[0].value is None


def test_routes_that_all_redirect_to_one_page_keep_a_few_checks_and_say_so() -> None:
    # CTFd before its setup: 85 of 89 routes answered 302 to /setup, and smoke ran them all.
    routes = [{"path": f"/page{n}", "status": 302, "content_type": "text/html", "location": "/setup"} for n in range(6)]
    routes += [{"path": "/login", "status": 302, "content_type": "text/html", "location": "/auth"},
               {"path": "/setup", "status": 200, "content_type": "text/html"}]
    checks, skipped = detect.checks_of(routes)
    assert [c["path"] for c in checks] == ["/page0", "/page1", "/page2", "/login", "/setup"]
    assert skipped == ["3 more GET routes answered 302 to /setup (6 in all: the app sends everything there)"]


def test_checks_skip_5xx_and_health_prefers_a_health_route() -> None:
    routes = [{"path": "/", "status": 500, "content_type": "text/html"},
              {"path": "/about", "status": 302, "content_type": "text/html"},
              {"path": "/status", "status": 200, "content_type": "application/json"}]
    checks, skipped = detect.checks_of(routes)
    assert checks == [{"path": "/about", "status": 302, "content_type": "text/html"},
                      {"path": "/status", "status": 200, "content_type": "application/json"}]
    assert skipped == ["GET / answered 500"]
    assert detect.health_of(checks).value == "/status"
    assert detect.health_of(checks[:1]).value == "/"
    # CTFd's name for it: its home page redirects to /setup until the CTF is set up.
    assert detect.health_of([{"path": "/"}, {"path": "/healthcheck"}]).value == "/healthcheck"


def test_health_is_never_a_route_that_failed_in_the_probe_when_another_answered() -> None:
    # anitya: / answered 500 without its database's tables, /api/version 200; smoke's boot on /
    # then failed every target at once.
    routes = [{"path": "/", "status": 500}, {"path": "/login", "status": 302, "location": "/x"},
              {"path": "/projects/updates", "status": 200}, {"path": "/api/version", "status": 200}]
    checks, _ = detect.checks_of(routes)
    found = detect.health_of(checks)
    assert found.value == "/api/version" and "the shortest GET route that answered 200" in found.why
    # A home page that answered (a redirect too) is still the home page.
    assert detect.health_of(detect.checks_of([{"path": "/", "status": 302, "location": "/x"},
                                              {"path": "/api", "status": 200}])[0]).value == "/"
    # Nothing answered 200: the home page, saying so and how to fix it.
    nothing = detect.health_of(detect.checks_of([{"path": "/", "status": 500}, {"path": "/a", "status": 302}])[0])
    assert nothing.value == "/" and "no GET route answered 200" in nothing.why and "add a health route" in nothing.why


def test_dns_label() -> None:
    assert detect.dns_label("My_Flask App!") == "my-flask-app"
    assert detect.dns_label("2048-game") == "game"
    assert detect.dns_label("___") == "flask-app"
    assert len(detect.dns_label("a" * 80)) == 30


# --- the YAML writer -------------------------------------------------------------

def test_the_written_yaml_loads_as_the_manifest_build_reads() -> None:
    detected = Detected("odd app", "odd-app", Found("pkg.web:create_app('prod', debug=False)", "why: #1 \"quoted\"\n"),
                        Found("requirements.txt", "found"), Found(None, "none"), Found("/", "root"),
                        Found("3.10", "runtime.txt"), Found("/healthz", "route"),
                        ({"path": "/a%C3%A9?x=1", "status": 200, "content_type": "text/html"},),
                        ("GET / answered 503",))
    text = render(detected, "web/odd")
    parsed = manifest.parse(yaml.safe_load(text))
    assert parsed.app.source == "web/odd" and parsed.app.entry == "pkg.web:create_app('prod', debug=False)"
    assert parsed.app.static is None and parsed.app.static_url == "/"
    assert parsed.defaults.python == "3.10"  # quoted: not the float 3.1
    assert [(c.path, c.status, c.content_type) for c in parsed.smoke.checks] == [("/a%C3%A9?x=1", 200, "text/html")]
    assert sorted((n, t.kind) for n, t in parsed.targets.items()) == [
        ("cloudrun", "cloudrun"), ("compose", "compose"), ("functions", "functions"), ("heroku", "heroku")]
    assert parsed.targets["cloudrun"].service_id == parsed.targets["heroku"].app == "odd-app"
    assert "# skipped: GET / answered 503" in text and "app.prestart" in text


@pytest.mark.parametrize(("flask", "functions"), [("1.1.2", False), ("2.0.3", True), ("", True)])
def test_an_app_on_flask_1_gets_no_functions_target_and_the_reason(flask: str, functions: bool) -> None:
    detected = Detected("old", "old", Found("wsgi:app", "why"), Found("requirements.txt", "found"),
                        Found("static", "found"), Found("/static", "url"), Found("3.10", "pins"),
                        Found("/", "route"), (), (), flask_version=flask)
    text = render(detected, ".")
    parsed = manifest.parse(yaml.safe_load(text))
    assert ("functions" in parsed.targets) is functions
    assert ("# left out: the app runs Flask 1.1.2, and functions-framework needs Flask 2.0" in text) is not functions
    assert "kind: functions" in text  # there to uncomment, once the app moves to Flask 2


def test_init_loads_no_docker() -> None:
    code = "import sys, targets.commands.init; print(sorted(m for m in ('docker', 'targets.engine') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_init_leaves_out_the_functions_target_when_its_runtime_cannot_be_locked_with_the_app(tmp_path: Path) -> None:
    # pip installs cloudevents 1.1.0 for the probe; every functions-framework in the range
    # needs 1.2 or later, so the build's lock (uv's) refuses it for the functions target only.
    app = tree(tmp_path / "site", {"main.py": OBJECT, "requirements.txt": "flask==3.1.0\ncloudevents==1.1.0\n"})
    detected = Detected("site", "site", Found("main:app", "why"), Found("requirements.txt", "found"),
                        Found(None, "none"), Found("/", "url"), Found("3.12", "default"), Found("/", "route"), (), ())
    path = app / "targets.yaml"
    path.write_text(render(detected, "."))
    lines: list[str] = []
    problems, functions_out = lock_problems(path, lines.append)
    assert problems == [] and functions_out is not None
    assert functions_out.startswith(f"the app's requirements cannot be locked with {FUNCTIONS_FRAMEWORK} (because ")
    assert "cloudevents==1.1.0" in functions_out and "\n" not in functions_out
    assert any("locking the dependencies for Python >= " in line for line in lines)
    assert not any("warning" in line for line in lines)  # init words it once, in its report
    text = render(replace(detected, functions_out=functions_out), ".")
    assert "functions" not in manifest.parse(yaml.safe_load(text)).targets
    assert f"# left out: {functions_out}; uncomment it once they can be" in text
    # The same check on a manifest whose lock fails for every target names them all, once.
    (app / "requirements.txt").write_text("flask==3.1.0\nwerkzeug==2.0.0\n")  # Flask 3.1 needs Werkzeug 3.1
    problems, functions_out = lock_problems(path, lines.append)
    assert functions_out is None and len(problems) == 1, problems
    assert problems[0].startswith("`invoke build` will stop on cloudrun, heroku, compose, functions: app.requirements: "
                                  "requirements.txt: cannot lock the dependencies with "), problems
    # dribdat's gunicorn==25.3.0 locks, but under functions-framework it outlives SIGTERM: said before the build.
    (app / "requirements.txt").write_text("flask==3.1.0\ngunicorn==25.3.0\n")
    problems, functions_out = lock_problems(path, lines.append)
    assert functions_out is None and problems == [
        "smoke's sigterm-stop check may fail on functions: the lock has gunicorn 25.3.0: under functions-framework, "
        "gunicorn 24 and later wait on SIGTERM while a kept-alive connection stays open (23.0.0 exits at once), and "
        "the platform kills the instance 10 s later; pin gunicorn<24 in the app's requirements for a clean stop"]


# --- refusals, before any venv is made -----------------------------------------------

def test_an_existing_manifest_is_not_overwritten_without_force(tmp_path: Path) -> None:
    app = tree(tmp_path / "site", {"main.py": OBJECT, "requirements.txt": "flask\n", "targets.yaml": "mine\n"})
    result = invoke("init", "--app", str(app))
    assert_one_clear_line(result, f"{app / 'targets.yaml'} already exists", "--force")
    assert (app / "targets.yaml").read_text() == "mine\n" and not (app / "build").exists()


@pytest.mark.parametrize("pair", ["lower=1", "NO_VALUE", "MULTI=a\nb", "9LIVES=x"])
def test_an_env_pair_init_cannot_use_is_refused_without_echoing_its_value(tmp_path: Path, pair: str) -> None:
    app = tree(tmp_path / "site", {"main.py": OBJECT, "requirements.txt": "flask\n"})
    result = invoke("init", "--app", str(app), "--env", "GOOD=1", "--env", pair)
    assert_one_clear_line(result, f"--env {pair.partition('=')[0]!r}...: write NAME=value")
    assert "a\nb" not in result.stderr and not (app / "targets.yaml").exists() and not (app / "build").exists()


def test_an_app_outside_the_manifests_folder_is_refused(tmp_path: Path) -> None:
    app = tree(tmp_path / "site", {"main.py": OBJECT, "requirements.txt": "flask\n"})
    (tmp_path / "deploy").mkdir()
    result = invoke("init", "--app", str(app), "--manifest", str(tmp_path / "deploy/targets.yaml"))
    assert_one_clear_line(result, "is not inside", "no '..'")
    assert list((tmp_path / "deploy").iterdir()) == [] and not (app / "build").exists()


# --- one real probe, in one venv shared by this module ----------------------------------

@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("init-cache")


WSGI_APP = {
    "requirements.txt": "Flask==3.1.3\n",
    "shopfront/__init__.py": """\
        import os
        from flask import Flask, abort

        if "FLASKSHIP_TEST_CANARY" in os.environ:  # the probe must not see host variables
            raise RuntimeError("host environment leaked into the probe")
        print("noise on stdout at import")

        def create_app():
            app = Flask(__name__, static_folder="files", static_url_path="/files")

            @app.get("/ping")
            def ping():
                return {"ok": True}

            @app.get("/broken")
            def broken():
                abort(503)

            @app.get("/item/<int:n>")
            def item(n):
                return str(n)

            return app
        """,
    "shopfront/files/logo.svg": "<svg/>",
    "wsgi.py": "from shopfront import create_app\napp = create_app()\n",
}


def test_the_probe_confirms_the_entry_in_its_own_venv(tmp_path: Path, cache: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    app = tree(tmp_path / "shopfront-site", WSGI_APP)
    monkeypatch.setenv("FLASKSHIP_TEST_CANARY", "secret")
    lines: list[str] = []
    found = detect.detect(app, cache, None, lines.append)
    assert found.entry.value == "shopfront:create_app()" and "wsgi:app" in found.entry.why
    assert (found.static.value, found.static_url.value) == ("shopfront/files", "/files")
    assert found.checks == ({"path": "/ping", "status": 200, "content_type": "application/json"},)
    assert found.skipped == ("GET /broken answered 503",) and found.health.value == "/ping"
    assert "shopfront" not in sys.modules  # imported only in the venv, never here
    assert not list(app.rglob("__pycache__"))  # and the probe left no bytecode in the app
    again: list[str] = []
    detect.detect(app, cache, "wsgi:app", again.append)
    assert any("reusing the probe venv" in line for line in again), again


def test_the_procfiles_release_command_becomes_app_release_and_a_script_is_named(tmp_path: Path, cache: Path) -> None:
    app = tree(tmp_path / "site", {**WSGI_APP, "Procfile": "web: gunicorn wsgi:app\nrelease: python -m shopfront\n"})
    found = detect.detect(app, cache, None, lambda _line: None)
    assert found.release == Found("python -m shopfront", "Procfile line 2 runs it once per deploy")
    assert found.release_note == ""
    text = render(found, ".")
    assert manifest.parse(yaml.safe_load(text)).app.release == "python -m shopfront"
    # dribdat's ./release.sh is not taken, and the manifest and init's report say so.
    (app / "Procfile").write_text("release: ./release.sh\n")
    found = detect.detect(app, cache, None, lambda _line: None)
    assert found.release is None and found.release_note.startswith("Procfile line 1 runs './release.sh', a script")
    assert f"  # warning: {found.release_note}" in render(found, ".")


def test_an_app_that_exits_at_import_is_told_what_it_logged_and_runs_with_env_given(tmp_path: Path,
                                                                                  cache: Path) -> None:
    # searxng logs why, then sys.exit(1), unless its secret is changed; init said only `SystemExit: 1`.
    guard = ("import logging, os, sys\n"
             "logging.basicConfig()\n"
             "if os.environ.get('SITE_SECRET', 'ultrasecretkey') == 'ultrasecretkey':\n"
             "    logging.getLogger('site.webapp').error('server.secret_key is not changed.')\n"
             "    sys.exit(1)\n")
    app = tree(tmp_path / "site", {**WSGI_APP, "wsgi.py": guard + WSGI_APP["wsgi.py"]})
    with pytest.raises(InitError) as raised:
        detect.detect(app, cache, "wsgi:app", lambda _line: None)
    assert "SystemExit: 1" in str(raised.value)
    assert "; the app logged: ERROR:site.webapp:server.secret_key is not changed.; fix it, give the probe a " \
           "variable it needs with --env NAME=value, or name the app with --entry" in str(raised.value)
    # An exit with no level on its last line (a print, logging's last resort): that line says why.
    (app / "wsgi.py").write_text(guard.replace("logging.basicConfig()\n", "") + WSGI_APP["wsgi.py"])
    with pytest.raises(InitError, match="; the app logged: server.secret_key is not changed.; fix it"):
        detect.detect(app, cache, "wsgi:app", lambda _line: None)
    found = detect.detect(app, cache, "wsgi:app", lambda _line: None, {"SITE_SECRET": "k9-never-written", "SITE_MODE": "demo"})
    assert found.given == (("SITE_MODE", "demo"), ("SITE_SECRET", "k9-never-written"))
    text = render(found, ".")
    development = manifest.parse(yaml.safe_load(text)).environments["development"]
    assert development.env == {"SITE_MODE": "demo"} and development.secrets == ("SITE_SECRET",)
    assert "k9-never-written" not in text  # a secret's value is never written


def test_a_static_folder_served_by_whitenoise_is_app_static(tmp_path: Path, cache: Path) -> None:
    # searxng: Flask's static folder off, WhiteNoise around app.wsgi_app with a root from its settings.
    app = tree(tmp_path / "search", {
        "requirements.txt": "Flask==3.1.3\nwhitenoise==6.12.0\n",
        "web/__init__.py": """\
            import os
            from flask import Flask
            from whitenoise import WhiteNoise

            SETTINGS = {"static_path": os.path.join(os.path.dirname(__file__), "files")}
            app = Flask(__name__, static_folder=None)
            app.wsgi_app = WhiteNoise(app.wsgi_app, root=SETTINGS["static_path"], prefix="static")

            @app.get("/")
            def home():
                return "home"
            """,
        "web/files/site.css": "body {}",
    })
    found = detect.detect(app, cache, None, lambda _line: None)
    assert (found.static.value, found.static_url.value) == ("web/files", "/static")
    assert "WhiteNoise" in found.static.why and found.static_url.why == "WhiteNoise's prefix 'static'"


def test_an_entry_that_is_not_a_flask_app_is_one_line(tmp_path: Path, cache: Path) -> None:
    app = tree(tmp_path / "site", WSGI_APP)
    with pytest.raises(InitError, match=r"shopfront:abort is a .*, not a flask.Flask") as raised:
        detect.detect(app, cache, "shopfront:abort", lambda _line: None)
    assert "\n" not in str(raised.value)


def test_an_error_the_apps_own_code_raises_at_import_names_its_file_and_line(tmp_path: Path, cache: Path) -> None:
    # flaskbb's NameError (a name imported only under TYPE_CHECKING) named no file.
    app = tree(tmp_path / "site", {**WSGI_APP, "shopfront/hooks.py": "import typing\n\n\ndef hook(d: Distribution):\n"
                                                                     "    pass\n"})
    (app / "wsgi.py").write_text("import shopfront.hooks\nfrom shopfront import create_app\napp = create_app()\n")
    with pytest.raises(InitError) as raised:
        detect.detect(app, cache, "wsgi:app", lambda _line: None)
    message = str(raised.value)
    assert "NameError: name 'Distribution' is not defined (at shopfront/hooks.py line 4, on Python 3." in message, message
    assert message.endswith("; fix it, give the probe a variable it needs with --env NAME=value, or name the app "
                            "with --entry module:attr") and "\n" not in message


def test_an_app_route_under_the_static_url_is_left_out_and_named() -> None:
    # flaskmvc's GET /static/users: a 404 from compose's nginx, the static Cache-Control on Hosting.
    checks = [{"path": "/", "status": 200}, {"path": "/static/users", "status": 200}, {"path": "/staticky", "status": 200}]
    kept, shadowed = detect.shadowed_by_static(checks, "App/static", "/static")
    assert [c["path"] for c in kept] == ["/", "/staticky"] and shadowed == ["/static/users"]
    assert detect.shadowed_by_static(checks, None, "/static") == (checks, [])  # no static folder: nothing shadows
    assert detect.shadowed_by_static(checks, "static", "/") == (checks, [])  # at the site root nginx falls back


def test_an_app_that_reads_secret_key_from_its_environment_gets_a_throwaway_one() -> None:
    from targets.appscan import appenv

    texts = {"config.py": "SECRET_KEY = os.environ.get('SECRET_KEY')\n", "app/__init__.py": "import os\n"}
    assert appenv.reads_secret_key(texts) == ("config.py", "SECRET_KEY")
    assert appenv.reads_secret_key({"a.py": 'KEY = os.environ["SECRET_KEY"]\n'}) == ("a.py", "SECRET_KEY")
    assert appenv.reads_secret_key({"a.py": "SECRET_KEY = 'dev'\napp.config['SECRET_KEY'] = SECRET_KEY\n"}) is None
    # dribdat: every setting read through an alias of os.environ, the key from a variable of its own name.
    dribdat = {"dribdat/settings.py": "import os\nos_env = os.environ\nclass Config:\n"
                                      "    SECRET_KEY = os_env.get('DRIBDAT_SECRET', 'A-big-scary-Secret-goes-HERE.')\n"}
    assert appenv.reads_secret_key(dribdat) == ("dribdat/settings.py", "DRIBDAT_SECRET")
    first, second = appenv.probe_env(("config.py", "SECRET_KEY")), appenv.probe_env(("config.py", "SECRET_KEY"))
    assert set(first) == {"SECRET_KEY"} and len(first["SECRET_KEY"]) >= 32 and first != second  # never a fixed value
    assert set(appenv.probe_env(("dribdat/settings.py", "DRIBDAT_SECRET"))) == {"DRIBDAT_SECRET"}
    # No read found: SECRET_KEY still gets one, so a read the scan missed takes it (appenv.written_in).
    assert set(appenv.probe_env(None)) == {"SECRET_KEY"}


def test_the_written_yaml_lists_secret_key_and_a_shadowed_route_as_the_manifest_reads_them() -> None:
    detected = Detected("app", "app", Found("wsgi:app", "found"), Found("requirements.txt", "found"),
                        Found("static", "found"), Found("/static", "found"), Found("3.12", "default"),
                        Found("/", "home"), ({"path": "/", "status": 200},), (),
                        secret_key="config.py", shadowed=("/static/users",))
    text = render(detected, ".")
    parsed = manifest.parse(yaml.safe_load(text))
    assert parsed.environments["development"].secrets == ("SECRET_KEY",)
    assert "# config.py reads it from the environment" in text
    assert "# GET /static/users: app route(s) under the static URL /static" in text
    assert [c.path for c in parsed.smoke.checks] == ["/"]
    from targets.appscan.services import Service
    shop = render(replace(detected, services=(Service("cache", "redis", {"REDIS_URI": "url"}, "redis",
                                                      switches=("USE_REDIS",)),)), ".")
    assert manifest.parse(yaml.safe_load(shop)).environments["development"].env == {"USE_REDIS": "true"}
    dribdat = render(replace(detected, secret_key="dribdat/settings.py", secret_variable="DRIBDAT_SECRET"), ".")
    assert manifest.parse(yaml.safe_load(dribdat)).environments["development"].secrets == ("DRIBDAT_SECRET",)
    assert "# dribdat/settings.py reads it into SECRET_KEY" in dribdat


def test_the_setup_example_is_a_command_named_for_setup_never_just_the_first() -> None:
    def hint(*commands: str) -> str:
        return Detected("a", "a", Found("autoapp:app", "why"), Found("requirements.txt", "found"),
                        Found(None, "none"), Found("/static", "url"), Found("3.12", "pins"), Found("/", "route"),
                        (), (), commands=commands, flask_version="3.1.0").hint()
    # realworld's commands: `clean` deletes .pyc files, and was offered as the database's setup.
    assert "e.g." not in hint("clean", "lint", "test", "urls")
    assert "clean, lint, test, urls" in hint("clean", "lint", "test", "urls")
    assert hint("clean", "init-db").endswith("(e.g. app.prestart: flask --app autoapp:app init-db)")
    assert hint("recreate_db", "format").endswith("flask --app autoapp:app recreate_db)")
    # flask-shop's: `db` is Flask-Migrate's group (it runs nothing by itself), and `seed` needs the tables first.
    assert hint("clean", "createdb", "db", "flushrdb", "seed").endswith("flask --app autoapp:app createdb)")
    assert hint("db", "seed").endswith("flask --app autoapp:app seed)")


def test_an_error_raised_inside_an_installed_package_is_named_by_its_file() -> None:
    # realworld's Werkzeug 0.14.1 raised at import on Python 3.10, and init's line read as if
    # Flask were missing ("is Flask among the app's dependencies?"): the probe now says whose code raised.
    from packaging.version import InvalidVersion, Version

    from targets.appscan import probe
    with pytest.raises(InvalidVersion) as raised:
        Version("not a version")
    assert probe.raised_in(raised.value) == "packaging/version.py"
    with pytest.raises(ZeroDivisionError) as own:
        _ = 1 / 0
    assert probe.raised_in(own.value) is None  # this file is not an installed package's


def test_the_probe_lists_the_commands_extensions_add_through_entry_points(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # dribdat's Flask-Assets adds `flask assets` through the flask.commands entry point, which
    # app.cli.commands never holds: init could not offer `flask assets build` as app.build.
    import flask

    from targets.appscan import probe

    info = tmp_path / "fakeassets-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fakeassets\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[flask.commands]\nassets = fakeassets:assets\n"
                                           "routes = flask.cli:routes_command\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    app = flask.Flask("shop")

    @app.cli.command("createdb")
    def createdb() -> None:
        pass

    assert probe.commands(app) == ["assets", "createdb"]  # not Flask's own routes, run, shell


@pytest.mark.parametrize("argv, said", [
    (["/usr/local/bin/flaskship", "init", "--app", "."], "flaskship"),
    (["/x/invoke/__main__.py", "--search-root", "/opt/flaskship", "init"], "invoke --search-root /opt/flaskship"),
    (["invoke", "-r", "/opt/my tool", "init"], "invoke --search-root '/opt/my tool'"),
    (["invoke", "--search-root=/opt/flaskship", "init"], "invoke --search-root /opt/flaskship"),
    (["invoke", "init", "--app", "."], "invoke"),
])
def test_the_next_commands_are_started_as_this_run_was(argv: list[str], said: str) -> None:
    # anitya's helper ran init from the app's folder with --search-root; the plain `invoke build`
    # init printed found no tasks there.
    from targets.commands.init import started_as

    assert started_as(argv) == said


def test_the_runner_hands_the_probe_its_release_in_the_variables_the_probe_reads() -> None:
    # The probe imports nothing of flaskship, so the two names are written twice: they must agree.
    from targets.appscan import probe, runner

    assert runner.RELEASE_VARIABLES == (probe.RELEASE, probe.RELEASE_WITHIN)


def test_the_setup_hint_is_for_5xx_that_setup_could_cure() -> None:
    # flaskr: no table yet; a 500 whose cause the probe did not see: setup may help.
    assert detect.setup_may_help([{"path": "/", "status": 500, "error": "OperationalError: no such table: post"}])
    assert detect.setup_may_help([{"path": "/", "status": 500}])
    # PowerDNS-Admin: every 5xx was an asset under node_modules/, which never ships: no database
    # setup cures that, and its redirects alone are no reason either.
    pda = [{"path": "/login", "status": 500, "error": "FileNotFoundError: [Errno 2] No such file or directory: "
                                                      "'powerdnsadmin/static/node_modules/x/all.css'"},
           {"path": "/admin", "status": 302, "location": "/login"}]
    assert not detect.setup_may_help(pda)
    assert not detect.setup_may_help([{"path": "/", "status": 500, "error": "TypeError: unsupported operand"}])


def test_a_migration_with_no_database_service_runs_at_every_boot_not_once_per_deploy() -> None:
    # ihatemoney: SQLite in /tmp, no database service. As app.release, the migration ran in a container
    # whose files are discarded, and each worker's create_app() then upgraded the empty database at once.
    upgrade, why = "flask --app site:create_app() db upgrade", "Flask-Migrate is a dependency: migrate once per deploy"
    db = Service("db", "postgres", {"DATABASE_URL": "url"}, "psycopg")
    assert detect.release_place(upgrade, upgrade, (), why)[0] == "prestart"
    assert detect.release_place(upgrade, upgrade, (db,), why) == ("release", why)  # one database: once per deploy
    # The app's own release line (Procfile) may do anything: it stays a release.
    assert detect.release_place("python -m shopfront", None, (), "Procfile line 2") == ("release", "Procfile line 2")
    key, said = detect.release_place(upgrade, upgrade, (), why)
    detected = Detected("site", "site", Found("site:create_app()", "why"), Found("requirements.txt", "found"),
                        Found(None, "none"), Found("/", "url"), Found("3.12", "default"), Found("/", "route"), (), (),
                        release=Found(upgrade, said), release_key=key)
    app = manifest.parse(yaml.safe_load(render(detected, "."))).app
    assert app.prestart == upgrade and app.release is None
    assert said == ("Flask-Migrate is a dependency, and no database service is wired: the database is a file in "
                    "each instance, so every boot migrates its own before the server starts (a release's container "
                    "and its files are discarded)")
