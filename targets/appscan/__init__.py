"""Look at an existing Flask app and say what a manifest for it needs (`invoke init`).

The app's code never runs in flaskship's own process: it is read as text
(AST) on the host, and imported only by probe.py inside a throwaway venv.

  errors.py      InitError
  candidates.py  the WSGI entry, found statically: Flask(...) objects and factories
  versions.py    the Python version (.python-version, runtime.txt, requires-python)
  deps.py        the dependency file (requirements.txt or pyproject.toml)
  sandbox.py     the cached throwaway venv with only the app's dependencies
  probe.py       the script run inside it: confirms the entry, reads static and routes
  runner.py      runs probe.py with a minimal environment and a timeout
  detect.py      all of the above -> Detected, each value with why it was chosen
  render.py      Detected -> targets.yaml text, with comments
"""
