"""Every kind renders its platform files with no Docker engine at all."""

from __future__ import annotations

import json
import os
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
import yaml

from targets import manifest
from targets.build import images
from targets.commands.build import render_only
from targets.errors import ManifestError
from targets.kinds import KINDS
from targets.pins import FUNCTIONS_FRAMEWORK
from tests.helpers import copy_demo


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> manifest.Project:
    # Any Docker call would fail: rendering must not need the engine.
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    return manifest.load(copy_demo(tmp_path / "p") / "targets.yaml")


def _declared(job: object) -> dict[str, str]:
    return {spec.role: spec.context.relative_to(job.staging).as_posix() for spec in job.images}  # type: ignore[attr-defined]


def test_cloudrun_renders_an_image_context_and_hosting_beside_it(demo: manifest.Project, tmp_path: Path) -> None:
    job = render_only(demo, "cloudrun", tmp_path / "out")
    assert _declared(job) == {"app": "image"}
    image = tmp_path / "out/image"
    assert sorted(p.name for p in image.iterdir()) == ["Dockerfile", "requirements.txt", "src"]
    # gunicorn's settings travel with the code, in its one COPY step; the shared stage's CMD names them.
    assert sorted(p.name for p in (image / "src/.flaskship").iterdir()) == ["gunicorn.conf.py"]
    dockerfile = (image / "Dockerfile").read_text()
    assert "ARG BASE_IMAGE=python:3.12-slim" in dockerfile and '"wsgi:app"' in dockerfile
    assert "gunicorn==" in (image / "requirements.txt").read_text()
    firebase = json.loads((tmp_path / "out/firebase.json").read_text())
    assert firebase["hosting"]["rewrites"][0]["run"] == {"serviceId": "flask-demo", "region": "us-central1"}
    assert (tmp_path / "out/public/static/style.css").is_file()


def test_heroku_yml_names_a_dockerfile_that_exists(demo: manifest.Project, tmp_path: Path) -> None:
    render_only(demo, "heroku", tmp_path / "out")
    heroku = yaml.safe_load((tmp_path / "out/heroku.yml").read_text())
    assert (tmp_path / "out" / heroku["build"]["docker"]["web"]).is_file()


def test_compose_file_refers_to_the_images_it_declares(demo: manifest.Project, tmp_path: Path) -> None:
    job = render_only(demo, "compose", tmp_path / "out")
    assert _declared(job) == {"app": "web", "nginx": "nginx"}
    compose = yaml.safe_load((tmp_path / "out/docker-compose.yml").read_text())
    tags = {spec.role: spec.tag for spec in job.images}
    assert compose["services"]["web"]["image"] == tags["app"]
    assert compose["services"]["nginx"]["image"] == tags["nginx"]
    assert "ports" not in compose["services"]["web"]
    assert "location /static/" in (tmp_path / "out/nginx/nginx.conf").read_text()


def test_functions_zip_holds_the_entry_point_and_the_app(demo: manifest.Project, tmp_path: Path) -> None:
    job = render_only(demo, "functions", tmp_path / "out")
    assert _declared(job) == {"runner": "runner"}
    with zipfile.ZipFile(tmp_path / "out/functions.zip") as zf:
        names = set(zf.namelist())
        assert "def handler(" in zf.read("main.py").decode()
        # Rendered without the index: the platform's line as pins.py has it (a build locks it to one release).
        assert f"{FUNCTIONS_FRAMEWORK}\n" in zf.read("requirements.txt").decode()
    assert {"main.py", "requirements.txt", "wsgi.py", "demo/__init__.py", "static/style.css"} <= names
    assert job.record.archives["zip"]["path"] == "build/functions.zip"


def test_tags_follow_the_rendered_content(demo: manifest.Project, tmp_path: Path) -> None:
    one = {s.role: s.tag for s in render_only(demo, "cloudrun", tmp_path / "a").images}
    two = {s.role: s.tag for s in render_only(demo, "cloudrun", tmp_path / "b").images}
    assert one == two
    (demo.app_dir / "wsgi.py").write_text((demo.app_dir / "wsgi.py").read_text() + "# edit\n")
    three = {s.role: s.tag for s in render_only(demo, "cloudrun", tmp_path / "c").images}
    assert three["app"] != one["app"]


def test_every_registered_kind_renders(demo: manifest.Project, tmp_path: Path) -> None:
    kinds = {settings.kind for settings in demo.manifest.targets.values()}
    assert kinds == set(KINDS), "the demo manifest has a target of every kind"


def test_instance_and_writable_folders_are_open_to_any_uid_and_dockerfiles_lint(
        demo: manifest.Project, tmp_path: Path) -> None:
    text = demo.path.read_text().replace("  static_url: /static\n", "  static_url: /static\n  writable: [uploads, var/cache]\n")
    demo.path.write_text(text)
    project = manifest.load(demo.path)
    render_only(project, "heroku", tmp_path / "out")
    dockerfile = (tmp_path / "out/image/Dockerfile").read_text()
    # Made in the context, mode 1777 (the COPY keeps it): no RUN after the app's COPY.
    for folder in ("instance", "uploads", "var/cache"):
        assert (tmp_path / "out/image/src" / folder).stat().st_mode & 0o7777 == 0o1777, folder
    # The code's COPY is the last step (an edit rebuilds nothing else); the labels, one step, come before it.
    assert dockerfile.rstrip("\n").splitlines()[-1] == "COPY src/ /srv/app/"
    assert dockerfile.index("USER 10001") < dockerfile.index("COPY src/")
    # One LABEL step per stage: the shared stage's says whose it is, the image's what it is.
    shared, final = dockerfile.split("\nFROM venv\n")
    for stage, role in ((shared, "deps"), (final, "app")):
        labels = [line for line in stage.splitlines() if line.startswith("LABEL ")]
        assert len(labels) == 1 and re.fullmatch(r'LABEL( io\.flaskship\.[a-z]+="[^"]*")+', labels[0]), labels
        assert f'io.flaskship.role="{role}"' in labels[0]
    # What every image runs with is in the shared stage, built once: each image adds only its own steps.
    assert "USER 10001:10001" in shared and "WORKDIR /srv/app" in shared and "ENV PATH=/opt/venv/bin" in shared
    assert "PORT=8080" in shared and 'CMD ["gunicorn", "--config"' in shared
    assert [line.split()[0] for line in final.splitlines() if line and not line.startswith("#")] == \
        ["LABEL", "COPY"]  # what it is; its code, with its platform's gunicorn.conf.py
    lint = subprocess.run(["hadolint", str(tmp_path / "out/image/Dockerfile")], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout


def test_a_factory_entry_reaches_the_command_as_json(demo: manifest.Project, tmp_path: Path) -> None:
    text = demo.path.read_text().replace("entry: wsgi:app", "entry: 'demo:create_app(\"x\")'")
    demo.path.write_text(text)
    render_only(manifest.load(demo.path), "cloudrun", tmp_path / "out")
    cmd = next(line for line in (tmp_path / "out/image/Dockerfile").read_text().splitlines() if line.startswith("CMD"))
    assert json.loads(cmd[4:])[-1] == 'demo:create_app("x")'


def _with_app_keys(project: manifest.Project, **keys: str) -> manifest.Project:
    lines = "".join(f"  {key}: {json.dumps(value)}\n" for key, value in keys.items())
    project.path.write_text(project.path.read_text().replace("  static_url: /static\n", "  static_url: /static\n" + lines))
    return manifest.load(project.path)


def test_prestart_runs_before_the_server_which_stays_pid_1(demo: manifest.Project, tmp_path: Path) -> None:
    project = _with_app_keys(demo, prestart="flask --app demo init-db && echo 'ready; $HOME'")
    render_only(project, "cloudrun", tmp_path / "out")
    image = tmp_path / "out/image"
    script = (image / "src/.flaskship/prestart.sh").read_text()
    assert script.startswith("#!/bin/sh\n") and "set -e\n" in script
    assert "flask --app demo init-db && echo 'ready; $HOME'\nexec \"$@\"\n" in script
    assert (image / "src/.flaskship/prestart.sh").stat().st_mode & 0o777 == 0o755
    dockerfile = (image / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["/srv/app/.flaskship/prestart.sh"]' in dockerfile
    # An ENTRYPOINT empties the CMD the shared stage set: the image's own stage gives it again, after.
    final = dockerfile.split("\nFROM venv\n")[1]
    assert 0 < final.index("ENTRYPOINT") < final.index('CMD ["gunicorn", "--config"')
    lint = subprocess.run(["hadolint", str(image / "Dockerfile")], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout


def test_release_is_herokus_release_phase_and_a_compose_one_shot(demo: manifest.Project, tmp_path: Path) -> None:
    project = _with_app_keys(demo, release='flask db upgrade --tag "a,b"')
    render_only(project, "heroku", tmp_path / "h")
    heroku = yaml.safe_load((tmp_path / "h/heroku.yml").read_text())
    assert heroku["release"] == {"image": "web", "command": ["/bin/sh", "-c", 'flask db upgrade --tag "a,b"']}
    render_only(project, "compose", tmp_path / "c")
    services = yaml.safe_load((tmp_path / "c/docker-compose.yml").read_text())["services"]
    assert services["release"]["command"] == ["/bin/sh", "-c", 'flask db upgrade --tag "a,b"']
    assert services["release"]["image"] == services["web"]["image"]
    assert services["release"]["environment"] == services["web"]["environment"]
    assert services["web"]["depends_on"] == {"release": {"condition": "service_completed_successfully"}}
    check = subprocess.run(["check-jsonschema", "--builtin-schema", "vendor.compose-spec", str(tmp_path / "c/docker-compose.yml")],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout


def test_compose_health_interval_is_the_manifests_and_passes_compose_v1(demo: manifest.Project, tmp_path: Path) -> None:
    # 500ms by default (nginx waits at most that long after the app is up); a team that
    # would rather not pay an exec every half second sets its own.
    render_only(demo, "compose", tmp_path / "d")
    assert yaml.safe_load((tmp_path / "d/docker-compose.yml").read_text())["services"]["web"]["healthcheck"][
        "interval"] == "500ms"
    demo.path.write_text(demo.path.read_text().replace("    kind: compose\n", "    kind: compose\n    health_interval: 5s\n"))
    render_only(manifest.load(demo.path), "compose", tmp_path / "c")
    compose_file = tmp_path / "c/docker-compose.yml"
    assert yaml.safe_load(compose_file.read_text())["services"]["web"]["healthcheck"]["interval"] == "5s"
    check = subprocess.run(["docker-compose", "-f", str(compose_file), "config", "-q"], capture_output=True, text=True,
                           env={**os.environ, "FLASKSHIP_PUBLISH": "8000"})
    assert check.returncode == 0, check.stderr
    with pytest.raises(ManifestError, match=r"targets.compose.health_interval: .*got '0s'"):
        demo.path.write_text(demo.path.read_text().replace("health_interval: 5s", "health_interval: 0s"))
        manifest.load(demo.path)


def test_without_prestart_or_release_nothing_extra_is_rendered(demo: manifest.Project, tmp_path: Path) -> None:
    render_only(demo, "heroku", tmp_path / "h")
    assert "release" not in yaml.safe_load((tmp_path / "h/heroku.yml").read_text())
    assert not (tmp_path / "h/image/src/.flaskship/prestart.sh").exists()
    assert "ENTRYPOINT" not in (tmp_path / "h/image/Dockerfile").read_text()
    render_only(demo, "compose", tmp_path / "c")
    assert "release" not in yaml.safe_load((tmp_path / "c/docker-compose.yml").read_text())["services"]


def test_static_files_at_the_site_root_fall_through_to_the_app(demo: manifest.Project, tmp_path: Path) -> None:
    demo.path.write_text(demo.path.read_text().replace("static_url: /static", "static_url: /"))
    render_only(manifest.load(demo.path), "compose", tmp_path / "out")
    conf = (tmp_path / "out/nginx/nginx.conf").read_text()
    assert "root /srv/static;" in conf and "try_files $uri @app;" in conf and "location @app {" in conf
    assert "alias /" not in conf  # no alias directive: nothing to slip out of with an off-by-slash
    assert conf.count("proxy_pass http://app;") == 1


def test_system_packages_are_installed_in_the_runtime_image_only(demo: manifest.Project, tmp_path: Path) -> None:
    demo.path.write_text(demo.path.read_text().replace(
        "  static_url: /static\n", "  static_url: /static\n  system_packages: [libpq5, libyaml-0-2]\n"))
    render_only(manifest.load(demo.path), "cloudrun", tmp_path / "out")
    dockerfile = (tmp_path / "out/image/Dockerfile").read_text()
    # In the shared stage every image of this base starts from, as root: before its USER step.
    shared = dockerfile[dockerfile.index(" AS venv\n"):dockerfile.index("FROM venv\n")]
    assert "apt-get install -y --no-install-recommends libpq5 libyaml-0-2" in shared
    assert shared.index("apt-get install") < shared.index("\nUSER 10001:10001\n")
    assert "apt-get" not in dockerfile[:dockerfile.index(" AS venv\n")]
    assert "apt-get" not in dockerfile[dockerfile.index("FROM venv\n"):]
    lint = subprocess.run(["hadolint", str(tmp_path / "out/image/Dockerfile")], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout


def test_package_names_are_validated_before_they_reach_a_dockerfile(demo: manifest.Project) -> None:
    demo.path.write_text(demo.path.read_text().replace(
        "  static_url: /static\n", "  static_url: /static\n  system_packages: ['libpq5 && curl evil']\n"))
    with pytest.raises(ManifestError, match=r"app\.system_packages\[0\]: invalid value"):
        manifest.load(demo.path)


def test_compose_passes_every_variable_by_name_and_env_files_are_shell_exact(demo: manifest.Project,
                                                                              tmp_path: Path) -> None:
    """Compose re-reads an env_file (strips quotes, cuts at ' #', expands ${}); a name alone it does not."""
    render_only(demo, "compose", tmp_path / "c")
    web = yaml.safe_load((tmp_path / "c/docker-compose.yml").read_text())["services"]["web"]
    assert "env_file" not in web
    assert web["environment"] == ["TRUST_PROXY_HOPS=1", "APP_ENV", "GREETING", "SECRET_KEY"]
    for name, environment in demo.manifest.environments.items():
        script = f"set -eu; . {tmp_path}/c/env/{name}.sh; " + "; ".join(
            f'printf "%s\\0" "${{{key}-unset}}"' for key in ("APP_ENV", "GREETING"))
        shown = subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=True,
                               env={"PATH": "/usr/bin:/bin", "GREETING": "from the host"}).stdout.split("\0")[:-1]
        assert shown == [environment.env.get("APP_ENV", "unset"), environment.env.get("GREETING", "unset")]


def _gunicorn(path: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """The settings gunicorn reads from the rendered config file (it execs it, as here)."""
    for name in ("WEB_CONCURRENCY", "GUNICORN_THREADS", "ACCESS_LOG", "PORT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    namespace: dict[str, object] = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)  # noqa: S102 - our own rendered file
    return namespace


@pytest.mark.parametrize(("target", "folder", "grace"), [("cloudrun", "image", 10), ("heroku", "image", 30),
                                                         ("compose", "web", 10)])
def test_gunicorn_serves_in_the_platform_shape(demo: manifest.Project, tmp_path: Path, target: str, folder: str,
                                              grace: int, monkeypatch: pytest.MonkeyPatch) -> None:
    render_only(demo, target, tmp_path / "out")
    config = tmp_path / "out" / folder / "src/.flaskship/gunicorn.conf.py"
    assert '"--config", "/srv/app/.flaskship/gunicorn.conf.py"' in (tmp_path / "out" / folder / "Dockerfile").read_text()
    settings = _gunicorn(config, {"PORT": "9090"}, monkeypatch)
    assert settings["bind"] == "0.0.0.0:9090" and settings["accesslog"] == "-"
    assert 0 < settings["graceful_timeout"] < grace  # type: ignore[operator]
    cpus = len(os.sched_getaffinity(0))
    if target == "cloudrun":  # Google's threads and no timeout, with two workers per vCPU (measured)
        assert (settings["workers"], settings["threads"], settings["timeout"]) == (2 * cpus, 8, 0)
    elif target == "heroku":  # sync workers, Heroku's default WEB_CONCURRENCY on a Standard-1X dyno
        assert (settings["workers"], settings["threads"]) == (2, 1)
    else:  # sync workers, gunicorn's 2 x CPUs + 1
        assert (settings["workers"], settings["threads"]) == (2 * cpus + 1, 1)
    platform = _gunicorn(config, {"WEB_CONCURRENCY": "3", "ACCESS_LOG": "off"}, monkeypatch)
    assert platform["workers"] == 3 and platform["accesslog"] is None and platform["bind"] == "0.0.0.0:8080"


def test_functions_runner_installs_the_shared_requirements_and_adds_the_framework(
        demo: manifest.Project, tmp_path: Path) -> None:
    render_only(demo, "cloudrun", tmp_path / "run")
    render_only(demo, "functions", tmp_path / "fn")
    shared = (tmp_path / "run/image/requirements.txt").read_text()
    # The same requirements.txt: the same dependency stage, so the same layer.
    assert (tmp_path / "fn/runner/requirements.txt").read_text() == shared
    assert "functions-framework" not in shared
    assert f"{FUNCTIONS_FRAMEWORK}\n" in (tmp_path / "fn/runner/platform-requirements.txt").read_text()
    dockerfile = (tmp_path / "fn/runner/Dockerfile").read_text()
    assert dockerfile.index("ADD venv.tar.gz /opt/venv/") < dockerfile.index("ADD platform.tar.gz /opt/platform/")
    # The platform's layer is a shared stage too: before anything of this target.
    assert dockerfile.index("ADD platform.tar.gz") < dockerfile.index("FROM platform\n") < dockerfile.index(
        'io.flaskship.role="runner"')


def test_the_functions_runner_holds_no_code_its_containers_get_the_zips_files(
        demo: manifest.Project, tmp_path: Path) -> None:
    text = demo.path.read_text().replace("  static_url: /static\n", "  static_url: /static\n  writable: [uploads]\n")
    demo.path.write_text(text)
    job = render_only(manifest.load(demo.path), "functions", tmp_path / "fn")
    [runner] = job.images
    dockerfile = (tmp_path / "fn/runner/Dockerfile").read_text()
    # No code in the image, nor in its context: an app edit leaves both as they were.
    assert "COPY src/" not in dockerfile and not (tmp_path / "fn/runner/src").exists()
    assert runner.code == tmp_path / "fn/runner-code" and runner.code_at_start
    with zipfile.ZipFile(tmp_path / "fn/functions.zip") as zf:
        zipped = {name for name in zf.namelist() if not name.endswith("/")}
    unpacked = {p.relative_to(runner.code).as_posix() for p in runner.code.rglob("*") if p.is_file()}
    assert unpacked == zipped
    for folder in ("instance", "uploads"):
        assert (runner.code / folder).stat().st_mode & 0o7777 == 0o1777, folder
    # The app images keep theirs, as their last step.
    [app] = render_only(demo, "cloudrun", tmp_path / "run").images
    assert app.code == tmp_path / "run/image/src" and not app.code_at_start


def test_access_lines_are_batched_and_flushed(demo: manifest.Project, tmp_path: Path, capfd: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime

    from gunicorn.config import Config

    render_only(demo, "heroku", tmp_path / "out")
    settings = _gunicorn(tmp_path / "out/image/src/.flaskship/gunicorn.conf.py", {}, monkeypatch)
    config = Config()
    config.set("accesslog", "-")
    log = settings["logger_class"](config)  # type: ignore[operator]

    class Response:
        status, sent = "200 OK", 17
    environ = {"REMOTE_ADDR": "10.0.0.9", "REQUEST_METHOD": "GET", "RAW_URI": "/static/style.css?v=1",
               "SERVER_PROTOCOL": "HTTP/1.1"}
    log.access(Response(), None, environ, datetime.timedelta(milliseconds=3))
    assert "GET /static" not in capfd.readouterr().out  # batched: not written per request
    settings["worker_exit"](None, type("Worker", (), {"log": log})())  # type: ignore[operator]
    line = capfd.readouterr().out
    assert line.startswith('10.0.0.9 - - [') and '"GET /static/style.css?v=1 HTTP/1.1" 200 17 3.0ms\n' in line
    for _ in range(log.BATCH):  # a full batch goes out at once
        log.access(Response(), None, environ, datetime.timedelta(milliseconds=1))
    assert capfd.readouterr().out.count("GET /static") == log.BATCH

    class SentFile:  # by sendfile(), which gunicorn does not count into `sent` (flaskbb's app.css: "200 0")
        status, sent, response_length = "200 OK", 0, 308129
    for method, status, logged in (("GET", "200 OK", "200 308129"), ("HEAD", "200 OK", "200 0"),
                                   ("GET", "304 NOT MODIFIED", "304 0")):
        response = SentFile()
        response.status = status
        log.access(response, None, {**environ, "REQUEST_METHOD": method}, datetime.timedelta(milliseconds=1))
        log.flush()
        assert f'{method} /static/style.css?v=1 HTTP/1.1" {logged} 1.0ms' in capfd.readouterr().out


@pytest.mark.parametrize("target", ["cloudrun", "heroku"])
def test_a_sigterm_that_came_before_the_workers_handlers_is_honoured(demo: manifest.Project, tmp_path: Path,
                                                                   target: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import signal
    import types

    render_only(demo, target, tmp_path / "out")
    settings = _gunicorn(tmp_path / "out/image/src/.flaskship/gunicorn.conf.py", {}, monkeypatch)
    read, write = os.pipe()
    try:
        for queued, alive in (([], True), ([signal.SIGHUP], True), ([signal.SIGTERM], False)):
            master = types.SimpleNamespace(SIG_QUEUE=list(queued))  # the worker's copy of the master
            worker = types.SimpleNamespace(alive=True, PIPE=(read, write),
                                           poller=types.SimpleNamespace(register=lambda *args: None))
            settings["post_fork"](master, worker)  # type: ignore[operator]
            settings["post_worker_init"](worker)  # type: ignore[operator]
            assert worker.alive is alive, queued
    finally:
        os.close(read)
        os.close(write)


def test_an_images_key_follows_its_folders_and_modes_where_its_tag_does_not(
        demo: manifest.Project, tmp_path: Path) -> None:
    [before] = render_only(demo, "heroku", tmp_path / "a").images
    # A new writable folder is an empty folder of mode 1777 in the context: no file changes.
    demo.path.write_text(demo.path.read_text().replace("  static_url: /static\n",
                                                       "  static_url: /static\n  writable: [uploads]\n"))
    [after] = render_only(manifest.load(demo.path), "heroku", tmp_path / "b").images
    assert after.tag == before.tag  # the tag hashes files only
    assert images.image_key(after, {}) != images.image_key(before, {})  # so the image is built, not kept
