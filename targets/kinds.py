"""The explicit registry of target kinds: one line per kind."""

from __future__ import annotations

from .cloudrun import KIND as cloudrun
from .kindbase import Kind, TargetSettings

KINDS: dict[str, Kind] = {
    cloudrun.name: cloudrun,
}

__all__ = ["KINDS", "Kind", "TargetSettings"]
