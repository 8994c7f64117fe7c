"""Problems between the parts of a manifest, each valid on its own.

Checked on the raw data beside the models' own validation, so they are
reported in the same run as every other problem, not after those are fixed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..errors import printable
from .messages import dotted, shown, suggest

DEFAULT_ENVIRONMENT = "development"  # the model's default for defaults.environment


def check(raw: Mapping[str, Any]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """(key path, message) for each broken reference."""
    defaults = raw.get("defaults")
    environments = raw.get("environments")
    chosen = defaults.get("environment", DEFAULT_ENVIRONMENT) if isinstance(defaults, dict) else DEFAULT_ENVIRONMENT
    if isinstance(environments, dict) and isinstance(chosen, str) and chosen not in environments:
        names = sorted(str(name) for name in environments)
        where: tuple[str | int, ...] = ("defaults", "environment") if isinstance(defaults, dict) and "environment" in defaults else ("environments",)
        yield where, (f"{dotted(where)}: the default environment {shown(chosen)} is not declared under environments "
                      f"({suggest(chosen, names)}choose from: {printable(', '.join(names)) or 'none'}); "
                      "declare it or set defaults.environment")
