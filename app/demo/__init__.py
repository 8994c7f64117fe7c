"""The demo app: one Flask source that every target ships."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config, views


def create_app(test_config: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(config.load(os.environ if environ is None else environ, test_config))
    hops = int(app.config["TRUST_PROXY_HOPS"])
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    app.register_blueprint(views.bp)
    views.register_errors(app)
    return app
