"""An app that writes beside its code, as microblog's factory does (logs/ under the
working directory), dies at boot in an image, whose code is read-only. Smoke's one
line names the folder and the manifest key that fixes it, and that key does."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import assert_one_clear_line, copy_demo, invoke

pytestmark = pytest.mark.docker

LOGS_TO_A_FILE = '''
import logging
import os
from logging.handlers import RotatingFileHandler

# As microblog's create_app does when not in debug mode.
if not os.path.exists("logs"):
    os.mkdir("logs")
app.logger.addHandler(RotatingFileHandler("logs/demo.log", maxBytes=10240, backupCount=10))
'''


def demo_built(built: Path, tmp_path: Path, targets: tuple[str, ...], code: str = "",
               change: Callable[[dict[str, Any]], None] = lambda _manifest: None) -> tuple[Path, str, dict[str, Any]]:
    """A copy of the demo with only `targets`, `code` appended to its wsgi.py and the manifest
    `change`d, built on the shared build's caches (keyed by content): (root, manifest path, manifest)."""
    root = copy_demo(tmp_path)
    manifest = yaml.safe_load((root / "targets.yaml").read_text())
    manifest["targets"] = {name: manifest["targets"][name] for name in targets}
    change(manifest)
    (root / "targets.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    shutil.copytree(built / "build/.cache", root / "build/.cache", ignore=shutil.ignore_patterns("init-venv-*"))
    with (root / "app/wsgi.py").open("a") as handle:
        handle.write(code)
    path = str(root / "targets.yaml")
    assert invoke("build", "--manifest", path).code == 0
    return root, path, manifest


def test_an_app_writing_beside_its_code_is_told_the_key_and_the_key_works(built: Path, tmp_path: Path) -> None:
    # compose too: its boot failure comes through compose's own words, and gets the same note.
    root, path, manifest = demo_built(built, tmp_path, ("heroku", "compose"), LOGS_TO_A_FILE)
    smoke = invoke("smoke", "--manifest", path)
    assert_one_clear_line(smoke, "boot", "could not write /srv/app/logs",
                          "list 'logs' under app.writable in targets.yaml", app_logs=True)
    assert "PermissionError" in smoke.stdout  # the app's own traceback, in its log lines
    for target in ("heroku", "compose"):
        boot = [line for line in smoke.stdout.splitlines() if line.startswith(f"  {target} [") and "boot: FAIL" in line]
        assert boot and "could not write /srv/app/logs" in boot[0], (target, boot)

    manifest["app"]["writable"] = ["logs"]
    (root / "targets.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    assert invoke("build", "--manifest", path).code == 0
    fixed = invoke("smoke", "--manifest", path)
    assert fixed.code == 0, fixed.stdout + fixed.stderr
    assert "smoke: 2 target(s): 2 pass" in fixed.stdout


def test_an_app_loads_outside_functions_frameworks_app_context(built: Path, tmp_path: Path) -> None:
    # functions-framework imports the entry module inside an app context of its own app. flaskmvc's
    # create_app ends with app.app_context().push(), which then failed at boot ("Popped wrong app
    # context"); Flask-Assets' Environment() kept its settings in that other app. The entry loads
    # the app with no app current, as gunicorn does, so both run on functions as on heroku.
    inside = ("\nimport flask as _flask\n"
              "if _flask.has_app_context():\n"
              "    raise RuntimeError(f'imported inside the app context of {_flask.current_app.name}')\n"
              "app.app_context().push()  # as flaskmvc's factory does\n")
    root, path, _ = demo_built(built, tmp_path, ("functions", "heroku"), inside)
    smoke = invoke("smoke", "--manifest", path)
    assert smoke.code == 0, smoke.stdout + smoke.stderr
    report = yaml.safe_load((root / "build/smoke.json").read_text())["targets"]
    assert report["heroku"]["passed"] is True and report["functions"]["passed"] is True


def test_a_release_that_cannot_open_its_sqlite_file_is_told_to_use_a_service(built: Path, tmp_path: Path) -> None:
    # As CTFd's `flask db upgrade` on its default sqlite:///CTFd/ctfd.db does, in the release's container.
    release = "python -c \"import sqlite3; sqlite3.connect('data/app.db').execute('select 1')\""
    _, path, _ = demo_built(built, tmp_path, ("heroku",), change=lambda m: m["app"].__setitem__("release", release))
    smoke = invoke("smoke", "--manifest", path)
    assert_one_clear_line(smoke, "heroku [release] release", "could not open its SQLite database file",
                          "give it a database service", app_logs=True)


DIES_AFTER_BOOT = '''
import os
import signal

# flaskbb's shape: workers that fail to boot once the server is up, and gunicorn's master,
# which then gives up ("Worker failed to boot.") and exits.
if os.path.exists("/tmp/flaskship-test-died"):
    raise RuntimeError("the worker cannot boot any more")


@app.get("/die")
def die():
    open("/tmp/flaskship-test-died", "w").close()
    for pid in os.listdir("/proc"):  # every other worker too: the master respawns them all
        try:
            if pid.isdigit() and int(pid) != os.getpid() and \\
                    open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1] == str(os.getppid()):
                os.kill(int(pid), signal.SIGKILL)
        except OSError:
            pass
    os._exit(1)
'''


def test_a_server_that_dies_under_its_checks_is_told_with_its_exit_and_no_stop_passes(built: Path,
                                                                                       tmp_path: Path) -> None:
    _, path, _ = demo_built(built, tmp_path, ("heroku",), DIES_AFTER_BOOT,  # /die is answered by no one
                            change=lambda m: m["smoke"]["checks"].insert(0, {"name": "die", "path": "/die"}))
    smoke = invoke("smoke", "--manifest", path)
    assert smoke.code != 0
    gone = [line for line in smoke.stdout.splitlines() if "still-running: FAIL" in line]
    assert gone and all("under its checks" in line for line in gone), smoke.stdout
    # With its cause: the app's last error, as a boot failure gets it.
    assert all("RuntimeError: the worker cannot boot any more" in line for line in gone), gone
    assert "sigterm-stop: ok" not in smoke.stdout  # the stop of a container gone already is not the app's
    assert "web-concurrency: FAIL" not in smoke.stdout  # nor its worker count (docker's "409 ... is not running")
    # The summary leads with why, not with the first ConnectionError it explains.
    assert "check(s) failed, first heroku [" in smoke.stderr and "still-running: expected" in smoke.stderr, smoke.stderr
