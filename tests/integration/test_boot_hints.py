"""An app that writes beside its code, as microblog's factory does (logs/ under the
working directory), dies at boot in an image, whose code is read-only. Smoke's one
line names the folder and the manifest key that fixes it, and that key does."""

from __future__ import annotations

import shutil
from pathlib import Path

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


def test_an_app_writing_beside_its_code_is_told_the_key_and_the_key_works(built: Path, tmp_path: Path) -> None:
    root = copy_demo(tmp_path)
    manifest = yaml.safe_load((root / "targets.yaml").read_text())
    manifest["targets"] = {"heroku": manifest["targets"]["heroku"]}
    (root / "targets.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    # The wheels and venvs the shared build resolved: a cache keyed by content.
    shutil.copytree(built / "build/.cache", root / "build/.cache", ignore=shutil.ignore_patterns("init-venv-*"))
    with (root / "app/wsgi.py").open("a") as handle:
        handle.write(LOGS_TO_A_FILE)
    path = str(root / "targets.yaml")
    assert invoke("build", "--manifest", path).code == 0

    smoke = invoke("smoke", "--manifest", path)
    assert_one_clear_line(smoke, "heroku", "boot", "could not write /srv/app/logs",
                          "list 'logs' under app.writable in targets.yaml", app_logs=True)
    assert "PermissionError" in smoke.stdout  # the app's own traceback, in its log lines

    manifest["app"]["writable"] = ["logs"]
    (root / "targets.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    assert invoke("build", "--manifest", path).code == 0
    fixed = invoke("smoke", "--manifest", path)
    assert fixed.code == 0, fixed.stdout + fixed.stderr
    assert "smoke: 1 target(s): 1 pass" in fixed.stdout
