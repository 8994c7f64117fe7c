"""The Heroku target, run as a dyno runs it."""

from __future__ import annotations

import json
import random
from pathlib import Path

import docker
import pytest
import requests
import yaml

from targets.smoke.session import wait_http
from tests.helpers import SESSION, invoke, managed_containers, record

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
    assert by_check["web-concurrency"]["got"] == "3 workers"
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
