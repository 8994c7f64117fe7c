"""targets.yaml -> frozen, typed objects. Pure data: no Docker, no HTTP.

  model.py       the models (the kinds' settings come from targets.kinds)
  project.py     load() and Project: the manifest plus where it lives
  messages.py    a validation error as one line naming its key path
  document.py    bounded reading and parsing (SafeLoader), with the line of every key
  keys.py        the keys valid at a place, for "did you mean"
  references.py  problems between parts (defaults.environment naming no environment)
  schema.py      the JSON Schema for editors
"""

from .model import AppSource, Check, Defaults, Environment, Manifest, Smoke
from .project import DEFAULT_MANIFEST, Project, load, parse, parse_text
from .schema import json_schema

__all__ = ["AppSource", "DEFAULT_MANIFEST", "Defaults", "Environment", "Manifest", "Project", "Smoke", "Check",
           "json_schema", "load", "parse", "parse_text"]
