"""flaskship: build one Flask app for several platforms from targets.yaml.

The package is the build system; tasks.py only wires Invoke to it.
"""
