"""The JSON Schema of targets.yaml, generated from the models (for editors)."""

from __future__ import annotations

import json

from pydantic import TypeAdapter

from .model import Manifest


def json_schema() -> str:
    schema = TypeAdapter(Manifest).json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "flaskship targets.yaml"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
