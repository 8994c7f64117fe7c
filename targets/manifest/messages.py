"""One pydantic error -> one line: 'key.path: expected X, got Y'.

Every piece of the manifest that reaches a message (a key, a value) is passed
through `printable`, so a key holding a newline or a terminal escape can
neither forge a second line nor steer the terminal.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any

from ..kinds import KINDS, choices
from ..errors import printable
from ..services import OTHER_NAMES, SERVICES
from ..services import choices as service_choices
from .keys import allowed_keys

# What a value must look like, said in words where a regex would not help.
SHAPES = {
    "app.entry": "write module:name or module:factory(...) as gunicorn takes it, e.g. wsgi:app or flaskr:create_app()",
    "app.static": "a folder relative to app.source, e.g. static, or ../public beside it (the split layout)",
}
MAX_SHOWN = 80  # characters of a value quoted in a message


def location(error: Mapping[str, Any]) -> tuple[str | int, ...]:
    """The key path as the file has it: pydantic's union tag (targets.api.cloudrun.port) dropped."""
    loc = list(error["loc"])
    if len(loc) > 2 and loc[0] == "targets" and loc[2] in KINDS:
        del loc[2]
    if len(loc) > 2 and loc[0] == "services" and loc[2] in SERVICES:
        del loc[2]
    if loc and loc[-1] == "[key]":
        del loc[-1]
    if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
        loc.append("kind")  # what is wrong, or missing, is the target's kind
    return tuple(loc)


def dotted(loc: Sequence[str | int]) -> str:
    """targets.api.port, smoke.checks[0].path: escaped, ready to print."""
    text = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")
    return printable(text)


def shown(value: Any) -> str:
    text = printable(repr(value))
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN - 5] + "...'" * isinstance(value, str) + "..." * (not isinstance(value, str))


def suggest(word: str, candidates: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"did you mean {printable(repr(close[0]))}? " if close else ""


def describe(error: Mapping[str, Any], raw: Any = None) -> str:
    loc = location(error)
    path = dotted(loc) or "(top level)"
    etype, value = error["type"], error.get("input")
    got = f", got {shown(value)}" if not isinstance(value, (dict, list)) else ""
    if error["loc"] and error["loc"][-1] == "[key]":
        why = str(error["msg"]).removeprefix("Value error, ")
        if etype != "value_error":
            why = "use lower-case letters, digits and '-', starting with a letter and not ending with '-'"
        if isinstance(value, str) and len(value) > 63:
            why = "at most 63 characters"
        return f"{path}: invalid name {shown(value)}: {why}"
    if not loc and etype == "value_error":
        # A check across keys (a model validator) names its own key path.
        return printable(str(error["msg"]).removeprefix("Value error, "))
    services = loc[:1] == ("services",)
    if etype == "union_tag_invalid":
        tag = str(error["ctx"]["tag"])
        known = list(SERVICES) if services else list(KINDS)
        listed = service_choices() if services else choices()
        named = OTHER_NAMES.get(tag.lower()) if services else None
        hint = f"did you mean {named!r}? " if named else suggest(tag, known)
        return f"{path}: unknown kind {shown(tag)} ({hint}choose from: {listed})"
    if etype == "union_tag_not_found":
        return f"{path}: missing (choose from: {service_choices() if services else choices()})"
    if etype == "extra_forbidden":
        valid = allowed_keys(error["loc"], raw)
        hint = suggest(str(loc[-1]), valid).rstrip() if valid else ""
        listed = f"valid keys here: {', '.join(valid)}" if valid else "see targets.schema.json for valid keys"
        return f"{path}: unknown key ({hint or listed})"
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
    if etype == "string_too_long":
        return f"{path}: longer than {error['ctx']['max_length']} characters"
    if etype in ("dict_type", "model_type", "model_attributes_type"):
        return f"{path}: expected a mapping{got}"
    if etype in ("tuple_type", "list_type"):
        return f"{path}: expected a list{got}"
    if etype == "bool_type":
        return f"{path}: expected true or false{got}"
    if etype == "literal_error":
        return f"{path}: expected one of {error['ctx']['expected']}{got}"
    if etype == "too_short" and loc == ("targets",):
        return "targets: declare at least one target"
    message = printable(str(error["msg"]).removeprefix("Value error, "))
    return f"{path}: {message}{got}"
