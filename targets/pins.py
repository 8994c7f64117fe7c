"""Pinned versions of what the platforms' servers need, so the same manifest
always builds the same server (bump deliberately, with a smoke run)."""

GUNICORN = "gunicorn==23.0.0"
FUNCTIONS_FRAMEWORK = "functions-framework==3.10.2"
# uv's own distroless image: the images' dependency stage copies its /uv (engine/installer.py).
UV_IMAGE = "ghcr.io/astral-sh/uv:0.13.9"
# firebase-tools from npm, installed by bin/setup: its Hosting emulator is the
# oracle the local edge is compared with (tests/integration/test_edge.py).
FIREBASE_TOOLS = "15.34.2"
