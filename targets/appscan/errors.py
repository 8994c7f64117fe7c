"""The one error init raises itself (targets.errors is shared and not init's to grow)."""

from __future__ import annotations

from ..errors import FlaskshipError


class InitError(FlaskshipError):
    """The app cannot be inspected, or the manifest cannot be written; one line says why."""
