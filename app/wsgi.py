"""WSGI entry point: `wsgi:app` for gunicorn and the functions adapter."""

from demo import create_app

app = create_app()
