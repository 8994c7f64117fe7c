"""A failed smoke's logs, with each traceback printed in full once.

Every way a target runs, and every target, runs the same app: when it fails, each
log holds the same traceback, often more than once (a worker's, then a request's).
anitya without its tables printed one 35-line traceback eleven times over its four
targets, 390 lines in all, where one was the whole story. A repeat is cut to one line
that names where it was shown and ends with its exception line, so a traceback that
differs still stands out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..engine.tracebacks import CUT, TRACEBACK, chains

_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")
_FRAME = re.compile(r'\s+File "(?P<file>[^"]*)", (?P<rest>.*)')
# A line that starts a log record, not the rest of an exception's message: gunicorn's "[2026-...",
# an access line's client address, a timestamp, a level, compose's "[web]" section.
_RECORD = re.compile(r"\[\d|\d{1,3}(\.\d{1,3}){3} |\d{4}-\d\d-\d\d|(DEBUG|INFO|WARNING|ERROR|CRITICAL)\b|\[\w+\]$")


def folded(logs: Mapping[str, str]) -> dict[str, str]:
    """Each log (in order), with every chain of tracebacks shown before, in it or in an earlier
    log, replaced by one line; so are the lines that went on with its message the same way
    (SQLAlchemy's `[SQL: ...]`), never a line that differs."""
    seen: dict[tuple[str, str], str] = {}
    went_on: dict[tuple[str, str], list[str]] = {}
    out: dict[str, str] = {}
    for where, text in logs.items():
        lines = text.splitlines()
        kept: list[str] = []
        at = 0
        for first, last in _blocks(lines):
            if first < at:
                continue  # inside the message lines of the one before
            kept += lines[at:first]
            key, more = _key(lines[first:last + 1]), _message_lines(lines, last + 1)
            at = last + 1
            if key not in seen:
                seen[key] = where
                kept += lines[first:last + 1]
            else:
                place = "above" if seen[key] == where else f"in {seen[key]} above"
                kept.append(f"(the same traceback as {place}: {lines[last].strip()})")
                if more and more == went_on.get(key):
                    at += len(more)
            if more and key not in went_on:
                went_on[key] = more
        out[where] = "\n".join(kept + lines[at:])
    return out


def _blocks(lines: list[str]) -> list[tuple[int, int]]:
    """The chains, plus the end of one cut off by the log's window: the frames that open the
    tail after with_cause's cut, up to the exception line."""
    found = chains(lines)
    for cut in (i for i, line in enumerate(lines) if line == CUT):
        start = cut + 1
        end = start
        while end < len(lines) and lines[end].startswith((" ", "\t")):
            end += 1
        if end > start and end < len(lines) and lines[end].strip() \
                and not any(first <= start <= last for first, last in found):
            found.append((start, end))
    return sorted(found)


def _message_lines(lines: list[str], start: int) -> list[str]:
    """The lines after an exception line that go on with its message: up to a blank line, a
    traceback, the cut, or what starts a log record (a time, a client address, a level)."""
    end = start
    while end < len(lines) and end - start < 40 and lines[end].strip() and not _RECORD.match(lines[end]) \
            and not lines[end].startswith((TRACEBACK, CUT)):
        end += 1
    return lines[start:end]


def _key(block: list[str]) -> tuple[str, str]:
    """The same failure: the same exception line (object addresses aside), raised by the same
    line of the same file, wherever the platform put the app (/srv/app, /workspace)."""
    frames = [match for line in block if (match := _FRAME.match(line))]
    where = f"{frames[-1]['file'].rsplit('/', 1)[-1]}:{frames[-1]['rest']}" if frames else ""
    return _ADDRESS.sub("0x", block[-1].strip()), where
