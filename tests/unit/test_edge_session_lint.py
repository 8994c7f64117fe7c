"""The build-time lint's session-cookie warning: Hosting forwards only __session."""

from __future__ import annotations

from pathlib import Path

from targets.kinds.cloudrun.edge import lint


def app(tmp_path: Path, code: str) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text(code)
    return tmp_path


def test_an_app_using_the_default_session_cookie_is_warned(tmp_path: Path) -> None:
    folder = app(tmp_path, "from flask import Flask, session, request\n")
    [warning] = lint.session_cookie("session", folder)
    assert "'session'" in warning and "SESSION_COOKIE_NAME" in warning and "__session" in warning


def test_flask_dot_session_counts_as_using_it(tmp_path: Path) -> None:
    assert lint.session_cookie("session", app(tmp_path, "import flask\nflask.session['x'] = 1\n"))


def test_no_warning_when_named_session_or_never_used(tmp_path: Path) -> None:
    used = app(tmp_path, "from flask import session\n")
    assert lint.session_cookie("__session", used) == []
    assert lint.session_cookie(None, used) == []
    unused = tmp_path / "other"
    unused.mkdir()
    (unused / "app.py").write_text("from flask import Flask  # no session here\nsessions = 1\n")
    assert lint.session_cookie("session", unused) == []
