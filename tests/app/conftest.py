from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from demo import create_app


@pytest.fixture
def app() -> Flask:
    return create_app({"TESTING": True, "CACHE_CONTROL": "public, max-age=300, s-maxage=600"},
                      environ={"APP_ENV": "development"})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
