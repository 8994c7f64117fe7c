"""One pydantic error -> one line: 'key.path: expected X, got Y'."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..kinds import KINDS, choices
from ..services import SERVICES
from ..services import choices as service_choices

# What a value must look like, said in words where a regex would not help.
SHAPES = {
    "app.entry": "write module:name or module:factory(...) as gunicorn takes it, e.g. wsgi:app or flaskr:create_app()",
}


def describe(error: Mapping[str, Any]) -> str:
    loc = [str(part) for part in error["loc"]]
    # pydantic puts the union tag into the path (targets.api.cloudrun.port); drop it.
    if len(loc) > 2 and loc[0] == "targets" and loc[2] in KINDS:
        del loc[2]
    if len(loc) > 2 and loc[0] == "services" and loc[2] in SERVICES:
        del loc[2]
    if not loc and error["type"] == "value_error":
        # A check across keys (model validators) names its own key path.
        return str(error["msg"]).removeprefix("Value error, ")
    if loc and loc[-1] == "[key]":
        del loc[-1]
        return f"{'.'.join(loc)}: invalid name {error.get('input')!r}: use lower-case letters, digits and '-', starting with a letter"
    path = ".".join(loc) or "(top level)"
    etype, value = error["type"], error.get("input")
    got = f", got {value!r}" if not isinstance(value, (dict, list)) else ""
    kinds = service_choices() if loc[:1] == ["services"] else choices()
    if etype == "union_tag_invalid":
        return f"{path}.kind: unknown kind {error['ctx']['tag']!r} (choose from: {kinds})"
    if etype == "union_tag_not_found":
        return f"{path}.kind: missing (choose from: {kinds})"
    if etype == "literal_error":
        return f"{path}: invalid value{got} (choose from: {error['ctx']['expected']})"
    if etype == "extra_forbidden":
        return f"{path}: unknown key (check its spelling; see targets.schema.json for valid keys)"
    if etype == "missing":
        return f"{path}: required key is missing"
    if etype.startswith("int_"):
        return f"{path}: expected an integer{got}"
    if etype == "string_type" and isinstance(value, float):
        return f"{path}: expected a string{got}; quote it (YAML reads 3.10 as the number 3.1)"
    if etype == "string_type":
        return f"{path}: expected a string{got}"
    if etype == "string_pattern_mismatch" and path in SHAPES:
        return f"{path}: invalid value{got}: {SHAPES[path]}"
    if etype == "string_pattern_mismatch":
        return f"{path}: invalid value{got} (must match {error['ctx']['pattern']})"
    if etype in ("dict_type", "model_type", "model_attributes_type"):
        return f"{path}: expected a mapping{got}"
    if etype in ("tuple_type", "list_type"):
        return f"{path}: expected a list{got}"
    if etype == "too_short" and loc == ["targets"]:
        return "targets: declare at least one target"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{path}: {message}{got}"
