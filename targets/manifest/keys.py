"""The keys a mapping of targets.yaml may hold, found by walking the models.

An unknown key is reported with the valid ones at its place and a "did you
mean" for a close one, so `tag:` under a target suggests `tags`.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from ..kinds import KINDS
from .model import Manifest

_TARGET = object()  # a target: its settings class comes from the union tag, the next part of the path


def allowed_keys(loc: Sequence[Any], raw: Any) -> list[str]:
    """The keys valid in the mapping that holds loc[-1]; [] when unknown."""
    current: Any = Manifest
    node = raw
    for part in loc[:-1]:
        current, node = _step(current, node, part)
        if current is None:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return sorted(field.alias or name for name, field in current.model_fields.items())
    return []


def _step(current: Any, node: Any, part: Any) -> tuple[Any, Any]:
    current = _unwrap(current)
    child = node.get(part) if isinstance(node, dict) else None
    if isinstance(current, type) and issubclass(current, BaseModel):
        for name, field in current.model_fields.items():
            if part in (name, field.alias):
                return field.annotation, child
        return None, None
    origin = typing.get_origin(current)
    if origin is dict:
        value_type = typing.get_args(current)[1]
        return (_TARGET if _is_target_union(value_type) else value_type), child
    if origin is tuple:
        item = node[part] if isinstance(node, list) and isinstance(part, int) and part < len(node) else None
        return typing.get_args(current)[0], item
    if current is _TARGET:
        # pydantic puts the union tag (the kind) into the path: targets.api.cloudrun.port
        entry = KINDS.get(str(part))
        return (entry.settings if entry else None), node
    return None, None


def _is_target_union(annotation: Any) -> bool:
    inner = _unwrap(annotation)
    return typing.get_origin(inner) in (typing.Union, types.UnionType) and any(
        isinstance(member, type) and member in {k.settings for k in KINDS.values()}
        for member in map(_unwrap, typing.get_args(inner)))


def _unwrap(annotation: Any) -> Any:
    """Annotated[X, ...] -> X, X | None -> X."""
    while True:
        if typing.get_origin(annotation) is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        args = typing.get_args(annotation)
        if typing.get_origin(annotation) in (typing.Union, types.UnionType) and type(None) in args:
            rest = [a for a in args if a is not type(None)]
            if len(rest) == 1:
                annotation = rest[0]
                continue
        return annotation
