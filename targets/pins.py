"""Pinned versions of what the platforms' servers need, so the same manifest
always builds the same server (bump deliberately, with a smoke run)."""

GUNICORN = "gunicorn==23.0.0"
FUNCTIONS_FRAMEWORK = "functions-framework==3.10.2"
# firebase-tools from npm, installed by bin/setup: its Hosting emulator is the
# oracle the local edge is compared with (tests/integration/test_edge.py).
FIREBASE_TOOLS = "15.34.2"
