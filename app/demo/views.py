"""Routes: a page, a health check, an echo that proves requests pass intact."""

from __future__ import annotations

import time
from datetime import datetime, timezone

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template, request, url_for
from werkzeug.exceptions import HTTPException

bp = Blueprint("demo", __name__)


@bp.after_app_request
def security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


@bp.get("/")
def index() -> Response:
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    response = current_app.make_response(render_template("index.html", now=now, app_env=current_app.config["APP_ENV"]))
    response.headers["Cache-Control"] = current_app.config["CACHE_CONTROL"]
    return response


@bp.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok", env=current_app.config["APP_ENV"])


@bp.get("/api/greeting")
def greeting() -> Response:
    return Response(current_app.config["GREETING"], mimetype="text/plain")


@bp.get("/api/slow")
def slow() -> Response:
    """Answers after ?ms= milliseconds (at most 20 s): a request in flight for shutdown tests."""
    ms = min(max(request.args.get("ms", default=1000, type=int), 0), 20_000)
    time.sleep(ms / 1000)
    return jsonify(slept_ms=ms)


@bp.post("/api/echo")
@bp.post("/api/echo/<path:tail>")
def echo(tail: str = "") -> Response:
    # Read the whole body, whatever its type: a gunicorn sync worker that closes the
    # connection with part of a body unread resets it, and nginx answers 502 (a 1 MB
    # upload showed it).
    body = request.get_data(cache=True)
    return jsonify(
        json=request.get_json(silent=True),
        length=len(body),
        method=request.method,
        path=request.path,
        query=request.args.to_dict(flat=False),
        scheme=request.scheme,
        url=url_for("demo.echo", _external=True),
        # What reaches the app: behind Firebase Hosting only __session does.
        cookies=request.cookies.to_dict(),
    )


@bp.get("/api/visit")
def visit() -> Response:
    """Sets a cookie, with the pages' Cache-Control: a CDN must still never keep it."""
    response = jsonify(visited=True)
    response.headers["Cache-Control"] = current_app.config["CACHE_CONTROL"]
    response.set_cookie("visited", "1", httponly=True, samesite="Lax")
    return response


def register_errors(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def as_json(error: HTTPException) -> tuple[Response, int]:
        return jsonify(error=error.name, status=error.code), error.code or 500
