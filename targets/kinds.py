"""The explicit registry of target kinds: one line per kind."""

from __future__ import annotations

from .cloudrun import KIND as cloudrun
from .compose import KIND as compose
from .functions import KIND as functions
from .heroku import KIND as heroku
from .kindbase import Kind, TargetSettings

KINDS: dict[str, Kind] = {
    cloudrun.name: cloudrun,
    heroku.name: heroku,
    compose.name: compose,
    functions.name: functions,
}

__all__ = ["KINDS", "Kind", "TargetSettings"]
