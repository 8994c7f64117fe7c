"""engine/outbound.py: which URLs bypass the environment's proxy."""

from __future__ import annotations

import pytest

from targets.engine import outbound


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/healthz", "http://localhost:5000/v2/", "http://[::1]:80/",
                                 "http://127.9.9.9/", "http://0.0.0.0:8000/"])  # the last: publish_host 0.0.0.0
def test_loopback_urls_take_no_proxy_from_the_environment(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with outbound.session(url) as http:
        assert http.trust_env is False
        assert http.merge_environment_settings(url, {}, None, None, None)["proxies"] == {}


def test_other_urls_keep_the_users_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    url = "https://registry.heroku.com/v2/"
    with outbound.session(url) as http:
        assert http.merge_environment_settings(url, {}, None, None, None)["proxies"]["https"] == "http://proxy.invalid:3128"
