"""Invoke's entry in this repo: the tasks live in the package (targets/tasks.py),
where the installed `flaskship` command finds the very same namespace."""

from targets.tasks import namespace as ns  # noqa: F401 - invoke looks for `ns`
