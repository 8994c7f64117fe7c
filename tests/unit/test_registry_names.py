"""Splitting a repository into registry host and path, as Docker does."""

from __future__ import annotations

import pytest

from targets.engine.registry_push import base_url, split


@pytest.mark.parametrize(("repository", "host", "path"), [
    ("127.0.0.1:5000/flask-demo/compose", "127.0.0.1:5000", "flask-demo/compose"),
    ("us-central1-docker.pkg.dev/p/apps/x", "us-central1-docker.pkg.dev", "p/apps/x"),
    ("registry.heroku.com/app/web", "registry.heroku.com", "app/web"),
    ("localhost/x", "localhost", "x"),
    ("library/python", "registry-1.docker.io", "library/python"),  # no dot or port: Docker Hub
    ("python", "registry-1.docker.io", "python"),
])
def test_split(repository: str, host: str, path: str) -> None:
    assert split(repository) == (host, path)


def test_only_loopback_registries_speak_plain_http() -> None:
    assert base_url("127.0.0.1:5000") == "http://127.0.0.1:5000"
    assert base_url("localhost:5000") == "http://localhost:5000"
    assert base_url("registry.heroku.com") == "https://registry.heroku.com"
