from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from demo import config, create_app


def test_index_shows_env_time_and_cache_header(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert b"APP_ENV=development" in response.data
    assert b"<time>" in response.data
    assert response.headers["Cache-Control"] == "public, max-age=300, s-maxage=600"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_healthz_is_json(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.get_json() == {"status": "ok", "env": "development"}


def test_echo_round_trips_body_query_and_unicode_path(client: FlaskClient) -> None:
    response = client.post("/api/echo/caf%C3%A9?a=1&a=2", json={"x": ["é", 1]})
    body = response.get_json()
    assert body["json"] == {"x": ["é", 1]}
    assert body["path"] == "/api/echo/café"
    assert body["query"] == {"a": ["1", "2"]}
    assert body["method"] == "POST" and body["scheme"] == "http"


def test_unknown_path_is_json_404(client: FlaskClient) -> None:
    response = client.get("/missing")
    assert response.status_code == 404
    assert response.get_json() == {"error": "Not Found", "status": 404}


def test_static_file_served(client: FlaskClient) -> None:
    assert client.get("/static/style.css").status_code == 200


@pytest.mark.parametrize("env", ["staging", "production"])
def test_non_development_refuses_dev_secret(env: str) -> None:
    with pytest.raises(RuntimeError, match="refuses the development SECRET_KEY"):
        create_app(environ={"APP_ENV": env})


def test_production_accepts_real_secret_from_environment() -> None:
    app = create_app(environ={"APP_ENV": "production", "SECRET_KEY": "s3cret-value"})
    assert app.config["SECRET_KEY"] == "s3cret-value"
    assert app.config["SECRET_KEY"] != config.DEV_SECRET


def test_unknown_app_env_is_refused() -> None:
    with pytest.raises(RuntimeError, match="APP_ENV='qa'"):
        create_app(environ={"APP_ENV": "qa"})


def test_proxy_fix_only_when_configured() -> None:
    plain = create_app(environ={"APP_ENV": "development"}).test_client()
    proxied = create_app(environ={"APP_ENV": "development", "TRUST_PROXY_HOPS": "1"}).test_client()
    headers = {"X-Forwarded-Proto": "https"}
    assert plain.post("/api/echo", json={}, headers=headers).get_json()["url"].startswith("http://")
    assert proxied.post("/api/echo", json={}, headers=headers).get_json()["url"].startswith("https://")


def test_greeting_is_the_environments_value_byte_for_byte() -> None:
    value = "\"q\" 'x' #c $HOME ${HOME} a,b é ✓"
    app = create_app({"TESTING": True}, environ={"APP_ENV": "development", "GREETING": value})
    response = app.test_client().get("/api/greeting")
    assert response.mimetype == "text/plain" and response.get_data(as_text=True) == value


def test_slow_answers_after_the_time_asked_for_and_no_longer_than_20_s(client: FlaskClient) -> None:
    assert client.get("/api/slow?ms=10").get_json() == {"slept_ms": 10}
    assert client.get("/api/slow?ms=-5").get_json() == {"slept_ms": 0}
