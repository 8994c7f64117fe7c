"""Splitting a repository into registry host and path, as Docker does."""

from __future__ import annotations

import pytest

from targets.engine.registry_push import AUTH_WORDS, TRANSIENT_WORDS, base_url, mentions, split


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


@pytest.mark.parametrize(("message", "auth", "transient"), [
    # A registry that is down, on a port whose digits hold a status code: not a refusal of the credentials.
    ('get "http://127.0.0.1:40397/v2/": dial tcp 127.0.0.1:40397: connect: connection refused', False, True),
    ('get "http://127.0.0.1:5401/v2/": dial tcp 127.0.0.1:5401: connect: connection refused', False, True),
    ("unexpected http status: 403 forbidden", True, False),
    ("received unexpected http status: 503 service unavailable", False, True),
    ("denied: requested access to the resource is denied", True, False),
    ("no basic auth credentials", True, False),
])
def test_a_push_error_is_classified_by_its_words_and_codes_not_by_a_port(message: str, auth: bool,
                                                                          transient: bool) -> None:
    assert mentions(message, AUTH_WORDS) is auth
    assert mentions(message, TRANSIENT_WORDS) is transient
