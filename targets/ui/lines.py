"""Markers on a progress line, so lower layers need no reporter to say what a line is.

Every layer reports through a plain `progress(line)` callable. A line may be a
`Notice` (always kept in the output; with a key, shown once per run however
many targets repeat it) or a `Detail` (build logs and the like: shown only
with --verbose). Both are strings, so `print` stays a valid progress callable.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable


class Notice(str):
    """A line worth keeping: a warning, a failure, a fact about the whole run."""

    key: Hashable | None

    def __new__(cls, text: str, key: Hashable | None = None) -> Notice:
        line = super().__new__(cls, text)
        line.key = key
        return line


class Detail(str):
    """A line only --verbose shows (Docker's `Step N/M`, a build's own output)."""


def notice(progress: Callable[[str], None], text: str, key: Hashable | None = None) -> None:
    progress(Notice(text, key))
