"""The Heroku target, run as a dyno runs it."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import docker
import pytest
import requests
import yaml

from targets.smoke.session import wait_http
from tests.helpers import SESSION, copy_demo, invoke, managed_containers, record

pytestmark = pytest.mark.docker


def test_heroku_yml_builds_the_dockerfile(built: Path) -> None:
    assert yaml.safe_load((built / "build/heroku/heroku.yml").read_text()) == {"build": {"docker": {"web": "image/Dockerfile"}}}
    dockerfile = (built / "build/heroku/image/Dockerfile").read_text()
    for ignored in ("EXPOSE", "HEALTHCHECK", "VOLUME", "STOPSIGNAL"):
        assert ignored not in dockerfile


def test_smoke_as_a_dyno(built: Path, engine: docker.DockerClient) -> None:
    result = invoke("smoke", "--manifest", str(built / "targets.yaml"), "--target", "heroku", "--force")
    assert result.code == 0, result.stdout + result.stderr
    results = json.loads((built / "build/smoke.json").read_text())["targets"]["heroku"]["results"]
    by_check = {r["check"]: r for r in results}
    # No WEB_CONCURRENCY (a container deploy has no buildpack to set it): the image's own default.
    assert by_check["web-concurrency"]["got"] == "2 workers"
    assert by_check["web-concurrency"]["expected"] == "2 workers from the image's default within 10 s"
    assert float(by_check["sigterm-stop"]["got"].split()[0]) < 30
    assert "uid=" in by_check["boot"]["variant"]
    assert managed_containers(engine) == []


def test_image_serves_any_port_as_any_uid(built: Path, engine: docker.DockerClient) -> None:
    port, uid = random.randint(20000, 40000), random.randint(20000, 60000)
    container = engine.containers.run(record(built, "heroku")["images"]["app"]["id"], detach=True,
                                      user=f"{uid}:{uid}", environment={"PORT": str(port), "APP_ENV": "development"},
                                      ports={f"{port}/tcp": ("127.0.0.1", None)}, labels={"io.flaskship.session": SESSION})
    try:
        container.reload()
        host_port = container.attrs["NetworkSettings"]["Ports"][f"{port}/tcp"][0]["HostPort"]
        wait_http(f"http://127.0.0.1:{host_port}/healthz", 30, container, "heroku")
        assert requests.get(f"http://127.0.0.1:{host_port}/healthz", timeout=5).json()["status"] == "ok"
        top = container.top(ps_args="-eo pid,user,args")["Processes"]
        gunicorns = [row for row in top if "gunicorn" in row[2]]
        assert gunicorns and all(row[1] == str(uid) for row in gunicorns)
    finally:
        container.remove(force=True)


def test_a_web_concurrency_config_var_sets_the_workers(built: Path, tmp_path: Path) -> None:
    root = copy_demo(tmp_path)
    data = yaml.safe_load((root / "targets.yaml").read_text())
    data["targets"] = {"heroku": data["targets"]["heroku"]}
    data["environments"]["development"]["env"]["WEB_CONCURRENCY"] = "3"  # as `heroku config:set` would
    (root / "targets.yaml").write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    shutil.copytree(built / "build/.cache", root / "build/.cache", ignore=shutil.ignore_patterns("init-venv-*"))
    assert invoke("build", "--manifest", str(root / "targets.yaml")).code == 0
    result = invoke("smoke", "--manifest", str(root / "targets.yaml"))
    assert result.code == 0, result.stdout + result.stderr
    results = json.loads((root / "build/smoke.json").read_text())["targets"]["heroku"]["results"]
    check = next(r for r in results if r["check"] == "web-concurrency")
    assert (check["expected"], check["got"]) == ("3 workers from WEB_CONCURRENCY within 10 s", "3 workers")
