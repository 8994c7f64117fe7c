"""The engine is chosen as the docker CLI does, and smoke reaches containers on the engine's host."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from targets.engine import endpoint
from targets.engine.endpoint import Endpoint


@pytest.mark.parametrize("url,host,local,publish", [
    ("unix:///var/run/docker.sock", "127.0.0.1", True, "127.0.0.1"),
    ("tcp://127.0.0.1:2375", "127.0.0.1", True, "127.0.0.1"),
    ("tcp://localhost:2375", "localhost", True, "127.0.0.1"),
    ("tcp://10.1.2.3:2376", "10.1.2.3", False, "0.0.0.0"),
    ("ssh://deploy@build-box.internal", "build-box.internal", False, "0.0.0.0"),
])
def test_published_ports_are_reached_on_the_engines_host(url: str, host: str, local: bool, publish: str) -> None:
    where = Endpoint(url, "DOCKER_HOST")
    assert (where.reach_host, where.local, where.publish_ip) == (host, local, publish)


def test_docker_host_wins_then_docker_context_then_the_current_context(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "docker"
    meta = config / "contexts/meta"
    for name, host in (("remote", "tcp://10.9.8.7:2376"), ("other", "ssh://me@other")):
        folder = meta / hashlib.sha256(name.encode()).hexdigest()  # as `docker context create` keys it
        folder.mkdir(parents=True)
        (folder / "meta.json").write_text(json.dumps({"Name": name, "Metadata": {},
                                                      "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": False}}}))
    (config / "config.json").write_text(json.dumps({"currentContext": "remote"}))
    monkeypatch.setenv("DOCKER_CONFIG", str(config))
    monkeypatch.delenv("DOCKER_CONTEXT", raising=False)
    monkeypatch.setenv("DOCKER_HOST", "unix:///tmp/x.sock")
    assert endpoint.current() == Endpoint("unix:///tmp/x.sock", "DOCKER_HOST")
    monkeypatch.delenv("DOCKER_HOST")
    assert (endpoint.current().url, endpoint.current().source) == ("tcp://10.9.8.7:2376", "context remote")
    monkeypatch.setenv("DOCKER_CONTEXT", "other")
    chosen = endpoint.current()
    assert (chosen.url, chosen.source, chosen.reach_host) == ("ssh://me@other", "context other", "other")
    assert endpoint.client_kwargs(chosen)["use_ssh_client"] is True
    assert endpoint.environment(chosen) == {"DOCKER_HOST": "ssh://me@other"}
    monkeypatch.setenv("DOCKER_CONTEXT", "default")
    assert endpoint.current() == Endpoint(endpoint.DEFAULT, "default")
