"""Pinned versions of what the platforms' servers need, so the same manifest
always builds the same server (bump deliberately, with a smoke run)."""

from __future__ import annotations

from packaging.version import InvalidVersion, Version

GUNICORN = "gunicorn==23.0.0"
# A range, newest first: the resolver takes 3.10.2 unless the app's own pins rule it out.
# 3.8.1 on need gunicorn>=22; an app that pins gunicorn 21.2.0 (microblog, the Mega-Tutorial's
# app) gets 3.8.0, the last release that runs on it, and the zip names that release, so
# the platform runs what smoke ran. Below 3.8.0 the runner and entry point are untested.
FUNCTIONS_FRAMEWORK = "functions-framework>=3.8.0,<=3.10.2"
# Every release in that range imports flask.typing (Flask 2.0's) though its metadata allows
# Flask 1.0, so the resolver locks an old app's Flask 1.x with it: the function then dies at
# import, on Google's runtime as in smoke. Said by the build (kinds/functions) and by smoke's hint.
FRAMEWORK_NEEDS_FLASK_2 = ("functions-framework needs Flask 2.0 or later (it imports flask.typing), though its "
                           "metadata allows 1.0")


def flask_before_2(version: str) -> bool:
    """Whether a Flask release is one functions-framework cannot import; False for "" or no version."""
    try:
        return bool(version) and Version(version) < Version("2.0")
    except InvalidVersion:
        return False


# The releases of a server package an app may pin itself instead of the pin above: it gets
# that range, floor to ceiling (build/serverpins.py). The generated gunicorn.conf.py is run on
# the floor, the pin, 25.3.0 and the ceiling by tests/unit/test_gunicorn_conf.py (24 to 27.0.1
# were run on it when the ceiling was raised: dribdat pins 25.3.0, and 24 on are what an app
# updated since 2025 pins). 20.x imports pkg_resources, which lean images leave out.
FLOORS = {"gunicorn": "21.2.0"}
CEILINGS = {"gunicorn": "27.0.1"}
# Flask before 2.0 finds its CLI plugins (Flask-Migrate's `flask db`) through pkg_resources, which
# lean images leave out with setuptools: an app that pins such a Flask gets it back
# (build/serverpins.py). pkg_resources is gone from setuptools 81 on.
PKG_RESOURCES = "setuptools<81"
# firebase-tools from npm, installed by bin/setup: its Hosting emulator is the
# oracle the local edge is compared with (tests/integration/test_edge.py).
FIREBASE_TOOLS = "15.34.2"
