"""The compose target: nginx in front of gunicorn, with Compose v1 or v2."""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path

import docker
import pytest
import yaml

from tests.helpers import COMPOSE_PROGRAMS, SESSION, assert_one_clear_line, compose_installed, invoke, managed_containers

pytestmark = pytest.mark.docker


def test_compose_file_shape_and_schema(built: Path) -> None:
    path = built / "build/compose/docker-compose.yml"
    spec = yaml.safe_load(path.read_text())
    web, nginx = spec["services"]["web"], spec["services"]["nginx"]
    assert "ports" not in web and nginx["ports"] == ["127.0.0.1:${FLASKSHIP_PUBLISH:-8000}:8080"]
    assert nginx["depends_on"] == {"web": {"condition": "service_healthy"}}
    assert web["healthcheck"]["test"][0] == "CMD" and web["restart"] == nginx["restart"] == "unless-stopped"
    assert "TRUST_PROXY_HOPS=1" in web["environment"] and "SECRET_KEY" in web["environment"]
    assert "APP_ENV" in web["environment"] and "env_file" not in web  # by name: compose re-reads no value
    assert (built / "build/compose/env/production.sh").read_text().count("export APP_ENV=production") == 1
    check = subprocess.run(["check-jsonschema", "--builtin-schema", "vendor.compose-spec", str(path)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout


def test_nginx_config_contract(built: Path) -> None:
    conf = (built / "build/compose/nginx/nginx.conf").read_text()
    for directive in ("server_tokens off;", "proxy_buffering on;", "client_max_body_size 10m;",
                      "listen 8080 default_server;", "proxy_set_header Host $matched_host;",
                      "proxy_set_header X-Forwarded-Host \"\";",
                      "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
                      "location /static/ {", "alias /srv/static/;"):
        assert directive in conf, directive


def test_only_compose_trusts_the_proxy(built: Path) -> None:
    for target in ("cloudrun", "heroku"):
        assert "TRUST_PROXY_HOPS" not in (built / f"build/{target}/image/Dockerfile").read_text()


@pytest.mark.parametrize("program", COMPOSE_PROGRAMS, ids=["v2", "v1"])
def test_smoke_through_nginx(built: Path, engine: docker.DockerClient, program: str) -> None:
    compose_installed(program)
    result = invoke("smoke", "--manifest", str(built / "targets.yaml"), "--target", "compose", "--force",
                    env={"FLASKSHIP_COMPOSE": program})
    assert result.code == 0, result.stdout + result.stderr
    results = json.loads((built / "build/smoke.json").read_text())["targets"]["compose"]["results"]
    assert {r["variant"] for r in results} == {f"{program} via nginx"}
    statuses = {r["check"]: r["status"] for r in results}
    for check in ("static-from-nginx", "forwarded-proto", "unknown-host", "host-spoofing", "path-traversal",
                  "web-not-published"):
        assert statuses[check] == "pass", check
    assert managed_containers(engine) == []
    # This run's stacks only: another test worker's may be up (its project names hold its session).
    assert not [n for n in engine.networks.list() if n.name.startswith("flaskship-compose")
                and SESSION.lower() in n.name]


def test_a_port_held_by_someone_else_does_not_stop_smoke(built: Path, engine: docker.DockerClient) -> None:
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind(("127.0.0.1", 8000))  # targets.compose.publish
        holder.listen()
        result = invoke("smoke", "--manifest", str(built / "targets.yaml"), "--target", "compose", "--force")
    assert result.code == 0, result.stdout + result.stderr  # smoke published the stack on a free port
    compose = (built / "build/compose/docker-compose.yml").read_text()
    assert '"127.0.0.1:${FLASKSHIP_PUBLISH:-8000}:8080"' in compose  # by hand it is still 8000
    assert managed_containers(engine) == []


def test_a_failing_platform_fails_its_target_and_the_others_still_run(built: Path) -> None:
    result = invoke("smoke", "--manifest", str(built / "targets.yaml"), "--target", "compose,heroku", "--force",
                    env={"FLASKSHIP_COMPOSE": "no-such-compose"})
    assert_one_clear_line(result, "smoke failed", "compose [infrastructure] start", "compose is not installed")
    report = json.loads((built / "build/smoke.json").read_text())["targets"]
    assert report["compose"]["passed"] is False and report["heroku"]["passed"] is True
    assert any(r["check"] == "sigterm-stop" for r in report["heroku"]["results"])  # heroku really ran


def test_nginx_t_checks_the_generated_config_in_the_nginx_base_and_leaves_nothing(
        built: Path, engine: docker.DockerClient, tmp_path: Path) -> None:
    from targets.engine import base_images
    from targets.errors import BuildFailed
    from targets.kinds.compose import nginx_check

    base = base_images.resolve("nginx:stable-bookworm", lambda _line: None)
    good = built / "build/compose/nginx/nginx.conf"
    nginx_check.check("compose", base, good)  # as the build ran it: passes
    bad = tmp_path / "nginx.conf"
    bad.write_text(good.read_text().replace("server_tokens off;", "server_tokens maybe;"))
    with pytest.raises(BuildFailed, match=r"^compose: generated nginx.conf fails `nginx -t`$") as failed:
        nginx_check.check("compose", base, bad)
    assert 'invalid value "maybe"' in failed.value.detail
    assert managed_containers(engine) == []
