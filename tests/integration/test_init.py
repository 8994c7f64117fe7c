"""`invoke init` on the fixture apps, then the manifest it wrote through build and smoke on real Docker."""

from __future__ import annotations

import json
import shutil
import socket
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docker
import pytest
import yaml

from tests.helpers import REPO, CliResult, free_port, invoke, managed_containers

pytestmark = pytest.mark.docker

APPS = REPO / "tests/fixtures/apps"
KINDS = {"cloudrun": "cloudrun", "heroku": "heroku", "compose": "compose", "functions": "functions"}

# What init must find in each fixture (tests/fixtures/apps/README.md says what each app is).
EXPECTED: dict[str, dict[str, Any]] = {
    "factory_sqlite": {"entry": "flaskr:create_app()", "requirements": "requirements.txt", "static": "flaskr/static",
                       "static_url": "/static", "python": "3.12", "health": "/healthz", "checks": ["/healthz"]},
    "main_module": {"entry": "main:app", "requirements": "requirements.txt", "static": "public", "static_url": "/",
                    "python": "3.12", "health": "/healthz", "checks": ["/", "/healthz", "/scheme"]},
    "config_pkg": {"entry": "app:app", "requirements": "requirements.txt", "static": "static", "static_url": "/static",
                   "python": "3.12", "health": "/healthz", "checks": ["/", "/config", "/healthz"]},
    "assets_folder": {"entry": "server:application", "requirements": "requirements.txt", "static": "assets",
                      "static_url": "/assets", "python": "3.11", "health": "/status", "checks": ["/", "/status"]},
    # requires-python ">=3.11": the newest of 3.10-3.13 it allows.
    "pyproject_pkg": {"entry": "hello_pkg:create_app()", "requirements": "pyproject.toml", "static": "hello_pkg/static",
                      "static_url": "/static", "python": "3.13", "health": "/", "checks": ["/", "/about"]},
    # An application's pyproject.toml (no [build-system]): its dependencies, never `pip install .`.
    "blog_app": {"entry": "app:app", "requirements": "pyproject.toml", "static": "static", "static_url": "/static",
                 "python": "3.12", "health": "/healthz", "checks": ["/", "/healthz"]},
}


@pytest.fixture(scope="module")
def initialised(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], tuple[Path, CliResult]]:
    """Each fixture app copied once and put through `invoke init` once, shared by this module's tests."""
    done: dict[str, tuple[Path, CliResult]] = {}

    def run(name: str) -> tuple[Path, CliResult]:
        if name not in done:
            copy = tmp_path_factory.mktemp("init") / name
            shutil.copytree(APPS / name, copy, ignore=shutil.ignore_patterns("__pycache__"))
            done[name] = copy, invoke("init", "--app", str(copy))
        return done[name]

    return run


def written(copy: Path) -> dict[str, Any]:
    return yaml.safe_load((copy / "targets.yaml").read_text())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_init_detects_each_fixture_app(name: str, initialised: Callable[[str], tuple[Path, CliResult]]) -> None:
    copy, result = initialised(name)
    assert result.code == 0, result.stdout + result.stderr
    want, manifest = EXPECTED[name], written(copy)
    app = manifest["app"]
    assert app["source"] == "."
    assert (app["entry"], app["requirements"]) == (want["entry"], want["requirements"])
    assert (app["static"], app["static_url"]) == (want["static"], want["static_url"])
    assert manifest["defaults"]["python"] == want["python"]
    assert manifest["smoke"]["health"] == want["health"]
    assert [check["path"] for check in manifest["smoke"]["checks"]] == want["checks"]
    assert all(check["status"] < 500 and "/" in check["content_type"] for check in manifest["smoke"]["checks"])
    assert {target: spec["kind"] for target, spec in manifest["targets"].items()} == KINDS
    label = name.replace("_", "-")
    assert (manifest["targets"]["cloudrun"]["service_id"], manifest["targets"]["heroku"]["app"]) == (label, label)
    assert manifest["targets"]["cloudrun"]["region"] == "us-central1"
    assert manifest["targets"]["compose"]["publish"] == 8000
    assert manifest["targets"]["functions"]["entry_point"] == "handler"
    # What it found, one line each, and the exact next commands: as this run was started, with
    # its --search-root (from an app's folder, a plain `invoke` finds no tasks).
    assert f"  entry         {want['entry']}  (" in result.stdout
    assert f"  invoke --search-root {REPO} build --manifest {copy / 'targets.yaml'} --target all" in result.stdout
    assert f"  invoke --search-root {REPO} smoke --manifest {copy / 'targets.yaml'}" in result.stdout


def test_where_the_app_writes_becomes_app_writable_and_it_is_probed_on_the_images_python(
        initialised: Callable[[str], tuple[Path, CliResult]]) -> None:
    # blog_app makes log/ at import and writes data/visits.log on GET /, as flaskBlog does with
    # log/ and db/: in every image the code is read-only, so smoke failed at boot until both
    # were listed by hand. The build and smoke below run the manifest as written.
    copy, result = initialised("blog_app")
    assert result.code == 0, result.stdout + result.stderr
    assert written(copy)["app"]["writable"] == ["data", "log"]
    assert "  writable      data, log  (the probe's import and GET routes wrote here" in result.stdout
    assert "an application, not a package (no [build-system]" in result.stdout
    # The manifest says 3.12 (requires-python), not the host's Python: the probe ran on 3.12.
    assert "init: creating a throwaway venv (Python 3.12)" in result.stdout
    assert not (copy / "log").exists()  # the probe wrote in its copy, never in the app


def test_an_app_that_needs_its_database_has_its_home_page_skipped_with_a_hint(
        initialised: Callable[[str], tuple[Path, CliResult]]) -> None:
    copy, result = initialised("factory_sqlite")
    assert result.code == 0, result.stdout + result.stderr
    # What raised, from Flask's got_request_exception: the page it answered with does not say.
    assert "skipped       GET / answered 500 (OperationalError: no such table: post) in the probe" in result.stdout
    hint = next(line for line in result.stdout.splitlines() if line.startswith("  hint: "))
    assert "app.prestart" in hint and "init-db" in hint
    assert "# skipped: GET / answered 500 (OperationalError: no such table: post) in the probe" in \
        (copy / "targets.yaml").read_text()
    # init wrote only the manifest and its venv cache: the canary database is untouched.
    assert (copy / "instance/flaskr.sqlite").read_bytes() == (APPS / "factory_sqlite/instance/flaskr.sqlite").read_bytes()
    assert sorted(p.name for p in copy.iterdir()) == sorted([p.name for p in (APPS / "factory_sqlite").iterdir()]
                                                           + ["build", "targets.yaml"])




def test_the_probe_runs_the_app_with_the_services_it_finds(
        initialised: Callable[[str], tuple[Path, CliResult]], engine: docker.DockerClient) -> None:
    # redis_counter reads Redis in GET /visits: probed without a server, that route answered 500 and
    # was left out; zou's import waited out the probe's limit on Redis retries. Now the probe gets
    # a Redis of its own on a loopback port, removed after it.
    copy, result = initialised("redis_counter")
    assert result.code == 0, result.stdout + result.stderr
    assert "init: starting cache (redis) for the probe ..." in result.stdout
    assert "/visits 200 application/json" in result.stdout and "skipped" not in result.stdout, result.stdout
    assert {"path": "/visits", "status": 200, "content_type": "application/json"} in written(copy)["smoke"]["checks"]
    assert written(copy)["services"]["cache"] == {"kind": "redis", "env": {"REDIS_URL": "url"}}
    assert managed_containers(engine) == []


def test_the_probe_migrates_its_own_database_before_it_asks_the_routes(
        initialised: Callable[[str], tuple[Path, CliResult]], engine: docker.DockerClient, tmp_path: Path) -> None:
    # pg_notes' GET /notes reads its table: on the probe's empty Postgres it answered 500 and was left
    # out, as zou's /config was. The probe now runs the release it found first, as a platform does.
    copy, result = initialised("pg_notes")
    assert result.code == 0, result.stdout + result.stderr
    assert "init: the probe runs `flask db upgrade` on db (postgres) first" in result.stdout, result.stdout
    assert "/notes 200 application/json" in result.stdout and "skipped" not in result.stdout, result.stdout
    assert "as the app answered them, after `flask db upgrade` on the probe's own throwaway database" in result.stdout
    manifest = written(copy)
    assert {"path": "/notes", "status": 200, "content_type": "application/json"} in manifest["smoke"]["checks"]
    assert manifest["app"]["release"].endswith(" db upgrade")
    assert managed_containers(engine) == []
    # A migration that fails: init still writes the manifest, says why, and leaves the route out.
    broken = tmp_path / "pg_notes"
    shutil.copytree(copy, broken, ignore=shutil.ignore_patterns("targets.yaml"))
    version = broken / "migrations/versions/0001_notes_table.py"
    version.write_text(version.read_text().replace("    op.create_table(", "    op.execute('SELECT no_such_function()')\n"
                                                                     "    op.create_table(", 1))
    failed = invoke("init", "--app", str(broken))
    assert failed.code == 0, failed.stdout + failed.stderr
    warning = next(line for line in failed.stdout.splitlines() if "failed in init's probe" in line)
    assert "`flask db upgrade` failed in init's probe, on a throwaway postgres (" in warning and "no_such_function" in warning
    assert "skipped       GET /notes answered 500 (ProgrammingError: (psycopg" in failed.stdout, failed.stdout
    assert "# warning: `flask db upgrade` failed in init's probe" in (broken / "targets.yaml").read_text()
    assert managed_containers(engine) == []


def test_init_leaves_the_app_folder_as_it_was_when_the_app_writes_where_it_runs(
        initialised: Callable[[str], tuple[Path, CliResult]], tmp_path: Path) -> None:
    # microblog's factory makes logs/ and a log file in its working directory; the probe
    # ran there, and left them in the user's project.
    first, _ = initialised("main_module")
    copy = tmp_path / "main_module"
    shutil.copytree(APPS / "main_module", copy, ignore=shutil.ignore_patterns("__pycache__"))
    with (copy / "main.py").open("a") as handle:
        handle.write('\nimport os\nos.makedirs("logs", exist_ok=True)\nopen("logs/app.log", "a").write("up\\n")\n')
    # A socket lying in the project (a dev server's, a database's): copytree fails on one.
    listening = socket.socket(socket.AF_UNIX)
    listening.bind(str(copy / "dev.sock"))
    listening.close()
    before = sorted(p.relative_to(copy) for p in copy.rglob("*"))
    # The probe's venv, keyed by the dependency file's content: the shared run made it.
    shutil.copytree(first / "build", tmp_path / "build")
    result = invoke("init", "--app", str(copy), "--manifest", str(tmp_path / "targets.yaml"))
    assert result.code == 0, result.stdout + result.stderr
    assert sorted(p.relative_to(copy) for p in copy.rglob("*")) == before
    # What it reports of the app's paths is the app folder's, not the copy's it ran in.
    app = yaml.safe_load((tmp_path / "targets.yaml").read_text())["app"]
    assert (app["source"], app["static"], app["static_url"]) == ("main_module", "public", "/")


# The one line an app that needs its database initialised may add (the rule).
PRESTART = {"factory_sqlite": """  prestart: "flask --app 'flaskr:create_app()' init-db"\n"""}
# Checks a user adds: main_module wraps app.wsgi_app in a middleware that sets
# X-Middleware on every response; every platform must run the whole WSGI stack.
OWN_CHECKS = {"main_module": '    - {name: middleware, path: /healthz, headers: {X-Middleware: "on"}}\n'}
# The releases a zip must name: blog_app pins gunicorn==21.2.0, which only functions-framework
# 3.8.0 of pins.py's range runs on; smoke above ran the runner on them.
ZIP_PINS = {"blog_app": {"functions-framework==3.8.0", "gunicorn==21.2.0"}}


@pytest.mark.parametrize("name", ["main_module", "config_pkg", "assets_folder", "pyproject_pkg", "factory_sqlite",
                                  "blog_app"])
def test_the_written_manifest_builds_and_smokes_on_every_target(
        name: str, initialised: Callable[[str], tuple[Path, CliResult]], engine: docker.DockerClient) -> None:
    copy, result = initialised(name)
    assert result.code == 0, result.stdout + result.stderr
    # Its development settings sign sessions with "dev" whatever SECRET_KEY says (appenv.written_in).
    written = "signs its sessions with the string written in config/__init__.py, line 4"
    assert (written in result.stdout) == (name == "config_pkg"), result.stdout
    path = copy / "targets.yaml"
    # The edits: compose's host port (8000 is what init writes, asserted above, but other
    # tests on this shared engine publish there too), and for an app whose database must
    # be initialised, the one app.prestart line; the manifest is otherwise as written.
    text = path.read_text()
    assert text.count("publish: 8000") == 1
    text = text.replace("publish: 8000", f"publish: {free_port()}")
    if name in PRESTART:
        text = text.replace("\napp:\n", "\napp:\n" + PRESTART[name], 1)
        text = text.replace("  checks:\n", '  checks:\n    - {path: /, content_type: text/html, contains: "<!doctype html>"}\n', 1)
    if name in OWN_CHECKS:
        text = text.replace("  checks:\n", "  checks:\n" + OWN_CHECKS[name], 1)
    path.write_text(text)
    # The base image of a python other than the default may need its stand-in (no-op with Docker Hub).
    for task in (("base-images",), ("build", "--target", "all"), ("smoke",)):
        step = invoke(*task, "--manifest", str(path))
        assert step.code == 0, f"{task[0]}:\n{step.stdout[-4000:]}{step.stderr[-2000:]}"
    report = json.loads((copy / "build/smoke.json").read_text())["targets"]
    assert sorted(report) == sorted(KINDS)
    assert {target: entry["passed"] for target, entry in report.items()} == {target: True for target in KINDS}
    checked = {r["check"] for entry in report.values() for r in entry["results"]}
    assert {f"GET {path}" for path in EXPECTED[name]["checks"]} <= checked  # init's checks really ran
    if name in OWN_CHECKS:
        assert "middleware" in checked
    if name in ZIP_PINS:
        with zipfile.ZipFile(copy / "build/functions.zip") as zf:
            lines = {line.split()[0] for line in zf.read("requirements.txt").decode().splitlines() if "==" in line}
        assert ZIP_PINS[name] <= lines
    assert managed_containers(engine) == []
