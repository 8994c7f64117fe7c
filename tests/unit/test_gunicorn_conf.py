"""The rendered gunicorn.conf.py, run by the real gunicorn on the host with every
worker shape its environment variables can pick at run time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from targets import manifest
from targets.build.lockfiles import uv_command
from targets.commands.build import render_only
from targets.pins import CEILINGS, FLOORS, GUNICORN
from tests.helpers import copy_demo, free_port

APP = '''
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
'''

# gthread's poll: a stop without the signal-pipe hook waits it out and then exits (1.27 s
# measured each time with the hook taken out); with the hook, about 0.1 s, 0.72 s on a busy CI.
POLL_MISSED = 1.0


@pytest.fixture(scope="module", params=[GUNICORN.split("==")[1], FLOORS["gunicorn"], "25.3.0", CEILINGS["gunicorn"]])
def python(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """(a Python, its gunicorn's version): flaskship's pin, and the oldest and newest an app may
    pin instead (build/serverpins.py), and 25.3.0, whose control socket (25.1+) made every stop
    take 2.3 s. The generated config must work on each."""
    version = request.param
    if version == GUNICORN.split("==")[1]:
        return sys.executable, version  # requirements-dev.txt installs the pin
    venv = tmp_path_factory.mktemp(f"gunicorn-{version}") / "venv"
    for command in ([*uv_command(), "venv", "--quiet", "--python", sys.executable, str(venv)],
                    [*uv_command(), "pip", "install", "--quiet", "--python", str(venv / "bin/python"),
                     f"gunicorn=={version}"]):
        made = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert made.returncode == 0, made.stderr
    return str(venv / "bin/python"), version


def _serve_then_stop(python: str, config: Path, app_dir: Path, env: dict[str, str]) -> tuple[float, str]:
    """Start gunicorn on the config, wait for a 200, SIGTERM it: the stop's seconds and its log."""
    port = free_port()
    environment = {**{k: v for k, v in os.environ.items() if k not in ("WEB_CONCURRENCY", "GUNICORN_THREADS")},
                   **env, "PORT": str(port), "ACCESS_LOG": "off"}
    log = app_dir / "gunicorn.log"
    with log.open("wb") as out:
        server = subprocess.Popen([python, "-m", "gunicorn", "--config", str(config), "--chdir", str(app_dir),
                                   "wsgi:app"], env=environment, stdout=out, stderr=subprocess.STDOUT)
    try:
        assert _first_answer(port, server, log) == b"ok"
        started = time.monotonic()
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=15) == 0, log.read_text()[-2000:]
        return time.monotonic() - started, log.read_text()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def _first_answer(port: int, server: subprocess.Popen, log: Path) -> bytes:
    """The body of the first answer on /, polled for up to 15 s while gunicorn runs."""
    deadline = time.monotonic() + 15
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                return response.read()
        except OSError:
            assert server.poll() is None, f"gunicorn exited {server.returncode}: {log.read_text()[-2000:]}"
            assert time.monotonic() < deadline, f"no answer within 15 s: {log.read_text()[-2000:]}"
            time.sleep(0.05)


@pytest.mark.parametrize("target", ["cloudrun", "heroku"])
@pytest.mark.parametrize("threads", ["1", "4"])
def test_every_worker_shape_serves_and_stops_promptly(python: tuple[str, str], tmp_path: Path, target: str,
                                                      threads: str) -> None:
    """GUNICORN_THREADS picks gunicorn's worker when the container starts (1: sync, more:
    gthread), whatever the template's default was. A hook written for one worker crashed
    the other at boot (cloudrun's gthread hook on GUNICORN_THREADS=1), and a gthread
    worker without it noticed SIGTERM only after its 1 s poll."""
    project = manifest.load(copy_demo(tmp_path / "p") / "targets.yaml")
    render_only(project, target, tmp_path / "out")
    app_dir = tmp_path / "app"
    app_dir.mkdir()
    (app_dir / "wsgi.py").write_text(APP)
    stops: list[float] = []
    # The SIGTERM goes out just after the worker's answer, when a gthread worker has entered its
    # 1 s select(): without the hook that watches the signal pipe, every stop waits that second
    # out; with it, a stop takes about 0.1 s. The best of up to three keeps a busy CI machine's
    # one slow stop (0.72 s seen) from reading as the missing hook, which fails all three.
    while len(stops) < 3 and (not stops or min(stops) >= POLL_MISSED):
        took, log = _serve_then_stop(python[0], tmp_path / "out/image/src/.flaskship/gunicorn.conf.py", app_dir,
                                     {"WEB_CONCURRENCY": "1", "GUNICORN_THREADS": threads})
        assert ("Using worker: gthread" if threads != "1" else "Using worker: sync") in log
        assert "Exception in worker process" not in log, log[-2000:]
        assert f"Starting gunicorn {python[1]}" in log  # the version meant, not whatever was installed
        stops.append(took)
    assert min(stops) < POLL_MISSED, (f"{target} with GUNICORN_THREADS={threads} took "
                                      f"{', '.join(f'{s:.2f}' for s in stops)} s to stop:\n{log[-2000:]}")


FLASK_SEEN = '''
import sys
# Whether Flask was in this worker before the app was imported: it can only come from the master.
LOADED = b"flask loaded" if "flask" in sys.modules else b"flask not loaded"


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [LOADED]
'''


@pytest.mark.parametrize(("args", "loaded"), [
    ("", True),                                      # sync
    ("--threads 4", True),                           # gthread
    # Any other worker class (gevent, eventlet, uvicorn's; here one of the app's own, as gevent's
    # stand-in) may have to monkey-patch ssl and threading before anything imports them.
    ("--worker-class patching.Worker", False),
])
def test_the_master_imports_flask_before_the_workers_fork(tmp_path: Path, args: str, loaded: bool) -> None:
    project = manifest.load(copy_demo(tmp_path / "p") / "targets.yaml")
    render_only(project, "heroku", tmp_path / "out")
    app_dir = tmp_path / "app"
    app_dir.mkdir()
    (app_dir / "wsgi.py").write_text(FLASK_SEEN)
    (app_dir / "patching.py").write_text("from gunicorn.workers.sync import SyncWorker\n\n\nclass Worker(SyncWorker):\n    pass\n")
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if k not in ("WEB_CONCURRENCY", "GUNICORN_THREADS")},
           "PORT": str(port), "WEB_CONCURRENCY": "1", "ACCESS_LOG": "off", "GUNICORN_CMD_ARGS": args}
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config",
                                   str(tmp_path / "out/image/src/.flaskship/gunicorn.conf.py"), "--chdir",
                                   str(app_dir), "wsgi:app"], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        body = _first_answer(port, server, log)
    finally:
        server.terminate()
        server.wait(timeout=15)
    assert body == (b"flask loaded" if loaded else b"flask not loaded"), log.read_text()[-2000:]


SILENCING = '''
import logging.config

# As Alembic's env.py does under Flask-Migrate: every logger it does not name is disabled.
logging.config.dictConfig({"version": 1, "disable_existing_loggers": True})
raise RuntimeError("the app could not boot: no such table")
'''


@pytest.mark.parametrize("target", ["cloudrun", "heroku"])
def test_a_worker_that_fails_to_boot_says_why_though_the_app_disabled_gunicorns_logger(
        tmp_path: Path, target: str) -> None:
    # ihatemoney's workers exited 3 with only "Worker failed to boot": the traceback went to a
    # logger the app's own logging setup had disabled.
    project = manifest.load(copy_demo(tmp_path / "p") / "targets.yaml")
    render_only(project, target, tmp_path / "out")
    app_dir = tmp_path / "app"
    app_dir.mkdir()
    (app_dir / "wsgi.py").write_text(SILENCING)
    env = {**{k: v for k, v in os.environ.items() if k not in ("WEB_CONCURRENCY", "GUNICORN_THREADS")},
           "PORT": str(free_port()), "WEB_CONCURRENCY": "1", "ACCESS_LOG": "off"}
    ran = subprocess.run([sys.executable, "-m", "gunicorn", "--config",
                          str(tmp_path / "out/image/src/.flaskship/gunicorn.conf.py"), "--chdir", str(app_dir),
                          "wsgi:app"], env=env, capture_output=True, text=True, timeout=60)
    assert ran.returncode == 3, ran.stderr[-2000:]
    assert "Exception in worker process" in ran.stderr, ran.stderr[-2000:]
    assert "RuntimeError: the app could not boot: no such table" in ran.stderr, ran.stderr[-2000:]
