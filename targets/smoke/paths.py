"""Paths every target is asked for, whatever the app: here, so that init's probe asks the same
one without importing smoke's HTTP client."""

# A path no app routes: its answer must not be a 5xx (conformance.py's not-found check).
NOT_FOUND_PATH = "/flaskship-no-such-page"
